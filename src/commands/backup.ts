import { Flags } from '@oclif/core';

import { createBackup } from '../ops/backup.js';
import type { BackupResultJson, VerifyBackupJson } from '../results.js';
import { verifyBackup } from '../ops/verify-backup.js';
import { WmonError } from '../errors.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { wordsFlag } from '../cli/flags.js';
import { DATA_KINDS } from '../features/archive/data-volumes.js';
import { formatBackup, formatVerifyBackup } from '../cli/format/backup.js';

export default class Backup extends WmonCommand {
  static override summary =
    'Back up the stack into one .tar.gz: Prometheus data, silences, Grafana content, configuration, with a manifest.';

  static override description = `Writes backup_YYYYMMDD_HHMMSS.tar.gz (UTC) into backups/ beside wmon.yaml, or --output. It holds a TSDB snapshot of Prometheus (taken with its admin API and copied out of the container; a stopped Prometheus's whole data folder instead), Alertmanager's active and pending silences, Grafana's folders, dashboards and data sources (without secrets: Grafana never returns them, so the manifest names the ones to set again), wmon.yaml and every rendered file, and manifest.json: format version, wmon version, time, each component's image and digests, and the size and sha256 of every file.

The archive is streamed in one pass and appears under its name only when complete; an existing file is never overwritten. With --keep N only the N newest backups in the folder remain. Nothing in the stack stops or restarts, but what --include names (and Prometheus when published beyond loopback: without its admin API it is stopped for the copy).

It also holds the bundled webhook service's SQLite store (acknowledged events, their state, dead letters, the handlers' records): SQLite's online backup taken inside the running service's container (a stopped service's volume through a helper container), checked with PRAGMA integrity_check, its schema version and counts per table and per event state in the manifest. With PostgreSQL (service.databaseUrl) the events are external: the manifest and the output say they are not included. Loki's logs and Jaeger's traces are left out unless --include names them (the output says their volumes' sizes): --include logs,traces adds each volume whole, copied while its component is stopped, then started again and awaited (said up front); it is not stopped when it was not running.

--verify FILE checks an archive as \`wmon restore\` does before it changes anything, and restores nothing: gzip and tar integrity, every entry's path and kind, every file's size and sha256 against the manifest, the contents, the service database's SQLite header and schema version, and SQLite's integrity check and counts of it in a helper container of the service's image (when the engine and that image are here; else said so). For cron jobs: any problem exits non-zero.

Exit codes: 0 written (or verified); 65 --verify: the archive is damaged, tampered with or invalid; 69 the engine or a running component does not answer; 73 the folder cannot be written; 78 wmon.yaml is missing or invalid.`;

  static override examples = examples({
    'Back up into ./backups': '',
    'Nightly from cron: another folder, keep a week of backups': '--output /var/backups/wmon --keep 7',
    'Machine-readable result (file, size, sha256, what it holds)': '--json',
    "With Loki's logs and Jaeger's traces (each stopped for the copy, then started again)": '--include logs,traces',
    'Check an archive without restoring it (cron: non-zero exit on any problem)':
      '--verify backups/backup_20260101_030000.tar.gz --json',
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
    verify: Flags.string({
      summary:
        "Verify this archive as restore does before it changes anything (the service's database by SQLite too); restore nothing.",
      helpValue: 'FILE',
      exclusive: ['output', 'keep'],
    }),
    include: wordsFlag(
      DATA_KINDS,
      'kind',
    )({
      summary:
        "Add Loki's logs and/or Jaeger's traces (repeatable, or comma-separated: logs, traces): each component is stopped for the copy and started again.",
      env: 'WMON_BACKUP_INCLUDE',
      exclusive: ['verify'],
    }),
  };

  async run(): Promise<BackupResultJson | VerifyBackupJson> {
    const { flags } = await this.parse(Backup);
    if (flags.verify !== undefined) {
      const current = await this.openStack(flags.config).catch((error: unknown) => {
        if (error instanceof WmonError && error.code === 'CONFIG_MISSING') return undefined;
        throw error;
      });
      const verified = await verifyBackup(flags.verify, current);
      if (!this.jsonEnabled()) this.log(formatVerifyBackup(verified));
      return verified;
    }
    const ctx = await this.openStack(flags.config);
    const options = {
      ...(flags.output ? { outputDir: flags.output } : {}),
      ...(flags.keep === undefined ? {} : { keep: flags.keep }),
      ...(flags.include ? { include: flags.include.flat() } : {}),
    };
    const result = await createBackup(ctx, options, this.reporter({ verbose: flags.verbose }));
    if (!this.jsonEnabled()) this.log(formatBackup(result));
    return result;
  }
}
