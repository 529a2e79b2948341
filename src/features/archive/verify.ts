/**
 * Verify a backup archive completely before anything is touched: it is read once, end to end, and nothing
 * is written anywhere. Checked, in this order:
 *   - gzip and tar integrity (a truncated or corrupted file fails here, strict tar parsing);
 *   - every entry as it comes: a safe relative path inside the archive's folders (no `..`, no absolute
 *     path, no drive letter), a regular file or a folder (no symbolic or hard link, no device, no FIFO),
 *     not twice, within the size limits;
 *   - manifest.json: present, a wmon backup, a format version this wmon reads;
 *   - every file against the manifest: listed, same size, same sha256; every listed file present;
 *   - the contents: wmon.yaml valid, the JSON files of the expected shapes, the manifest consistent.
 * Small files (everything but Prometheus's data) are kept in memory for the restore; Prometheus's data is
 * read again, and checked again, when it is restored.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';

import type { Config } from '../../core/config/schema.js';
import { parseConfigText } from '../../core/config/load.js';
import { nonRegularKind } from '../../core/vocab/file-kind.js';
import { ConfigError, WmonError, type ErrorCode } from '../../errors.js';
import { entryPathProblem, showPath } from './entry-path.js';
import {
  CONFIG_DIR,
  CONFIG_ENTRY,
  DEFAULT_LIMITS,
  GRAFANA_DATASOURCES_ENTRY,
  GRAFANA_FOLDERS_ENTRY,
  isAllowedDirectory,
  isAllowedEntry,
  isSmallEntry,
  MANIFEST_ENTRY,
  PROMETHEUS_DATA_DIR,
  DATA_VOLUME_DIRS,
  SERVICE_DB_ENTRY,
  SILENCES_ENTRY,
  type ArchiveLimits,
} from './format.js';
import {
  dashboardFileSchema,
  datasourcesFileSchema,
  foldersFileSchema,
  parseManifest,
  silencesFileSchema,
  type Manifest,
} from './manifest.js';
import { readTar, TarReadError } from './tar-reader.js';
import { SQLITE_SCHEMA_VERSION } from '@wmon/contract';
import { readDbHeader } from './service-db-header.js';

/** The ARCHIVE_* codes of ERRORS. */
export type ArchiveProblemCode = Extract<ErrorCode, `ARCHIVE_${string}`>;

/** A bad, broken or hostile archive: exit 65 (data), refused before anything changed. */
export class ArchiveError extends WmonError {
  constructor(
    readonly archive: string,
    code: ArchiveProblemCode,
    readonly problems: readonly string[],
  ) {
    const shown = problems.slice(0, 12);
    const more = problems.length > shown.length ? [`  … and ${problems.length - shown.length} more`] : [];
    super(
      problems.length === 1
        ? `${archive} was refused: ${problems[0]}. Nothing was changed.`
        : `${archive} was refused (${problems.length} problems). Nothing was changed.\n${[...shown.map((p) => `  ${p}`), ...more].join('\n')}`,
      {
        code,
        suggestions: [
          code === 'ARCHIVE_NOT_FOUND'
            ? 'Check the path of the archive.'
            : 'Use another backup (`ls backups/`), or the safety backup wmon took before the last reset or restore (backups/safety/).',
        ],
      },
    );
    this.name = 'ArchiveError';
  }
}

export interface VerifiedArchive {
  readonly file: string;
  /** Size and sha256 of the .tar.gz as verified (a restore checks it has not changed since). */
  readonly compressedBytes: number;
  readonly sha256: string;
  readonly manifest: Manifest;
  /** wmon.yaml as parsed (no secret checks: those are the restore's). */
  readonly config: Config;
  /** Contents of every file but Prometheus's data, by archive path. */
  readonly small: ReadonlyMap<string, Buffer>;
  readonly totalBytes: number;
  readonly fileCount: number;
}

interface SeenFile {
  readonly size: number;
  readonly sha256: string;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** What a link entry is, in words, and whether it points out of the archive's folder. */
function describeLink(entry: string, type: string, target: string | undefined): string {
  const what = type === 'SymbolicLink' ? 'a symbolic link' : 'a hard link';
  const t = target ?? '';
  const resolved =
    type === 'SymbolicLink'
      ? path.posix.normalize(path.posix.join(path.posix.dirname(entry), t))
      : path.posix.normalize(t);
  const out = t.startsWith('/') || resolved === '..' || resolved.startsWith('../');
  return `${showPath(entry)} is ${what}${out ? " pointing out of the archive's folder" : ''} (→ ${showPath(t)}); backups hold regular files only`;
}

function describeType(entry: string, type: string): string {
  const what: Record<string, string> = {
    CharacterDevice: 'a character device',
    BlockDevice: 'a block device',
    FIFO: 'a FIFO',
  };
  return `${showPath(entry)} is ${what[type] ?? `an entry of type ${type}`}; backups hold regular files only`;
}

const bytes = (n: number) => `${n} bytes`;

/**
 * Open an archive to read, only if it is a regular file: checked before it is opened and again on the open
 * file (the path may change in between), and opened without blocking, so that a FIFO or a device is refused,
 * never waited on. `refuse` gets what is wrong.
 */
export async function openArchiveFile(
  file: string,
  refuse: (problem: string) => never,
): Promise<{ handle: FileHandle; info: Stats }> {
  const check = (s: Stats) => {
    const kind = nonRegularKind(s);
    if (kind) refuse(`it is ${kind}, not a regular file`);
  };
  const before = await stat(file).catch((error: NodeJS.ErrnoException) =>
    refuse(error.code === 'ENOENT' ? 'there is no such file' : `it cannot be read (${error.message})`),
  );
  check(before);
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch(
    (error: NodeJS.ErrnoException) =>
      refuse(error.code === 'ENOENT' ? 'there is no such file' : `it cannot be read (${error.message})`),
  );
  try {
    const info = await handle.stat();
    check(info);
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Read the archive end to end and check everything. Throws ArchiveError (exit 65) naming each problem.
 * `onProgress` gets the compressed bytes read so far.
 */
export async function verifyArchive(
  file: string,
  opts: { limits?: Partial<ArchiveLimits>; onProgress?: (readBytes: number, totalBytes: number) => void } = {},
): Promise<VerifiedArchive> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const shown = file;
  const refuse = (code: ArchiveProblemCode, ...problems: string[]): never => {
    throw new ArchiveError(shown, code, problems);
  };

  const { handle, info } = await openArchiveFile(file, (problem) => refuse('ARCHIVE_NOT_FOUND', problem));
  const head = Buffer.alloc(2);
  try {
    await handle.read(head, 0, 2, 0);
  } catch (error) {
    await handle.close();
    return refuse('ARCHIVE_NOT_FOUND', `it cannot be read (${(error as Error).message})`);
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    await handle.close();
    refuse('ARCHIVE_CORRUPT', 'it is not a gzip file (a wmon backup is a .tar.gz)');
  }

  const seen = new Map<string, SeenFile>();
  const small = new Map<string, Buffer>();
  /** The first 100 bytes of the service's database (its SQLite header). */
  let dbHead: Buffer | undefined;
  let entries = 0;
  let total = 0;
  let smallTotal = 0;
  let read = 0;
  const archiveHash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      archiveHash.update(chunk);
      read += chunk.length;
      opts.onProgress?.(read, info.size);
      done(null, chunk);
    },
  });

  try {
    await readTar(
      handle.createReadStream({ start: 0, highWaterMark: 1024 * 1024 }).pipe(tap),
      { gunzip: true },
      async (h, body) => {
        entries += 1;
        if (entries > limits.maxEntries) refuse('ARCHIVE_TOO_LARGE', `more than ${limits.maxEntries} entries`);
        const problem = entryPathProblem(h.path, limits.maxPathLength);
        if (problem) refuse('ARCHIVE_UNSAFE_ENTRY', `${showPath(h.path)} has ${problem}`);
        if (h.type === 'SymbolicLink' || h.type === 'Link')
          refuse('ARCHIVE_UNSAFE_ENTRY', describeLink(h.path, h.type, h.linkpath));
        if (h.type === 'Directory') {
          if (!isAllowedDirectory(h.path)) {
            refuse('ARCHIVE_UNSAFE_ENTRY', `${showPath(h.path)} is outside the folders a wmon backup has`);
          }
          return;
        }
        if (!FILE_TYPES.has(h.type)) refuse('ARCHIVE_UNSAFE_ENTRY', describeType(h.path, h.type));
        // Old tar readers take a file whose name ends with / for a folder (and skip or keep its data).
        if (h.path.endsWith('/'))
          refuse(
            'ARCHIVE_UNSAFE_ENTRY',
            `${showPath(h.path)} is a file whose name ends with "/" (a folder to some tar readers)`,
          );
        if (!isAllowedEntry(h.path))
          refuse('ARCHIVE_UNSAFE_ENTRY', `${showPath(h.path)} is outside the folders a wmon backup has`);
        if (seen.has(h.path))
          refuse(
            'ARCHIVE_UNSAFE_ENTRY',
            `${showPath(h.path)} appears twice (a second copy would replace the checked one)`,
          );
        total += h.size;
        if (total > limits.maxTotalBytes)
          refuse(
            'ARCHIVE_TOO_LARGE',
            `its files add up to more than ${bytes(limits.maxTotalBytes)} (the limit; see --max-size)`,
          );
        const keep = isSmallEntry(h.path);
        if (h.path === MANIFEST_ENTRY && h.size > limits.maxManifestBytes) {
          refuse(
            'ARCHIVE_TOO_LARGE',
            `manifest.json is ${bytes(h.size)}, more than the ${bytes(limits.maxManifestBytes)} a manifest may have`,
          );
        }
        if (keep && h.size > limits.maxSmallFileBytes) {
          refuse(
            'ARCHIVE_TOO_LARGE',
            `${showPath(h.path)} is ${bytes(h.size)}, more than the ${bytes(limits.maxSmallFileBytes)} such a file may have`,
          );
        }
        if (keep) {
          smallTotal += h.size;
          if (smallTotal > limits.maxSmallTotalBytes)
            refuse(
              'ARCHIVE_TOO_LARGE',
              `its configuration and JSON files add up to more than ${bytes(limits.maxSmallTotalBytes)}`,
            );
        }
        const hash = createHash('sha256');
        const chunks: Buffer[] = [];
        const head: Buffer[] = [];
        let n = 0;
        for await (const chunk of body) {
          if (h.path === SERVICE_DB_ENTRY && n < 100) head.push(chunk.subarray(0, 100 - n));
          n += chunk.length;
          hash.update(chunk);
          if (keep) chunks.push(chunk);
        }
        if (h.path === SERVICE_DB_ENTRY) dbHead = Buffer.concat(head);
        if (n !== h.size) refuse('ARCHIVE_CORRUPT', `${showPath(h.path)} ends after ${n} of its ${h.size} bytes`);
        seen.set(h.path, { size: h.size, sha256: hash.digest('hex') });
        if (keep) small.set(h.path, Buffer.concat(chunks));
      },
    );
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof TarReadError) {
      if (error.layer === 'entry') refuse('ARCHIVE_UNSAFE_ENTRY', error.message);
      refuse(
        'ARCHIVE_CORRUPT',
        error.layer === 'gzip'
          ? `it is truncated or corrupted (gzip: ${error.message})`
          : error.layer === 'frame'
            ? error.message
            : `it is not a valid tar archive or is truncated (${error.message})`,
      );
    }
    throw error;
  }

  // The manifest.
  const manifestText = small.get(MANIFEST_ENTRY);
  if (!manifestText) refuse('ARCHIVE_MANIFEST_INVALID', 'it has no manifest.json (not a wmon backup, or cut short)');
  const parsed = parseManifest(manifestText!.toString('utf8'));
  if ('problem' in parsed) return refuse('ARCHIVE_MANIFEST_INVALID', parsed.problem);
  const manifest = parsed.manifest;

  // Every file against the manifest.
  const problems: string[] = [];
  const listed = new Map<string, { size: number; sha256: string }>();
  for (const f of manifest.files) {
    if (listed.has(f.path)) problems.push(`the manifest lists ${showPath(f.path)} twice`);
    listed.set(f.path, f);
    const got = seen.get(f.path);
    if (!got) problems.push(`the manifest lists ${showPath(f.path)}, but the archive has no such file`);
    else if (got.size !== f.size)
      problems.push(
        `${showPath(f.path)} is ${bytes(got.size)} in the archive, but the manifest declares ${bytes(f.size)}`,
      );
    else if (got.sha256 !== f.sha256)
      problems.push(
        `${showPath(f.path)} does not match its checksum (sha256 ${got.sha256.slice(0, 12)}…, the manifest says ${f.sha256.slice(0, 12)}…)`,
      );
  }
  for (const p of seen.keys()) {
    if (p !== MANIFEST_ENTRY && !listed.has(p))
      problems.push(`${showPath(p)} is in the archive but not in the manifest`);
  }
  const declaredTotal = manifest.files.reduce((sum, f) => sum + f.size, 0);
  if (problems.length === 0 && declaredTotal !== manifest.totalBytes)
    problems.push(`the manifest's totalBytes (${manifest.totalBytes}) is not the sum of its files (${declaredTotal})`);
  if (problems.length > 0) refuse('ARCHIVE_CHECKSUM_MISMATCH', ...problems);

  // The contents.
  const config = checkContents(manifest, small, (...p) => refuse('ARCHIVE_CONTENT_INVALID', ...p));
  const dbProblems = checkServiceDb(manifest, dbHead, seen.get(SERVICE_DB_ENTRY)?.size);
  if (dbProblems.length > 0) refuse('ARCHIVE_SERVICE_DB_INVALID', ...dbProblems);
  return {
    file,
    compressedBytes: info.size,
    sha256: archiveHash.digest('hex'),
    manifest,
    config,
    small,
    totalBytes: total - (seen.get(MANIFEST_ENTRY)?.size ?? 0),
    fileCount: seen.size - 1,
  };
}

function checkContents(
  manifest: Manifest,
  small: ReadonlyMap<string, Buffer>,
  refuse: (...problems: string[]) => never,
): Config {
  const text = small.get(CONFIG_ENTRY);
  if (!text) refuse('it has no wmon.yaml');
  let config: Config;
  try {
    config = parseConfigText(text!.toString('utf8'), 'wmon.yaml in the archive');
  } catch (error) {
    if (error instanceof ConfigError)
      return refuse(...error.issues.map((i) => `wmon.yaml in the archive: ${i.path}: ${i.message}`));
    throw error;
  }
  const problems: string[] = [];
  if (config.project !== manifest.project)
    problems.push(`the manifest is of project "${manifest.project}", its wmon.yaml of "${config.project}"`);
  for (const f of manifest.config.files) {
    const problem = entryPathProblem(f);
    if (problem) problems.push(`the manifest names the rendered file ${showPath(f)}, which has ${problem}`);
    else if (!small.has(`${CONFIG_DIR}${f}`)) problems.push(`the rendered file ${showPath(f)} is missing from config/`);
  }
  const json = (
    entry: string,
    schema: {
      safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } };
    },
  ) => {
    const data = small.get(entry);
    if (!data) return;
    let value: unknown;
    try {
      value = JSON.parse(data.toString('utf8'));
    } catch {
      problems.push(`${entry} is not valid JSON`);
      return;
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      const issue = r.error!.issues[0]!;
      problems.push(`${entry} is malformed: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    }
  };
  json(SILENCES_ENTRY, silencesFileSchema);
  json(GRAFANA_FOLDERS_ENTRY, foldersFileSchema);
  json(GRAFANA_DATASOURCES_ENTRY, datasourcesFileSchema);
  for (const d of manifest.grafana?.dashboards ?? []) {
    if (!small.has(d.file)) problems.push(`the dashboard ${d.uid} (${d.file}) is missing`);
    else json(d.file, dashboardFileSchema);
  }
  if (manifest.alertmanager && !small.has(SILENCES_ENTRY)) problems.push(`${SILENCES_ENTRY} is missing`);
  if (manifest.prometheus) {
    const dataFiles = manifest.files.filter((f) => f.path.startsWith(PROMETHEUS_DATA_DIR));
    if (dataFiles.length !== manifest.prometheus.files) {
      problems.push(
        `the manifest says Prometheus's data has ${manifest.prometheus.files} files, the archive has ${dataFiles.length}`,
      );
    }
  } else if (manifest.files.some((f) => f.path.startsWith(PROMETHEUS_DATA_DIR))) {
    problems.push('the archive has Prometheus data, but the manifest does not describe it');
  }
  problems.push(...dataVolumeProblems(manifest));
  if (problems.length > 0) refuse(...problems);
  return config!;
}

/** Loki's and Jaeger's volumes: each described once, as many files as the manifest says, none undescribed. */
function dataVolumeProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  const volumes = manifest.dataVolumes ?? [];
  for (const kind of Object.keys(DATA_VOLUME_DIRS) as (keyof typeof DATA_VOLUME_DIRS)[]) {
    const dir = DATA_VOLUME_DIRS[kind];
    const described = volumes.filter((v) => v.kind === kind);
    const files = manifest.files.filter((f) => f.path.startsWith(dir));
    if (described.length > 1) problems.push(`the manifest describes the ${kind} volume twice`);
    else if (described.length === 0 && files.length > 0)
      problems.push(`the archive has ${dir} files, but the manifest does not describe them`);
    const v = described[0];
    if (v && v.component !== (kind === 'logs' ? 'loki' : 'jaeger'))
      problems.push(`the manifest says the ${kind} volume is ${v.component}'s`);
    if (v && (files.length !== v.files || files.reduce((s, f) => s + f.size, 0) !== v.bytes))
      problems.push(
        `the manifest says the ${kind} volume has ${v.files} files (${v.bytes} bytes), the archive has ${files.length}`,
      );
  }
  return problems;
}

/**
 * The service's database as far as it can be checked without SQLite (its integrity is checked by SQLite in
 * a container of the service's image, service-db.ts): present when the manifest describes it, an SQLite
 * header whose size and schema version agree with the file and the manifest, a schema this service reads.
 */
function checkServiceDb(manifest: Manifest, head: Buffer | undefined, size: number | undefined): string[] {
  const m = manifest.webhook;
  if (m?.store !== 'sqlite')
    return size === undefined ? [] : [`${SERVICE_DB_ENTRY} is in the archive, but the manifest does not describe it`];
  if (!head || size === undefined)
    return [`the manifest describes the service's database, but ${SERVICE_DB_ENTRY} is missing`];
  if (size !== m.bytes)
    return [`the service's database is ${size} bytes, the manifest's webhook section says ${m.bytes}`];
  const h = readDbHeader(head, size);
  if ('problem' in h) return [`the service's database (${SERVICE_DB_ENTRY}): ${h.problem}`];
  const problems: string[] = [];
  if (h.schemaVersion !== m.schemaVersion)
    problems.push(`the service's database has schema version ${h.schemaVersion}, the manifest says ${m.schemaVersion}`);
  if (h.schemaVersion > SQLITE_SCHEMA_VERSION)
    problems.push(
      `the service's database has schema version ${h.schemaVersion}, newer than the ${SQLITE_SCHEMA_VERSION} this wmon's service reads (restore it with the wmon that made it, or a newer one)`,
    );
  return problems;
}
