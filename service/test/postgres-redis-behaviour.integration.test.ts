/**
 * The same behaviour suite on real PostgreSQL (DATABASE_URL=postgres://…) and real Redis (REDIS_URL),
 * each test in its own schema and key prefix so parallel runs never collide.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { HandlerRegistry } from '../src/handlers/registry.js';
import { defineBehaviourSuite } from './helpers/behaviour.js';
import { event, post, startService, waitFor } from './helpers/service.js';
import { dropSchema, PG_URL, postgresRedisBackend, requirePostgres, requireRedis, uniqueName } from './helpers/deps.js';

beforeAll(async () => {
  await requirePostgres();
  await requireRedis();
});

defineBehaviourSuite('PostgreSQL + Redis', postgresRedisBackend());

describe('PostgreSQL: a completion it refuses', () => {
  it('dead-letters only that event at once; the completions committed with it stand', async () => {
    const schema = uniqueName('wmon_test');
    // A handler whose record jsonb refuses (NUL), for one event only: its completion fails in PostgreSQL.
    const handlers = new HandlerRegistry().register('charge.succeeded', async (e, ctx) => {
      const object = e.data.object as { id: string; description?: string };
      await ctx.update(object.id, () => ({
        objectType: 'charge',
        customerId: null,
        status: null,
        data: { note: object.description === 'poison' ? 'a\u0000b' : 'fine' },
        eventCreated: e.created,
      }));
    });
    const running = await startService({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, WORKERS: '16' }, { handlers });
    try {
      const valid = Array.from({ length: 40 }, (_, i) => event('charge.succeeded', { id: `ch_fine${i}` }));
      const poison = event('charge.succeeded', { id: 'ch_poison', description: 'poison' });
      const sent = await Promise.all([...valid, poison].map((e) => post(running.webhookUrl, e)));
      expect(sent.map((r) => r.status)).toEqual([...valid, poison].map(() => 200));
      const dead = await waitFor(
        () => running.service.store.getEvent(poison.id),
        (s) => s?.status === 'dead_letter',
        'the poison event to be dead-lettered',
      );
      expect(dead?.attempts).toBe(1);
      expect(dead?.lastError).toMatch(/unicode|\\u0000|escape/i);
      expect(await running.service.store.counts()).toEqual({ pending: 0, processed: 40, deadLetter: 1 });
      for (const e of valid)
        expect((await running.service.store.getObject(e.data.object.id as string))?.data).toEqual({ note: 'fine' });
    } finally {
      await running.stop();
      await dropSchema(schema);
    }
  });
});
