/**
 * `wmon check`'s lines for the blackbox probes, the certificate and the heartbeat, read through the real
 * Prometheus (the version CI runs) from what it scraped: the rendered probe job (multi-target pattern,
 * relabelled as rendered) pointed at a stand-in that answers `/probe?target=…&module=…` with the blackbox
 * exporter's series, and an Alertmanager job whose notification counters carry `receiver_name` (as
 * Alertmanager does with receiver-name-in-metrics).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { parseConfigText, type LoadedConfig } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import { createHealthContext } from '../../../src/features/health/context.js';
import { reachabilityTasks } from '../../../src/features/health/checks/reachability.js';
import { runTasks } from '../../../src/features/health/runner.js';
import type { CheckResultJson } from '../../../src/results.js';
import { startPrometheus, type Daemon } from '../../support/debian-daemons.js';
import { loadedConfigIn, stopDaemonAndServer } from '../../support/loaded-config.js';
import { eventually } from '../../support/wait.js';

const PUBLIC = 'https://hooks.example.com/webhooks/stripe/reachability';
const INTERNAL = 'http://webhook:8080/webhooks/stripe/reachability';
const DAY = 86_400;

/** What the stand-in answers now, per probed URL, and the heartbeat's counters. */
const state = {
  probes: {
    [PUBLIC]: { success: 1, status: 200, certDaysLeft: 30 as number | undefined },
    [INTERNAL]: { success: 1, status: 200, certDaysLeft: undefined as number | undefined },
  } as Record<string, { success: number; status: number; certDaysLeft: number | undefined }>,
  heartbeatFailing: false,
  sent: { heartbeat: 0, critical: 0 },
  failed: { heartbeat: 0, critical: 0 },
};

let server: http.Server;
let prometheus: Daemon | undefined;
let loaded: LoadedConfig;

function exposition(req: http.IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/probe') {
    const p = state.probes[url.searchParams.get('target') ?? ''];
    if (!p || url.searchParams.get('module') !== 'webhook_reachability') return 'probe_success 0\n';
    return [
      `probe_success ${p.success}`,
      'probe_duration_seconds 0.012',
      `probe_http_status_code ${p.status}`,
      ...(p.certDaysLeft === undefined
        ? []
        : [`probe_ssl_earliest_cert_expiry ${Math.round(Date.now() / 1000 + p.certDaysLeft * DAY)}`]),
      '',
    ].join('\n');
  }
  // Alertmanager: every scrape, one more heartbeat sent, and a failure of the other receiver (or of it).
  state.sent.heartbeat++;
  state.sent.critical++;
  state.failed.critical++;
  if (state.heartbeatFailing) state.failed.heartbeat++;
  const line = (name: string, receiver: 'heartbeat' | 'critical', value: number) =>
    `${name}{integration="webhook",receiver_name="${receiver}"} ${value}`;
  return [
    line('alertmanager_notifications_total', 'heartbeat', state.sent.heartbeat),
    line('alertmanager_notifications_total', 'critical', state.sent.critical),
    line('alertmanager_notifications_failed_total', 'heartbeat', state.failed.heartbeat),
    line('alertmanager_notifications_failed_total', 'critical', state.failed.critical),
    '',
  ].join('\n');
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(exposition(req));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const standIn = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const yaml = (promPort: number) => `service:
  publicUrl: https://hooks.example.com/webhooks/stripe
notifications:
  heartbeat: {url: {env: WMON_TEST_HEARTBEAT_URL}}
components:
  prometheus: {port: ${promPort}}
  grafana: {enabled: false}
  loki: {enabled: false}
  jaeger: {enabled: false}
`;
  // The rendered probe job, its exporter address replaced by the stand-in; Alertmanager's job likewise.
  const rendered = parse(
    renderStack(parseConfigText(yaml(9090), 'wmon.yaml')).files.find((f) => f.path === 'prometheus/prometheus.yml')!
      .contents,
  ) as { scrape_configs: Array<{ job_name: string; relabel_configs?: Array<Record<string, unknown>> }> };
  const probeJob = rendered.scrape_configs.find((j) => j.job_name === 'blackbox-exporter')!;
  probeJob.relabel_configs = probeJob.relabel_configs!.map((r) =>
    r.target_label === '__address__' ? { ...r, replacement: standIn } : r,
  );
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [probeJob, { job_name: 'alertmanager', static_configs: [{ targets: [standIn] }] }],
  };
  prometheus = await startPrometheus(() => ({ 'prometheus.yml': stringify(config) }));

  loaded = await loadedConfigIn('wmon-reach-', yaml(prometheus.port));
}, 60_000);

afterAll(() => stopDaemonAndServer(prometheus, server));

const check = async (): Promise<CheckResultJson[]> =>
  runTasks(reachabilityTasks(createHealthContext(loaded, { timeoutMs: 5000 })));
const byId = (rows: readonly CheckResultJson[], id: string) => rows.find((r) => r.id === id);

describe('wmon check: probes, certificate and heartbeat, through the real Prometheus', () => {
  it('says OK for succeeding probes, a certificate far from expiry and heartbeats delivered', async () => {
    const rows = await eventually(
      'both probes and two heartbeat scrapes seen',
      async () => {
        const r = await check();
        return byId(r, `reachability.internal/${INTERNAL}`) &&
          /delivered \d+ heartbeat/.test(byId(r, 'heartbeat')?.detail ?? '')
          ? r
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(byId(rows, `reachability.public/${PUBLIC}`)).toMatchObject({
      component: 'webhook',
      check: 'reachable',
      status: 'OK',
      detail: `the public probe of ${PUBLIC} succeeded in 12 ms`,
    });
    expect(byId(rows, `reachability.internal/${INTERNAL}`)?.status).toBe('OK');
    expect(byId(rows, `certificate/${PUBLIC}`)).toMatchObject({
      status: 'OK',
      detail: expect.stringMatching(/^the certificate of \S+ is valid for (29\.9|30\.0) days more$/),
    });
    // No certificate row for the plain-http probe.
    expect(rows.filter((r) => r.id.startsWith('certificate/'))).toHaveLength(1);
    // The other receiver's failures are not the heartbeat's.
    expect(byId(rows, 'heartbeat')).toMatchObject({ component: 'alertmanager', status: 'OK' });
  });

  it('warns under 14 days left, and is critical under 3', async () => {
    state.probes[PUBLIC]!.certDaysLeft = 10;
    const warning = await eventually('the 10-day certificate scraped', async () => {
      const row = byId(await check(), `certificate/${PUBLIC}`);
      return row?.status === 'WARNING' ? row : undefined;
    });
    expect(warning.detail).toMatch(
      /^the certificate of \S+ expires in (9\.9|10\.0) days \(14 days or fewer\): renew it$/,
    );
    state.probes[PUBLIC]!.certDaysLeft = 2;
    const critical = await eventually('the 2-day certificate scraped', async () => {
      const row = byId(await check(), `certificate/${PUBLIC}`);
      return row?.status === 'CRITICAL' ? row : undefined;
    });
    expect(critical.detail).toMatch(/expires in (1\.9|2\.0) days \(3 days or fewer\): renew it now$/);
  });

  it('names a failing public probe with its answer, and a heartbeat Alertmanager failed to deliver', async () => {
    state.probes[PUBLIC] = { success: 0, status: 503, certDaysLeft: undefined };
    state.heartbeatFailing = true;
    const rows = await eventually('the failures scraped', async () => {
      const r = await check();
      return byId(r, `reachability.public/${PUBLIC}`)?.status === 'CRITICAL' &&
        byId(r, 'heartbeat')?.status === 'CRITICAL'
        ? r
        : undefined;
    });
    expect(byId(rows, `reachability.public/${PUBLIC}`)?.detail).toBe(
      `the public probe of ${PUBLIC} fails: answered HTTP 503 in 12 ms; Stripe cannot deliver there either ` +
        '(WebhookEndpointUnreachable)',
    );
    expect(byId(rows, `reachability.internal/${INTERNAL}`)?.status).toBe('OK');
    expect(byId(rows, 'heartbeat')?.detail).toMatch(
      /^Alertmanager failed to deliver \d+ of \d+ heartbeat\(s\) in the last 15m: the dead man's switch will report/,
    );
  });

  it('says UNKNOWN, not OK, when Prometheus does not answer', async () => {
    const gone = { ...loaded, config: parseConfigText('components:\n  prometheus: {port: 1}\n', loaded.file) };
    const rows = await runTasks(reachabilityTasks(createHealthContext(gone, { timeoutMs: 2000 })));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.status, r.id).toBe('UNKNOWN');
  });
});
