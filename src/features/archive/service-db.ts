/**
 * The bundled webhook service's SQLite store in and out of its volume. The service keeps acknowledged
 * Stripe events (Stripe does not send them again), their processing state, dead letters and the records its
 * handlers keep in one SQLite file (WAL mode) in its data volume.
 *
 * Out: SQLite's online backup API (better-sqlite3's `db.backup()`, one step, so the copy is one consistent
 * state) run by a small Node script inside the service's own container while it runs (its image has Node and
 * better-sqlite3), or in a helper container of its image on the volume when it is stopped: never a file copy
 * of a live WAL database. The copy is switched to a rollback journal (one self-contained file), checked with
 * `PRAGMA integrity_check`, counted, copied out with the engine's archive API and removed.
 * Check: the same script's `inspect` on the archive's copy in a helper container (no volume), before anything
 * changes.
 * In: while the service is stopped, through a helper container on the volume: the file is streamed from the
 * archive (its sha256 checked on the way) next to the live one, checked there, then swapped in by a rename;
 * the old database's WAL and shared-memory files are moved aside with it (a stale WAL must never be applied
 * to another database).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

import { SQLITE_DATA_DIR, SQLITE_FILE_NAME, SQLITE_SCHEMA_VERSION, STORE_TABLES } from '@wmon/contract';
import { z } from 'zod';

import type { ContainerRuntime } from '../../adapters/runtime/index.js';
import type { Stack } from '../../core/model/stack.js';
import { WmonError } from '../../errors.js';
import { archiveChanged, copyFromArchive } from './archive-copy.js';
import { SERVICE_DB_ENTRY } from './format.js';
import { withHelperContainer } from './helper-container.js';
import type { Manifest } from './manifest.js';
import { readTar, TarReadError } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';
import type { VerifiedArchive } from './verify.js';

export { readDbHeader } from './service-db-header.js';

export const SERVICE_DB_PATH = `${SQLITE_DATA_DIR}/${SQLITE_FILE_NAME}`;

/** The uid (and gid) the service's image runs as: node images' `node` user (service/Dockerfile: USER node). */
export const SERVICE_UID = 1000;

/**
 * The script, run as `node -e SCRIPT <command> <args>` in the service's image (CommonJS; better-sqlite3
 * from the image's node_modules). Commands: `backup SRC DEST` (online backup of SRC into the new file DEST,
 * then `check DEST`) and `check FILE` (not `inspect`: node takes `node -e … inspect` for its debugger). It prints one JSON object: whether the file is SQLite, the
 * integrity check's lines ("ok" alone when sound), the schema version, the rows per table and the events per
 * state.
 */
export const DB_TOOL = String.raw`
const fs = require('fs');
const [cmd, a, b] = process.argv.slice(1);
let Database;
for (const m of ['better-sqlite3', '/app/node_modules/better-sqlite3', '/app/service/node_modules/better-sqlite3']) {
  try { Database = require(m); break; } catch (e) {}
}
if (!Database) { process.stderr.write('better-sqlite3 is not in this image\n'); process.exit(3); }
function inspect(file) {
  const bytes = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(16);
  fs.readSync(fd, head, 0, 16, 0);
  fs.closeSync(fd);
  if (head.toString('latin1') !== 'SQLite format 3\u0000') return { sqlite: false, bytes };
  let db;
  try {
    db = new Database(file, { fileMustExist: true });
    const integrity = db.pragma('integrity_check(100)').map((r) => String(Object.values(r)[0]));
    const schemaVersion = db.pragma('user_version', { simple: true });
    // A damaged file is not read further: its pages may loop.
    if (!(integrity.length === 1 && integrity[0] === 'ok')) return { sqlite: true, bytes, integrity, schemaVersion, tables: {}, events: {} };
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
    const tables = {};
    for (const n of names) tables[n] = db.prepare('SELECT count(*) AS n FROM "' + n.replace(/"/g, '""') + '"').get().n;
    const events = {};
    if (names.includes('webhook_event_state'))
      for (const r of db.prepare('SELECT status, count(*) AS n FROM webhook_event_state GROUP BY status').all()) events[r.status] = r.n;
    return { sqlite: true, bytes, integrity, schemaVersion, tables, events };
  } catch (e) {
    return { sqlite: true, bytes, integrity: [String(e.message)], schemaVersion: null, tables: {}, events: {} };
  } finally {
    if (db) db.close();
  }
}
(async () => {
  if (cmd === 'backup') {
    if (fs.existsSync(b)) throw new Error(b + ' exists');
    const src = new Database(a, { fileMustExist: true });
    try {
      await src.backup(b, { progress: () => 0x7fffffff });
    } finally {
      src.close();
    }
    const copy = new Database(b);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    process.stdout.write(JSON.stringify(inspect(b)));
  } else if (cmd === 'check') {
    process.stdout.write(JSON.stringify(inspect(a)));
  } else {
    throw new Error('unknown command ' + cmd);
  }
})().catch((e) => { process.stderr.write(String(e && e.message) + '\n'); process.exit(1); });
`;

/**
 * The swap, in the service's volume ($1): the live file and its WAL, shared-memory and journal files move aside,
 * the staged file ($2) takes the live name ($4) by a rename, the old files go. A failed rename puts them back.
 */
export const SWAP_SCRIPT = [
  'set -e',
  'cd "$1"',
  'old=".wmon-old-$3"',
  'mkdir "$old"',
  'for f in "$4" "$4-wal" "$4-shm" "$4-journal"; do if [ -e "$f" ]; then mv "$f" "$old"/; fi; done',
  'if ! mv "$2" "$4"; then for f in "$old"/*; do mv "$f" .; done; rmdir "$old"; exit 1; fi',
  'rm -rf "$old"',
].join('\n');

export const dbToolCommand = (...args: string[]): string[] => ['node', '-e', DB_TOOL, ...args];

const count = z.number().int().nonnegative();
const inspectionSchema = z.object({
  sqlite: z.boolean(),
  bytes: count,
  integrity: z.array(z.string()).optional(),
  schemaVersion: z.number().int().nullable().optional(),
  tables: z.record(z.string(), count).optional(),
  events: z.record(z.string(), count).optional(),
});
export type DbInspection = z.infer<typeof inspectionSchema>;

/** Rows per table and events per state, as the manifest records them. */
export interface DbCounts {
  readonly tables: Readonly<Record<string, number>>;
  readonly events: { readonly pending: number; readonly processed: number; readonly deadLetter: number };
}

export function countsOf(i: DbInspection): DbCounts {
  const e = i.events ?? {};
  return {
    tables: Object.fromEntries(STORE_TABLES.map((t) => [t, i.tables?.[t] ?? 0])),
    events: { pending: e.pending ?? 0, processed: e.processed ?? 0, deadLetter: e.dead_letter ?? 0 },
  };
}

/** What is wrong with an inspected database, in words (none: it is a sound store this service can open). */
export function inspectionProblems(i: DbInspection, what: string): string[] {
  if (!i.sqlite) return [`${what} is not an SQLite database`];
  const problems: string[] = [];
  const integrity = i.integrity ?? [];
  if (!(integrity.length === 1 && integrity[0] === 'ok'))
    problems.push(`${what} fails SQLite's integrity check: ${integrity.slice(0, 3).join('; ') || 'no answer'}`);
  if (typeof i.schemaVersion === 'number' && i.schemaVersion > SQLITE_SCHEMA_VERSION)
    problems.push(
      `${what} has schema version ${i.schemaVersion}, newer than the ${SQLITE_SCHEMA_VERSION} this service reads (restore it with the wmon that made it)`,
    );
  return problems;
}

const failed = (what: string, detail: string) =>
  new WmonError(`Cannot ${what}: ${detail}`, {
    code: 'SERVICE_DATA_FAILED',
    suggestions: ['Check the webhook service (`wmon check`, `wmon logs webhook`), then try again.'],
  });

function parseInspection(stdout: string, what: string): DbInspection {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw failed(what, `the database tool answered ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const r = inspectionSchema.safeParse(raw);
  if (!r.success) throw failed(what, `the database tool answered an unexpected shape (${r.error.issues[0]?.message})`);
  return r.data;
}

async function runTool(
  runtime: ContainerRuntime,
  container: string,
  what: string,
  args: string[],
  user?: string,
): Promise<DbInspection> {
  const r = await runtime.exec(container, dbToolCommand(...args), {
    timeoutMs: 600_000,
    ...(user ? { user } : {}),
  });
  if (r.exitCode !== 0) throw failed(what, (r.stderr || r.stdout).trim().split('\n')[0] || `exit code ${r.exitCode}`);
  return parseInspection(r.stdout, what);
}

/** Where the service's data is: its container, volume and image. */
export interface ServiceData {
  readonly runtime: ContainerRuntime;
  readonly stack: Stack;
  /** The service's container name. */
  readonly container: string;
  readonly volume: string;
  /** The service's image (Node and better-sqlite3; also runs the helper containers). */
  readonly image: string;
}

/**
 * A helper container of `image` (as root), with the service's volume at /data when given, on the stack's
 * network (created for the while if needed). Removed afterwards, whatever happens.
 */
export function withServiceHelper<T>(
  d: Omit<ServiceData, 'container'>,
  opts: { volume: boolean; readOnly?: boolean },
  fn: (helper: string) => Promise<T>,
): Promise<T> {
  const mount = opts.volume
    ? { volume: d.volume, target: SQLITE_DATA_DIR, readOnly: opts.readOnly ?? false }
    : undefined;
  return withHelperContainer(d, mount, fn);
}

async function sh(runtime: ContainerRuntime, container: string, what: string, script: string, ...args: string[]) {
  const r = await runtime.exec(container, ['/bin/sh', '-c', script, 'sh', ...args], { timeoutMs: 600_000 });
  if (r.exitCode !== 0) throw failed(what, (r.stderr || r.stdout).trim() || `exit code ${r.exitCode}`);
  return r.stdout.trim();
}

/** Copy the one file of an engine archive stream into the backup as `entry`; its size. */
async function copyOut(stream: Readable, tar: TarWriter, entry: string): Promise<number> {
  let size: number | undefined;
  await readTar(stream, { gunzip: false, source: 'engine' }, async (h, body) => {
    if (h.type === 'Directory') return;
    if (size !== undefined || (h.type !== 'File' && h.type !== 'OldFile'))
      throw failed('copy the service database', `unexpected entry ${h.path} (${h.type}) in the engine's archive`);
    size = h.size;
    await tar.addStream(entry, h.size, body, h.mtime ? { mtime: h.mtime } : {});
  }).catch((error: unknown) => {
    throw error instanceof TarReadError
      ? failed('copy the service database', `the engine's archive: ${error.message}`)
      : error;
  });
  if (size === undefined) throw failed('copy the service database', "the engine's archive holds no file");
  return size;
}

export interface DbCopy {
  readonly inspection: DbInspection;
  readonly bytes: number;
  /** How the copy was taken: in the running service's container, or from the stopped service's volume. */
  readonly mode: 'online' | 'stopped';
}

/**
 * A consistent copy of the service's database into the backup (SERVICE_DB_ENTRY): SQLite's online backup in
 * the running container, or in a helper on the volume of a stopped one. Refused when the copy fails the
 * integrity check.
 */
export async function backupServiceDb(d: ServiceData, running: boolean, tar: TarWriter): Promise<DbCopy> {
  const copy = `${SQLITE_DATA_DIR}/.wmon-backup-${randomBytes(4).toString('hex')}.db`;
  const take = async (container: string): Promise<DbCopy> => {
    try {
      const inspection = await runTool(d.runtime, container, 'back up the service database', [
        'backup',
        SERVICE_DB_PATH,
        copy,
      ]);
      const problems = inspectionProblems(inspection, 'the copy of the service database');
      if (problems.length > 0) throw failed('back up the service database', problems.join('; '));
      const bytes = await copyOut(await d.runtime.getArchive(container, copy), tar, SERVICE_DB_ENTRY);
      return { inspection, bytes, mode: running ? 'online' : 'stopped' };
    } finally {
      await d.runtime.exec(container, ['rm', '-f', copy, `${copy}-journal`]).catch(() => undefined);
    }
  };
  if (running) return take(d.container);
  return withServiceHelper(d, { volume: true }, (helper) => take(helper));
}

/** Is there a database in the volume (through a helper; the service may be stopped)? */
export async function serviceDbExists(d: Omit<ServiceData, 'container'>): Promise<boolean> {
  return withServiceHelper(d, { volume: true, readOnly: true }, async (helper) => {
    const r = await d.runtime.exec(helper, ['/bin/sh', '-c', 'test -f "$1"', 'sh', SERVICE_DB_PATH]);
    return r.exitCode === 0;
  });
}

/**
 * Stream the archive's service database into `dir` inside `container` (as `name`, owned by uid:gid),
 * checking it against the manifest and the archive against the sha256 it had when verified.
 */
async function putFromArchive(
  runtime: ContainerRuntime,
  container: string,
  dir: string,
  name: string,
  archive: VerifiedArchive,
  owner: { uid: number; gid: number },
): Promise<void> {
  const want = archive.manifest.files.find((f) => f.path === SERVICE_DB_ENTRY);
  if (!want) throw archiveChanged(archive, `${SERVICE_DB_ENTRY} is not in its manifest`);
  let found = false;
  await copyFromArchive(
    runtime,
    container,
    dir,
    archive,
    async (out, h, body) => {
      if (h.path !== SERVICE_DB_ENTRY) {
        for await (const _ of body) void _;
        return;
      }
      if (h.size !== want.size) throw archiveChanged(archive, `${SERVICE_DB_ENTRY} is not what the manifest lists`);
      const written = await out.addStream(name, h.size, body, { ...owner, mode: 0o644 });
      if (written.sha256 !== want.sha256)
        throw archiveChanged(archive, `${SERVICE_DB_ENTRY} does not match its checksum`);
      found = true;
    },
    () => {
      if (!found) throw archiveChanged(archive, `${SERVICE_DB_ENTRY} is missing`);
    },
  );
}

/** The archive's database checked in a helper container of `image` (no volume): nothing of the stack changes. */
export async function inspectArchivedDb(
  d: Omit<ServiceData, 'container' | 'volume'>,
  archive: VerifiedArchive,
): Promise<DbInspection> {
  return withServiceHelper({ ...d, volume: '' }, { volume: false }, async (helper) => {
    const dir = '/tmp/wmon-check';
    await sh(d.runtime, helper, 'prepare the database check', 'rm -rf "$1" && mkdir -p "$1"', dir);
    await putFromArchive(d.runtime, helper, dir, SQLITE_FILE_NAME, archive, { uid: 0, gid: 0 });
    return runTool(d.runtime, helper, 'check the service database', ['check', `${dir}/${SQLITE_FILE_NAME}`]);
  });
}

/** Compare an inspection with what the manifest recorded; the differences in words. */
export function countDifferences(now: DbCounts, recorded: NonNullable<SqliteManifest>): string[] {
  const out: string[] = [];
  for (const t of STORE_TABLES) {
    const want = recorded.tables[t] ?? 0;
    if ((now.tables[t] ?? 0) !== want) out.push(`${t} has ${now.tables[t] ?? 0} rows, the backup ${want}`);
  }
  for (const [state, key] of [
    ['pending', 'pending'],
    ['processed', 'processed'],
    ['dead_letter', 'deadLetter'],
  ] as const) {
    if (now.events[key] !== recorded.events[key])
      out.push(`${now.events[key]} events are ${state}, the backup had ${recorded.events[key]}`);
  }
  return out;
}

type SqliteManifest = Extract<NonNullable<Manifest['webhook']>, { store: 'sqlite' }>;

/**
 * Put the archive's database in place of the service's (which must be stopped): streamed into the volume
 * next to the live file, checked there (integrity, schema version, counts) when the helper image can run
 * the check, then swapped in by a rename, the old file with its WAL moved aside and removed.
 */
export async function restoreServiceDb(
  d: Omit<ServiceData, 'container'>,
  archive: VerifiedArchive,
  canInspect: boolean,
): Promise<{ bytes: number; checked: boolean }> {
  const m = archive.manifest.webhook;
  if (m?.store !== 'sqlite') throw failed('restore the service database', 'the archive holds none');
  const id = randomBytes(4).toString('hex');
  const staged = `.wmon-restore-${id}.db`;
  return withServiceHelper(d, { volume: true }, async (helper) => {
    const owner = await sh(d.runtime, helper, 'inspect the service volume', 'stat -c %u:%g "$1"', SQLITE_DATA_DIR);
    let [uid, gid] = owner.split(':').map(Number) as [number, number];
    if (uid === 0) {
      // A new volume, never mounted by the service: the service runs as its image's `node` user (1000), never
      // as root, and SQLite must create its WAL files beside the database.
      [uid, gid] = [SERVICE_UID, SERVICE_UID];
      await sh(d.runtime, helper, 'prepare the service volume', 'chown "$2" "$1"', SQLITE_DATA_DIR, `${uid}:${gid}`);
    }
    try {
      await putFromArchive(d.runtime, helper, SQLITE_DATA_DIR, staged, archive, { uid, gid });
      if (canInspect) {
        const i = await runTool(d.runtime, helper, 'check the restored service database', [
          'check',
          `${SQLITE_DATA_DIR}/${staged}`,
        ]);
        const problems = [
          ...inspectionProblems(i, 'the restored service database'),
          ...countDifferences(countsOf(i), m),
        ];
        if (problems.length > 0) throw failed('restore the service database', problems.join('; '));
      }
      await sh(
        d.runtime,
        helper,
        'put the restored service database in place',
        SWAP_SCRIPT,
        SQLITE_DATA_DIR,
        staged,
        id,
        SQLITE_FILE_NAME,
      );
      return { bytes: m.bytes, checked: canInspect };
    } catch (error) {
      await sh(d.runtime, helper, 'clean up', 'rm -f "$1"', `${SQLITE_DATA_DIR}/${staged}`).catch(() => undefined);
      throw error;
    }
  });
}

/** The running service's database counted in its own container (read through SQLite, beside the service). */
export async function inspectLiveDb(runtime: ContainerRuntime, container: string): Promise<DbInspection> {
  return runTool(runtime, container, 'read the service database', ['check', SERVICE_DB_PATH]);
}
