import { Redis } from 'ioredis';
import type { CacheName } from '@wmon/contract';
import { CacheError, type CacheBackend } from './types.js';

/**
 * Redis cache. Commands fail fast while Redis is unreachable (no offline queue, one try, short timeout),
 * so a Redis outage degrades to cache misses instead of stalling requests; ioredis reconnects by itself.
 */
export class RedisCache implements CacheBackend {
  readonly kind = 'redis' as const;
  readonly #redis: Redis;

  constructor(url: string, keyPrefix: string, onError: (err: Error) => void = () => {}) {
    this.#redis = new Redis(url, {
      keyPrefix,
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      commandTimeout: 1000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    // Without a listener ioredis prints every connection error; the health monitor reports them instead.
    this.#redis.on('error', onError);
  }

  /** The connection, for the rate limits shared through Redis (its commands take the key prefix too). */
  get client(): Redis {
    return this.#redis;
  }

  async connect(): Promise<void> {
    try {
      await this.#redis.connect();
    } catch (err) {
      // Keep going: the service works without its cache, reconnects in the background, and /readyz says so.
      throw new CacheError(`cannot connect to Redis: ${(err as Error).message}`);
    }
  }

  async get(name: CacheName, key: string): Promise<string | undefined> {
    const v = await this.#run(() => this.#redis.get(`${name}:${key}`));
    return v ?? undefined;
  }

  async set(name: CacheName, key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#run(() => this.#redis.set(`${name}:${key}`, value, 'EX', ttlSeconds));
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#redis.ping());
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new CacheError((err as Error).message);
    }
  }

  async close(): Promise<void> {
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}
