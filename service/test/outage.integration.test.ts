/**
 * PostgreSQL or Redis going away mid-run (a TCP proxy in between is cut, the shared servers are left
 * alone): /readyz turns 503, webhook_db_up / webhook_cache_up drop to 0, nothing crashes, and everything
 * recovers when they come back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteRedisPrefix,
  dropSchema,
  PG_URL,
  REDIS_URL,
  requirePostgres,
  requireRedis,
  uniqueName,
  viaPort,
} from './helpers/deps.js';
import { event, post, sample, scrape, startService, waitFor, type Running } from './helpers/service.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

let pgProxy: TcpProxy;
let redisProxy: TcpProxy;
let svc: Running;
const schema = uniqueName('wmon_outage');
const prefix = `${uniqueName('wmon-outage')}:`;

beforeAll(async () => {
  await requirePostgres();
  await requireRedis();
  const pgTarget = new URL(PG_URL);
  const redisTarget = new URL(REDIS_URL);
  pgProxy = await startTcpProxy(pgTarget.hostname, Number(pgTarget.port || 5432));
  redisProxy = await startTcpProxy(redisTarget.hostname, Number(redisTarget.port || 6379));
  svc = await startService({
    DATABASE_URL: viaPort(PG_URL, pgProxy.port),
    DATABASE_SCHEMA: schema,
    REDIS_URL: viaPort(REDIS_URL, redisProxy.port),
    REDIS_KEY_PREFIX: prefix,
  });
});

afterAll(async () => {
  await pgProxy?.restore();
  await redisProxy?.restore();
  await svc?.stop();
  await pgProxy?.close();
  await redisProxy?.close();
  await dropSchema(schema);
  await deleteRedisPrefix(prefix);
});

const readyz = async () => {
  const res = await fetch(`${svc.internalUrl}/readyz`);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; checks: Record<string, { ok: boolean; error?: string }> },
  };
};
const gauge = async (name: string) => sample(await scrape(svc.internalUrl), name);

describe('dependency outages', () => {
  it('starts ready with both dependencies up', async () => {
    expect((await readyz()).status).toBe(200);
    expect(await gauge('webhook_db_up')).toBe(1);
    expect(await gauge('webhook_cache_up')).toBe(1);
    expect((await post(svc.webhookUrl, event('charge.succeeded'))).status).toBe(200);
  });

  it('PostgreSQL going away: 503 readiness, db_up 0, webhooks refused with 503 (not acknowledged), no crash; then recovery', async () => {
    await pgProxy.cut();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks.database!.ok).toBe(false);
    expect(down.body.checks.cache!.ok).toBe(true);
    await waitFor(
      () => gauge('webhook_db_up'),
      (v) => v === 0,
      'webhook_db_up to drop to 0',
    );

    const refused = event('invoice.paid');
    const res = await post(svc.webhookUrl, refused);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toMatchObject({ error: 'storage_unavailable' });
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200); // alive all along
    expect(sample(await scrape(svc.internalUrl), 'webhook_errors_total', { type: 'database' })).toBeGreaterThanOrEqual(
      1,
    );

    await pgProxy.restore();
    await waitFor(readyz, (r) => r.status === 200, '/readyz to recover', 20_000);
    await waitFor(
      () => gauge('webhook_db_up'),
      (v) => v === 1,
      'webhook_db_up back to 1',
    );
    // Stripe's retry of the refused delivery now lands, and is processed.
    expect((await post(svc.webhookUrl, refused)).body).toEqual({ received: true });
    await waitFor(
      () => svc.service.store.getEvent(refused.id),
      (s) => s?.status === 'processed',
      'the redelivered event to be processed',
    );
  });

  it('Redis going away: 503 readiness, cache_up 0, webhooks still accepted (cache misses), no crash; then recovery', async () => {
    await redisProxy.cut();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks.cache!.ok).toBe(false);
    expect(down.body.checks.database!.ok).toBe(true);
    await waitFor(
      () => gauge('webhook_cache_up'),
      (v) => v === 0,
      'webhook_cache_up to drop to 0',
    );

    // The database stays the source of truth: new events are stored, duplicates still recognised.
    const e = event('charge.succeeded', { customer: 'cus_outage' });
    expect((await post(svc.webhookUrl, e)).body).toEqual({ received: true });
    expect((await post(svc.webhookUrl, e)).body).toEqual({ received: true, duplicate: true });
    await waitFor(
      () => svc.service.store.getEvent(e.id),
      (s) => s?.status === 'processed',
      'the event to be processed without the cache',
    );
    expect(sample(await scrape(svc.internalUrl), 'webhook_errors_total', { type: 'cache' })).toBeGreaterThanOrEqual(1);

    await redisProxy.restore();
    await waitFor(readyz, (r) => r.status === 200, '/readyz to recover', 20_000);
    await waitFor(
      () => gauge('webhook_cache_up'),
      (v) => v === 1,
      'webhook_cache_up back to 1',
    );
    const later = event('charge.succeeded');
    expect((await post(svc.webhookUrl, later)).status).toBe(200);
    expect((await post(svc.webhookUrl, later)).body).toEqual({ received: true, duplicate: true });
    const text = await scrape(svc.internalUrl);
    expect(sample(text, 'webhook_cache_hits_total', { cache: 'event_ids' })).toBeGreaterThanOrEqual(1);
  });

  it('both at once, then both back', async () => {
    await Promise.all([pgProxy.cut(), redisProxy.cut()]);
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks).toMatchObject({ database: { ok: false }, cache: { ok: false } });
    expect((await post(svc.webhookUrl, event('charge.succeeded'))).status).toBe(503);
    await Promise.all([pgProxy.restore(), redisProxy.restore()]);
    await waitFor(readyz, (r) => r.status === 200, '/readyz to recover', 20_000);
    expect((await post(svc.webhookUrl, event('charge.succeeded'))).status).toBe(200);
  });
});
