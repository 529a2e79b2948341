/**
 * Rate limiting, per client address and global. Rates are requests per second; 0 switches a limit off.
 * In one process: token buckets holding one second's worth (the burst). With Redis (REDIS_URL), the limits
 * are shared by every replica: rate-limiter-flexible's counters in Redis, one-second windows, with a
 * per-process limiter standing in while Redis does not answer (a Redis outage never refuses webhooks).
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

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

/** What the webhook route asks before reading a body. */
export interface RequestLimiter {
  readonly enabled: boolean;
  check(client: string): RateDecision | Promise<RateDecision>;
}
/** Buckets kept for this many clients before idle (full) ones are dropped. */
const MAX_CLIENTS = 10_000;

export class RateLimiter implements RequestLimiter {
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

/** Limits shared by every replica through Redis (keys `<REDIS_KEY_PREFIX>ratelimit:client:<address>`, `…:global:all`). */
export class SharedRateLimiter implements RequestLimiter {
  readonly #client: RateLimiterAbstract | undefined;
  readonly #global: RateLimiterAbstract | undefined;

  constructor(redis: Redis, perClient: number, globalRate: number) {
    const limiter = (points: number, scope: string) =>
      points > 0
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `ratelimit:${scope}`,
            points,
            duration: 1,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory({ points, duration: 1 }),
          })
        : undefined;
    this.#client = limiter(perClient, 'client');
    this.#global = limiter(globalRate, 'global');
  }

  get enabled(): boolean {
    return this.#client !== undefined || this.#global !== undefined;
  }

  async check(client: string): Promise<RateDecision> {
    // Both counted in one round trip (ioredis pipelines commands sent in the same tick).
    const [c, g] = await Promise.all([consume(this.#client, client), consume(this.#global, 'all')]);
    if (c !== undefined) return { ok: false, scope: 'client', retryAfterSeconds: c };
    if (g !== undefined) return { ok: false, scope: 'global', retryAfterSeconds: g };
    return ALLOWED;
  }
}

/** Take a point: undefined when allowed, else the whole seconds to wait. */
async function consume(limiter: RateLimiterAbstract | undefined, key: string): Promise<number | undefined> {
  if (!limiter) return undefined;
  try {
    await limiter.consume(key);
    return undefined;
  } catch (res) {
    // A refusal is a RateLimiterRes; anything else (both Redis and the stand-in failed) lets the request in.
    return res instanceof RateLimiterRes ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : undefined;
  }
}
