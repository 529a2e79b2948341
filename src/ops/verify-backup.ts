/**
 * `wmon backup --verify FILE`: restore's verification phase alone, for cron jobs that check their archives.
 * The whole archive is read and checked (gzip, tar, every entry's path and kind, every file's size and sha256
 * against the manifest, the contents, the service's SQLite header and schema version), then the service's
 * database is checked by SQLite itself (PRAGMA integrity_check, the counts the manifest recorded) in a helper
 * container of the service's image, when an engine and that image are here. Nothing of any stack changes.
 */
import path from 'node:path';

import { normalizeImageRef } from '../adapters/runtime/image-ref.js';
import type { StackContext } from '../context.js';
import { buildStack } from '../core/model/stack.js';
import { formatBytes } from '../core/vocab/bytes.js';
import type { ArchiveLimits } from '../features/archive/format.js';
import { countDifferences, countsOf, inspectArchivedDb, inspectionProblems } from '../features/archive/service-db.js';
import { ArchiveError, verifyArchive } from '../features/archive/verify.js';
import type { VerifyBackupJson } from '../results.js';

export async function verifyBackup(
  file: string,
  current: StackContext | undefined,
  opts: { limits?: Partial<ArchiveLimits> } = {},
): Promise<VerifyBackupJson> {
  const started = Date.now();
  const archive = await verifyArchive(file, opts.limits ? { limits: opts.limits } : {});
  const m = archive.manifest;
  const warnings: string[] = [];
  let webhook: VerifyBackupJson['webhook'] = null;
  if (m.webhook?.store === 'external') {
    webhook = { store: 'external', integrity: 'not included' };
    warnings.push(`The service's events are not in this archive: ${m.webhook.note}.`);
  } else if (m.webhook?.store === 'sqlite') {
    const image = normalizeImageRef(archive.config.components.webhook.image);
    let why: string | undefined;
    const runtime = current
      ? await current.runtime().catch((e: unknown) => ((why = (e as Error).message.split('\n')[0]), undefined))
      : undefined;
    if (!current) why = 'there is no wmon.yaml here to reach a container engine';
    if (runtime && !(await runtime.imageExists(image))) why = `the service's image ${image} is not here`;
    if (runtime && !why) {
      const i = await inspectArchivedDb({ runtime, stack: buildStack(archive.config), image }, archive);
      const problems = [
        ...inspectionProblems(i, "the service's database"),
        ...countDifferences(countsOf(i), m.webhook).map((d) => `the service's database: ${d}`),
      ];
      if (problems.length > 0) throw new ArchiveError(archive.file, 'ARCHIVE_SERVICE_DB_INVALID', problems);
      webhook = { store: 'sqlite', integrity: 'ok', schemaVersion: m.webhook.schemaVersion, events: m.webhook.events };
    } else {
      webhook = {
        store: 'sqlite',
        integrity: 'not checked',
        schemaVersion: m.webhook.schemaVersion,
        events: m.webhook.events,
      };
      warnings.push(
        `SQLite's integrity check of the service's database was not run (${why}); its checksum, header and schema version were checked, and the backup recorded "ok" when it was taken.`,
      );
    }
  }
  return {
    ok: true,
    file: path.resolve(file),
    sha256: archive.sha256,
    bytes: archive.compressedBytes,
    files: archive.fileCount,
    totalBytes: archive.totalBytes,
    formatVersion: m.formatVersion,
    wmonVersion: m.wmonVersion,
    createdAt: m.createdAt,
    project: m.project,
    detail: `${archive.fileCount} files, ${formatBytes(archive.totalBytes)}: every checksum matches`,
    webhook,
    warnings,
    durationMs: Date.now() - started,
  };
}
