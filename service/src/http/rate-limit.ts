/**
 * Token-bucket rate limiting, per client address and global. Rates are requests per second; a bucket
 * holds one second's worth (the burst). 0 switches a limit off.
 */

class Bucket {
  tokens: number;
  last: number;
  constructor(
    readonly rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.last = now;
  }

  /** Take a token: 0 when allowed, else the seconds until one is available. */
  take(now: number): number {
    const elapsed = (now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.rate, this.tokens + elapsed * this.rate);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.rate;
  }

  full(now: number): boolean {
    return this.tokens + ((now - this.last) / 1000) * this.rate >= this.rate;
  }
}

export type RateDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly scope: 'client' | 'global'; readonly retryAfterSeconds: number };

const ALLOWED: RateDecision = { ok: true };
/** Buckets kept for this many clients before idle (full) ones are dropped. */
const MAX_CLIENTS = 10_000;

export class RateLimiter {
  readonly #clients = new Map<string, Bucket>();
  readonly #global: Bucket | undefined;

  constructor(
    private readonly perClient: number,
    globalRate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#global = globalRate > 0 ? new Bucket(globalRate, now()) : undefined;
  }

  get enabled(): boolean {
    return this.perClient > 0 || this.#global !== undefined;
  }

  check(client: string): RateDecision {
    const now = this.now();
    if (this.perClient > 0) {
      let b = this.#clients.get(client);
      if (!b) {
        if (this.#clients.size >= MAX_CLIENTS) this.#prune(now);
        b = new Bucket(this.perClient, now);
        this.#clients.set(client, b);
      }
      const wait = b.take(now);
      if (wait > 0) return { ok: false, scope: 'client', retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
    }
    if (this.#global) {
      const wait = this.#global.take(now);
      if (wait > 0) return { ok: false, scope: 'global', retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
    }
    return ALLOWED;
  }

  #prune(now: number): void {
    for (const [k, b] of this.#clients) if (b.full(now)) this.#clients.delete(k);
    // Still full of active clients: forget the oldest half rather than grow without bound.
    if (this.#clients.size >= MAX_CLIENTS) {
      let n = this.#clients.size / 2;
      for (const k of this.#clients.keys()) {
        if (n-- <= 0) break;
        this.#clients.delete(k);
      }
    }
  }
}
