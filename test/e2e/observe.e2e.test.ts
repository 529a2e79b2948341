/**
 * `wmon check`, `wmon metrics` and `wmon report` against a stack that `wmon init` started on the real
 * container engine (Podman here, Docker elsewhere), with signed traffic sent to the webhook service: some
 * valid, some with a bad signature, some duplicates. Grafana, Loki and Jaeger are off (they cannot run
 * here; their checks are tested against contract fakes). In CI a missing engine fails the suite.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { XMLValidator } from 'fast-xml-parser';
import { parse as parseJunit } from 'junit2json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPrometheusClient, type PrometheusClient } from '../../src/adapters/clients/index.js';
import { LABELS } from '../../src/core/model/container-types.js';
import { loadFixtures, postSignedEvent, withFreshId } from '../../service/src/send.js';
import { jsonOutput, wmon, type CliResult } from '../support/cli.js';
import { sample } from '../../service/test/helpers/service.js';
import {
  checkJsonSchema,
  metricsJsonSchema,
  reportJsonSchema,
  expectCountsOf,
  sendTraffic,
  targetsUp,
  trafficScraped,
  type SentTraffic,
} from '../support/observe.js';
import { eventually } from '../support/wait.js';
import { E2E_WAIT, e2eProject, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
let prom: PrometheusClient;
let traffic: SentTraffic;

const cli = (args: readonly string[]): Promise<CliResult> =>
  wmon(args, { cwd: p!.dir, env: { GITHUB_STEP_SUMMARY: '' }, timeout: 300_000 });

beforeAll(async () => {
  // With the blackbox exporter: service.publicUrl is the service's public listener inside the stack.
  p = await e2eProject('observe e2e', { blackbox: true });
  if (!p) return;
  prom = createPrometheusClient({ baseUrl: `http://127.0.0.1:${p.ports.prometheus}` });
  await p.writeConfig();
  const r = await wmon(['init'], { cwd: p.dir, timeout: 900_000 });
  if (r.exitCode !== 0) throw new Error(`wmon init failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  // Prometheus, Alertmanager, node exporter, the service, and the blackbox probes (public and internal).
  await targetsUp(prom, 6, E2E_WAIT);
}, 900_000);

afterAll(() => p?.cleanup(), 180_000);

describe.sequential('check, metrics and report on a real engine', () => {
  it('wmon check exits 0 on the healthy stack, every container running', async ({ skip }) => {
    if (!p) return skip();
    const started = performance.now();
    const human = await cli(['check']);
    const wallMs = performance.now() - started;
    console.info(
      `wmon check on a healthy stack (engine included): ${Math.round(wallMs)} ms wall time\n${human.stdout}`,
    );
    expect(human.exitCode, human.stdout + human.stderr).toBe(0);
    const r = jsonOutput(await cli(['check', '--json']), checkJsonSchema);
    expect(r.status).toBe('OK');
    expect(r.checks.filter((c) => c.id.startsWith('containers.')).map((c) => [c.id, c.status])).toEqual([
      ['containers.webhook', 'OK'],
      ['containers.nodeExporter', 'OK'],
      ['containers.blackboxExporter', 'OK'],
      ['containers.alertmanager', 'OK'],
      ['containers.prometheus', 'OK'],
    ]);
    expect(r.checks.find((c) => c.id === 'engine')?.detail).toMatch(/^(Podman|Docker) /);
    expect(r.checks.find((c) => c.id === 'drift.prometheus')?.status).toBe('OK');
    expect(r.checks.find((c) => c.id === 'drift.alertmanager')?.status).toBe('OK');
    // The blackbox exporter's probes of the running service succeed, and check says so, one line each.
    const probes = r.checks.filter((c) => c.id.startsWith('reachability.')).map((c) => [c.id, c.status]);
    expect(probes.sort()).toEqual([
      ['reachability.internal/http://webhook:8080/webhooks/stripe/reachability', 'OK'],
      [`reachability.public/http://${p.project}-webhook:8080/webhooks/stripe/reachability`, 'OK'],
    ]);
    expect(human.stdout).toMatch(/webhook\s+reachable\s+OK\s+the public probe of \S+ succeeded in \d+ ms/);
  }, 120_000);

  it('wmon metrics --json shows the exact counts of signed traffic', async ({ skip }) => {
    if (!p) return skip();
    const secret = (await readFile(path.join(p.dir, '.wmon/stripe-webhook-secret'), 'utf8')).trim();
    // Rounds 5 s apart (scrapes every 2 s), so the rates see the increases.
    traffic = await sendTraffic(`http://127.0.0.1:${p.ports.webhook}/webhooks/stripe`, secret, {
      batches: 3,
      pauseMs: 5000,
    });
    await trafficScraped(prom, traffic, E2E_WAIT);
    const m = jsonOutput(await cli(['metrics', '--json']), metricsJsonSchema);
    expect(m.window).toBe('5m');
    expectCountsOf(m, traffic);
    // The probes (every 2 s since init, to their own route) moved none of the counters the alerts read.
    const total = async (expr: string) => {
      const q = await prom.query(`sum(${expr})`);
      return q.resultType === 'vector' ? (q.result[0]?.sample.value ?? 0) : NaN;
    };
    expect(await total('webhook_requests_total{route="/webhooks/stripe/reachability"}')).toBeGreaterThan(10);
    expect(await total('webhook_requests_total{route="/webhooks/stripe"}')).toBe(
      traffic.valid + traffic.duplicates + traffic.badSignatures,
    );
    expect(await total('webhook_events_processed_total')).toBe(traffic.valid + traffic.duplicates);
    expect(await total('webhook_signature_failures_total')).toBe(traffic.badSignatures);
    expect(await total('probe_success{job="blackbox-exporter"}')).toBe(2);
    expect(m.figures.requestRate.value).toBeGreaterThan(0);
    expect(m.figures.errorRate).toMatchObject({ status: 'critical' });
    expect(m.figures.latencyP95.value).toBeGreaterThan(0);
    expect(m.figures.memoryRss.value).toBeGreaterThan(0);
    expect(m.figures.memoryLimit.value).toBeGreaterThan(0);
    expect(m.figures.dbUp.value).toBe(1);
    expect(m.figures.cacheUp.value).toBe(1);
  }, 180_000);

  it('wmon check --probe confirms a signed synthetic event end to end', async ({ skip }) => {
    if (!p) return skip();
    const r = jsonOutput(await cli(['check', '--probe', '--json']), checkJsonSchema);
    const probe = r.checks.find((c) => c.id === 'probe');
    expect(probe?.status, probe?.detail).toBe('OK');
    expect(r.exitCode, JSON.stringify(r.checks.filter((c) => c.status !== 'OK'))).toBe(0);
  }, 120_000);

  it('wmon report writes JUnit XML a parser accepts and JSON in the documented shape', async ({ skip }) => {
    if (!p) return skip();
    const junit = await cli(['report', '--format', 'junit', '--window', '30m']);
    // The signature failures put the window's error rate above the critical threshold.
    expect(junit.exitCode, junit.stderr).toBe(2);
    expect(XMLValidator.validate(junit.stdout)).toBe(true);
    const parsed = (await parseJunit(junit.stdout)) as {
      tests?: number;
      failures?: number;
      testsuite?: Array<{ name?: string }>;
    };
    expect(parsed.testsuite?.map((s) => s.name)).toEqual(['wmon.slo', 'wmon.alerts']);
    const report = jsonOutput(
      await cli(['report', '--format', 'json', '--window', '30m', '--fail-on', 'never']),
      reportJsonSchema,
    );
    expect(parsed.tests).toBe(report.testCases.length);
    expect(parsed.failures).toBe(report.testCases.filter((c) => c.status === 'failed').length);
    expect(report.signatureFailures.total).toBe(traffic.badSignatures);
    expect(report.availability.webhookPercent).toBe(100);
    expect(report.exitCode).toBe(0);
  }, 120_000);

  it("an event Stripe delivers an hour after its creation moves the service's delivery-lag histogram", async ({
    skip,
  }) => {
    if (!p) return skip();
    const secret = (await readFile(path.join(p.dir, '.wmon/stripe-webhook-secret'), 'utf8')).trim();
    const metrics = async () => (await fetch(`http://127.0.0.1:${p!.ports.webhookMetrics}/metrics`)).text();
    const lag = 'webhook_event_delivery_lag_seconds';
    const before = await metrics();
    const fixture = [...loadFixtures().values()].find((f) => f.type === 'invoice.paid')!;
    const late = { ...withFreshId(fixture), created: Math.floor(Date.now() / 1000) - 3600 };
    const r = await postSignedEvent({
      url: `http://127.0.0.1:${p.ports.webhook}/webhooks/stripe`,
      secret,
      payload: JSON.stringify(late),
    });
    expect(r.status, r.body).toBe(200);
    const after = await metrics();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta(`${lag}_count`)).toBe(1);
    expect(delta(`${lag}_bucket`, { le: '1800' })).toBe(0);
    expect(delta(`${lag}_bucket`, { le: '7200' })).toBe(1);
  }, 60_000);

  it('wmon check exits 2 naming the target after the webhook container stops', async ({ skip }) => {
    if (!p) return skip();
    const webhook = (await p.runtime.listContainers({ [LABELS.project]: p.project })).find(
      (c) => c.component === 'webhook',
    );
    expect(webhook).toBeDefined();
    await p.runtime.stopContainer(webhook!.id, 10);
    await eventually(
      'Prometheus sees the webhook target down',
      async () => ((await prom.targets()).find((t) => t.job === 'webhook')?.health === 'down' ? true : undefined),
      E2E_WAIT,
    );
    const r = await cli(['check']);
    console.info(r.stdout);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toMatch(/webhook\s+container running\s+CRITICAL\s+\S+-webhook is exited/);
    expect(r.stdout).toMatch(/webhook\s+target up\s+CRITICAL\s+target webhook:9464 \(job webhook\) is down/);
    const j = jsonOutput(await cli(['check', '--json']), checkJsonSchema);
    expect(j.checks.filter((c) => c.status === 'CRITICAL').map((c) => c.id)).toEqual(
      expect.arrayContaining(['containers.webhook', 'ready.webhook', 'targets.webhook/webhook:9464']),
    );
  }, 180_000);

  it('the public probe fails once the service is stopped: WebhookEndpointUnreachable pending, check names it', async ({
    skip,
  }) => {
    if (!p) return skip();
    // The previous test stopped the webhook container.
    const pending = await eventually(
      'WebhookEndpointUnreachable pending or firing',
      async () => {
        const rule = (await prom.rules())
          .flatMap((g) => g.rules)
          .find((x) => x.type === 'alerting' && x.name === 'WebhookEndpointUnreachable');
        const alert = rule?.type === 'alerting' ? rule.alerts[0] : undefined;
        return alert && (alert.state === 'pending' || alert.state === 'firing') ? alert : undefined;
      },
      E2E_WAIT,
    );
    expect(pending.labels).toMatchObject({ severity: 'critical', probe: 'public', job: 'blackbox-exporter' });
    const success = await prom.query('probe_success{job="blackbox-exporter", probe="public"}');
    expect(success.resultType === 'vector' ? success.result.map((s) => s.sample.value) : []).toEqual([0]);
    const r = await cli(['check']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(
        `webhook\\s+reachable\\s+CRITICAL\\s+the public probe of http://${p.project}-webhook:8080/webhooks/stripe/reachability ` +
          'fails: no answer .*Stripe cannot deliver there either',
      ),
    );
  }, 180_000);
});
