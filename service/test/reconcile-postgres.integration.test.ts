/**
 * The reconcile with Stripe on real PostgreSQL and Redis, each test in its own schema and key prefix.
 */
import { beforeAll } from 'vitest';
import { defineReconcileSuite } from './helpers/reconcile-behaviour.js';
import { postgresRedisBackend, requirePostgres, requireRedis } from './helpers/deps.js';

beforeAll(async () => {
  await requirePostgres();
  await requireRedis();
});

defineReconcileSuite('PostgreSQL + Redis', postgresRedisBackend());
