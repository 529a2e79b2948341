/**
 * A small key/value cache with per-name namespaces. In-memory LRU by default, Redis when REDIS_URL is set.
 * Values are strings (JSON where structured).
 */
import type { CacheName } from '@wmon/contract';

export interface CacheBackend {
  readonly kind: 'memory' | 'redis';
  get(name: CacheName, key: string): Promise<string | undefined>;
  set(name: CacheName, key: string, value: string, ttlSeconds: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class CacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheError';
  }
}
