import { createInterface } from 'node:readline/promises';

import { Flags } from '@oclif/core';

import { WmonError } from '../errors.js';
import type { ResetResultJson } from '../results.js';
import { resetStack } from '../ops/reset.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { backupDirFlag, readyTimeoutFlag, stopTimeoutFlag } from '../cli/flags.js';
import { formatReset } from '../cli/format/reset.js';

export default class Reset extends WmonCommand {
  static override summary =
    'Start the stack from nothing: safety backup, remove its containers, volumes and network, bring it up again.';

  static override description = `Asks for confirmation (type the project name) unless --force. Takes a safety backup into backups/safety/ first, unless --no-backup; if the backup fails, nothing is removed. Then removes every container, volume (all metrics, silences, dashboards, events) and network carrying this project's wmon.project label, and nothing else, and brings the stack up again exactly as \`wmon init\` does. \`wmon restore\` of the safety backup undoes a reset.

Exit codes: 0 done; 2 no confirmation (not a terminal and no --force); 69 the engine does not answer or the safety backup could not read a component; 73 the backup cannot be written; 75 a host port is taken or a component did not become ready in time; 78 wmon.yaml is missing or invalid.`;

  static override examples = examples({
    'Reset, asking first': '',
    'From a script (a safety backup is still taken)': '--force',
    'Throw everything away, no backup': 'WMON_FORCE=1 --no-backup --json',
  });

  static override flags = {
    force: Flags.boolean({ char: 'f', summary: 'Do not ask for confirmation (for scripts).', env: 'WMON_FORCE' }),
    'no-backup': Flags.boolean({
      summary: 'Do not take a safety backup first (the data is then lost for good).',
      env: 'WMON_NO_BACKUP',
    }),
    'backup-dir': backupDirFlag(),
    timeout: readyTimeoutFlag(),
    'stop-timeout': stopTimeoutFlag(),
  };

  async run(): Promise<ResetResultJson> {
    const { flags } = await this.parse(Reset);
    const ctx = await this.openStack(flags.config);
    if (!flags.force) await this.confirm(ctx.stack.project, !flags['no-backup']);
    const options = {
      backup: !flags['no-backup'],
      ...(flags['backup-dir'] ? { backupDir: flags['backup-dir'] } : {}),
      timeoutMs: flags.timeout * 1000,
      stopTimeoutSeconds: flags['stop-timeout'],
    };
    const result = await resetStack(ctx, options, this.reporter({ verbose: flags.verbose }));
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
        `This removes every container, volume (all data) and network of "${project}"${backup ? ', after a safety backup' : ', WITHOUT a backup'}, and starts it again.\nType the project name to go on: `,
      );
      if (answer.trim() !== project) {
        throw new WmonError('Not confirmed: nothing was changed.', { code: 'NOT_CONFIRMED' });
      }
    } finally {
      rl.close();
    }
  }
}
