import type { DatabaseConfig } from '../config.js';
import { PostgresStore, type LeaseOptions } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { OperationTimer, Store } from './types.js';

export function createStore(
  config: DatabaseConfig,
  timer: OperationTimer,
  onPoolError: (err: Error) => void,
  lease?: LeaseOptions,
): Store {
  return config.kind === 'sqlite'
    ? new SqliteStore(config.path, config.synchronous, timer, config.thread)
    : new PostgresStore(config.url, config.schema, config.poolMax, timer, onPoolError, lease);
}
