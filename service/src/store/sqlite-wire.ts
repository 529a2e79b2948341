/**
 * What crosses between the SQLite store (main thread) and its worker thread. Kept apart from the engine
 * so the main thread never loads the native module.
 */
import type { EventState, WriteOp, WriteResult } from './types.js';

/**
 * A batch of writes as it crosses to the worker thread: one flat array of scalars and one buffer holding
 * every payload, moved (not copied). Cloning objects and multi-KB strings between threads cost several
 * times more (measured: ~19 µs per insert as objects, ~4 µs like this).
 *   insert:   'i', id, type, created, livemode (0/1), receivedAt, payload offset, payload length, source
 *   complete: 'c', id, at, n, then n × (id, objectType, customerId, status, data JSON, eventCreated, updatedAt)
 *   fail:     'f', id, attempts, nextAttemptAt, deadLetter (0/1), error, at
 */
export interface WireBatch {
  readonly meta: (string | number | null)[];
  readonly payloads: Uint8Array;
}

export function encodeBatch(ops: readonly WriteOp[]): WireBatch {
  let size = 0;
  const bytes: (Uint8Array | undefined)[] = ops.map((op) => {
    if (op.kind !== 'insert') return undefined;
    const b = op.event.raw ?? Buffer.from(op.event.payload);
    size += b.length;
    return b;
  });
  const payloads = new Uint8Array(size);
  const meta: (string | number | null)[] = [];
  let offset = 0;
  ops.forEach((op, i) => {
    if (op.kind === 'insert') {
      const b = bytes[i]!;
      payloads.set(b, offset);
      const e = op.event;
      meta.push(
        'i',
        e.id,
        e.type,
        e.created,
        e.livemode ? 1 : 0,
        e.receivedAt,
        offset,
        b.length,
        e.source ?? 'webhook',
      );
      offset += b.length;
    } else if (op.kind === 'complete') {
      meta.push('c', op.id, op.at, op.upserts.length);
      for (const o of op.upserts)
        meta.push(o.id, o.objectType, o.customerId, o.status, JSON.stringify(o.data), o.eventCreated, o.updatedAt);
    } else {
      meta.push('f', op.id, op.attempts, op.nextAttemptAt, op.deadLetter ? 1 : 0, op.error.slice(0, 2000), op.at);
    }
  });
  return { meta, payloads };
}

/** Per operation: its result, or why SQLite refused it alone (the others of the batch committed). */
/** SQLite's result of one write: an insert's boolean, else null (a completion is always this process's). */
export type SqliteWriteResult = Extract<WriteResult, boolean | null>;
export type WireWriteResult =
  SqliteWriteResult | { readonly error: { readonly message: string; readonly code?: string } };

/** Payloads come back as bytes too; the client decodes them. */
export interface WirePendingEvent {
  readonly id: string;
  readonly type: string;
  readonly payload: Uint8Array | string;
  readonly attempts: number;
  readonly receivedAt: number;
}
export type WireEventState = EventState<Uint8Array | string>;
