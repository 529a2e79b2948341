import { createInterface } from 'node:readline/promises';

import { Flags } from '@oclif/core';

import { WmonError } from '../errors.js';
import type { ResetResultJson } from '../results.js';
import { planReset, resetStack } from '../ops/reset.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { backupDirFlag, readyTimeoutFlag, stopTimeoutFlag } from '../cli/flags.js';
import { formatReset, formatResetPlan } from '../cli/format/reset.js';

export default class Reset extends WmonCommand {
  static override summary =
    "Start the stack from nothing: safety backup, remove its containers, volumes (the service's events kept) and network, bring it up again.";

  static override description = `First says exactly what will be deleted and kept: each volume with its size, and the webhook service's pending, dead-letter and processed events. Asks for confirmation (type the project name) unless --force. Takes a safety backup into backups/safety/ first, unless --no-backup; if the backup fails, nothing is removed. Then removes every container, volume (metrics, silences, dashboards, logs, traces) and network carrying this project's wmon.project label, and nothing else, and brings the stack up again exactly as \`wmon init\` does.

The webhook service's data volume holds events Stripe was told were received (it will not send them again), dead letters and the handlers' records: it is kept, and the service starts again on it, unless --delete-events (--force alone never deletes them). With PostgreSQL (service.databaseUrl) the events are not in a volume and reset does not touch them.

The safety backup holds Prometheus's data, the silences, Grafana's content, wmon.yaml and the rendered files, and the service's SQLite events: \`wmon restore\` of it undoes a reset, but for Loki's logs and Jaeger's traces, which it does not hold (take \`wmon backup --include logs,traces\` first to keep them).

Exit codes: 0 done; 2 no confirmation (not a terminal and no --force); 69 the engine does not answer or the safety backup could not read a component; 73 the backup cannot be written; 75 a host port is taken or a component did not become ready in time; 78 wmon.yaml is missing or invalid.`;

  static override examples = examples({
    'Reset, asking first': '',
    'From a script (a safety backup is still taken)': '--force',
    "Also delete the webhook service's events (after a safety backup)": '--force --delete-events',
    'Throw everything away, no backup': 'WMON_FORCE=1 --no-backup --delete-events --json',
  });

  static override flags = {
    force: Flags.boolean({ char: 'f', summary: 'Do not ask for confirmation (for scripts).', env: 'WMON_FORCE' }),
    'no-backup': Flags.boolean({
      summary: 'Do not take a safety backup first (the data is then lost for good).',
      env: 'WMON_NO_BACKUP',
    }),
    'delete-events': Flags.boolean({
      summary:
        "Delete the webhook service's data volume too: its pending and dead-letter events and the handlers' records (kept by default, even with --force).",
      env: 'WMON_DELETE_EVENTS',
    }),
    'backup-dir': backupDirFlag(),
    timeout: readyTimeoutFlag(),
    'stop-timeout': stopTimeoutFlag(),
  };

  async run(): Promise<ResetResultJson> {
    const { flags } = await this.parse(Reset);
    const ctx = await this.openStack(flags.config);
    const plan = await planReset(ctx, { backup: !flags['no-backup'], deleteEvents: flags['delete-events'] });
    if (!this.jsonEnabled()) process.stderr.write(`${formatResetPlan(ctx.stack.project, plan)}\n`);
    if (!flags.force) await this.confirm(ctx.stack.project, !flags['no-backup']);
    const options = {
      backup: !flags['no-backup'],
      deleteEvents: flags['delete-events'],
      ...(flags['backup-dir'] ? { backupDir: flags['backup-dir'] } : {}),
      timeoutMs: flags.timeout * 1000,
      stopTimeoutSeconds: flags['stop-timeout'],
    };
    const result = { ...(await resetStack(ctx, options, this.reporter({ verbose: flags.verbose }))), plan };
    if (!this.jsonEnabled()) this.log(formatReset(result));
    return result;
  }

  /** On a terminal: type the project's name. Elsewhere: refuse (a script must say --force). */
  private async confirm(project: string, backup: boolean): Promise<void> {
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new WmonError(
        `wmon reset removes every container, volume and network of the project "${project}", and asks first; there is no terminal to ask on.`,
        {
          code: 'CONFIRMATION_REQUIRED',
          suggestions: ['Add --force (or set WMON_FORCE=1) to reset from a script.'],
        },
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(
        `This removes what is listed above${backup ? ', after a safety backup' : ', WITHOUT a backup'}, and starts "${project}" again.\nType the project name to go on: `,
      );
      if (answer.trim() !== project) {
        throw new WmonError('Not confirmed: nothing was changed.', { code: 'NOT_CONFIRMED' });
      }
    } finally {
      rl.close();
    }
  }
}
