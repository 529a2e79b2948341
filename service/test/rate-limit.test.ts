import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/http/rate-limit.js';
import { event, post, sample, scrape, startService, type Running } from './helpers/service.js';

describe('RateLimiter', () => {
  it('allows a burst of one second per client, then answers with the wait', () => {
    let now = 1_000_000;
    const rl = new RateLimiter(5, 0, () => now);
    for (let i = 0; i < 5; i++) expect(rl.check('a').ok).toBe(true);
    const d = rl.check('a');
    expect(d).toEqual({ ok: false, scope: 'client', retryAfterSeconds: 1 });
    expect(rl.check('b').ok).toBe(true); // another client has its own bucket
    now += 200; // one token back at 5/s
    expect(rl.check('a').ok).toBe(true);
    expect(rl.check('a').ok).toBe(false);
  });

  it('applies the global limit across clients, and 0 turns limits off', () => {
    let now = 0;
    const rl = new RateLimiter(0, 3, () => now);
    expect(['a', 'b', 'c'].map((c) => rl.check(c).ok)).toEqual([true, true, true]);
    expect(rl.check('d')).toEqual({ ok: false, scope: 'global', retryAfterSeconds: 1 });
    now += 1000;
    expect(rl.check('d').ok).toBe(true);
    const off = new RateLimiter(0, 0);
    expect(off.enabled).toBe(false);
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const now = 0;
    const rl = new RateLimiter(1, 0, () => now);
    expect(rl.check('a').ok).toBe(true);
    expect(rl.check('a')).toEqual({ ok: false, scope: 'client', retryAfterSeconds: 1 });
  });
});

describe('rate limiting over HTTP', () => {
  let svc: Running | undefined;
  afterEach(async () => {
    await svc?.stop();
    svc = undefined;
  });

  it('answers 429 with Retry-After per client, counted by scope, and only on the webhook route', async () => {
    svc = await startService({ RATE_LIMIT_PER_CLIENT: '5', RATE_LIMIT_GLOBAL: '0' });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => post(svc!.webhookUrl, event('charge.succeeded'))),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(limited[0]!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(limited[0]!.body).toMatchObject({ error: 'rate_limited', scope: 'client' });
    // Health and metrics are never limited.
    for (let i = 0; i < 10; i++) expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const text = await scrape(svc.internalUrl);
    expect(sample(text, 'webhook_rate_limited_total', { scope: 'client' })).toBe(limited.length);
    expect(
      sample(text, 'webhook_requests_total', {
        method: 'POST',
        route: '/webhooks/stripe',
        status: '429',
        source: 'external',
      }),
    ).toBe(limited.length);
  });

  it('limits globally across client addresses (X-Forwarded-For trusted when TRUST_PROXY=true)', async () => {
    svc = await startService({ RATE_LIMIT_PER_CLIENT: '2', RATE_LIMIT_GLOBAL: '6', TRUST_PROXY: 'true' });
    const results = [];
    for (let i = 0; i < 10; i++) {
      results.push(
        await post(svc.webhookUrl, event('charge.succeeded'), { headers: { 'x-forwarded-for': `203.0.113.${i}` } }),
      );
    }
    // Ten different clients, each within its own limit: only the global limit bites.
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(6);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(7);
    expect(results.find((r) => r.status === 429)?.body).toMatchObject({ scope: 'global' });
    const text = await scrape(svc.internalUrl);
    expect(sample(text, 'webhook_rate_limited_total', { scope: 'client' })).toBe(0);
    expect(sample(text, 'webhook_rate_limited_total', { scope: 'global' })).toBeGreaterThanOrEqual(3);
  });
});
