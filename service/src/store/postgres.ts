/**
 * PostgreSQL store (DATABASE_URL=postgres://…): same tables and behaviour as SQLite. Writes are
 * group-committed: each batch is one transaction of a few set-based statements.
 *
 * Any number of processes (replicas) may share the database. Each pending event is leased to one of them
 * (`lease_owner`, `lease_until`): the one that stored it, or the one whose sweep claimed it (`FOR UPDATE SKIP
 * LOCKED`) after its lease ran out. Only the lease holder completes it or records a failed attempt, and the
 * handlers' record changes are applied in that same transaction to the records as the database holds them,
 * under a transaction-scoped advisory lock per record: an event is processed once, and every update counts.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Batcher, ItemFailure } from './batcher.js';
import { DatabaseError, eventStateFromRow, KNOWN_IDS_MAX, objectRecordFromRow } from './types.js';
import type {
  ObjectChange,
  EventStateRow,
  EventStatus,
  ObjectRecord,
  ObjectRow,
  OperationTimer,
  PendingEvent,
  Store,
  StoreCounts,
  StoredEventState,
  StoreOperation,
  WriteOp,
  WriteResult,
} from './types.js';

// BIGINT columns hold milliseconds: well inside Number's exact range.
const INT8_OID = 20;
const parseInt8 = (v: string) => Number(v);

const schemaSql = (schema: string) => `
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  stripe_created BIGINT NOT NULL,
  livemode BOOLEAN NOT NULL,
  received_at BIGINT NOT NULL,
  payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${schema}.webhook_event_state (
  event_id TEXT PRIMARY KEY REFERENCES ${schema}.webhook_events (id),
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  processed_at BIGINT,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS webhook_event_state_pending ON ${schema}.webhook_event_state (next_attempt_at) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS ${schema}.stripe_objects (
  id TEXT PRIMARY KEY,
  object_type TEXT NOT NULL,
  customer_id TEXT,
  status TEXT,
  data JSONB NOT NULL,
  event_created BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS stripe_objects_customer ON ${schema}.stripe_objects (customer_id);
-- Added after the first release: a database made before it gets the column (every row a webhook delivery).
ALTER TABLE ${schema}.webhook_events ADD COLUMN IF NOT EXISTS source TEXT NOT NULL DEFAULT 'webhook';
-- Added for replicas: which process may work on a pending event, until when (ms). 0: anyone may claim it.
ALTER TABLE ${schema}.webhook_event_state ADD COLUMN IF NOT EXISTS lease_owner TEXT;
ALTER TABLE ${schema}.webhook_event_state ADD COLUMN IF NOT EXISTS lease_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS webhook_event_state_lease ON ${schema}.webhook_event_state (lease_owner) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_event_state_dead ON ${schema}.webhook_event_state (event_id) WHERE status = 'dead_letter';
`;

const ignore = (): void => {};

/** How a process names itself in `lease_owner`: unique per process, so a restarted one never mistakes old leases for its own. */
export function leaseOwner(replica: string): string {
  return `${replica}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

export interface LeaseOptions {
  /** This process's `lease_owner` (leaseOwner()). */
  readonly owner: string;
  /** How long a lease lasts without renewal: how soon peers take over a dead replica's events. */
  readonly leaseMs: number;
}

/**
 * SQLSTATE classes of a statement refusing its values: 22 data exception (NUL in text, a number out of
 * range, bad jsonb), 23 integrity constraint violation, 54 program limit exceeded (a value too large).
 * Anything else (a lost connection, a timeout, the server shutting down) is the batch's fate, not one
 * operation's.
 */
function refusedValue(code: string | undefined): boolean {
  return code !== undefined && /^(22|23|54)/.test(code);
}

const INSERT_EVENTS = `
WITH ins AS (
  INSERT INTO webhook_events (id, type, stripe_created, livemode, received_at, payload, source)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::bool[], $5::int8[], $6::text[], $7::text[])
  ON CONFLICT (id) DO NOTHING
  RETURNING id, received_at
), st AS (
  INSERT INTO webhook_event_state (event_id, status, attempts, next_attempt_at, updated_at, lease_owner, lease_until)
  SELECT id, 'pending', 0, received_at, received_at, $8::text, received_at + $9::int8 FROM ins
)
SELECT id FROM ins`;

// Only the lease holder completes an event or records its attempt; RETURNING says which ones it was. A
// processed event keeps its lease_owner: the process that completed it.
const COMPLETE = `
UPDATE webhook_event_state SET status = 'processed', processed_at = u.at, updated_at = u.at, last_error = NULL,
  lease_until = 0
FROM unnest($1::text[], $2::int8[]) AS u(id, at)
WHERE event_id = u.id AND status = 'pending' AND lease_owner = $3
RETURNING event_id`;

// A retry stays with this process (its timer runs it) for as long as the lease outlives the backoff.
const FAIL = `
UPDATE webhook_event_state SET status = u.status, attempts = u.attempts, next_attempt_at = u.next, updated_at = u.at, last_error = u.err,
  lease_until = u.next + $8::int8
FROM unnest($1::text[], $2::text[], $3::int4[], $4::int8[], $5::int8[], $6::text[]) AS u(id, status, attempts, next, at, err)
WHERE event_id = u.id AND webhook_event_state.status = 'pending' AND lease_owner = $7`;

// Due events that are this process's, or whose lease ran out (a replica died), leased to this process. SKIP
// LOCKED: replicas sweeping at once take different rows instead of waiting for each other.
const CLAIM = `
WITH due AS (
  SELECT event_id FROM webhook_event_state
  WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_owner = $3 OR lease_until <= $1)
  ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE webhook_event_state s SET lease_owner = $3, lease_until = $1 + $4::int8 FROM due
  WHERE s.event_id = due.event_id RETURNING s.event_id, s.attempts, s.next_attempt_at
)
SELECT e.id, e.type, e.payload, e.received_at, c.attempts FROM claimed c JOIN webhook_events e ON e.id = c.event_id
ORDER BY c.next_attempt_at`;

// Only the leases past half their time ($3): each row is rewritten every other tick or so, not at every tick.
const RENEW = `
UPDATE webhook_event_state SET lease_until = $2 WHERE lease_owner = $1 AND status = 'pending' AND lease_until < $3`;

// On a graceful stop: peers (or this replica restarted) take the events over at once.
const RELEASE = `UPDATE webhook_event_state SET lease_until = 0 WHERE lease_owner = $1 AND status = 'pending'`;

// Advisory locks on the records an event's changes touch, in one order (no deadlock between two batches),
// keyed by schema and id. A second statement then reads them: in READ COMMITTED it sees what the previous
// holder committed.
const LOCK_OBJECTS = `
SELECT count(pg_advisory_xact_lock(k)) FROM (
  SELECT DISTINCT hashtextextended($2 || id, 0) AS k FROM unnest($1::text[]) AS id ORDER BY k
) AS keys`;

const UPSERT = `
INSERT INTO stripe_objects (id, object_type, customer_id, status, data, event_created, updated_at)
SELECT id, object_type, customer_id, status, data::jsonb, event_created, updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[])
  AS u(id, object_type, customer_id, status, data, event_created, updated_at)
ON CONFLICT (id) DO UPDATE SET object_type = excluded.object_type, customer_id = excluded.customer_id, status = excluded.status,
  data = excluded.data, event_created = excluded.event_created, updated_at = excluded.updated_at
WHERE excluded.event_created >= stripe_objects.event_created`;

/** A change's function threw: the event's own fault, so it fails alone (its neighbours commit). */
class ChangeError extends Error {}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly appliesChanges = true;
  readonly #pool: pg.Pool;
  readonly #batcher: Batcher<WriteOp, WriteResult>;
  #closed = false;
  #renewTimer: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    private readonly schema: string,
    poolMax: number,
    private readonly timer: OperationTimer = () => {},
    onPoolError: (err: Error) => void = () => {},
    private readonly lease: LeaseOptions = { owner: leaseOwner('store'), leaseMs: 30_000 },
  ) {
    this.#pool = new pg.Pool({
      connectionString: url,
      max: poolMax,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      query_timeout: 15_000,
      keepAlive: true,
      options: `-c search_path=${schema}`,
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID
            ? parseInt8
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.#pool.on('error', onPoolError);
    this.#batcher = new Batcher((ops) => this.#writeBatch(ops), { maxBatch: 1000, maxInFlight: 2, lingerMs: 2 });
  }

  async #timed<T>(op: StoreOperation, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new DatabaseError(e.message, e.code);
    } finally {
      this.timer(op, (performance.now() - started) / 1000);
    }
  }

  async init(): Promise<void> {
    await this.#timed('migrate', async () => {
      const client = await this.#pool.connect();
      client.on('error', ignore);
      try {
        // Serialise concurrent start-ups on the same database.
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [`wmon-webhook:${this.schema}`]);
        try {
          await client.query(schemaSql(this.schema));
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`wmon-webhook:${this.schema}`]);
        }
      } finally {
        client.off('error', ignore);
        client.release();
      }
    });
    // Renew this process's leases well before they run out; a failure is retried at the next tick (the
    // events stay pending; at worst a peer takes one over, and only one of the two completes it).
    this.#renewTimer ??= setInterval(() => void this.#renew(), Math.max(100, Math.floor(this.lease.leaseMs / 3)));
    this.#renewTimer.unref();
  }

  #renew(): Promise<void> {
    return this.#timed('renew_leases', () =>
      this.#pool.query(RENEW, [
        this.lease.owner,
        Date.now() + this.lease.leaseMs,
        Date.now() + Math.floor(this.lease.leaseMs / 2),
      ]),
    ).then(ignore, ignore);
  }

  write(op: WriteOp): Promise<WriteResult> {
    if (this.#closed) return Promise.reject(new DatabaseError('the store is closed'));
    return this.#batcher.submit(op);
  }

  /**
   * One transaction for the batch. When PostgreSQL refuses a value in it (a data or constraint error, not a
   * lost connection), the batch is split in halves and each half committed on its own, down to the single
   * operation at fault, which fails alone (permanently); its neighbours commit. One bad operation among n
   * costs about 2·log2(n) more transactions.
   */
  #writeBatch(ops: WriteOp[]): Promise<(WriteResult | ItemFailure)[]> {
    return this.#timed('write_batch', () => this.#commitIsolating(ops));
  }

  async #commitIsolating(ops: WriteOp[]): Promise<(WriteResult | ItemFailure)[]> {
    try {
      return await this.#commit(ops);
    } catch (err) {
      const e = err as Error & { code?: string };
      if (!refusedValue(e.code) && !(err instanceof ChangeError)) throw err;
      if (ops.length === 1) return [new ItemFailure(new DatabaseError(e.message, e.code, true))];
      // In order: the same id in both halves is new only in the first, as in one batch.
      const mid = ops.length >>> 1;
      const first = await this.#commitIsolating(ops.slice(0, mid));
      return [...first, ...(await this.#commitIsolating(ops.slice(mid)))];
    }
  }

  async #commit(ops: WriteOp[]): Promise<WriteResult[]> {
    const inserts: Extract<WriteOp, { kind: 'insert' }>[] = [];
    const completes: Extract<WriteOp, { kind: 'complete' }>[] = [];
    const fails: Extract<WriteOp, { kind: 'fail' }>[] = [];
    for (const op of ops) {
      if (op.kind === 'insert') inserts.push(op);
      else if (op.kind === 'complete') completes.push(op);
      else fails.push(op);
    }
    const client = await this.#pool.connect();
    // A checked-out client has no pool listener: a dropped connection between two statements would be
    // an uncaught 'error' event. The failing statement reports it instead.
    client.on('error', ignore);
    let newIds = new Set<string>();
    let completed = new Set<string>();
    let written = new Map<string, ObjectRecord[]>();
    try {
      await client.query('BEGIN');
      if (inserts.length > 0) {
        // A batch may carry the same id twice (a redelivery racing the first): only the first can be new.
        const seen = new Set<string>();
        const unique = inserts.filter((op) => !seen.has(op.event.id) && seen.add(op.event.id));
        // In id order: two replicas inserting overlapping batches (one redelivery each) wait, never deadlock.
        const e = unique.map((op) => op.event).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const res = await client.query<{ id: string }>(INSERT_EVENTS, [
          e.map((x) => x.id),
          e.map((x) => x.type),
          e.map((x) => x.created),
          e.map((x) => x.livemode),
          e.map((x) => x.receivedAt),
          e.map((x) => x.payload),
          e.map((x) => x.source ?? 'webhook'),
          this.lease.owner,
          this.lease.leaseMs,
        ]);
        newIds = new Set(res.rows.map((r) => r.id));
      }
      if (completes.length > 0) {
        const changed = [...new Set(completes.flatMap((c) => (c.changes ?? []).map((ch) => ch.id)))];
        if (changed.length > 0) await client.query(LOCK_OBJECTS, [changed, `${this.schema}:`]);
        const done = await client.query<{ event_id: string }>(COMPLETE, [
          completes.map((c) => c.id),
          completes.map((c) => c.at),
          this.lease.owner,
        ]);
        completed = new Set(done.rows.map((r) => r.event_id));
        const mine = completes.filter((c) => completed.has(c.id));
        const byId = new Map<string, ObjectRecord>();
        for (const c of mine) for (const o of c.upserts) byId.set(o.id, o); // last write wins within a batch
        written = await this.#applyChanges(client, mine, byId);
        const objs = [...byId.values()];
        if (objs.length > 0) {
          await client.query(UPSERT, [
            objs.map((o) => o.id),
            objs.map((o) => o.objectType),
            objs.map((o) => o.customerId),
            objs.map((o) => o.status),
            objs.map((o) => JSON.stringify(o.data)),
            objs.map((o) => o.eventCreated),
            objs.map((o) => o.updatedAt),
          ]);
        }
      }
      if (fails.length > 0) {
        await client.query(FAIL, [
          fails.map((f) => f.id),
          fails.map((f) => (f.deadLetter ? 'dead_letter' : 'pending')),
          fails.map((f) => f.attempts),
          fails.map((f) => f.nextAttemptAt),
          fails.map((f) => f.at),
          fails.map((f) => f.error.slice(0, 2000)),
          this.lease.owner,
          this.lease.leaseMs,
        ]);
      }
      await client.query('COMMIT');
      client.off('error', ignore);
      client.release();
    } catch (err) {
      // Roll back if the connection still works; drop it from the pool if not.
      await client.query('ROLLBACK').then(
        () => {
          client.off('error', ignore);
          client.release();
        },
        () => client.release(true),
      );
      throw err;
    }
    const claimed = new Set<string>();
    return ops.map((op) => {
      if (op.kind === 'complete') return completed.has(op.id) ? { records: written.get(op.id) ?? [] } : false;
      if (op.kind !== 'insert') return null;
      const id = op.event.id;
      if (newIds.has(id) && !claimed.has(id)) {
        claimed.add(id);
        return true;
      }
      return false;
    });
  }

  /**
   * Apply the completed events' changes, in batch order, to the records as the database holds them (locked by
   * LOCK_OBJECTS) and to `byId`, which the caller upserts. Returns the records each event's changes wrote.
   */
  async #applyChanges(
    client: pg.PoolClient,
    completes: readonly Extract<WriteOp, { kind: 'complete' }>[],
    byId: Map<string, ObjectRecord>,
  ): Promise<Map<string, ObjectRecord[]>> {
    const written = new Map<string, ObjectRecord[]>();
    const ids = [...new Set(completes.flatMap((c) => (c.changes ?? []).map((ch) => ch.id)))].filter(
      (id) => !byId.has(id),
    );
    const current = new Map(byId);
    if (ids.length > 0) {
      const res = await client.query<ObjectRow<Record<string, unknown>>>(
        'SELECT * FROM stripe_objects WHERE id = ANY($1::text[])',
        [ids],
      );
      for (const r of res.rows)
        current.set(
          r.id,
          objectRecordFromRow(r, (data) => data),
        );
    }
    for (const c of completes) {
      const records: ObjectRecord[] = [];
      for (const ch of c.changes ?? []) {
        let next: ReturnType<ObjectChange['apply']>;
        try {
          next = ch.apply(current.get(ch.id));
        } catch (err) {
          throw new ChangeError(`a handler's update of ${ch.id} failed: ${(err as Error).message}`);
        }
        if (!next) continue;
        const record: ObjectRecord = { ...next, id: ch.id, updatedAt: c.at };
        current.set(ch.id, record);
        byId.set(ch.id, record);
        records.push(record);
      }
      if (records.length > 0) written.set(c.id, records);
    }
    return written;
  }

  loadPending(now: number, limit: number): Promise<PendingEvent[]> {
    return this.#timed('load_pending', async () => {
      const res = await this.#pool.query<{
        id: string;
        type: string;
        payload: string;
        received_at: number;
        attempts: number;
      }>(CLAIM, [now, limit, this.lease.owner, this.lease.leaseMs]);
      return res.rows.map((r) => ({
        id: r.id,
        type: r.type,
        payload: r.payload,
        attempts: r.attempts,
        receivedAt: r.received_at,
      }));
    });
  }

  counts(): Promise<StoreCounts> {
    return this.#timed('count', async () => {
      const res = await this.#pool.query<{ status: EventStatus; n: number }>(
        'SELECT status, count(*)::int8 AS n FROM webhook_event_state GROUP BY status',
      );
      const by = Object.fromEntries(res.rows.map((r) => [r.status, r.n]));
      return { pending: by.pending ?? 0, processed: by.processed ?? 0, deadLetter: by.dead_letter ?? 0 };
    });
  }

  backlog(): Promise<Omit<StoreCounts, 'processed'>> {
    return this.#timed('count', async () => {
      const res = await this.#pool.query<{ pending: number; dead: number }>(
        `SELECT (SELECT count(*) FROM webhook_event_state WHERE status = 'pending')::int8 AS pending,
                (SELECT count(*) FROM webhook_event_state WHERE status = 'dead_letter')::int8 AS dead`,
      );
      const r = res.rows[0]!;
      return { pending: r.pending, deadLetter: r.dead };
    });
  }

  getObject(id: string): Promise<ObjectRecord | undefined> {
    return this.#timed('get_object', async () => {
      const res = await this.#pool.query<ObjectRow<Record<string, unknown>>>(
        'SELECT * FROM stripe_objects WHERE id = $1',
        [id],
      );
      const r = res.rows[0];
      return r && objectRecordFromRow(r, (data) => data);
    });
  }

  getEvent(id: string): Promise<StoredEventState | undefined> {
    return this.#timed('get_event', async () => {
      const res = await this.#pool.query<EventStateRow<string>>(
        `SELECT e.id, e.type, e.payload, e.received_at, e.source, s.status, s.attempts, s.next_attempt_at, s.last_error
         FROM webhook_events e JOIN webhook_event_state s ON s.event_id = e.id WHERE e.id = $1`,
        [id],
      );
      const r = res.rows[0];
      return r && eventStateFromRow(r);
    });
  }

  knownIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length > KNOWN_IDS_MAX)
      return Promise.reject(new RangeError(`knownIds takes at most ${KNOWN_IDS_MAX} ids`));
    if (ids.length === 0) return Promise.resolve(new Set());
    return this.#timed('known_ids', async () => {
      const res = await this.#pool.query<{ id: string }>('SELECT id FROM webhook_events WHERE id = ANY($1::text[])', [
        [...ids],
      ]);
      return new Set(res.rows.map((r) => r.id));
    });
  }

  async ping(): Promise<void> {
    await this.#timed('ping', () => this.#pool.query('SELECT 1'));
  }

  connections(): { active: number; idle: number } {
    return { active: this.#pool.totalCount - this.#pool.idleCount, idle: this.#pool.idleCount };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    await this.#batcher.drain();
    await this.#pool.query(RELEASE, [this.lease.owner]).catch(ignore);
    await this.#pool.end();
  }
}
