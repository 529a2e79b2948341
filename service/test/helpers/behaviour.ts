/**
 * The storage/queue behaviour every backend must show, run against SQLite (service.test.ts) and
 * PostgreSQL + Redis (postgres-redis.integration.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/handlers/defaults.js';
import { HandlerRegistry, type EventHandler } from '../../src/handlers/registry.js';
import { createStore } from '../../src/store/index.js';
import { loadConfig } from '../../src/config.js';
import { pino } from 'pino';
import { DatabaseError } from '../../src/store/types.js';
import {
  event,
  insertOp,
  post,
  sample,
  scrape,
  SECRET,
  startService,
  waitFor,
  type Fixture,
  type Running,
} from './service.js';

export interface Backend {
  /** Environment for a fresh, empty database (and cache) per test. */
  env(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

/** The default handlers, counting how often each event id reaches a handler. */
function countingRegistry(calls: Map<string, number>, extra: (r: HandlerRegistry) => void = () => {}): HandlerRegistry {
  const defaults = defaultRegistry();
  const wrap =
    (type: string): EventHandler =>
    async (e, ctx) => {
      calls.set(e.id, (calls.get(e.id) ?? 0) + 1);
      await defaults.resolve(type)?.(e, ctx);
    };
  const r = new HandlerRegistry();
  for (const p of ['payment_intent.*', 'charge.*', 'invoice.*', 'customer.subscription.*', 'checkout.session.*', '*']) {
    r.register(p, async (e, ctx) => wrap(e.type)(e, ctx));
  }
  extra(r);
  return r;
}

export function defineBehaviourSuite(name: string, backend: Backend): void {
  describe(`${name}: durable acceptance and processing`, () => {
    let running: Running | undefined;
    afterEach(async () => {
      await running?.stop();
      running = undefined;
      await backend.cleanup();
    });

    it('stores a valid event before answering 200, then processes it once and records its object', async () => {
      const calls = new Map<string, number>();
      running = await startService(await backend.env(), { handlers: countingRegistry(calls) });
      const e = event('payment_intent.succeeded', { customer: 'cus_behaviour1' });
      const res = await post(running.webhookUrl, e);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true });
      // Stored at the moment of the 2xx.
      const stored = await running.service.store.getEvent(e.id);
      expect(stored?.type).toBe('payment_intent.succeeded');
      expect(JSON.parse(stored!.payload)).toEqual(e);

      await waitFor(
        () => running!.service.store.getEvent(e.id),
        (s) => s?.status === 'processed',
        'the event to be processed',
      );
      expect(calls.get(e.id)).toBe(1);
      const pi = await running.service.store.getObject(e.data.object.id as string);
      expect(pi).toMatchObject({ objectType: 'payment_intent', status: 'succeeded', customerId: 'cus_behaviour1' });
      // The record keeps the object's kept fields, each of its kind (numbers, text), and the event it came from.
      const o = e.data.object;
      expect(pi?.data).toMatchObject({
        amount: o.amount,
        amount_received: o.amount_received,
        currency: o.currency,
        latest_charge: typeof o.latest_charge === 'string' ? o.latest_charge : null,
        payment_method: typeof o.payment_method === 'string' ? o.payment_method : null,
        last_event_id: e.id,
        last_event_type: 'payment_intent.succeeded',
      });
      expect(typeof pi?.data.amount).toBe('number');
      const customer = await running.service.store.getObject('cus_behaviour1');
      expect(customer?.data).toMatchObject({ payments_succeeded: 1, amount_paid: { usd: 1099 } });
      const text = await scrape(running.internalUrl);
      expect(sample(text, 'webhook_events_processed_total', { outcome: 'success', source: 'external' })).toBe(1);
      expect(
        sample(text, 'webhook_events_by_type_total', { type: 'payment_intent.succeeded', source: 'external' }),
      ).toBe(1);
    });

    it('answers 200 to duplicates, sequential and concurrent, and never processes them twice', async () => {
      const calls = new Map<string, number>();
      running = await startService(await backend.env(), { handlers: countingRegistry(calls) });
      const e = event('charge.succeeded');
      const first = await post(running.webhookUrl, e);
      expect(first.body).toEqual({ received: true });
      const again = await post(running.webhookUrl, e);
      expect(again).toMatchObject({ status: 200, body: { received: true, duplicate: true } });

      // A burst of the same new event at once: exactly one is new.
      const burst = event('invoice.paid');
      const results = await Promise.all(Array.from({ length: 12 }, () => post(running!.webhookUrl, burst)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(results.filter((r) => r.body.duplicate !== true)).toHaveLength(1);

      await running.service.processor.idle(10_000);
      expect(calls.get(e.id)).toBe(1);
      expect(calls.get(burst.id)).toBe(1);
      const counts = await running.service.store.counts();
      expect(counts).toMatchObject({ processed: 2, pending: 0 });
      const text = await scrape(running.internalUrl);
      expect(sample(text, 'webhook_events_processed_total', { outcome: 'duplicate', source: 'external' })).toBe(12);
      expect(sample(text, 'webhook_events_processed_total', { outcome: 'success', source: 'external' })).toBe(2);
    });

    it('keeps per-customer records exact under concurrent workers', async () => {
      running = await startService({ ...(await backend.env()), WORKERS: '8' });
      const sends = Array.from({ length: 30 }, () =>
        event('payment_intent.succeeded', { customer: 'cus_concurrent', amount_received: 100 }),
      );
      const results = await Promise.all(sends.map((e) => post(running!.webhookUrl, e)));
      expect(results.map((r) => r.status)).toEqual(sends.map(() => 200));
      expect(await running.service.processor.idle(15_000)).toBe(true);
      const customer = await running.service.store.getObject('cus_concurrent');
      expect(customer?.data).toMatchObject({ payments_succeeded: 30, amount_paid: { usd: 3000 } });
    });

    it('retries a failing handler with backoff and succeeds, or dead-letters it after MAX_ATTEMPTS', async () => {
      const attempts = new Map<string, number[]>();
      const handlers = countingRegistry(new Map(), (r) => {
        r.register('charge.failed', async (e) => {
          const times = attempts.get(e.id) ?? [];
          times.push(Date.now());
          attempts.set(e.id, times);
          if (times.length < 3) throw new Error(`flaky failure ${times.length}`);
        });
        r.register('charge.dispute.created', async () => {
          throw new Error('always fails');
        });
      });
      running = await startService(
        { ...(await backend.env()), MAX_ATTEMPTS: '4', RETRY_BASE_MS: '50', RETRY_MAX_MS: '1000' },
        { handlers },
      );
      const flaky = event('charge.succeeded', {}, { type: 'charge.failed' });
      const doomed = event('charge.succeeded', {}, { type: 'charge.dispute.created' });
      expect((await post(running.webhookUrl, flaky)).status).toBe(200);
      expect((await post(running.webhookUrl, doomed)).status).toBe(200);

      const ok = await waitFor(
        () => running!.service.store.getEvent(flaky.id),
        (s) => s?.status === 'processed',
        'the flaky event to succeed',
      );
      expect(ok?.attempts).toBe(2); // two failed attempts recorded, the third succeeded
      const times = attempts.get(flaky.id)!;
      expect(times).toHaveLength(3);
      // Exponential: ~50 ms then ~100 ms (±20 % jitter).
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(75);

      const dead = await waitFor(
        () => running!.service.store.getEvent(doomed.id),
        (s) => s?.status === 'dead_letter',
        'the doomed event to be dead-lettered',
      );
      expect(dead).toMatchObject({ attempts: 4, lastError: 'always fails' });
      const text = await scrape(running.internalUrl);
      expect(sample(text, 'webhook_events_processed_total', { outcome: 'dead_letter', source: 'external' })).toBe(1);
      expect(sample(text, 'webhook_events_processed_total', { outcome: 'failure', source: 'external' })).toBe(2 + 3);
      expect(sample(text, 'webhook_queue_size', { state: 'dead_letter' })).toBe(1);
      expect(sample(text, 'webhook_queue_size', { state: 'pending' })).toBe(0);
      expect(sample(text, 'webhook_errors_total', { type: 'processing' })).toBe(6);
    });

    it('resumes events left pending in the database at start-up', async () => {
      const env = await backend.env();
      const config = loadConfig({ STRIPE_WEBHOOK_SECRET: SECRET, ...env });
      const store = createStore(
        config.database,
        () => {},
        () => {},
      );
      await store.init();
      const left = Array.from({ length: 5 }, () => event('checkout.session.completed', { customer: 'cus_resume' }));
      for (const e of left) {
        await store.write(insertOp(e));
      }
      expect((await store.counts()).pending).toBe(5);
      await store.close();

      running = await startService(env);
      await waitFor(
        () => running!.service.store.counts(),
        (c) => c.processed === 5 && c.pending === 0,
        'the left-over events to be processed',
      );
      const customer = await running.service.store.getObject('cus_resume');
      expect(customer?.data).toMatchObject({ checkouts_completed: 5 });
    });

    it('processes a burst larger than the in-memory queue through the database', async () => {
      running = await startService({ ...(await backend.env()), QUEUE_BUFFER_SIZE: '10', WORKERS: '2' });
      const sends = Array.from({ length: 80 }, (_, i) =>
        event(i % 2 ? 'charge.succeeded' : 'invoice.paid', { customer: `cus_burst${i % 4}` }),
      );
      const results = await Promise.all(sends.map((e) => post(running!.webhookUrl, e)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      await waitFor(
        () => running!.service.store.counts(),
        (c) => c.processed === 80 && c.pending === 0,
        'all 80 events to be processed',
        30_000,
      );
      const paid = await Promise.all([0, 1, 2, 3].map((i) => running!.service.store.getObject(`cus_burst${i}`)));
      // invoice.paid went to customers 0 and 2 (even i), 20 each.
      expect(paid.map((c) => (c?.data as { invoices_paid?: number } | undefined)?.invoices_paid ?? 0)).toEqual([
        20, 0, 20, 0,
      ]);
    });

    describe('one event the database cannot store among 100 valid ones sent at once', () => {
      const poisons: [string, (e: Fixture) => string][] = [
        ['created 1.5', (e) => JSON.stringify({ ...e, created: 1.5 })],
        ['created 1e20', (e) => JSON.stringify({ ...e, created: 1e20 })],
        ['a NUL byte in type', (e) => JSON.stringify({ ...e, type: 'charge.succeeded\u0000' })],
        [
          'a NUL byte in the payload',
          (e) => JSON.stringify({ ...e, data: { object: { ...e.data.object, description: 'a\u0000b' } } }),
        ],
        [
          'a lone surrogate in the payload',
          (e) => JSON.stringify({ ...e, data: { object: { ...e.data.object, description: 'a\ud800b' } } }),
        ],
      ];
      for (const [kind, make] of poisons) {
        it(`refuses only the one with ${kind}: a permanent 400 logged at warn with the reason; every valid one 200 and stored`, async () => {
          const lines: Record<string, unknown>[] = [];
          const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
          running = await startService(await backend.env(), { logger });
          const valid = Array.from({ length: 100 }, (_, i) => event('charge.succeeded', { customer: `cus_p${i % 5}` }));
          const poison = event('charge.succeeded');
          const sends = [
            ...valid.slice(0, 50).map((e) => post(running!.webhookUrl, e)),
            post(running.webhookUrl, make(poison)),
            ...valid.slice(50).map((e) => post(running!.webhookUrl, e)),
          ];
          const results = await Promise.all(sends);
          const refused = results[50]!;
          expect(refused.status).toBe(400);
          expect(refused.body).toMatchObject({ error: 'invalid_event' });
          const others = [...results.slice(0, 50), ...results.slice(51)];
          expect(others.map((r) => r.status)).toEqual(valid.map(() => 200));
          for (const e of valid) expect((await running.service.store.getEvent(e.id))?.type).toBe('charge.succeeded');
          expect(await running.service.store.getEvent(poison.id)).toBeUndefined();
          const warned = lines.filter((l) => l.msg === `webhook rejected: ${String(refused.body.message)}`);
          expect(warned).toHaveLength(1);
          expect(warned[0]).toMatchObject({ level: 40, reason: 'invalid_event' });
          const text = await scrape(running.internalUrl);
          expect(sample(text, 'webhook_errors_total', { type: 'payload' })).toBe(1);
          expect(sample(text, 'webhook_errors_total', { type: 'database' })).toBe(0);
        });
      }

      it('commits the rest of a write batch when the database refuses one operation in it', async () => {
        running = await startService(await backend.env());
        const store = running.service.store;
        const insert = (e: Fixture, type: string | null) =>
          store.write({
            kind: 'insert',
            event: {
              id: e.id,
              type: type as string, // null: a NOT NULL column refuses it, past every check before the store
              created: e.created,
              livemode: false,
              receivedAt: Date.now(),
              payload: JSON.stringify(e),
            },
          });
        const valid = Array.from({ length: 20 }, () => event('invoice.paid'));
        const bad = event('invoice.paid');
        // Submitted in one turn of the event loop: one batch.
        const settled = await Promise.allSettled([
          ...valid.slice(0, 10).map((e) => insert(e, e.type)),
          insert(bad, null),
          ...valid.slice(10).map((e) => insert(e, e.type)),
        ]);
        const failed = settled[10]!;
        expect(failed.status).toBe('rejected');
        expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseError);
        expect((failed as PromiseRejectedResult).reason).toMatchObject({ permanent: true });
        expect(settled.filter((s, i) => i !== 10).map((s) => (s.status === 'fulfilled' ? s.value : s.reason))).toEqual(
          valid.map(() => true),
        );
        expect(await store.getEvent(bad.id)).toBeUndefined();
        await waitFor(
          () => store.counts(),
          (c) => c.processed === 20,
          'the 20 valid events to be processed',
        );
      });
    });

    it('reads customer records through the cache, with hits and misses counted', async () => {
      running = await startService(await backend.env());
      for (let i = 0; i < 4; i++) {
        expect((await post(running.webhookUrl, event('invoice.paid', { customer: 'cus_cached' }))).status).toBe(200);
        await running.service.processor.idle(5000);
      }
      const text = await scrape(running.internalUrl);
      expect(sample(text, 'webhook_cache_misses_total', { cache: 'objects' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'webhook_cache_hits_total', { cache: 'objects' })).toBeGreaterThanOrEqual(3);
      // Dedupe lookups hit the cache for a redelivery.
      const e = event('charge.succeeded');
      await post(running.webhookUrl, e);
      await post(running.webhookUrl, e);
      const after = await scrape(running.internalUrl);
      expect(sample(after, 'webhook_cache_hits_total', { cache: 'event_ids' })).toBeGreaterThanOrEqual(1);
    });
  });
}
