import type { DownResultJson } from '../results.js';
import { downStack } from '../ops/down.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { stopTimeoutFlag } from '../cli/flags.js';
import { formatDown } from '../cli/format/down.js';

export default class Down extends WmonCommand {
  static override summary =
    'Stop the stack and remove its containers and network, keeping every volume (no data is lost).';

  static override description =
    'Prometheus, Alertmanager, Grafana, Loki and the webhook service keep their data in named volumes; `wmon init` brings the stack back with it.';

  static override examples = examples({
    'Stop the stack': '',
    'Give containers longer to shut down gracefully': '--timeout 30',
  });

  static override flags = {
    timeout: stopTimeoutFlag(),
  };

  async run(): Promise<DownResultJson> {
    const { flags } = await this.parse(Down);
    const ctx = await this.openStack(flags.config, { ifMissing: 'defaults' });
    const result = await downStack(ctx, { timeoutSeconds: flags.timeout });
    if (!this.jsonEnabled()) this.log(formatDown(result));
    return result;
  }
}
