import { Args } from '@oclif/core';

import { listRunbooks, readRunbook } from '../features/runbooks/index.js';
import type { RunbookResultJson } from '../results.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { formatRunbook } from '../cli/format/runbook.js';

export default class Runbook extends WmonCommand {
  static override summary = "Print an alert's runbook: what it means, what to check first, how to silence it.";

  static override description = `Every alert wmon renders has a runbook, shipped with wmon as markdown (the runbooks/ folder of the package). Without ALERT, lists them with their severity. The alert name is matched ignoring case; an unknown name is a usage error (exit 2) that lists the names.

Alerts link to their runbook (annotation runbook_url) only when alerts.runbookBaseUrl is set in wmon.yaml: publish these files there.`;

  static override examples = examples({
    'List every alert that has a runbook': '',
    'Print the runbook of the alert that just paged you': 'WebhookHighErrorRate',
    'The runbook as JSON (its markdown in the "markdown" field)': 'TargetDown --json',
  });

  static override args = {
    alert: Args.string({ description: 'Alert name, e.g. WebhookHighErrorRate (any case).', required: false }),
  };

  async run(): Promise<RunbookResultJson> {
    const { args } = await this.parse(Runbook);
    let result: RunbookResultJson;
    if (args.alert === undefined) {
      result = { runbooks: await listRunbooks(), markdown: null };
    } else {
      const { markdown, ...entry } = await readRunbook(args.alert);
      result = { runbooks: [entry], markdown };
    }
    if (!this.jsonEnabled()) this.log(formatRunbook(result));
    return result;
  }
}
