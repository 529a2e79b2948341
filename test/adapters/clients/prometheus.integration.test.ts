/**
 * The Prometheus client against Debian's real Prometheus (the version CI runs: scripts/versions.env),
 * scraping itself and a real node exporter, evaluating rules and sending alerts to a real Alertmanager.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ComponentRequestError,
  createPrometheusClient,
  type PrometheusClient,
} from '../../../src/adapters/clients/index.js';
import { startAlertmanager, startNodeExporter, startPrometheus, type Daemon } from '../../support/debian-daemons.js';
import { isTested } from '../../support/versions.js';
import { eventually } from '../../support/wait.js';

const RULES = `groups:
  - name: wmon-test
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: WmonTestAlwaysFiring
        expr: vector(1)
        labels:
          severity: info
        annotations:
          summary: Fires as soon as it is evaluated.
`;

function prometheusYml(self: number, node: number, am: number, extraJob = ''): string {
  return `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${am}']
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${self}']
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:${node}']
${extraJob}`;
}

let node: Daemon | undefined;
let alertmanager: Daemon | undefined;
let prometheus: Daemon | undefined;
let client: PrometheusClient;

beforeAll(async () => {
  node = await startNodeExporter();
  alertmanager = await startAlertmanager('route:\n  receiver: default\nreceivers:\n  - name: default\n');
  const nodePort = node.port;
  const amPort = alertmanager.port;
  prometheus = await startPrometheus((self) => ({
    'prometheus.yml': prometheusYml(self, nodePort, amPort),
    'rules.yml': RULES,
  }));
  client = createPrometheusClient({ baseUrl: prometheus.url, timeoutMs: 5000 });
});

afterAll(async () => {
  await Promise.all([prometheus?.stop(), alertmanager?.stop(), node?.stop()]);
});

describe('Prometheus client against a real Prometheus', () => {
  it('reads readiness, health and build info', async () => {
    await expect(client.ready()).resolves.toBe(true);
    await expect(client.healthy()).resolves.toBe(true);
    const info = await client.buildInfo();
    expect(isTested('prometheus', info.version), info.version).toBe(true);
    expect(info.goVersion).toMatch(/^go1\./);
  });

  it('lists both scrape targets, up, with job, instance and no error', async () => {
    const targets = await eventually(
      'both targets up',
      async () => {
        const t = await client.targets();
        return t.length === 2 && t.every((x) => x.health === 'up') ? t : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const byJob = Object.fromEntries(targets.map((t) => [t.job, t]));
    expect(byJob.prometheus).toMatchObject({
      scrapePool: 'prometheus',
      instance: `127.0.0.1:${prometheus?.port}`,
      lastError: '',
    });
    expect(byJob.node).toMatchObject({ scrapeUrl: `http://127.0.0.1:${node?.port}/metrics`, health: 'up' });
    expect(byJob.node?.lastScrapeDurationSeconds).toBeGreaterThan(0);
    expect(Date.parse(byJob.node?.lastScrape ?? '')).not.toBeNaN();
  });

  it('runs instant queries of every result type, NaN and Inf included', async () => {
    const up = await client.query('up');
    expect(up.resultType).toBe('vector');
    if (up.resultType === 'vector') {
      expect(up.result.map((s) => s.metric.job).sort()).toEqual(['node', 'prometheus']);
      expect(up.result.every((s) => s.sample.value === 1)).toBe(true);
    }
    await expect(client.query('scalar(vector(0.25))')).resolves.toMatchObject({
      resultType: 'scalar',
      result: { value: 0.25 },
    });
    await expect(client.query('"wmon"')).resolves.toMatchObject({ resultType: 'string', result: { value: 'wmon' } });
    const nan = await client.query('0/0');
    expect(nan.resultType === 'scalar' && Number.isNaN(nan.result.value)).toBe(true);
    await expect(client.query('1/0')).resolves.toMatchObject({ result: { value: Number.POSITIVE_INFINITY } });
    await expect(client.query('-1/0')).resolves.toMatchObject({ result: { value: Number.NEGATIVE_INFINITY } });
    await expect(client.query('up[5s]')).resolves.toMatchObject({ resultType: 'matrix' });

    const at = new Date(Date.now() - 1000);
    const past = await client.query('time()', { time: at });
    expect(past.resultType === 'scalar' && past.result.time).toBeCloseTo(at.getTime() / 1000, 2);
  });

  it('runs range queries', async () => {
    await eventually(
      'five seconds of samples',
      async () => {
        const counts = await client.query('min(count_over_time(up[5s]))');
        return counts.resultType === 'vector' && (counts.result[0]?.sample.value ?? 0) >= 4 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const end = new Date();
    const series = await client.queryRange('up', { start: new Date(end.getTime() - 5000), end, step: 1 });
    expect(series.map((s) => s.metric.job).sort()).toEqual(['node', 'prometheus']);
    const samples = series[0]?.samples ?? [];
    expect(samples.length).toBeGreaterThan(1);
    expect(samples.every((s) => s.value === 1)).toBe(true);
    expect(samples[1]!.time - samples[0]!.time).toBeCloseTo(1, 3);
    await expect(
      client.queryRange('up', { start: new Date(end.getTime() - 5000), end, step: '2s' }),
    ).resolves.toHaveLength(2);
  });

  it("passes on Prometheus's own error for a bad query", async () => {
    const error = await client.query('up{').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentRequestError);
    expect((error as ComponentRequestError).status).toBe(400);
    expect((error as ComponentRequestError).message).toMatch(
      /^Prometheus: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query\?query=up%7B.* failed: HTTP 400: .*parse error/,
    );
  });

  it('lists loaded rules with state and health, and the firing alert', async () => {
    const groups = await eventually(
      'the alert to fire',
      async () => {
        const g = await client.rules();
        const alerting = g[0]?.rules.find((r) => r.type === 'alerting');
        return alerting?.type === 'alerting' && alerting.state === 'firing' ? g : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      name: 'wmon-test',
      intervalSeconds: 1,
      file: expect.stringMatching(/rules\.yml$/),
    });
    const [recording, alerting] = groups[0]?.rules ?? [];
    expect(recording).toMatchObject({
      type: 'recording',
      name: 'job:up:sum',
      health: expect.stringMatching(/ok|unknown/),
    });
    expect(alerting).toMatchObject({
      type: 'alerting',
      name: 'WmonTestAlwaysFiring',
      query: 'vector(1)',
      durationSeconds: 0,
      labels: { severity: 'info' },
      annotations: { summary: 'Fires as soon as it is evaluated.' },
      health: 'ok',
      lastError: undefined,
    });
    expect(alerting?.type === 'alerting' && alerting.alerts[0]).toMatchObject({ state: 'firing', value: 1 });

    const alerts = await client.alerts();
    expect(alerts).toEqual([
      {
        labels: { alertname: 'WmonTestAlwaysFiring', severity: 'info' },
        annotations: { summary: 'Fires as soon as it is evaluated.' },
        state: 'firing',
        activeAt: expect.any(String),
        value: 1,
      },
    ]);
  });

  it('knows the Alertmanager it sends to', async () => {
    const discovered = await eventually(
      'Alertmanager discovery',
      async () => {
        const d = await client.alertmanagers();
        return d.active.length > 0 ? d : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(discovered).toEqual({ active: [`http://127.0.0.1:${alertmanager?.port}/api/v2/alerts`], dropped: [] });
  });

  it('returns the running config and reloads a changed one', async () => {
    const before = await client.statusConfig();
    expect(before).toContain('job_name: node');
    expect(before).not.toContain('job_name: extra');

    const extra = `  - job_name: extra\n    static_configs:\n      - targets: ['127.0.0.1:1']\n`;
    await writeFile(
      join(prometheus!.dir, 'prometheus.yml'),
      prometheusYml(prometheus!.port, node!.port, alertmanager!.port, extra),
    );
    await client.reload();
    expect(await client.statusConfig()).toContain('job_name: extra');
  });

  it("fails a reload of a broken config with Prometheus's reason, keeping the old one", async () => {
    await writeFile(join(prometheus!.dir, 'prometheus.yml'), 'scrape_configs:\n  - job_name: [oops\n');
    const error = await client.reload().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentRequestError);
    expect((error as ComponentRequestError).status).toBe(500);
    expect((error as ComponentRequestError).message).toContain('failed to reload config');
    expect(await client.statusConfig()).toContain('job_name: node');
    await writeFile(
      join(prometheus!.dir, 'prometheus.yml'),
      prometheusYml(prometheus!.port, node!.port, alertmanager!.port),
    );
    await client.reload();
  });

  it('takes TSDB snapshots into <data dir>/snapshots/<name>', async () => {
    const name = await client.snapshot();
    expect(name).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]+$/);
    expect(existsSync(join(prometheus!.dir, 'data', 'snapshots', name))).toBe(true);
    const headless = await client.snapshot({ skipHead: true });
    expect(headless).not.toBe(name);
    expect(existsSync(join(prometheus!.dir, 'data', 'snapshots', headless))).toBe(true);
  });
});

describe('Prometheus client against a Prometheus without the lifecycle and admin APIs', () => {
  let plain: Daemon | undefined;
  afterAll(async () => {
    await plain?.stop();
  });

  it('says which flag is missing', async () => {
    plain = await startPrometheus(() => ({ 'prometheus.yml': 'global:\n  scrape_interval: 1m\n' }), { plain: true });
    const c = createPrometheusClient({ baseUrl: plain.url });
    await expect(c.reload()).rejects.toThrow(
      /HTTP 403: Lifecycle API is not enabled\. \(start Prometheus with --web\.enable-lifecycle\)/,
    );
    const error = await c.snapshot().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentRequestError);
    expect((error as ComponentRequestError).message).toMatch(
      /admin APIs disabled \(start Prometheus with --web\.enable-admin-api\)/,
    );
    expect((error as ComponentRequestError).failure).toBe('http');
  });
});
