/**
 * The processing queue: accepted events run through their handler on a pool of WORKERS concurrent
 * workers, with retries (exponential backoff with jitter) and a dead letter state after MAX_ATTEMPTS.
 *
 * The database is the queue's source of truth; memory holds at most QUEUE_BUFFER_SIZE events. Events that
 * do not fit (a burst), and everything pending at start-up (after a crash), are loaded from the database
 * by the sweep. An event's object updates commit atomically with its completion.
 *
 * With SQLite one process owns the database: the in-memory bookkeeping below keeps an event from running
 * twice, and a per-record lock serialises read-modify-writes. With PostgreSQL replicas share the database:
 * the store leases each event to one process (only the lease holder completes it; a completion the store
 * refuses was another replica's to make) and applies the handlers' changes under its own locks.
 */
import type { Tracer, Span } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { PROBE_SOURCE, trafficSource, type TrafficSource } from '@wmon/contract';
import type { Cache } from '../cache/index.js';
import { OBJECT_TTL_SECONDS } from '../cache/index.js';
import type { HandlerContext, HandlerRegistry, ObjectUpdate } from '../handlers/registry.js';
import type { MetricsHandle } from '../metrics.js';
import { DatabaseError, type ObjectChange, type ObjectRecord, type Store } from '../store/types.js';
import { parseEvent, type StripeEvent, type TypeLabeler } from '../webhook/event.js';

export interface Job {
  readonly id: string;
  readonly type: string;
  /** Parsed at acceptance and kept while the job is near the head of the queue; else parsed when run. */
  event?: StripeEvent;
  payload?: string;
  attempts: number;
  readonly receivedAt: number;
}

/** The `source` label of a job's metrics (a job loaded from the database has no parsed event yet: not live). */
function jobSource(job: Job): TrafficSource {
  return trafficSource({ id: job.id, type: job.type, livemode: job.event?.livemode });
}

export interface ProcessorOptions {
  readonly workers: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly bufferSize: number;
  /** How often to look for due events in the database (retries lost in a crash, overflow). */
  readonly sweepIntervalMs: number;
}

export interface ProcessorDeps {
  readonly store: Store;
  readonly cache: Cache;
  readonly registry: HandlerRegistry;
  readonly metrics: MetricsHandle;
  readonly log: Logger;
  readonly types: TypeLabeler;
  readonly tracer: Tracer | undefined;
  readonly onDatabaseError: (err: unknown) => void;
  /**
   * True when the cache is this process's own memory: then it is coherent with the database (this process
   * is the only writer, and updates it after each commit under the object's lock), so read-modify-write
   * may read through it. With Redis, read-modify-write reads the database.
   */
  readonly coherentCache: boolean;
}

/** Jobs this far from the head of the queue keep only their payload string (cheaper for the GC). */
const KEEP_PARSED = 512;

/** Serialises read-modify-write of one object id across workers. */
class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async acquire(key: string): Promise<() => void> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.#tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}

export function backoffMs(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (0.8 + 0.4 * random())); // ±20 % jitter
}

export class EventProcessor {
  readonly #ready: Job[] = [];
  #readyHead = 0;
  readonly #readyIds = new Set<string>();
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #delayed = new Map<string, NodeJS.Timeout>();
  /** Ids completed or rescheduled while a sweep query was running: its rows for them may be stale. */
  #settledDuringSweep: Set<string> | undefined;
  #overflow = true; // start-up: load whatever the last run left pending
  #sweeping = false;
  #sweepTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #pendingCount = 0;
  #deadCount = 0;
  readonly #locks = new KeyedLock();

  constructor(
    private readonly deps: ProcessorDeps,
    private readonly options: ProcessorOptions,
  ) {
    const m = deps.metrics.m;
    (m.queueSize as unknown as { collect?: () => void }).collect = () => {
      m.queueSize.set({ state: 'pending' }, Math.max(0, this.#pendingCount - this.#inflight.size));
      m.queueSize.set({ state: 'processing' }, this.#inflight.size);
      m.queueSize.set({ state: 'dead_letter' }, this.#deadCount);
    };
  }

  async start(): Promise<void> {
    const counts = await this.deps.store.counts();
    this.#pendingCount = counts.pending;
    this.#deadCount = counts.deadLetter;
    if (counts.pending > 0)
      this.deps.log.info({ pending: counts.pending }, 'resuming events left pending by the previous run');
    this.#sweepTimer = setInterval(() => {
      this.#overflow = true;
      this.#pump();
      void this.#refreshBacklog();
    }, this.options.sweepIntervalMs);
    this.#sweepTimer.unref();
    this.#pump();
  }

  /**
   * Replicas share the database: each one's own counting misses what its peers accept, complete and take
   * over, so the queue gauges are re-read from the database (the whole backlog, the same on every replica).
   */
  async #refreshBacklog(): Promise<void> {
    if (!this.deps.store.backlog || this.#stopping) return;
    try {
      const b = await this.deps.store.backlog();
      this.#pendingCount = b.pending;
      this.#deadCount = b.deadLetter;
    } catch (err) {
      this.deps.onDatabaseError(err);
    }
  }

  /** A newly accepted (committed) event. */
  enqueue(job: Job): void {
    this.#pendingCount++;
    if (this.#stopping || this.#known(job.id)) return;
    if (this.#overflow || this.#buffered() >= this.options.bufferSize) {
      // Leave it in the database; the sweep picks it up in order.
      this.#overflow = true;
    } else {
      if (job.event && job.payload !== undefined && this.#ready.length - this.#readyHead >= KEEP_PARSED)
        job.event = undefined;
      this.#push(job);
    }
    this.#pump();
  }

  #push(job: Job): void {
    this.#ready.push(job);
    this.#readyIds.add(job.id);
  }

  stats(): { pending: number; processing: number; deadLetter: number; buffered: number } {
    return {
      pending: Math.max(0, this.#pendingCount - this.#inflight.size),
      processing: this.#inflight.size,
      deadLetter: this.#deadCount,
      buffered: this.#buffered(),
    };
  }

  /** Resolve when nothing is pending, in flight or waiting for a retry (tests and benchmarks). */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#pendingCount === 0 && this.#inflight.size === 0) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** Stop taking jobs; wait for the ones running (up to timeoutMs). Pending events stay in the database. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    for (const t of this.#delayed.values()) clearTimeout(t);
    this.#delayed.clear();
    this.#ready.length = 0;
    this.#readyHead = 0;
    this.#readyIds.clear();
    const running = Promise.allSettled([...this.#inflight.values()]);
    await Promise.race([running, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  #buffered(): number {
    return this.#ready.length - this.#readyHead + this.#delayed.size + this.#inflight.size;
  }

  #known(id: string): boolean {
    return this.#inflight.has(id) || this.#delayed.has(id) || this.#readyIds.has(id);
  }

  #pump(): void {
    if (this.#stopping) return;
    while (this.#inflight.size < this.options.workers && this.#readyHead < this.#ready.length) {
      const job = this.#ready[this.#readyHead]!;
      this.#ready[this.#readyHead++] = undefined as unknown as Job;
      this.#readyIds.delete(job.id);
      if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead);
        this.#readyHead = 0;
      }
      const run = this.#run(job).finally(() => {
        this.#inflight.delete(job.id);
        this.#pump();
      });
      this.#inflight.set(job.id, run);
    }
    if (this.#overflow && !this.#sweeping && this.#readyHead >= this.#ready.length) void this.#sweep();
  }

  async #sweep(): Promise<void> {
    this.#sweeping = true;
    this.#settledDuringSweep = new Set();
    const free = Math.max(0, this.options.bufferSize - this.#buffered());
    const limit = free + this.#inflight.size;
    try {
      if (free === 0) return;
      const rows = await this.deps.store.loadPending(Date.now(), limit);
      const settled = this.#settledDuringSweep;
      let added = 0;
      for (const r of rows) {
        if (this.#stopping || this.#known(r.id) || settled.has(r.id)) continue;
        this.#push({ id: r.id, type: r.type, payload: r.payload, attempts: r.attempts, receivedAt: r.receivedAt });
        added++;
      }
      if (rows.length < limit) this.#overflow = false; // caught up with the database
      if (added > 0) this.deps.log.debug({ added }, 'loaded pending events from the database');
    } catch (err) {
      this.deps.onDatabaseError(err);
    } finally {
      this.#settledDuringSweep = undefined;
      this.#sweeping = false;
    }
    this.#pump();
  }

  async #run(job: Job): Promise<void> {
    const { m } = this.deps.metrics;
    const started = performance.now();
    const source = jobSource(job);
    let typeLabel = this.deps.types.label(job.type);
    const span: Span | undefined = this.deps.tracer?.startSpan(`process ${job.type}`, {
      attributes: { 'stripe.event.id': job.id, 'stripe.event.type': job.type, 'webhook.attempt': job.attempts + 1 },
    });
    const releases: (() => void)[] = [];
    const upserts = new Map<string, ObjectRecord>();
    const changes: ObjectChange[] = [];
    try {
      let event = job.event;
      if (!event) {
        const parsed = parseEvent(job.payload ?? '');
        if (!parsed.ok) throw new PermanentError(`stored payload is not an event: ${parsed.message}`);
        event = parsed.event;
        job.event = event;
        job.payload = undefined;
      }
      typeLabel = this.deps.types.label(event.type);
      const handler = this.deps.registry.resolve(event.type);
      if (handler) await handler(event, this.#context(job, releases, upserts, changes));
      const at = Date.now();
      const result = await this.deps.store.write({
        kind: 'complete',
        id: job.id,
        at,
        upserts: [...upserts.values()],
        ...(changes.length > 0 ? { changes } : {}),
      });
      this.#settled(job.id);
      this.#pendingCount--;
      if (result === false) {
        // Another replica completed it, or took it over when this process's lease ran out: its outcome, not ours.
        this.deps.log.debug({ eventId: job.id }, 'event completed by another replica');
        span?.setStatus({ code: SpanStatusCode.OK });
        return;
      }
      const records = result !== null && typeof result === 'object' ? result.records : [...upserts.values()];
      for (const r of records) await this.deps.cache.set('objects', r.id, JSON.stringify(r), OBJECT_TTL_SECONDS);
      m.eventsProcessed.inc({ outcome: 'success', source });
      span?.setStatus({ code: SpanStatusCode.OK });
    } catch (err) {
      span?.recordException(err as Error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      await this.#failed(job, err);
    } finally {
      for (const r of releases) r();
      m.eventProcessingDuration.observe({ type: typeLabel, source }, (performance.now() - started) / 1000);
      span?.end();
    }
  }

  #context(
    job: Job,
    releases: (() => void)[],
    upserts: Map<string, ObjectRecord>,
    changes: ObjectChange[],
  ): HandlerContext {
    const { store, cache } = this.deps;
    const parentLog = this.deps.log;
    let log: Logger | undefined;
    const readThrough = async (id: string): Promise<ObjectRecord | undefined> => {
      const cached = await cache.get('objects', id);
      if (cached !== undefined) return JSON.parse(cached) as ObjectRecord;
      const record = await store.getObject(id);
      if (record) await cache.set('objects', id, JSON.stringify(record), OBJECT_TTL_SECONDS);
      return record;
    };
    return {
      // Made when a handler first logs: a child logger per event costs more than most handlers do.
      get log() {
        return (log ??= parentLog.child({ eventId: job.id, eventType: job.type }));
      },
      get: async (id) => {
        if (!store.appliesChanges) return upserts.get(id) ?? readThrough(id);
        // What this event's own changes would make of the record (the store applies them again under its lock).
        let record = await readThrough(id);
        for (const ch of changes) {
          const next = ch.id === id ? ch.apply(record) : undefined;
          if (next) record = { ...next, id, updatedAt: Date.now() };
        }
        return record;
      },
      update: async (id, fn: (current: ObjectRecord | undefined) => ObjectUpdate | undefined) => {
        // Shared database: the store reads, changes and writes the record in the completing transaction.
        if (store.appliesChanges) return void changes.push({ id, apply: fn });
        if (!upserts.has(id)) releases.push(await this.#locks.acquire(id));
        // Under the lock: through a coherent cache, else from the database (the source of truth).
        const current =
          upserts.get(id) ?? (this.deps.coherentCache ? await readThrough(id) : await store.getObject(id));
        const next = fn(current);
        if (next) upserts.set(id, { ...next, id, updatedAt: Date.now() });
      },
    };
  }

  async #failed(job: Job, err: unknown): Promise<void> {
    const { m } = this.deps.metrics;
    const source = jobSource(job);
    const attempts = job.attempts + 1;
    // The database refusing this event's own writes (tried alone) is as permanent as a bad payload.
    const permanent = err instanceof PermanentError || (err instanceof DatabaseError && err.permanent);
    const dead = permanent || attempts >= this.options.maxAttempts;
    // NUL is the one character PostgreSQL text refuses; a handler's message must not make the record fail.
    const message = (err instanceof Error ? err.message : String(err)).replaceAll('\0', '\uFFFD');
    const delay = backoffMs(attempts, this.options.retryBaseMs, this.options.retryMaxMs);
    const at = Date.now();
    try {
      await this.deps.store.write({
        kind: 'fail',
        id: job.id,
        attempts,
        nextAttemptAt: at + delay,
        deadLetter: dead,
        error: message,
        at,
      });
    } catch (dbErr) {
      // The attempt could not be recorded (database down): retry in memory; the row is still pending.
      this.deps.onDatabaseError(dbErr);
      job.attempts = attempts;
      if (!dead) this.#schedule(job, delay);
      else this.#schedule(job, this.options.retryMaxMs);
      m.eventsProcessed.inc({ outcome: 'failure', source });
      return;
    }
    job.attempts = attempts;
    this.#settled(job.id);
    if (dead) {
      this.#pendingCount--;
      this.#deadCount++;
      m.eventsProcessed.inc({ outcome: 'dead_letter', source });
      // A failed probe is the probe's finding (wmon check --probe reports it), not an error of the traffic.
      if (source !== PROBE_SOURCE) m.errorsTotal.inc({ type: 'processing' });
      this.deps.log.error(
        { eventId: job.id, eventType: job.type, attempts, err: message },
        'event moved to the dead letter state',
      );
    } else {
      m.eventsProcessed.inc({ outcome: 'failure', source });
      if (source !== PROBE_SOURCE) m.errorsTotal.inc({ type: 'processing' });
      this.deps.log.warn(
        { eventId: job.id, eventType: job.type, attempts, retryInMs: delay, err: message },
        'event processing failed; will retry',
      );
      this.#schedule(job, delay);
    }
  }

  #schedule(job: Job, delayMs: number): void {
    if (this.#stopping) return;
    const timer = setTimeout(() => {
      this.#delayed.delete(job.id);
      this.#push(job);
      this.#pump();
    }, delayMs);
    timer.unref();
    this.#delayed.set(job.id, timer);
  }

  #settled(id: string): void {
    this.#settledDuringSweep?.add(id);
  }
}

/** A failure no retry can fix (e.g. a stored payload that does not parse): dead-lettered at once. */
export class PermanentError extends Error {}
