/**
 * Durable storage of accepted events, their processing state, and the objects handlers keep.
 * Two implementations with the same behaviour: SQLite (default) and PostgreSQL.
 *
 * Writes go through one group-commit batch: accepting an event, completing it (with the handlers' object
 * upserts, atomically) and recording a failed attempt are all `WriteOp`s.
 */
import type { EventSource, StoreOperation } from '@wmon/contract';

export interface NewEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  /** Milliseconds since the epoch. */
  readonly receivedAt: number;
  /** The verified body, decoded. */
  readonly payload: string;
  /** The same body as received (bytes), when at hand: the SQLite store ships these to its thread. */
  readonly raw?: Uint8Array;
  /** How it arrived: a webhook delivery (the default) or a reconcile with Stripe's API. */
  readonly source?: EventSource;
}

export interface ObjectRecord {
  readonly id: string;
  readonly objectType: string;
  readonly customerId: string | null;
  readonly status: string | null;
  readonly data: Record<string, unknown>;
  /** The `created` time of the newest event that wrote this record (seconds). */
  readonly eventCreated: number;
  readonly updatedAt: number;
}

/** A stripe_objects row as both stores select it; `D` is how `data` arrives (JSON text from SQLite, jsonb from PostgreSQL). */
export interface ObjectRow<D> {
  readonly id: string;
  readonly object_type: string;
  readonly customer_id: string | null;
  readonly status: string | null;
  readonly data: D;
  readonly event_created: number;
  readonly updated_at: number;
}

export function objectRecordFromRow<D>(r: ObjectRow<D>, data: (d: D) => Record<string, unknown>): ObjectRecord {
  return {
    id: r.id,
    objectType: r.object_type,
    customerId: r.customer_id,
    status: r.status,
    data: data(r.data),
    eventCreated: r.event_created,
    updatedAt: r.updated_at,
  };
}

/** What a handler made of an object record: the record without its id and update time. */
export type ObjectUpdateOf = Omit<ObjectRecord, 'id' | 'updatedAt'>;

/**
 * A read-modify-write of one object record that the store applies inside the completing transaction, to the
 * record as the database holds it under a lock (PostgreSQL, where replicas share the records).
 */
export interface ObjectChange {
  readonly id: string;
  /** Pure: the new record from the current one (undefined when none), or undefined to leave it as it is. */
  readonly apply: (current: ObjectRecord | undefined) => ObjectUpdateOf | undefined;
}

export type WriteOp =
  | { readonly kind: 'insert'; readonly event: NewEvent }
  | {
      readonly kind: 'complete';
      readonly id: string;
      readonly at: number;
      /** Records computed by the caller (SQLite: one process, which serialises them itself). */
      readonly upserts: readonly ObjectRecord[];
      /** Changes the store applies under its locks, after `upserts` (stores with `appliesChanges` only). */
      readonly changes?: readonly ObjectChange[];
    }
  | {
      readonly kind: 'fail';
      readonly id: string;
      readonly attempts: number;
      readonly nextAttemptAt: number;
      readonly deadLetter: boolean;
      readonly error: string;
      readonly at: number;
    };

/**
 * For `insert`: true when the event is new, false when its id was already stored. For `complete` on a store
 * with `appliesChanges`: false when the event was not this process's to complete (another replica completed it,
 * or took it over when its lease ran out), else the records its changes wrote. Otherwise null.
 */
export type WriteResult = boolean | null | { readonly records: readonly ObjectRecord[] };

export type EventStatus = 'pending' | 'processed' | 'dead_letter';

export interface PendingEvent {
  readonly id: string;
  readonly type: string;
  readonly payload: string;
  readonly attempts: number;
  readonly receivedAt: number;
}

/** An event and its processing state. `P` is how the payload arrives: text, or bytes from SQLite's thread. */
export interface EventState<P> {
  readonly id: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly receivedAt: number;
  readonly payload: P;
  readonly source: EventSource;
}
export type StoredEventState = EventState<string>;

/** The row both stores select for one event (webhook_events joined with webhook_event_state). */
export interface EventStateRow<P> {
  readonly id: string;
  readonly type: string;
  readonly payload: P;
  readonly received_at: number;
  readonly status: EventStatus;
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly last_error: string | null;
  readonly source: EventSource;
}

export function eventStateFromRow<P>(r: EventStateRow<P>): EventState<P> {
  return {
    id: r.id,
    type: r.type,
    payload: r.payload,
    receivedAt: r.received_at,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    source: r.source,
  };
}

export interface StoreCounts {
  readonly pending: number;
  readonly processed: number;
  readonly deadLetter: number;
}

/** Names of store operations, the `operation` label of webhook_db_query_duration_seconds. */
export type { StoreOperation };

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * True when several processes share the database (PostgreSQL): events are leased to one process at a time,
   * and a completion's `changes` are applied under the database's locks. False: one process owns the
   * database (SQLite, held by a lock for the process's lifetime) and serialises its own updates.
   */
  readonly appliesChanges: boolean;
  /** Create the schema if needed. */
  init(): Promise<void>;
  /** One write, group-committed with others submitted at the same time. */
  write(op: WriteOp): Promise<WriteResult>;
  /**
   * Pending events due at `now` (ms), oldest first (by due time; a new event is due when received). A store
   * with `appliesChanges` returns only events leased to this process or whose lease ran out, and leases them.
   */
  loadPending(now: number, limit: number): Promise<PendingEvent[]>;
  counts(): Promise<StoreCounts>;
  /**
   * Pending and dead-lettered events in the whole database, cheaply (partial indexes): what a replica reports
   * as the queue, since its own bookkeeping sees only its share. Stores with `appliesChanges` only.
   */
  backlog?(): Promise<Omit<StoreCounts, 'processed'>>;
  getObject(id: string): Promise<ObjectRecord | undefined>;
  getEvent(id: string): Promise<StoredEventState | undefined>;
  /** Which of these event ids are stored (at most 1000 at a time). */
  knownIds(ids: readonly string[]): Promise<Set<string>>;
  /** Resolve when the database answers a trivial query. */
  ping(): Promise<void>;
  connections(): { active: number; idle: number };
  /** Wait for submitted writes, then close. */
  close(): Promise<void>;
}

/** The most ids one knownIds call takes. */
export const KNOWN_IDS_MAX = 1000;

export type OperationTimer = (operation: StoreOperation, seconds: number) => void;

/**
 * A database failure. Usually passing (unreachable, timed out, disk): the caller answers 503 or retries.
 * `permanent` when the database refused this one operation's values (tried alone, so it is not the
 * neighbours' fault): retrying can never store it.
 */
/** A second process opened a database that one process owns (SQLite). */
export class DatabaseInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseInUseError';
  }
}

export class DatabaseError extends Error {
  readonly code: string | undefined;
  readonly permanent: boolean;
  constructor(message: string, code?: string, permanent = false) {
    super(message);
    this.name = 'DatabaseError';
    this.code = code;
    this.permanent = permanent;
  }
}
