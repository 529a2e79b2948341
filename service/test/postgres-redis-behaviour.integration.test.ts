/**
 * The same behaviour suite on real PostgreSQL (DATABASE_URL=postgres://…) and real Redis (REDIS_URL),
 * each test in its own schema and key prefix so parallel runs never collide.
 */
import { beforeAll } from 'vitest';
import { defineBehaviourSuite } from './helpers/behaviour.js';
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
defineBehaviourSuite('PostgreSQL + Redis', {
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
