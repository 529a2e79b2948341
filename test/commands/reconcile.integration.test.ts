/**
 * `wmon reconcile` (the built binary) against the real webhook service, run in-process on the internal
 * port wmon.yaml names, with the official `stripe` library in the service pointed at the local Stripe API
 * server: it prints what Stripe has that the service never stored, --replay recovers it (the processed
 * counter moves by exactly that number), and without a key it says what to set.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createService, type Service } from '../../service/src/app.js';
import { loadConfig } from '../../service/src/config.js';
import { signPayload } from '../../service/src/send.js';
import { pastEvents } from '../../service/test/helpers/reconcile-behaviour.js';
import { sample } from '../../service/test/helpers/service.js';
import { startStripeApi, type StripeApiServer } from '../../service/test/helpers/stripe-api.js';
import type { ReconcileResultJson } from '../../src/results.js';
import { wmon } from '../support/cli.js';
import { freePorts } from '../support/ports.js';

const KEY = 'rk_test_51wmonCliReconcile0123456789';
const SECRET = 'whsec_wmon_reconcile_cli_0123456789abcdef';

let dir: string;
let stripe: StripeApiServer;
let service: Service;
let internal: string;
let webhookUrl: string;
const events = pastEvents(5);
const lost = events.slice(3);

async function writeConfig(name: string, withKey: boolean): Promise<string> {
  const [metricsPort] = [new URL(internal).port];
  const file = path.join(dir, name);
  const lines = [
    'project: wmon-reconcile-test',
    `stackDir: ./stack-${name}`,
    'components:',
    `  webhook: { metricsPort: ${metricsPort} }`,
    ...(withKey ? ['service:', '  stripeApiKey: { file: ./stripe-api-key }'] : []),
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const processed = async () =>
  sample(await (await fetch(`${internal}/metrics`)).text(), 'webhook_events_processed_total', {
    outcome: 'success',
    source: 'external',
  });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wmon-reconcile-'));
  await writeFile(path.join(dir, 'stripe-api-key'), `${KEY}\n`, { mode: 0o600 });
  stripe = await startStripeApi(KEY);
  stripe.add(events);
  const [port, metricsPort] = await freePorts(2);
  service = createService(
    loadConfig({
      STRIPE_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${path.join(dir, 'webhooks.db')}`,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: '127.0.0.1',
      STRIPE_API_KEY_FILE: path.join(dir, 'stripe-api-key'),
      STRIPE_API_BASE: stripe.url,
      RECONCILE_GRACE: '0s',
    }),
    { logger: pino({ level: 'silent' }), reconcileFirstDelayMs: false },
  );
  webhookUrl = `${await service.start()}/webhooks/stripe`;
  internal = service.internalUrl();
  for (const e of events.slice(0, 3)) {
    const body = JSON.stringify(e);
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);
  }
});

afterAll(async () => {
  await service?.stop();
  await stripe?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('wmon reconcile', () => {
  it('prints the events Stripe has that the service never stored, with ids, types and creation times', async () => {
    const config = await writeConfig('wmon.yaml', true);
    const r = await wmon(['reconcile', '--config', config]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Stripe listed 5 event(s) created since');
    expect(r.stdout).toContain('2 never reached the service:');
    for (const e of lost) {
      expect(r.stdout).toContain(e.id);
      expect(r.stdout).toContain(e.type);
      expect(r.stdout).toContain(new Date(e.created * 1000).toISOString());
    }
    expect(r.stdout).toContain('wmon reconcile --replay');
    for (const e of lost) expect(await service.store.getEvent(e.id)).toBeUndefined();
  });

  it('wmon check reports the last reconcile: a warning naming how many never arrived', async () => {
    const config = await writeConfig('wmon.yaml', true);
    const skip = 'engine,targets,rules,alerts,drift,grafana,loki,jaeger,secrets';
    const r = await wmon(['check', '--config', config, '--skip', skip, '--json']);
    const checks = (JSON.parse(r.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks;
    const row = checks.find((c) => c.id === 'reconcile.webhook');
    expect(row?.status, r.stdout).toBe('WARNING');
    expect(row?.detail).toMatch(
      /^last reconcile \d+ s ago: 2 event\(s\) Stripe has never reached the service \(0 recovered/,
    );
  });

  it('--replay --json recovers them: the processed counter moves by exactly that number', async () => {
    const config = await writeConfig('wmon.yaml', true);
    const before = await processed();
    const r = await wmon(['reconcile', '--config', config, '--replay', '--since', '24h', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as ReconcileResultJson;
    expect(json).toMatchObject({ replay: true, listed: 5, missingCount: 2, recovered: 2, truncated: false });
    expect(json.missing.map((m) => m.id).sort()).toEqual(lost.map((e) => e.id).sort());
    expect(json.missing.every((m) => m.recovered)).toBe(true);
    const list = stripe.requests.filter((q) => q.path === '/v1/events').at(-1)!;
    expect(Math.abs(Number(list.query.get('created[gte]')) - (Date.now() / 1000 - 86_400))).toBeLessThan(60);
    const deadline = Date.now() + 10_000;
    while ((await processed()) < before + 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    expect(await processed()).toBe(before + 2);
    // Nothing missing any more.
    const again = await wmon(['reconcile', '--config', config]);
    expect(again.stdout).toContain('The service has stored every one of them.');
  });

  it('without service.stripeApiKey says exactly what to set, exit 78', async () => {
    const config = await writeConfig('no-key.yaml', false);
    const r = await wmon(['reconcile', '--config', config, '--json']);
    expect(r.exitCode).toBe(78);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string; suggestions: string[] } }).error;
    expect(err.code).toBe('RECONCILE_NOT_CONFIGURED');
    expect(err.suggestions.join('\n')).toContain('service: { stripeApiKey: { file: ./stripe-api-key } }');
  });

  it('refuses a window beyond 30 days', async () => {
    const config = await writeConfig('wmon.yaml', true);
    const r = await wmon(['reconcile', '--config', config, '--since', '31d']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--since must be from 1m to 30d');
  });
});
