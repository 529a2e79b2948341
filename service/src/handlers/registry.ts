/**
 * Per-type event handlers. A handler is registered for an exact type (`charge.refunded`), a family
 * (`charge.*`), or everything (`*`); the most specific registration wins.
 */
import type { Logger } from 'pino';
import type { ObjectRecord } from '../store/types.js';
import type { StripeEvent } from '../webhook/event.js';

/** What a handler may change on an object record (the rest is filled in by the processor). */
export interface ObjectUpdate {
  readonly objectType: string;
  readonly customerId: string | null;
  readonly status: string | null;
  readonly data: Record<string, unknown>;
  /** Newest event time (seconds) reflected in this record. */
  readonly eventCreated: number;
}

export interface HandlerContext {
  readonly log: Logger;
  /** Read an object record: the cache first, then the database. */
  get(id: string): Promise<ObjectRecord | undefined>;
  /**
   * Read-modify-write an object record. Updates to one id are serialised across workers, and all of an
   * event's updates are committed together with the event's completion (so a retry never applies them
   * twice). Return undefined to leave the record as it is.
   */
  update(id: string, fn: (current: ObjectRecord | undefined) => ObjectUpdate | undefined): Promise<void>;
}

export type EventHandler = (event: StripeEvent, ctx: HandlerContext) => Promise<void>;

export class HandlerRegistry {
  readonly #exact = new Map<string, EventHandler>();
  readonly #prefix = new Map<string, EventHandler>();
  #fallback: EventHandler | undefined;

  /** `pattern`: an event type, `family.*`, or `*`. A later registration for the same pattern replaces it. */
  register(pattern: string, handler: EventHandler): this {
    if (pattern === '*') this.#fallback = handler;
    else if (pattern.endsWith('.*')) this.#prefix.set(pattern.slice(0, -1), handler);
    else this.#exact.set(pattern, handler);
    return this;
  }

  resolve(type: string): EventHandler | undefined {
    const exact = this.#exact.get(type);
    if (exact) return exact;
    let best: [string, EventHandler] | undefined;
    for (const entry of this.#prefix) {
      if (type.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
    }
    return best?.[1] ?? this.#fallback;
  }

  patterns(): string[] {
    return [...this.#exact.keys(), ...[...this.#prefix.keys()].map((p) => `${p}*`), ...(this.#fallback ? ['*'] : [])];
  }
}
