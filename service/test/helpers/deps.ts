/**
 * The real PostgreSQL and Redis the integration tests use (127.0.0.1; CI's .ci/run starts them).
 * They fail with a clear message when a server does not answer: never a silent skip.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is not answering at ${PG_URL} (${(err as Error).message}); start it (CI's .ci/run does) or set TEST_DATABASE_URL`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

export async function requireRedis(): Promise<void> {
  const r = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw new Error(
      `Redis is not answering at ${REDIS_URL} (${(err as Error).message}); start it (CI's .ci/run does) or set TEST_REDIS_URL`,
    );
  } finally {
    r.disconnect();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** A DATABASE_URL for the service that goes through `host:port` (a proxy) instead. */
export function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/**
 * A backend of the behaviour suites on real PostgreSQL and Redis: each test gets its own schema and key
 * prefix (parallel runs never collide), dropped by `cleanup`.
 */
export function postgresRedisBackend(): { env(): Promise<Record<string, string>>; cleanup(): Promise<void> } {
  const made: { schema: string; prefix: string }[] = [];
  return {
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
  };
}

/** Run one statement in `schema` on the test database (a connection of its own); its rows. */
export async function querySchema<R extends pg.QueryResultRow>(schema: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}
