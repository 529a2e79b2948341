/**
 * The reconcile with Stripe on the real engine: the bundled service, built from this checkout, runs with
 * the Stripe API key of wmon.yaml (a mounted secret file) and its `stripe` library pointed at the local
 * Stripe API server on this host (reachable from the container as host.containers.internal). `wmon
 * reconcile` prints the events Stripe has that the service never stored; `--replay` recovers them, and the
 * processed counter moves by exactly that number.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signPayload } from '../../service/src/send.js';
import { pastEvents } from '../../service/test/helpers/reconcile-behaviour.js';
import { sample } from '../../service/test/helpers/service.js';
import { startStripeApi, type StripeApiServer } from '../../service/test/helpers/stripe-api.js';
import type { ReconcileResultJson } from '../../src/results.js';
import { wmon } from '../support/cli.js';
import { e2eProject, type E2eProject } from './helpers.js';

const KEY = 'rk_test_51wmonE2eReconcile0123456789';

let p: E2eProject | undefined;
let stripe: StripeApiServer | undefined;
const events = pastEvents(5);
const lost = events.slice(3);

beforeAll(async () => {
  p = await e2eProject('reconcile e2e');
  if (!p) return;
  stripe = await startStripeApi(KEY, { host: '0.0.0.0' });
  stripe.add(events);
  await writeFile(path.join(p.dir, 'stripe-api-key'), `${KEY}\n`, { mode: 0o600 });
  // The service's own runs only list (replay: false), so that what is missing is still there to print.
  await p.writeConfig(
    `  stripeApiKey: {file: ./stripe-api-key}\n  reconcile: {interval: 1h, replay: false, apiBase: 'http://host.containers.internal:${stripe.port}'}\n`,
  );
}, 60_000);

afterAll(async () => {
  await p?.cleanup();
  await stripe?.close();
}, 120_000);

const cli = (args: string[]) => wmon(args, { cwd: p!.dir, timeout: 900_000 });
const processed = async () =>
  sample(
    await (await fetch(`http://127.0.0.1:${p!.ports.webhookMetrics}/metrics`)).text(),
    'webhook_events_processed_total',
    { outcome: 'success', source: 'external' },
  );

describe.sequential('wmon reconcile on a real engine', () => {
  it('prints the events Stripe has that the running service never stored, and --replay recovers them', async ({
    skip,
  }) => {
    if (!p) return skip();
    const init = await cli(['init', '--json']);
    expect(init.exitCode, init.stderr).toBe(0);
    const secret = (await readFile(path.join(p.dir, '.wmon/stripe-webhook-secret'), 'utf8')).trim();
    for (const e of events.slice(0, 3)) {
      const body = JSON.stringify(e);
      const res = await fetch(`http://127.0.0.1:${p.ports.webhook}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, secret) },
        body,
      });
      expect(res.status).toBe(200);
    }

    const listed = await cli(['reconcile']);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('2 never reached the service:');
    for (const e of lost) {
      expect(listed.stdout).toContain(e.id);
      expect(listed.stdout).toContain(e.type);
      expect(listed.stdout).toContain(new Date(e.created * 1000).toISOString());
    }

    const deadline = Date.now() + 30_000;
    while ((await processed()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const before = await processed();
    expect(before).toBe(3);
    const replay = await cli(['reconcile', '--replay', '--json']);
    expect(replay.exitCode, replay.stderr).toBe(0);
    const json = JSON.parse(replay.stdout) as ReconcileResultJson;
    expect(json).toMatchObject({ listed: 5, missingCount: 2, recovered: 2 });
    expect(json.missing.map((m) => m.id).sort()).toEqual(lost.map((e) => e.id).sort());
    while ((await processed()) < before + 2 && Date.now() < deadline + 30_000)
      await new Promise((r) => setTimeout(r, 250));
    expect(await processed()).toBe(before + 2);

    const again = await cli(['reconcile', '--json']);
    expect((JSON.parse(again.stdout) as ReconcileResultJson).missingCount).toBe(0);
  }, 900_000);
});
