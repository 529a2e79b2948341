/**
 * The reachability route the blackbox exporter probes (GET /webhooks/stripe/reachability on the public
 * listener): it answers 200 without the store, and moves none of the figures the alerts read about events,
 * deliveries or signatures.
 */
import { ROUTES } from '@wmon/contract';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { event, post, scrape, startService, type Running } from './helpers/service.js';

let svc: Running;

beforeAll(async () => {
  // No background health checks or sweeps: any store call during the test comes from a request.
  svc = await startService({}, { healthIntervalMs: 3_600_000, sweepIntervalMs: 3_600_000 });
  expect((await post(svc.webhookUrl, event('charge.succeeded'))).status).toBe(200);
  await svc.service.processor.idle(5000);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await svc?.stop();
});

/** The sum of every sample of `name` whose labels include `labels` (each label set of a counter, all together). */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** What must not move when only the reachability route is probed. */
const UNMOVED: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ['webhook_events_processed_total', {}],
  ['webhook_events_by_type_total', {}],
  ['webhook_requests_total', { route: ROUTES.webhook }],
  ['webhook_signature_failures_total', {}],
  ['webhook_errors_total', {}],
  ['webhook_event_delivery_lag_seconds_count', {}],
  ['webhook_db_query_duration_seconds_count', {}],
];

describe('GET /webhooks/stripe/reachability', () => {
  it('answers 200 on the public listener only, and counts as nothing but its own route', async () => {
    const before = await scrape(svc.internalUrl);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${svc.url}${ROUTES.reachability}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
    // The blackbox exporter may send a body or a stray Stripe-Signature: still no event, no signature failure.
    const posted = await fetch(`${svc.url}${ROUTES.reachability}`, {
      method: 'POST',
      headers: { 'stripe-signature': 't=1,v1=00' },
      body: '{}',
    });
    expect(posted.status).toBe(405);
    expect((await fetch(`${svc.internalUrl}${ROUTES.reachability}`)).status).toBe(404);
    const after = await scrape(svc.internalUrl);

    for (const [name, labels] of UNMOVED) {
      expect(total(after, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(total(before, name, labels));
    }
    expect(total(before, 'webhook_events_by_type_total')).toBe(1);
    const own = { route: ROUTES.reachability, method: 'GET', status: '200' };
    expect(total(after, 'webhook_requests_total', own) - total(before, 'webhook_requests_total', own)).toBe(10);
  });

  it('answers without the store: with every store call failing it still says 200', async () => {
    const store = svc.service.store as unknown as Record<string, unknown>;
    const methods: string[] = [];
    for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      for (const key of Object.getOwnPropertyNames(o)) {
        if (key !== 'constructor' && typeof store[key] === 'function' && !methods.includes(key)) methods.push(key);
      }
    }
    expect(methods).toEqual(expect.arrayContaining(['write', 'getEvent']));
    const spies = methods.map((key) =>
      vi.spyOn(store as Record<string, () => unknown>, key).mockImplementation(() => {
        throw new Error(`store.${key} called`);
      }),
    );
    try {
      const res = await fetch(`${svc.url}${ROUTES.reachability}`);
      expect(res.status).toBe(200);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      // The webhook route does use the store: the same failure shows there.
      expect((await post(svc.webhookUrl, event('charge.succeeded'))).status).toBe(503);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
