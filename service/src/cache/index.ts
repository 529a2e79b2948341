import type { CacheName, ErrorType } from '@wmon/contract';
import type { MetricsHandle } from '../metrics.js';
import { MemoryCache } from './memory.js';
import { RedisCache } from './redis.js';
import type { CacheBackend } from './types.js';

/** How long cached values live. Stripe retries a delivery for up to three days. */
export const EVENT_ID_TTL_SECONDS = 3 * 24 * 3600;
export const OBJECT_TTL_SECONDS = 3600;

/**
 * The cache as the service uses it: hit/miss counters, operation timings, and errors turned into misses
 * (a cache outage must not fail a webhook), counted in webhook_errors_total{type="cache"}.
 */
export class Cache {
  constructor(
    readonly backend: CacheBackend,
    private readonly metrics: MetricsHandle,
    private readonly onError: (type: ErrorType, op: string, err: unknown) => void,
  ) {}

  get kind(): 'memory' | 'redis' {
    return this.backend.kind;
  }

  async get(name: CacheName, key: string): Promise<string | undefined> {
    const m = this.metrics.m;
    const end = m.cacheOperationDuration.startTimer({ operation: 'get' });
    try {
      const v = await this.backend.get(name, key);
      if (v === undefined) m.cacheMisses.inc({ cache: name });
      else m.cacheHits.inc({ cache: name });
      return v;
    } catch (err) {
      m.cacheMisses.inc({ cache: name });
      this.onError('cache', 'get', err);
      return undefined;
    } finally {
      end();
    }
  }

  async set(name: CacheName, key: string, value: string, ttlSeconds: number): Promise<void> {
    const end = this.metrics.m.cacheOperationDuration.startTimer({ operation: 'set' });
    try {
      await this.backend.set(name, key, value, ttlSeconds);
    } catch (err) {
      this.onError('cache', 'set', err);
    } finally {
      end();
    }
  }

  /** Throws when the cache does not answer. */
  async ping(): Promise<void> {
    const end = this.metrics.m.cacheOperationDuration.startTimer({ operation: 'ping' });
    try {
      await this.backend.ping();
    } finally {
      end();
    }
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

export function createCacheBackend(
  redis: { url: string; keyPrefix: string } | undefined,
  maxEntries: number,
  onConnectionError: (err: Error) => void,
): CacheBackend {
  return redis ? new RedisCache(redis.url, redis.keyPrefix, onConnectionError) : new MemoryCache(maxEntries);
}
