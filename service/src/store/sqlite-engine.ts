/**
 * The SQLite side of the store: synchronous better-sqlite3 calls. It runs in a worker thread (see
 * sqlite-worker.ts), so commits and their fsyncs never block the HTTP event loop.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_SCHEMA_VERSION } from '@wmon/contract';
import type { SqliteWriteResult, WireBatch, WireEventState, WirePendingEvent, WireWriteResult } from './sqlite-wire.js';
import {
  eventStateFromRow,
  objectRecordFromRow,
  type EventStateRow,
  type EventStatus,
  type ObjectRecord,
  type ObjectRow,
  type StoreCounts,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  stripe_created INTEGER NOT NULL,
  livemode INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
-- Processing state, apart from the immutable payloads so that updates rewrite small rows. Rows are in
-- arrival order (seq), so a batch of completions dirties few pages; only pending rows are indexed by due time.
CREATE TABLE IF NOT EXISTS webhook_event_state (
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  processed_at INTEGER,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS webhook_event_state_due ON webhook_event_state (next_attempt_at) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS stripe_objects (
  id TEXT PRIMARY KEY,
  object_type TEXT NOT NULL,
  customer_id TEXT,
  status TEXT,
  data TEXT NOT NULL,
  event_created INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS stripe_objects_customer ON stripe_objects (customer_id);
`;

/** SQLite refusing a value (a constraint, a value too big or of the wrong type), not failing as a whole. */
function refusedValue(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH)/.test(code);
}

/** One operation on the engine, as the store asks for it (from the worker thread, or in-thread). */
export type SqliteRequest =
  | { op: 'write'; args: [WireBatch] }
  | { op: 'loadPending'; args: [number, number] }
  | { op: 'counts'; args: [] }
  | { op: 'getObjects'; args: [string[]] }
  | { op: 'getEvent'; args: [string] }
  | { op: 'knownIds'; args: [string[]] }
  | { op: 'ping'; args: [] }
  | { op: 'close'; args: [] };

export function dispatch(engine: SqliteEngine, req: SqliteRequest): unknown {
  switch (req.op) {
    case 'write':
      return engine.writeBatch(req.args[0]);
    case 'loadPending':
      return engine.loadPending(req.args[0], req.args[1]);
    case 'counts':
      return engine.counts();
    case 'getObjects':
      return req.args[0].map((id) => engine.getObject(id));
    case 'getEvent':
      return engine.getEvent(req.args[0]);
    case 'knownIds':
      return engine.knownIds(req.args[0]);
    case 'ping':
      return engine.ping();
    case 'close':
      engine.close();
      return true;
  }
}

export class SqliteEngine {
  readonly #db: Database.Database;
  readonly #stmts;
  readonly #tx: (ops: (() => SqliteWriteResult)[]) => SqliteWriteResult[];

  constructor(path: string, synchronous: 'FULL' | 'NORMAL') {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    // Payloads are ~5 KB: with 16 KiB pages most fit in one page instead of a chain of overflow pages,
    // which halves the CPU and the bytes written per insert. Takes effect when the database is created.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -32768');
    db.pragma('temp_store = MEMORY');
    // The schema's version (PRAGMA user_version): a database written by a newer service is refused, not
    // misread; wmon's backups record it and its restores check it.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SQLITE_SCHEMA_VERSION) {
      db.close();
      throw Object.assign(
        new Error(
          `the database has schema version ${version}; this service reads version ${SQLITE_SCHEMA_VERSION} and older (use a newer service image)`,
        ),
        { code: 'SQLITE_SCHEMA_TOO_NEW' },
      );
    }
    db.exec(SCHEMA);
    // Added after the first release: a database made before it gets the column (every row a webhook delivery).
    const columns = db.prepare('PRAGMA table_info(webhook_events)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'source'))
      db.exec("ALTER TABLE webhook_events ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook'");
    if (version < SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
    this.#db = db;
    this.#stmts = {
      insertEvent: db.prepare(
        'INSERT INTO webhook_events (id, type, stripe_created, livemode, received_at, payload, source) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      ),
      insertState: db.prepare(
        "INSERT INTO webhook_event_state (event_id, status, attempts, next_attempt_at, updated_at) VALUES (?, 'pending', 0, ?, ?)",
      ),
      complete: db.prepare(
        "UPDATE webhook_event_state SET status = 'processed', processed_at = ?, updated_at = ?, last_error = NULL WHERE event_id = ? AND status = 'pending'",
      ),
      fail: db.prepare(
        "UPDATE webhook_event_state SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ?, last_error = ? WHERE event_id = ? AND status = 'pending'",
      ),
      upsert: db.prepare(
        `INSERT INTO stripe_objects (id, object_type, customer_id, status, data, event_created, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET object_type = excluded.object_type, customer_id = excluded.customer_id, status = excluded.status,
           data = excluded.data, event_created = excluded.event_created, updated_at = excluded.updated_at
         WHERE excluded.event_created >= stripe_objects.event_created`,
      ),
      loadPending: db.prepare(
        `SELECT e.id, e.type, e.payload, e.received_at, s.attempts FROM webhook_event_state s JOIN webhook_events e ON e.id = s.event_id
         WHERE s.status = 'pending' AND s.next_attempt_at <= ? ORDER BY s.next_attempt_at LIMIT ?`,
      ),
      counts: db.prepare('SELECT status, count(*) AS n FROM webhook_event_state GROUP BY status'),
      getObject: db.prepare('SELECT * FROM stripe_objects WHERE id = ?'),
      getEvent: db.prepare(
        `SELECT e.id, e.type, e.payload, e.received_at, e.source, s.status, s.attempts, s.next_attempt_at, s.last_error
         FROM webhook_events e JOIN webhook_event_state s ON s.event_id = e.id WHERE e.id = ?`,
      ),
      knownIds: db.prepare('SELECT id FROM webhook_events WHERE id IN (SELECT value FROM json_each(?))'),
      ping: db.prepare('SELECT 1 AS ok'),
    };
    this.#tx = db.transaction((ops: (() => SqliteWriteResult)[]) => ops.map((op) => op()));
  }

  /** The batch's operations, each ready to run inside a transaction. */
  #decode({ meta: m, payloads }: WireBatch): (() => SqliteWriteResult)[] {
    const s = this.#stmts;
    const ops: (() => SqliteWriteResult)[] = [];
    const buf = Buffer.from(payloads.buffer, payloads.byteOffset, payloads.byteLength);
    for (let i = 0; i < m.length;) {
      const kind = m[i++];
      if (kind === 'i') {
        const [id, type, created, livemode, receivedAt, offset, length, source] = m.slice(i, (i += 8)) as [
          string,
          string,
          number,
          number,
          number,
          number,
          number,
          string,
        ];
        const payload = buf.subarray(offset, offset + length);
        ops.push(() => {
          const isNew = s.insertEvent.run(id, type, created, livemode, receivedAt, payload, source).changes === 1;
          if (isNew) s.insertState.run(id, receivedAt, receivedAt);
          return isNew;
        });
      } else if (kind === 'c') {
        const [id, at, n] = m.slice(i, (i += 3)) as [string, number, number];
        const rows: [string, string, string | null, string | null, string, number, number][] = [];
        for (let k = 0; k < n; k++)
          rows.push(m.slice(i, (i += 7)) as [string, string, string | null, string | null, string, number, number]);
        ops.push(() => {
          s.complete.run(at, at, id);
          for (const row of rows) s.upsert.run(...row);
          return null;
        });
      } else if (kind === 'f') {
        const [id, attempts, next, dead, error, at] = m.slice(i, (i += 6)) as [
          string,
          number,
          number,
          number,
          string,
          number,
        ];
        ops.push(() => {
          s.fail.run(dead ? 'dead_letter' : 'pending', attempts, next, at, error, id);
          return null;
        });
      } else {
        throw new Error(`bad write batch at ${i - 1}`);
      }
    }
    return ops;
  }

  /**
   * Apply a batch of writes in one transaction (one commit, one fsync). When SQLite refuses a value in it
   * (a constraint, a value too big), each operation is retried in its own transaction, so only the one at
   * fault fails (permanently) and its neighbours commit: the PostgreSQL store's behaviour.
   */
  writeBatch(batch: WireBatch): WireWriteResult[] {
    const ops = this.#decode(batch);
    try {
      return this.#tx(ops);
    } catch (err) {
      if (!refusedValue(err)) throw err;
      return ops.map((op) => {
        try {
          return this.#tx([op])[0]!;
        } catch (e) {
          if (!refusedValue(e)) throw e;
          const { message, code } = e as NodeJS.ErrnoException;
          return { error: { message, ...(code === undefined ? {} : { code }) } };
        }
      });
    }
  }

  loadPending(now: number, limit: number): WirePendingEvent[] {
    const rows = this.#stmts.loadPending.all(now, limit) as {
      id: string;
      type: string;
      payload: Uint8Array | string;
      received_at: number;
      attempts: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      payload: r.payload,
      attempts: r.attempts,
      receivedAt: r.received_at,
    }));
  }

  counts(): StoreCounts {
    const rows = this.#stmts.counts.all() as { status: EventStatus; n: number }[];
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    return { pending: by.pending ?? 0, processed: by.processed ?? 0, deadLetter: by.dead_letter ?? 0 };
  }

  getObject(id: string): ObjectRecord | undefined {
    const r = this.#stmts.getObject.get(id) as ObjectRow<string> | undefined;
    return r && objectRecordFromRow(r, (text) => JSON.parse(text) as Record<string, unknown>);
  }

  getEvent(id: string): WireEventState | undefined {
    const r = this.#stmts.getEvent.get(id) as EventStateRow<Uint8Array | string> | undefined;
    return r && eventStateFromRow(r);
  }

  knownIds(ids: string[]): string[] {
    return (this.#stmts.knownIds.all(JSON.stringify(ids)) as { id: string }[]).map((r) => r.id);
  }

  ping(): boolean {
    return (this.#stmts.ping.get() as { ok: number }).ok === 1;
  }

  close(): void {
    this.#db.close();
  }
}
