/**
 * With REDIS_URL the rate limits are shared by every replica: three services on one Redis (and key prefix)
 * together let through what one would, per client and globally.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisPrefix, REDIS_URL, requireRedis, uniqueName } from './helpers/deps.js';
import { event, post, sample, scrape, startService, type Running } from './helpers/service.js';

let running: Running[] = [];
let prefix = '';
beforeAll(requireRedis);
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
  await deleteRedisPrefix(prefix);
});

async function replicas(limits: Record<string, string>): Promise<Running[]> {
  prefix = `${uniqueName('wmon-rl')}:`;
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, TRUST_PROXY: 'true', ...limits };
  running = await Promise.all([startService(env), startService(env), startService(env)]);
  return running;
}

/** `n` requests to each replica at once, from `client` (X-Forwarded-For); the statuses. */
async function burst(rs: Running[], n: number, client: (i: number) => string): Promise<number[]> {
  const sends = rs.flatMap((r) =>
    Array.from({ length: n }, (_, i) =>
      post(r.webhookUrl, event('charge.succeeded'), { headers: { 'x-forwarded-for': client(i) } }),
    ),
  );
  return (await Promise.all(sends)).map((r) => r.status);
}

async function limitedTotal(rs: Running[], scope: string): Promise<number> {
  const texts = await Promise.all(rs.map((r) => scrape(r.internalUrl)));
  return texts.reduce((sum, t) => sum + sample(t, 'webhook_rate_limited_total', { scope }), 0);
}

describe('rate limits shared through Redis', () => {
  it('per client: one client gets one limit over all replicas, not one per replica', async () => {
    const rs = await replicas({ RATE_LIMIT_PER_CLIENT: '5', RATE_LIMIT_GLOBAL: '0' });
    const statuses = await burst(rs, 20, () => '203.0.113.7');
    const ok = statuses.filter((s) => s === 200).length;
    // Five per one-second window (ten if the burst straddles two); per replica it would be 15 or more.
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - ok);
    expect(await limitedTotal(rs, 'client')).toBe(60 - ok);
  });

  it('globally: all clients of all replicas share one limit', async () => {
    const rs = await replicas({ RATE_LIMIT_PER_CLIENT: '0', RATE_LIMIT_GLOBAL: '8' });
    const statuses = await burst(rs, 20, (i) => `198.51.100.${i}`);
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(8);
    expect(ok).toBeLessThanOrEqual(16);
    expect(await limitedTotal(rs, 'global')).toBe(60 - ok);
  });
});
