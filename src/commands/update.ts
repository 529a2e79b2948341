import { Flags } from '@oclif/core';

import type { UpdateResultJson } from '../results.js';
import { updateStack } from '../ops/update.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { readyTimeoutFlag } from '../cli/flags.js';
import { formatUpdate } from '../cli/format/update.js';

export default class Update extends WmonCommand {
  static override summary =
    'Apply a changed wmon.yaml to the running stack: show the diff, reload in place, recreate only what must be.';

  static override description = `Re-renders every file from wmon.yaml and shows what changed as a unified diff, then does the least that makes the stack match: Prometheus and Alertmanager reload changed configuration and rules in place (POST /-/reload: same container, no restart), Grafana re-reads its provisioned dashboards and data sources (its admin API), and only the containers whose image or container settings changed are recreated (their volumes, and so their data, are kept). Finally it asks Grafana for every rendered dashboard. --dry-run shows the diff and the plan and changes nothing.

Exit codes: 0 done (or nothing to do); 69 the engine or a component does not answer; 73 the stack directory cannot be written; 75 a host port is taken or a component did not become ready in time; 78 wmon.yaml is missing or invalid.`;

  static override examples = examples({
    'See what a changed wmon.yaml would change, touching nothing': '--dry-run',
    'Apply it': '',
    'From CI: the diff and the actions as JSON': '--json',
  });

  static override flags = {
    'dry-run': Flags.boolean({ summary: 'Show the diff and the plan; change nothing.', env: 'WMON_DRY_RUN' }),
    timeout: readyTimeoutFlag(),
    diff: Flags.boolean({
      summary: 'Print the diff of the rendered files (--no-diff: only their names).',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<UpdateResultJson> {
    const { flags } = await this.parse(Update);
    const ctx = await this.openStack(flags.config);
    const result = await updateStack(
      ctx,
      { dryRun: flags['dry-run'], timeoutMs: flags.timeout * 1000 },
      this.reporter({ verbose: flags.verbose }),
    );
    if (!this.jsonEnabled()) this.log(formatUpdate(result, { diff: flags.diff }));
    return result;
  }
}
