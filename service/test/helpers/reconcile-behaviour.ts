/**
 * The reconcile with Stripe, on each store: the service (with the official `stripe` library) against the
 * local Stripe API server (stripe-api.ts). Run on SQLite (reconcile.test.ts) and PostgreSQL + Redis
 * (reconcile-postgres.integration.test.ts).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReconcileResult } from '@wmon/contract';
import { defaultRegistry } from '../../src/handlers/defaults.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import type { Backend } from './behaviour.js';
import { event, post, sample, scrape, startService, waitFor, type Fixture, type Running } from './service.js';
import { startStripeApi, type StripeApiServer } from './stripe-api.js';

export const API_KEY = 'rk_test_51reconcileTESTkey0123456789abcd';

/** The default handlers, counting how often each event id reaches one. */
function countingRegistry(calls: Map<string, number>): HandlerRegistry {
  const defaults = defaultRegistry();
  const r = new HandlerRegistry();
  r.register('*', async (e, ctx) => {
    calls.set(e.id, (calls.get(e.id) ?? 0) + 1);
    await defaults.resolve(e.type)?.(e, ctx);
  });
  return r;
}

/** Events of a few types, created `ageSeconds` ago (older than the reconcile's grace). */
export function pastEvents(n: number, ageSeconds = 600): (Fixture & { livemode: boolean })[] {
  const types = ['payment_intent.succeeded', 'charge.succeeded', 'invoice.paid', 'customer.subscription.updated'];
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) =>
    Object.assign(event(types[i % types.length]!, {}, { created: now - ageSeconds - i }), { livemode: false }),
  );
}

export async function reconcileNow(
  running: Running,
  body: { sinceSeconds?: number; replay?: boolean } = {},
): Promise<{ status: number; body: ReconcileResult & { error?: { reason?: string; message: string } } }> {
  const res = await fetch(`${running.internalUrl}/reconcile`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ReconcileResult };
}

/** Log lines written by the service, as text. */
function capturingLogger(): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), text: () => chunks.join('') };
}

export function defineReconcileSuite(name: string, backend: Backend): void {
  describe(`${name}: reconcile with Stripe`, () => {
    let running: Running | undefined;
    let stripe: StripeApiServer | undefined;
    afterEach(async () => {
      await running?.stop();
      await stripe?.close();
      running = undefined;
      stripe = undefined;
      await backend.cleanup();
    });

    async function start(
      calls: Map<string, number>,
      extra: Record<string, string> = {},
      logger?: pino.Logger,
    ): Promise<Running> {
      stripe ??= await startStripeApi(API_KEY);
      running = await startService(
        {
          ...(await backend.env()),
          STRIPE_API_KEY: API_KEY,
          STRIPE_API_BASE: stripe.url,
          RECONCILE_GRACE: '0s',
          ...extra,
        },
        { handlers: countingRegistry(calls), reconcileFirstDelayMs: false, ...(logger ? { logger } : {}) },
      );
      return running;
    }

    it('finds the events Stripe has and the store does not (the gauge), lists them, then recovers each exactly once', async () => {
      const calls = new Map<string, number>();
      const svc = await start(calls);
      const all = pastEvents(8);
      stripe!.add(all);
      const delivered = all.slice(0, 5);
      const lost = all.slice(5);
      for (const e of delivered) expect((await post(svc.webhookUrl, e)).status).toBe(200);

      // Without replay: listed, nothing stored.
      const dry = await reconcileNow(svc, { replay: false });
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({
        status: 'ok',
        trigger: 'request',
        replay: false,
        listed: 8,
        missingCount: 3,
        recovered: 0,
      });
      expect(dry.body.missing!.map((m) => m.id).sort()).toEqual(lost.map((e) => e.id).sort());
      for (const m of dry.body.missing!) {
        const e = lost.find((x) => x.id === m.id)!;
        expect(m).toEqual({ id: e.id, type: e.type, created: e.created, recovered: false });
        expect(await svc.service.store.getEvent(e.id)).toBeUndefined();
      }
      let text = await scrape(svc.internalUrl);
      expect(sample(text, 'webhook_reconcile_missing_events')).toBe(3);
      expect(sample(text, 'webhook_reconcile_recovered_total')).toBe(0);
      expect(sample(text, 'webhook_reconcile_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);

      // Replay: stored with source reconcile, processed once.
      const replay = await reconcileNow(svc, { replay: true });
      expect(replay.body).toMatchObject({ status: 'ok', missingCount: 3, recovered: 3 });
      expect(replay.body.missing!.every((m) => m.recovered)).toBe(true);
      for (const e of lost) {
        const stored = await waitFor(
          () => svc.service.store.getEvent(e.id),
          (s) => s?.status === 'processed',
          `${e.id} to be processed`,
        );
        expect(stored?.source).toBe('reconcile');
        expect(JSON.parse(stored!.payload)).toMatchObject({ id: e.id, type: e.type, created: e.created });
      }
      for (const e of delivered) expect((await svc.service.store.getEvent(e.id))?.source).toBe('webhook');
      text = await scrape(svc.internalUrl);
      expect(sample(text, 'webhook_reconcile_recovered_total')).toBe(3);
      expect(sample(text, 'webhook_events_processed_total', { outcome: 'success', source: 'external' })).toBe(8);

      // Nothing missing any more; Stripe delivering one late is a duplicate, not processed again.
      const again = await reconcileNow(svc, { replay: true });
      expect(again.body).toMatchObject({ status: 'ok', missingCount: 0, recovered: 0, missing: [] });
      expect(await post(svc.webhookUrl, lost[0]!)).toMatchObject({ status: 200, body: { duplicate: true } });
      await new Promise((r) => setTimeout(r, 300));
      for (const e of all) expect(calls.get(e.id)).toBe(1);
      text = await scrape(svc.internalUrl);
      expect(sample(text, 'webhook_reconcile_missing_events')).toBe(0);
      expect(sample(text, 'webhook_reconcile_recovered_total')).toBe(3);
    });

    it('reads every page (starting_after until has_more is false) and only the window asked for', async () => {
      const calls = new Map<string, number>();
      const svc = await start(calls);
      const all = pastEvents(230, 600);
      stripe!.add(all);
      const old = pastEvents(2, 7200);
      stripe!.add(old);
      const lost = new Set([all[3]!.id, all[150]!.id, all[229]!.id]);
      for (const e of all) if (!lost.has(e.id)) expect((await post(svc.webhookUrl, e)).status).toBe(200);

      const res = await reconcileNow(svc, { sinceSeconds: 3600, replay: true });
      expect(res.body).toMatchObject({ status: 'ok', listed: 230, pages: 3, missingCount: 3, recovered: 3 });
      expect(new Set(res.body.missing!.map((m) => m.id))).toEqual(lost);
      const lists = stripe!.requests.filter((r) => r.path === '/v1/events');
      expect(lists).toHaveLength(3);
      expect(lists.map((r) => r.query.get('limit'))).toEqual(['100', '100', '100']);
      expect(lists[0]!.query.get('starting_after')).toBeNull();
      expect(lists[1]!.query.get('starting_after')).toBe(all[99]!.id);
      expect(lists[2]!.query.get('starting_after')).toBe(all[199]!.id);
      const gte = Number(lists[0]!.query.get('created[gte]'));
      expect(Math.abs(gte - (Math.floor(Date.now() / 1000) - 3600))).toBeLessThan(30);
      // The two older events are outside the window: neither listed nor stored.
      for (const e of old) expect(await svc.service.store.getEvent(e.id)).toBeUndefined();
      expect(
        stripe!.requests
          .filter((r) => r.path.startsWith('/v1/events/'))
          .map((r) => r.path.slice(11))
          .sort(),
      ).toEqual([...lost].sort());
    });

    it('a webhook delivery racing the recovery of the same event ends in one processing', async () => {
      const calls = new Map<string, number>();
      const svc = await start(calls);
      const lost = pastEvents(6);
      stripe!.add(lost);
      // While Stripe answers each Retrieve, the same event arrives by webhook: awaited for half of them (the
      // delivery stores it first), not awaited for the others (both race to the store).
      const deliveries: Promise<unknown>[] = [];
      let n = 0;
      stripe!.onRetrieve = async (id) => {
        const e = lost.find((x) => x.id === id)!;
        const delivery = post(svc.webhookUrl, e);
        deliveries.push(delivery);
        if (n++ % 2 === 0) await delivery;
      };
      const res = await reconcileNow(svc, { replay: true });
      await Promise.all(deliveries);
      expect(res.body).toMatchObject({ status: 'ok', missingCount: 6 });
      expect(res.body.recovered).toBeLessThanOrEqual(3);
      for (const e of lost)
        await waitFor(
          () => svc.service.store.getEvent(e.id),
          (s) => s?.status === 'processed',
          `${e.id} to be processed`,
        );
      await new Promise((r) => setTimeout(r, 300));
      for (const e of lost) expect(calls.get(e.id)).toBe(1);
      const text = await scrape(svc.internalUrl);
      expect(sample(text, 'webhook_events_processed_total', { outcome: 'success', source: 'external' })).toBe(6);
      const sources = await Promise.all(lost.map(async (e) => (await svc.service.store.getEvent(e.id))!.source));
      expect(sources.filter((s) => s === 'reconcile')).toHaveLength(res.body.recovered!);
      expect(sample(text, 'webhook_reconcile_recovered_total')).toBe(res.body.recovered);
    });

    it('waits for Retry-After when Stripe answers 429 in the middle of a run, then goes on', async () => {
      const calls = new Map<string, number>();
      const svc = await start(calls);
      const all = pastEvents(150);
      stripe!.add(all);
      for (const e of all.slice(0, 149)) expect((await post(svc.webhookUrl, e)).status).toBe(200);
      stripe!.rateLimit(2, 1, 1); // the second list call answers 429 twice, each with Retry-After: 1
      const t0 = Date.now();
      const res = await reconcileNow(svc, { replay: true });
      expect(res.body).toMatchObject({ status: 'ok', listed: 150, pages: 2, missingCount: 1, recovered: 1 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
      const statuses = stripe!.requests.map((r) => `${r.path === '/v1/events' ? 'list' : 'get'} ${r.status}`);
      expect(statuses).toEqual(['list 200', 'list 429', 'list 429', 'list 200', 'get 200']);
      const lists = stripe!.requests.filter((r) => r.path === '/v1/events');
      expect(lists.slice(1).map((r) => r.query.get('starting_after'))).toEqual([all[99]!.id, all[99]!.id, all[99]!.id]);
      const text = await scrape(svc.internalUrl);
      expect(sample(text, 'webhook_reconcile_errors_total', { reason: 'rate_limited' })).toBe(0);
      expect(sample(text, 'webhook_reconcile_recovered_total')).toBe(1);
    });

    it('reports an invalid API key clearly (error counter, log, answer) without printing the key', async () => {
      const calls = new Map<string, number>();
      stripe = await startStripeApi('rk_test_theRightKey0000000000');
      const log = capturingLogger();
      const svc = await start(calls, {}, log.logger);
      stripe.add(pastEvents(2));
      const res = await reconcileNow(svc, { replay: true });
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ status: 'error', error: { reason: 'authentication' } });
      expect(res.body.error!.message).toMatch(
        /^Stripe refused the API key \(HTTP 401: Invalid API Key provided: rk_test_\*+/,
      );
      expect(res.body.error!.message).toContain('STRIPE_API_KEY_FILE');
      const text = await scrape(svc.internalUrl);
      expect(sample(text, 'webhook_reconcile_errors_total', { reason: 'authentication' })).toBe(1);
      expect(sample(text, 'webhook_reconcile_last_success_timestamp_seconds')).toBe(0);
      const logs = log.text();
      expect(logs).toContain('reconcile with Stripe failed: Stripe refused the API key');
      expect(logs).toContain('"reason":"authentication"');
      for (const shown of [logs, JSON.stringify(res.body)]) expect(shown).not.toContain(API_KEY);
      // The last result is what GET /reconcile answers.
      const last = (await (await fetch(`${svc.internalUrl}/reconcile`)).json()) as ReconcileResult;
      expect(last).toMatchObject({ status: 'error', error: { reason: 'authentication' } });
    });

    it('runs one reconcile at a time: a second request waits for the first, a third is refused', async () => {
      const calls = new Map<string, number>();
      const svc = await start(calls);
      stripe!.add(pastEvents(3));
      stripe!.rateLimit(1, 1); // the first run's first call waits a second
      const first = reconcileNow(svc);
      await waitFor(
        () => stripe!.requests.length,
        (n) => n >= 1,
        'the first call',
      );
      const second = reconcileNow(svc);
      await new Promise((r) => setTimeout(r, 100));
      const third = await reconcileNow(svc);
      expect(third.status).toBe(409);
      expect(third.body).toMatchObject({ error: 'busy' });
      const [a, b] = await Promise.all([first, second]);
      expect(a.body.status).toBe('ok');
      expect(b.body.status).toBe('ok');
      expect(Date.parse(b.body.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.body.finishedAt!));
    });
  });
}
