/**
 * The reconcile with Stripe on SQLite, its configuration, and the internal route without an API key.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { API_KEY, defineReconcileSuite, reconcileNow } from './helpers/reconcile-behaviour.js';
import { SECRET, sample, scrape, startService, tempDir, type Running } from './helpers/service.js';

const dirs: string[] = [];
defineReconcileSuite('SQLite', {
  env: async () => {
    const dir = tempDir();
    dirs.push(dir);
    return { DATABASE_URL: `sqlite:${join(dir, 'webhooks.db')}` };
  },
  cleanup: async () => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  },
});

describe('reconcile configuration', () => {
  const base = { STRIPE_WEBHOOK_SECRET: SECRET };

  it('is off without STRIPE_API_KEY, on with defaults (10m, 72h, Stripe itself) with one', () => {
    expect(loadConfig(base).reconcile).toBeUndefined();
    expect(loadConfig({ ...base, STRIPE_API_KEY: API_KEY }).reconcile).toEqual({
      apiKey: API_KEY,
      api: { host: 'api.stripe.com', port: 443, protocol: 'https' },
      intervalSeconds: 600,
      windowSeconds: 72 * 3600,
      replay: true,
      graceSeconds: 120,
      eventTypes: [],
    });
  });

  it('reads the key from STRIPE_API_KEY_FILE, and the interval, window, API base and types', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'stripe_api_key');
      writeFileSync(file, `${API_KEY}\n`);
      const c = loadConfig({
        ...base,
        STRIPE_API_KEY_FILE: file,
        RECONCILE_INTERVAL: '5m',
        RECONCILE_WINDOW: '2d',
        STRIPE_API_BASE: 'http://10.0.0.7:12111',
        RECONCILE_EVENT_TYPES: 'charge.succeeded, invoice.paid',
      }).reconcile;
      expect(c).toMatchObject({
        apiKey: API_KEY,
        api: { host: '10.0.0.7', port: 12111, protocol: 'http' },
        intervalSeconds: 300,
        windowSeconds: 172_800,
        eventTypes: ['charge.succeeded', 'invoice.paid'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad key without printing it, and intervals or windows out of bounds', () => {
    const bad = 'whsec_not_an_api_key_secret_value';
    expect(() => loadConfig({ ...base, STRIPE_API_KEY: bad })).toThrow(ConfigError);
    try {
      loadConfig({ ...base, STRIPE_API_KEY: bad });
    } catch (err) {
      expect((err as Error).message).toMatch(/^STRIPE_API_KEY: expected a Stripe API key .* \(not shown\)$/);
      expect((err as Error).message).not.toContain(bad);
    }
    expect(() => loadConfig({ ...base, RECONCILE_INTERVAL: '10s' })).toThrow(
      'RECONCILE_INTERVAL: expected a duration such as 30s, 10m, 72h or 2d, from 1m to 1d (got "10s")',
    );
    expect(() => loadConfig({ ...base, RECONCILE_WINDOW: '31d' })).toThrow(/RECONCILE_WINDOW: .* from 1m to 30d/);
    expect(() => loadConfig({ ...base, STRIPE_API_KEY: API_KEY, STRIPE_API_KEY_FILE: '/x' })).toThrow(
      'STRIPE_API_KEY_FILE: set either STRIPE_API_KEY or STRIPE_API_KEY_FILE, not both',
    );
  });
});

describe('the reconcile route without an API key', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('answers 409 disabled naming what to set; GET says the same; the metrics exist at 0', async () => {
    running = await startService();
    const res = await reconcileNow(running);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: 'disabled' });
    expect(res.body.error!.message).toMatch(/set STRIPE_API_KEY_FILE \(or STRIPE_API_KEY\)/);
    const last = await fetch(`${running.internalUrl}/reconcile`);
    expect(((await last.json()) as { status: string }).status).toBe('disabled');
    const text = await scrape(running.internalUrl);
    expect(text).toMatch(/^webhook_reconcile_missing_events\{service_replica="[^"]+"\} 0$/m);
    expect(sample(text, 'webhook_reconcile_errors_total', { reason: 'authentication' })).toBe(0);
    // Not on the public listener.
    expect((await fetch(`${running.url}/reconcile`, { method: 'POST' })).status).toBe(404);
  });

  it('refuses a window out of bounds and a body that is not an object', async () => {
    running = await startService();
    expect(await reconcileNow(running, { sinceSeconds: 10 })).toMatchObject({
      status: 400,
      body: { error: 'bad_request', message: 'sinceSeconds: expected a whole number of seconds from 60 to 2592000' },
    });
    const res = await fetch(`${running.internalUrl}/reconcile`, { method: 'POST', body: '[1]' });
    expect(res.status).toBe(400);
  });
});

describe('a database made before events had a source', () => {
  it('gets the column on start-up, its rows counted as webhook deliveries', async () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'webhooks.db');
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(file);
      db.exec(`CREATE TABLE webhook_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, stripe_created INTEGER NOT NULL,
        livemode INTEGER NOT NULL, received_at INTEGER NOT NULL, payload TEXT NOT NULL);
        CREATE TABLE webhook_event_state (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        processed_at INTEGER, last_error TEXT);
        INSERT INTO webhook_events VALUES ('evt_old1', 'charge.succeeded', 1, 0, 1, '{}');
        INSERT INTO webhook_event_state (event_id, status, next_attempt_at, updated_at, processed_at) VALUES ('evt_old1', 'processed', 1, 1, 1);`);
      db.close();
      const running = await startService({ DATABASE_URL: `sqlite:${file}` });
      try {
        expect(await running.service.store.getEvent('evt_old1')).toMatchObject({
          source: 'webhook',
          status: 'processed',
        });
        expect(await running.service.store.knownIds(['evt_old1', 'evt_none'])).toEqual(new Set(['evt_old1']));
      } finally {
        await running.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RECONCILE_EVENT_TYPES', () => {
  it("lists only the endpoint's types (List Events' types[]): other types are never reported missing", async () => {
    const { startStripeApi } = await import('./helpers/stripe-api.js');
    const { pastEvents } = await import('./helpers/reconcile-behaviour.js');
    const api = await startStripeApi(API_KEY);
    const running = await startService(
      {
        STRIPE_API_KEY: API_KEY,
        STRIPE_API_BASE: api.url,
        RECONCILE_GRACE: '0s',
        RECONCILE_EVENT_TYPES: 'invoice.paid,charge.succeeded',
      },
      { reconcileFirstDelayMs: false },
    );
    try {
      api.add(pastEvents(8));
      const res = await reconcileNow(running);
      expect(res.body).toMatchObject({ status: 'ok', listed: 4, missingCount: 4 });
      expect(new Set(res.body.missing!.map((m) => m.type))).toEqual(new Set(['invoice.paid', 'charge.succeeded']));
      const q = api.requests[0]!.query;
      expect([...q.entries()].filter(([k]) => k.startsWith('types[')).map(([, v]) => v)).toEqual([
        'invoice.paid',
        'charge.succeeded',
      ]);
    } finally {
      await running.stop();
      await api.close();
    }
  });
});

describe('the page limit', () => {
  it('stops after maxPages, says what was not compared, counts page_limit, and still records what it compared', async () => {
    const { startStripeApi } = await import('./helpers/stripe-api.js');
    const { pastEvents } = await import('./helpers/reconcile-behaviour.js');
    const api = await startStripeApi(API_KEY);
    const running = await startService(
      { STRIPE_API_KEY: API_KEY, STRIPE_API_BASE: api.url, RECONCILE_GRACE: '0s' },
      { reconcileFirstDelayMs: false, reconcileOptions: { maxPages: 1 } },
    );
    try {
      api.add(pastEvents(150));
      const res = await reconcileNow(running);
      expect(res.body).toMatchObject({
        status: 'ok',
        pages: 1,
        listed: 100,
        missingCount: 100,
        error: { reason: 'page_limit' },
      });
      expect(res.body.error!.message).toMatch(/^stopped after 1 pages \(100 events\): events older than/);
      expect(api.requests.filter((r) => r.path === '/v1/events')).toHaveLength(1);
      const text = await scrape(running.internalUrl);
      expect(sample(text, 'webhook_reconcile_errors_total', { reason: 'page_limit' })).toBe(1);
      expect(sample(text, 'webhook_reconcile_missing_events')).toBe(100);
    } finally {
      await running.stop();
      await api.close();
    }
  });
});
