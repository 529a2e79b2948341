/**
 * The reconcile with Stripe on real PostgreSQL and Redis, each test in its own schema and key prefix.
 */
import { beforeAll } from 'vitest';
import { defineReconcileSuite } from './helpers/reconcile-behaviour.js';
import {
  deleteRedisPrefix,
  dropSchema,
  PG_URL,
  REDIS_URL,
  requirePostgres,
  requireRedis,
  uniqueName,
} from './helpers/deps.js';

beforeAll(async () => {
  await requirePostgres();
  await requireRedis();
});

const made: { schema: string; prefix: string }[] = [];
defineReconcileSuite('PostgreSQL + Redis', {
  env: async () => {
    const schema = uniqueName('wmon_test');
    const prefix = `${uniqueName('wmon-test')}:`;
    made.push({ schema, prefix });
    return { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, REDIS_URL, REDIS_KEY_PREFIX: prefix };
  },
  cleanup: async () => {
    for (const { schema, prefix } of made.splice(0)) {
      await dropSchema(schema);
      await deleteRedisPrefix(prefix);
    }
  },
});
