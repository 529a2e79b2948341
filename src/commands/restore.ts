import path from 'node:path';

import { Args, Flags } from '@oclif/core';

import { restoreStack } from '../ops/restore.js';
import { WmonError } from '../errors.js';
import type { RestoreResultJson } from '../results.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { backupDirFlag, readyTimeoutFlag, sizeFlag } from '../cli/flags.js';
import { formatRestore } from '../cli/format/restore.js';

export default class Restore extends WmonCommand {
  static override summary =
    'Restore a backup: verified before anything is touched, safety backup first, rolled back on any failure.';

  static override description = `First the whole archive is verified without touching the stack: gzip and tar integrity, the manifest's format and versions, every file's size and sha256, every entry inside its folder (no "..", no absolute path, no link, no device file), sizes within limits, and wmon.yaml valid for this project with its secrets at hand. --dry-run stops there and prints the plan.

Then Prometheus (whose data is replaced) is stopped, nothing else; a safety backup of the current state goes into backups/safety/; wmon.yaml is restored (the rendered files follow from it), Prometheus's data is streamed into its volume (checked again on the way, swapped in only when complete), the stack is brought to the restored wmon.yaml as \`wmon init\` does and awaited, then silences (missing ones added, none removed) and Grafana's folders, dashboards and data sources are restored over their APIs. Finally wmon checks that the restored data answers: Prometheus returns the values the backup recorded, the silences are there, the dashboards answer. If any of that fails, the safety backup is put back the same way and wmon says so.

Exit codes: 0 restored and checked; 65 the archive was refused (nothing changed); 69 a component or the engine does not answer (rolled back when the restore had begun); 73 the safety backup or the data cannot be written; 75 a component did not become ready in time (rolled back); 78 the archive's wmon.yaml needs a secret that is not set here.`;

  static override examples = examples({
    'See what a restore would do, changing nothing': 'backups/backup_20250524_101500.tar.gz --dry-run',
    'Restore (safety backup first, rollback on failure)': 'backups/backup_20250524_101500.tar.gz',
    'From a script, with a longer readiness deadline and JSON output':
      'WMON_TIMEOUT=300 /var/backups/wmon/backup_20250524_101500.tar.gz --json',
  });

  static override args = {
    file: Args.string({ description: 'The backup archive (.tar.gz) to restore.', required: true }),
  };

  static override flags = {
    'dry-run': Flags.boolean({
      summary: 'Verify the archive and print the plan; change nothing.',
      env: 'WMON_DRY_RUN',
    }),
    'no-safety-backup': Flags.boolean({
      summary: 'Do not back up the current state first (then a failed restore cannot be rolled back).',
      env: 'WMON_NO_SAFETY_BACKUP',
    }),
    'backup-dir': backupDirFlag(),
    timeout: readyTimeoutFlag(),
    'max-size': sizeFlag({
      summary: 'Largest uncompressed size accepted (e.g. 100G); bigger archives are refused before anything changes.',
      default: '100G',
      env: 'WMON_RESTORE_MAX_SIZE',
    }),
  };

  async run(): Promise<RestoreResultJson> {
    const { args, flags } = await this.parse(Restore);
    const current = await this.openStack(flags.config).catch((error: unknown) => {
      if (error instanceof WmonError && error.code === 'CONFIG_MISSING') return undefined;
      throw error;
    });
    const target = { configFile: path.resolve(flags.config), current };
    const result = await restoreStack(
      target,
      {
        archive: args.file,
        dryRun: flags['dry-run'],
        safetyBackup: !flags['no-safety-backup'],
        ...(flags['backup-dir'] ? { backupDir: flags['backup-dir'] } : {}),
        timeoutMs: flags.timeout * 1000,
        limits: { maxTotalBytes: flags['max-size'] },
      },
      this.reporter({ verbose: flags.verbose }),
    );
    if (!this.jsonEnabled()) this.log(formatRestore(result));
    return result;
  }
}
