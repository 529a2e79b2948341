/**
 * The webhook service's container on the in-memory engine, as far as backups see it: the database tool wmon
 * runs in it (`node -e DB_TOOL …`) really runs, on real SQLite (better-sqlite3, here as in the service's
 * image), over copies of the container's files; the few shell commands of the restore's swap act on the
 * container's files as the real ones do. And a database to put in the volume: real events in the service's
 * schema, some pending, some processed, some dead letters.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';
import { SQLITE_SCHEMA_VERSION } from '@wmon/contract';

import type { MemoryRuntime } from '../../../src/adapters/runtime/memory-runtime.js';
import { tempDir } from '../tmp.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The service's schema (service/src/store/sqlite-engine.ts), enough for the tool's counts. */
const SCHEMA = `
CREATE TABLE webhook_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, stripe_created INTEGER NOT NULL,
  livemode INTEGER NOT NULL, received_at INTEGER NOT NULL, payload TEXT NOT NULL);
CREATE TABLE webhook_event_state (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  processed_at INTEGER, last_error TEXT);
CREATE TABLE stripe_objects (id TEXT PRIMARY KEY, object_type TEXT NOT NULL, customer_id TEXT, status TEXT,
  data TEXT NOT NULL, event_created INTEGER NOT NULL, updated_at INTEGER NOT NULL);
`;

export interface EventMix {
  readonly pending: number;
  readonly processed: number;
  readonly deadLetter: number;
  /** PRAGMA user_version (default the service's). */
  readonly schemaVersion?: number;
}

/** A real SQLite database of the service's schema, in WAL mode as the service keeps it; its bytes. */
export async function serviceDatabase(mix: EventMix): Promise<{ db: Buffer; wal: Buffer | undefined; ids: string[] }> {
  const dir = await tempDir('wmon-svcdb-');
  const file = path.join(dir, 'webhooks.db');
  const db = new Database(file);
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  db.pragma(`user_version = ${mix.schemaVersion ?? SQLITE_SCHEMA_VERSION}`);
  const ids: string[] = [];
  const insert = db.prepare('INSERT INTO webhook_events VALUES (?, ?, ?, 0, ?, ?)');
  const state = db.prepare(
    'INSERT INTO webhook_event_state (event_id, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?)',
  );
  let n = 0;
  const add = (status: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const id = `evt_${status}_${++n}`;
      ids.push(id);
      insert.run(id, 'charge.succeeded', 1_700_000_000 + n, Date.now(), JSON.stringify({ id, object: 'event' }));
      state.run(id, status, status === 'dead_letter' ? 5 : status === 'processed' ? 1 : 0, Date.now(), Date.now());
    }
  };
  db.transaction(() => {
    add('pending', mix.pending);
    add('processed', mix.processed);
    add('dead_letter', mix.deadLetter);
    db.prepare('INSERT INTO stripe_objects VALUES (?, ?, NULL, NULL, ?, 1, 1)').run('ch_1', 'charge', '{}');
  })();
  // Left open while the files are read: the last commits are in the WAL, as in a running service.
  const out = { db: await readFile(file), wal: existsSync(`${file}-wal`) ? await readFile(`${file}-wal`) : undefined };
  db.close();
  await rm(dir, { recursive: true, force: true });
  return { ...out, ids };
}

/** Rows of a database file's tables, read with SQLite. */
export async function readServiceDatabase(bytes: Buffer): Promise<{ events: Record<string, string>; version: number }> {
  const dir = await tempDir('wmon-svcdb-');
  const file = path.join(dir, 'webhooks.db');
  await writeFile(file, bytes);
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT event_id, status FROM webhook_event_state ORDER BY event_id').all() as {
      event_id: string;
      status: string;
    }[];
    return {
      events: Object.fromEntries(rows.map((r) => [r.event_id, r.status])),
      version: db.pragma('user_version', { simple: true }) as number,
    };
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Answer the database tool and the restore's shell commands in every container. The tool runs in a child
 * Node process over a temporary folder mirroring the paths it is given (and their -wal/-shm/-journal files);
 * what it leaves there is copied back into the container.
 */
export function handleServiceDb(runtime: MemoryRuntime, calls: string[][] = []): void {
  runtime.handleExec(['node', '-e'], async ({ cmd, files }) => {
    calls.push([...cmd.slice(3)]);
    const [script, ...args] = cmd.slice(2) as [string, ...string[]];
    const dir = await tempDir('wmon-svcexec-');
    const sidecars = ['', '-wal', '-shm', '-journal'];
    const paths = args.filter((a) => a.startsWith('/'));
    for (const p of paths) {
      await mkdir(path.join(dir, path.dirname(p)), { recursive: true });
      for (const s of sidecars)
        if (await files.exists(p + s)) await writeFile(path.join(dir, p + s), await files.readFile(p + s));
    }
    const mapped = args.map((a) => (a.startsWith('/') ? path.join(dir, a) : a));
    let reply: { exitCode: number; stdout: string; stderr: string };
    try {
      const r = await run(process.execPath, ['-e', script, ...mapped], { cwd: ROOT, timeout: 20_000 });
      reply = { exitCode: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      reply = { exitCode: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
    for (const p of paths) {
      for (const s of sidecars) {
        const local = path.join(dir, p + s);
        if (existsSync(local)) await files.writeFile(p + s, await readFile(local));
        else if (s !== '' && (await files.exists(p + s))) await files.rm(p + s);
      }
    }
    await rm(dir, { recursive: true, force: true });
    // The paths it wrote to, as the container sees them, never the temporary folder.
    return { ...reply, stdout: reply.stdout.split(dir).join(''), stderr: reply.stderr.split(dir).join('') };
  });
  runtime.handleExec(['rm', '-f'], async ({ cmd, files }) => {
    for (const p of cmd.slice(2)) await files.rm(p, { force: true });
    return {};
  });
  runtime.handleExec(['du', '-sk'], async ({ cmd, files }) => {
    const lines: string[] = [];
    for (const p of cmd.slice(2)) lines.push(`${Math.ceil((await files.size(p)) / 1024)}\t${p}`);
    return { stdout: `${lines.join('\n')}\n` };
  });
  const script = (text: string, fn: Parameters<MemoryRuntime['handleExec']>[1]) =>
    runtime.handleExec(['/bin/sh', '-c', text], fn);
  script('stat -c %u:%g "$1"', async ({ cmd, files }) => {
    const st = await files.stat(cmd[4]!);
    return { stdout: `${st?.uid ?? 0}:${st?.gid ?? 0}\n` };
  });
  script('chown "$2" "$1"', () => ({}));
  script('test -f "$1"', async ({ cmd, files }) => ({ exitCode: (await files.exists(cmd[4]!)) ? 0 : 1 }));
  script('rm -rf "$1" && mkdir -p "$1"', async ({ cmd, files }) => {
    await files.rm(cmd[4]!, { recursive: true, force: true });
    await files.mkdir(cmd[4]!, { recursive: true });
    return {};
  });
  script('rm -f "$1"', async ({ cmd, files }) => {
    await files.rm(cmd[4]!, { force: true });
    return {};
  });
}

/** The restore's swap script, acted out on the container's files (registered apart: tests may fail it). */
export function handleServiceDbSwap(runtime: MemoryRuntime, swapScript: string): void {
  runtime.handleExec(['/bin/sh', '-c', swapScript], async ({ cmd, files }) => {
    const [dir, staged, id, name] = cmd.slice(4) as [string, string, string, string];
    const old = `${dir}/.wmon-old-${id}`;
    await files.mkdir(old);
    for (const s of ['', '-wal', '-shm', '-journal'])
      if (await files.exists(`${dir}/${name}${s}`)) await files.rename(`${dir}/${name}${s}`, `${old}/${name}${s}`);
    await files.rename(`${dir}/${staged}`, `${dir}/${name}`);
    await files.rm(old, { recursive: true });
    return {};
  });
}
