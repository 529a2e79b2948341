import { LRUCache } from 'lru-cache';
import type { CacheName } from '@wmon/contract';
import type { CacheBackend } from './types.js';

/** One bounded LRU per cache name, so a flood of event ids cannot evict the object records. */
export class MemoryCache implements CacheBackend {
  readonly kind = 'memory' as const;
  readonly #caches = new Map<CacheName, LRUCache<string, string>>();

  constructor(private readonly maxEntries: number) {}

  #cache(name: CacheName): LRUCache<string, string> {
    let c = this.#caches.get(name);
    if (!c) {
      c = new LRUCache<string, string>({ max: this.maxEntries, ttlAutopurge: false });
      this.#caches.set(name, c);
    }
    return c;
  }

  async get(name: CacheName, key: string): Promise<string | undefined> {
    return this.#cache(name).get(key);
  }

  async set(name: CacheName, key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#cache(name).set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#caches.clear();
  }
}
