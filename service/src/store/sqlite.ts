/**
 * SQLite store: a client for the worker thread that owns the database (sqlite-worker.ts).
 * Writes are group-committed: one transaction per batch, one batch in flight at a time.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Batcher, ItemFailure } from './batcher.js';
import { dispatch, SqliteEngine, type SqliteRequest } from './sqlite-engine.js';
import { lockSqliteDatabase, type SqliteLock } from './sqlite-lock.js';
import { encodeBatch, type WireEventState, type WirePendingEvent, type WireWriteResult } from './sqlite-wire.js';
import type { SqliteResponse } from './sqlite-worker.js';
import {
  DatabaseError,
  KNOWN_IDS_MAX,
  type ObjectRecord,
  type OperationTimer,
  type PendingEvent,
  type Store,
  type StoreCounts,
  type StoredEventState,
  type StoreOperation,
  type WriteOp,
  type WriteResult,
} from './types.js';

type Op = SqliteRequest['op'];
type ArgsOf<O extends Op> = Extract<SqliteRequest, { op: O }>['args'];

/**
 * Start the worker: the compiled sqlite-worker.js next to this file, or, when running from the .ts sources
 * (tests, tsx), a small bootstrap that registers tsx in the worker before importing sqlite-worker.ts.
 */
function startWorker(workerData: unknown): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./sqlite-worker.js', self), { workerData });
  const require = createRequire(self);
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./sqlite-worker.ts', self).href;
  const bootstrap = `(async () => { (await import(${JSON.stringify(tsxApi)})).register(); await import(${JSON.stringify(entry)}); })().catch((e) => { throw e; });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

const text = (payload: Uint8Array | string): string =>
  typeof payload === 'string'
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly appliesChanges = false;
  #lock: SqliteLock | undefined;
  #worker: Worker | undefined;
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #busy = 0;
  #closed = false;
  readonly #batcher: Batcher<WriteOp, WriteResult>;
  readonly #reads: Batcher<string, ObjectRecord | undefined>;

  #engine: SqliteEngine | undefined;

  constructor(
    private readonly path: string,
    private readonly synchronous: 'FULL' | 'NORMAL',
    private readonly timer: OperationTimer = () => {},
    /** Where the connection lives: its own thread (commits never block the event loop), or this one. */
    private readonly thread: 'worker' | 'main' = 'worker',
    maxBatch = 1000,
  ) {
    this.#batcher = new Batcher((ops) => this.#writeBatch(ops), { maxBatch, maxInFlight: 1, lingerMs: 2 });
    this.#reads = new Batcher(
      (ids) => this.#call('getObjects', 'get_object', ids) as Promise<(ObjectRecord | undefined)[]>,
      { maxBatch: 500, maxInFlight: 1 },
    );
  }

  init(): Promise<void> {
    try {
      // Before the database is opened: a second process refuses here, having touched nothing.
      this.#lock ??= lockSqliteDatabase(this.path);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.thread === 'main') {
      try {
        this.#engine = new SqliteEngine(this.path, this.synchronous);
        return Promise.resolve();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return Promise.reject(new DatabaseError(`cannot open SQLite database ${this.path}: ${e.message}`, e.code));
      }
    }
    const worker = startWorker({ path: this.path, synchronous: this.synchronous });
    this.#worker = worker;
    return new Promise<void>((resolve, reject) => {
      const onFirst = (msg: SqliteResponse) => {
        if (msg.id !== 0) return;
        worker.off('message', onFirst);
        if (msg.ok) resolve();
        else
          reject(new DatabaseError(`cannot open SQLite database ${this.path}: ${msg.error.message}`, msg.error.code));
      };
      worker.on('message', onFirst);
      worker.on('message', (msg: SqliteResponse) => {
        if (msg.id === 0) return;
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new DatabaseError(msg.error.message, msg.error.code));
      });
      worker.on('error', (err) => {
        reject(err);
        this.#failAll(err);
      });
      worker.on('exit', (code) => {
        this.#worker = undefined;
        this.#failAll(new DatabaseError(`SQLite worker exited (code ${code})`));
      });
    });
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  async #writeBatch(ops: WriteOp[]): Promise<(WriteResult | ItemFailure)[]> {
    const batch = encodeBatch(ops);
    const results = (await this.#call('write', 'write_batch', batch, [
      batch.payloads.buffer as ArrayBuffer,
    ])) as WireWriteResult[];
    return results.map((r) =>
      r !== null && typeof r === 'object' ? new ItemFailure(new DatabaseError(r.error.message, r.error.code, true)) : r,
    );
  }

  #call<O extends Op>(
    op: O,
    label: StoreOperation,
    ...args: [...ArgsOf<O>, ...([] | [transfer: ArrayBuffer[]])]
  ): Promise<never> {
    if (this.#engine) return this.#callHere(op, label, (op === 'write' ? [args[0]] : args) as ArgsOf<O>);
    const worker = this.#worker;
    if (!worker) return Promise.reject(new DatabaseError('the SQLite database is closed'));
    const id = this.#nextId++;
    const started = performance.now();
    this.#busy++;
    const transfer = op === 'write' ? (args[1] as ArrayBuffer[] | undefined) : undefined;
    const callArgs = op === 'write' ? [args[0]] : args;
    return new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args: callArgs } as SqliteRequest, transfer ?? []);
    }).finally(() => {
      this.#busy--;
      this.timer(label, (performance.now() - started) / 1000);
    }) as Promise<never>;
  }

  #callHere<O extends Op>(op: O, label: StoreOperation, args: ArgsOf<O>): Promise<never> {
    const started = performance.now();
    try {
      return Promise.resolve(dispatch(this.#engine!, { op, args } as SqliteRequest)) as Promise<never>;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return Promise.reject(new DatabaseError(e.message, e.code));
    } finally {
      if (op === 'close') this.#engine = undefined;
      this.timer(label, (performance.now() - started) / 1000);
    }
  }

  write(op: WriteOp): Promise<WriteResult> {
    if (this.#closed) return Promise.reject(new DatabaseError('the store is closed'));
    return this.#batcher.submit(op);
  }

  async loadPending(now: number, limit: number): Promise<PendingEvent[]> {
    const rows = (await this.#call('loadPending', 'load_pending', now, limit)) as WirePendingEvent[];
    return rows.map((r) => ({ ...r, payload: text(r.payload) }));
  }

  counts(): Promise<StoreCounts> {
    return this.#call('counts', 'count');
  }

  /**
   * Through the connection's own thread, like every other call. (A read-only connection on the main thread
   * was tried: each commit empties its page cache, so under load every read went back to the file and cost
   * the event loop more than the round trip does; measured 18–29 % fewer requests/s.) The reads asked for
   * while one is on its way go together in the next message: a message to the thread and back costs the
   * event loop more than reading a row does (the profile in service/README.md).
   */
  getObject(id: string): Promise<ObjectRecord | undefined> {
    return this.#reads.submit(id);
  }

  async getEvent(id: string): Promise<StoredEventState | undefined> {
    const r = (await this.#call('getEvent', 'get_event', id)) as WireEventState | undefined;
    return r && { ...r, payload: text(r.payload) };
  }

  async knownIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length > KNOWN_IDS_MAX) throw new RangeError(`knownIds takes at most ${KNOWN_IDS_MAX} ids`);
    if (ids.length === 0) return new Set();
    return new Set((await this.#call('knownIds', 'known_ids', [...ids])) as string[]);
  }

  async ping(): Promise<void> {
    await this.#call('ping', 'ping');
  }

  connections(): { active: number; idle: number } {
    if (this.#engine) return { active: 0, idle: 1 };
    if (!this.#worker) return { active: 0, idle: 0 };
    return this.#busy > 0 ? { active: 1, idle: 0 } : { active: 0, idle: 1 };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#batcher.drain();
    try {
      if (this.#engine) {
        await this.#call('close', 'ping');
        return;
      }
      const worker = this.#worker;
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await this.#call('close', 'ping').catch(() => {});
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
      if (this.#worker) await worker.terminate();
    } finally {
      this.#lock?.release();
      this.#lock = undefined;
    }
  }
}
