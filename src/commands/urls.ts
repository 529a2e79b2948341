import { Flags } from '@oclif/core';

import type { UrlsResultJson } from '../results.js';
import { stackUrls } from '../ops/urls.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { formatUrls } from '../cli/format/urls.js';

export default class Urls extends WmonCommand {
  static override summary = "Print every enabled component's URL, and where the credentials are.";

  static override description =
    'Credentials (the Grafana admin password, the auth password, the Stripe webhook signing secret) are shown only with --show-credentials; otherwise only the files holding them are named.';

  static override examples = examples({
    'Open the dashboards': '',
    'Include the Grafana admin password and the webhook secret': '--show-credentials',
    'For scripts': '--json',
  });

  static override flags = {
    'show-credentials': Flags.boolean({ summary: 'Print the credentials themselves (also in --json).' }),
  };

  async run(): Promise<UrlsResultJson> {
    const { flags } = await this.parse(Urls);
    const ctx = await this.openStack(flags.config, { ifMissing: 'defaults' });
    const result = await stackUrls(ctx, { showCredentials: flags['show-credentials'] });
    if (!this.jsonEnabled()) this.log(formatUrls(result));
    return result;
  }
}
