/**
 * Your own handler and targets, monitored end to end on the real engine: an Express app instrumented with
 * prom-client (the README's example, test/support/express-handler.ts) runs on this host, with wmon.yaml's
 * `handler:` pointing the stack at it (its `payments_` names mapped onto the contract's), and a second
 * instance of it as an extra scrape job. `wmon check` shows both targets up and no drift though the stack
 * carries the user's rule file, dashboards and fragments; `wmon metrics` shows the handler's figures; its
 * errors fire WebhookHighErrorRate and fail `wmon report`'s error-rate SLO, and the user's own rule loads. A rule file promtool refuses is
 * refused at `wmon update`, naming it, before Prometheus is asked to load it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CheckReportJson, MetricsResultJson, ReportJson } from '../../src/results.js';
import { wmon, wmonJson } from '../support/cli.js';
import { instrumentedApp } from '../support/express-handler.js';
import { writeExtensions } from '../support/extensions.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { E2E_WAIT, e2eProject, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
const servers: Server[] = [];
let traffic: NodeJS.Timeout | undefined;
let handlerPort = 0;
let ordersPort = 0;

async function listen(port: number): Promise<void> {
  const app = instrumentedApp(async (body) => {
    if (body.toString('utf8').includes('"fail"')) throw new Error('cannot process');
  });
  // Every interface: the stack reaches this host as host.containers.internal.
  await new Promise<void>((resolve) => servers.push(app.listen(port, '0.0.0.0', () => resolve())));
}

const post = (body: string) =>
  fetch(`http://127.0.0.1:${handlerPort}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  }).then((r) => r.status);

beforeAll(async () => {
  p = await e2eProject('extend e2e', { blackbox: true, bundledService: false });
  if (!p) return;
  [handlerPort, ordersPort] = [await freePort(), await freePort()];
  await listen(handlerPort);
  await listen(ordersPort);
  const ext = await writeExtensions(p.dir, {
    extraTargets: [`host.containers.internal:${ordersPort}`],
    receiverUrl: 'http://127.0.0.1:9/alerts',
  });
  // `for: 0s` so the error alerts fire at the first evaluation that sees the errors.
  const sections = ext.sections.replace(
    'alerts:\n',
    'alerts:\n  errorRatePercent: {critical: 10, warning: 5, criticalFor: 0s, warningFor: 0s}\n',
  );
  await p.writeConfig(
    `handler:
  targets: ['host.containers.internal:${handlerPort}']
  metricsPrefix: payments_
  publicUrl: http://host.containers.internal:${handlerPort}/webhooks/stripe
${sections}`,
    ext.prometheusLines,
  );
}, 60_000);

afterAll(async () => {
  clearInterval(traffic);
  await p?.cleanup();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
}, 120_000);

const cli = (args: string[]) => wmon(args, { cwd: p!.dir, timeout: 600_000 });
const checkJson = () => wmonJson<CheckReportJson>(['check'], { cwd: p!.dir, timeout: 120_000 });

describe.sequential('your own handler and targets on a real engine', () => {
  it('starts the stack around them', async ({ skip }) => {
    if (!p) return skip();
    const init = await cli(['init', '--json']);
    expect(init.exitCode, `${init.stdout}\n${init.stderr}`).toBe(0);
    // Half the deliveries fail: bounded, stopped in afterAll.
    let sent = 0;
    traffic = setInterval(() => {
      if (sent++ > 2000) return clearInterval(traffic);
      void post('{"id":"evt_ok"}').catch(() => undefined);
      void post('{"id":"fail"}').catch(() => undefined);
    }, 250);
    expect(await post('{"id":"fail"}')).toBe(500);
  }, 900_000);

  it('shows the handler’s target and the extra job’s target up, and no drift, in `wmon check`', async ({ skip }) => {
    if (!p) return skip();
    const report = await eventually(
      'both targets up and the user’s rules evaluating',
      async () => {
        const r = await checkJson();
        const row = (id: string) => r.json.checks.find((x) => x.id === id);
        const handler = row(`targets.webhook/host.containers.internal:${handlerPort}`);
        const orders = row(`targets.orders-api/host.containers.internal:${ordersPort}`);
        return handler?.status === 'OK' && /up, scraped/.test(handler.detail) && orders?.status === 'OK'
          ? r
          : undefined;
      },
      E2E_WAIT,
    );
    const rows = new Map(report.json.checks.map((x) => [x.id, x]));
    expect(rows.get(`targets.orders-api/host.containers.internal:${ordersPort}`)?.detail).toMatch(
      /^target host\.containers\.internal:\d+ \(job orders-api\) up, scraped/,
    );
    // The stack carries the user's rule file, extra job, global settings and Alertmanager fragment: no drift.
    expect(rows.get('drift.prometheus')).toMatchObject({ status: 'OK', differences: [] });
    expect(rows.get('drift.alertmanager')).toMatchObject({ status: 'OK', differences: [] });
    expect(rows.get('rules')?.detail).toMatch(/alert rules in \d+ group\(s\) loaded and evaluating/);
  }, 120_000);

  it('shows the handler’s figures in `wmon metrics`', async ({ skip }) => {
    if (!p) return skip();
    const m = await eventually(
      'the handler’s requests and errors counted',
      async () => {
        const r = await wmonJson<MetricsResultJson>(['metrics', '--window', '1m'], { cwd: p!.dir });
        // Both statuses' series counted: each needs two scrapes in the window, and the 500s' series came first.
        const byStatus = r.json?.counts.requests.byStatus ?? {};
        // …and the error rate, a rate over the window: it needs two scrapes of both series too.
        return (r.json?.counts.errors.total ?? 0) > 0 &&
          (byStatus['200'] ?? 0) > 0 &&
          (byStatus['500'] ?? 0) > 0 &&
          typeof r.json?.figures.errorRate.value === 'number'
          ? r.json
          : undefined;
      },
      E2E_WAIT,
    );
    expect(m.counts.requests.total).toBeGreaterThan(0);
    expect(m.counts.requests.byStatus['500']).toBeGreaterThan(0);
    expect(m.counts.requests.byStatus['200']).toBeGreaterThan(0);
    expect(m.counts.errors.byType).toHaveProperty('processing');
    expect(m.figures.errorRate.value).toBeGreaterThan(0.1);
  }, 120_000);

  it('fires WebhookHighErrorRate from its errors, which fail `wmon report`’s SLO', async ({ skip }) => {
    if (!p) return skip();
    const firing = await eventually(
      'WebhookHighErrorRate firing',
      async () => {
        const r = await checkJson();
        return r.json.alerts.find((a) => a.name === 'WebhookHighErrorRate' && a.state === 'firing');
      },
      E2E_WAIT,
    );
    expect(firing.labels).toMatchObject({ job: 'webhook', severity: 'critical' });

    // `wmon report` reads the same series: the handler's errors fail its error-rate SLO, the alert is listed.
    const report = await eventually(
      'WebhookHighErrorRate in the report',
      async () => {
        const r = await wmonJson<ReportJson>(['report', '--window', '10m', '--fail-on', 'never'], {
          cwd: p!.dir,
        });
        return r.json?.alerts.some((a) => a.name === 'WebhookHighErrorRate') ? r.json : undefined;
      },
      E2E_WAIT,
    );
    expect(report.errors.total).toBeGreaterThan(0);
    expect(report.errors.ratePercent).toBeGreaterThan(10);
    expect(report.testCases.find((t) => t.id === 'slo.error-rate.critical')?.status).toBe('failed');
  }, 180_000);

  it('refuses at `wmon update` a rule file promtool refuses, naming it', async ({ skip }) => {
    if (!p) return skip();
    const file = path.join(p.dir, 'rules/orders.rules.yml');
    const good = await readFile(file, 'utf8');
    // Valid PromQL syntax, a type error only promtool sees: rate() of an instant vector.
    await writeFile(file, good.replace('sum(up{job="orders-api"})', 'rate(up{job="orders-api"})'));
    try {
      const r = await wmonJson<{ error: { code: string; message: string; exit: number } }>(['update'], {
        cwd: p.dir,
        timeout: 300_000,
      });
      expect(r.exitCode, r.stdout + r.stderr).toBe(78);
      expect(r.json.error.code).toBe('EXTENSION_INVALID');
      expect(r.json.error.message).toContain('promtool (in the Prometheus container) refuses a rule file');
      expect(r.json.error.message).toContain(file);
      expect(r.json.error.message).toMatch(/range vector/);
    } finally {
      await writeFile(file, good);
    }
    const again = await cli(['update', '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
  }, 600_000);
});
