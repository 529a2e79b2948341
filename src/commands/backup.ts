import { Flags } from '@oclif/core';

import { createBackup } from '../ops/backup.js';
import type { BackupResultJson } from '../results.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { formatBackup } from '../cli/format/backup.js';

export default class Backup extends WmonCommand {
  static override summary =
    'Back up the stack into one .tar.gz: Prometheus data, silences, Grafana content, configuration, with a manifest.';

  static override description = `Writes backup_YYYYMMDD_HHMMSS.tar.gz (UTC) into backups/ beside wmon.yaml, or --output. It holds a TSDB snapshot of Prometheus (taken with its admin API and copied out of the container; a stopped Prometheus's whole data folder instead), Alertmanager's active and pending silences, Grafana's folders, dashboards and data sources (without secrets: Grafana never returns them, so the manifest names the ones to set again), wmon.yaml and every rendered file, and manifest.json: format version, wmon version, time, each component's image and digests, and the size and sha256 of every file.

The archive is streamed in one pass and appears under its name only when complete; an existing file is never overwritten. With --keep N only the N newest backups in the folder remain. Nothing in the stack stops or restarts.

Exit codes: 0 written; 69 the engine or a running component does not answer; 73 the folder cannot be written; 78 wmon.yaml is missing or invalid.`;

  static override examples = examples({
    'Back up into ./backups': '',
    'Nightly from cron: another folder, keep a week of backups': '--output /var/backups/wmon --keep 7',
    'Machine-readable result (file, size, sha256, what it holds)': '--json',
  });

  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Folder to write the backup into (default: backups/ beside wmon.yaml).',
      env: 'WMON_BACKUP_DIR',
    }),
    keep: Flags.integer({
      summary: 'Keep only the N newest backups in the folder; older backup_*.tar.gz files are removed.',
      min: 1,
      env: 'WMON_BACKUP_KEEP',
    }),
  };

  async run(): Promise<BackupResultJson> {
    const { flags } = await this.parse(Backup);
    const ctx = await this.openStack(flags.config);
    const options = {
      ...(flags.output ? { outputDir: flags.output } : {}),
      ...(flags.keep === undefined ? {} : { keep: flags.keep }),
    };
    const result = await createBackup(ctx, options, this.reporter({ verbose: flags.verbose }));
    if (!this.jsonEnabled()) this.log(formatBackup(result));
    return result;
  }
}
