/**
 * The Grafana, Loki and Jaeger checks of `wmon check` against the contract fakes of their APIs (they
 * cannot run here): what each check says when all is in place, when something is missing, when the
 * credentials are refused, and when the component hangs past the deadline.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseConfigText, type LoadedConfig } from '../../../src/core/config/load.js';
import { createLokiClient } from '../../../src/adapters/clients/index.js';
import { createHealthContext } from '../../../src/features/health/context.js';
import { grafanaTasks, jaegerTasks, lokiTasks } from '../../../src/features/health/checks/observability.js';
import { readinessTasks } from '../../../src/features/health/checks/ready.js';
import { runTasks } from '../../../src/features/health/runner.js';
import type { CheckResultJson } from '../../../src/results.js';
import { startFakeGrafana, type FakeGrafana } from '../../support/fakes/grafana.js';
import { gatewayError, startFakeJaeger } from '../../support/fakes/jaeger.js';
import { eachTest } from '../../support/each-test.js';
import { startFakeLoki, type FakeLoki } from '../../support/fakes/loki.js';
import { tempDir } from '../../support/tmp.js';

const PASSWORD = 's3cret-admin-password';

async function loaded(
  ports: { grafana?: number; loki?: number; jaeger?: number },
  password: string | null = PASSWORD,
): Promise<LoadedConfig> {
  const dir = await tempDir('wmon-health-');
  const on = (p: number | undefined) => (p === undefined ? '{enabled: false}' : `{port: ${p}}`);
  const text = `components:\n  grafana: ${on(ports.grafana)}\n  loki: ${on(ports.loki)}\n  jaeger: ${on(ports.jaeger)}\n`;
  const file = path.join(dir, 'wmon.yaml');
  await writeFile(file, text);
  await mkdir(path.join(dir, '.wmon'), { recursive: true });
  if (password !== null)
    await writeFile(path.join(dir, '.wmon/grafana-admin-password'), `${password}\n`, { mode: 0o600 });
  return { file, dir, config: parseConfigText(text, file), exists: true };
}

const byId = (rows: CheckResultJson[], id: string) => {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id} in ${JSON.stringify(rows)}`);
  return r;
};

describe('Grafana checks against the Grafana fake', () => {
  let grafana: FakeGrafana;
  beforeEach(async () => {
    grafana = await startFakeGrafana({ users: { admin: PASSWORD } });
  });
  afterEach(async () => {
    await grafana.close();
  });

  const provision = (opts: { skipDashboard?: string; folder?: string; skipDatasource?: string } = {}) => {
    grafana.seedFolder('wmon-webhook', 'Webhook');
    grafana.seedFolder('elsewhere', 'Elsewhere');
    for (const [uid, name, type] of [
      ['wmon-prometheus', 'Prometheus', 'prometheus'],
      ['wmon-loki', 'Loki', 'loki'],
      ['wmon-jaeger', 'Jaeger', 'jaeger'],
      ['wmon-alertmanager', 'Alertmanager', 'alertmanager'],
    ] as const) {
      if (uid !== opts.skipDatasource)
        grafana.seedDatasource({ uid, name, type, url: `http://${type}:1`, readOnly: true });
    }
    for (const [uid, title] of [
      ['wmon-overview', 'Webhook Overview'],
      ['wmon-performance', 'Webhook Performance'],
      ['wmon-events', 'Webhook Events'],
    ] as const) {
      if (uid !== opts.skipDashboard)
        grafana.seedDashboard({ uid, title }, { folderUid: opts.folder ?? 'wmon-webhook', provisioned: true });
    }
  };

  const run = async (password: string | null = PASSWORD, timeoutMs = 2000) => {
    const l = await loaded({ grafana: grafana.port, loki: 1, jaeger: 2 }, password);
    const ctx = createHealthContext(l, { timeoutMs });
    return runTasks([...grafanaTasks(ctx), ...readinessTasks(ctx).filter((t) => t.component === 'grafana')]);
  };

  it('finds the data sources and dashboards wmon provisions, with the admin credentials', async () => {
    provision();
    const rows = await run();
    expect(byId(rows, 'grafana.datasources')).toMatchObject({
      status: 'OK',
      detail:
        'Prometheus (wmon-prometheus), Loki (wmon-loki), Jaeger (wmon-jaeger), Alertmanager (wmon-alertmanager) present',
    });
    expect(byId(rows, 'grafana.dashboards')).toMatchObject({
      status: 'OK',
      detail: 'Webhook Overview, Webhook Performance, Webhook Events in the Webhook folder',
    });
    expect(byId(rows, 'ready.grafana').status).toBe('OK');
    const auth = grafana.requests
      .filter((r) => r.path.startsWith('/api/datasources') || r.path.startsWith('/api/dashboards'))
      .map((r) => r.headers.authorization);
    expect(new Set(auth)).toEqual(new Set([`Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`]));
  });

  it('warns about a missing data source, a missing dashboard, a dashboard in another folder', async () => {
    provision({ skipDatasource: 'wmon-loki', skipDashboard: 'wmon-events' });
    let rows = await run();
    expect(byId(rows, 'grafana.datasources')).toMatchObject({
      status: 'WARNING',
      detail: 'missing data source(s) wmon-loki: panels that use them show no data',
    });
    expect(byId(rows, 'grafana.dashboards')).toMatchObject({
      status: 'WARNING',
      detail: 'missing dashboard(s) wmon-events',
    });
    await grafana.close();
    grafana = await startFakeGrafana({ users: { admin: PASSWORD } });
    provision({ folder: 'elsewhere' });
    rows = await run();
    expect(byId(rows, 'grafana.dashboards')).toMatchObject({
      status: 'WARNING',
      detail: 'dashboard(s) wmon-overview, wmon-performance, wmon-events are not in the Webhook folder',
    });
  });

  it('is UNKNOWN when Grafana refuses the credentials or none are kept', async () => {
    provision();
    const rows = await run('a-wrong-password');
    for (const id of ['grafana.datasources', 'grafana.dashboards']) {
      expect(byId(rows, id).status).toBe('UNKNOWN');
      expect(byId(rows, id).detail).toMatch(/^cannot tell: Grafana refused the credentials \(HTTP 401/);
    }
    const none = await run(null);
    expect(byId(none, 'grafana.datasources').detail).toMatch(
      /^cannot tell: no Grafana admin password: .*grafana-admin-password is missing/,
    );
  });

  it('says CRITICAL when its database fails, UNKNOWN when it hangs past the deadline', async () => {
    provision();
    grafana.setDatabaseHealthy(false);
    let rows = await run();
    expect(byId(rows, 'ready.grafana')).toMatchObject({
      status: 'CRITICAL',
      detail: expect.stringMatching(/not ready: GET .*\/api\/health answered HTTP 503/),
    });
    grafana.setDatabaseHealthy(true);
    grafana.setLatency(1500);
    rows = await run(PASSWORD, 300);
    expect(byId(rows, 'grafana.datasources')).toMatchObject({
      status: 'UNKNOWN',
      detail: 'cannot tell: Grafana is not answering (timeout after 300 ms)',
    });
    expect(byId(rows, 'ready.grafana').status).toBe('CRITICAL');
    expect(byId(rows, 'ready.grafana').detail).toMatch(/not answering/);
  });
});

describe('the Loki check against the Loki fake', () => {
  let loki: FakeLoki;
  afterEach(async () => {
    await loki.close();
  });

  const run = async (timeoutMs = 2000) => {
    const ctx = createHealthContext(await loaded({ loki: loki.port }), { timeoutMs });
    return runTasks([...lokiTasks(ctx), ...readinessTasks(ctx).filter((t) => t.component === 'loki')]);
  };

  it("finds the service's log lines by its service label", async () => {
    loki = await startFakeLoki();
    await createLokiClient({ baseUrl: loki.url }).push([
      {
        labels: { service: 'wmon-webhook', job: 'wmon-webhook' },
        entries: [{ time: new Date(Date.now() - 90_000), line: '{"msg":"listening"}' }],
      },
    ]);
    const rows = await run();
    expect(byId(rows, 'loki.logs')).toMatchObject({
      status: 'OK',
      detail: expect.stringMatching(/^Loki has the service's logs; last line 1 min 3\d s ago$/),
    });
    expect(byId(rows, 'ready.loki').status).toBe('OK');
    const q = loki.requests.find((r) => r.path === '/loki/api/v1/query_range');
    expect(q?.query.get('query')).toBe('{service="wmon-webhook"}');
    expect(q?.query.get('direction')).toBe('backward');
  });

  it('warns when the service has sent nothing, in the whole retention', async () => {
    loki = await startFakeLoki();
    await createLokiClient({ baseUrl: loki.url }).push([
      { labels: { service: 'someone-else' }, entries: [{ time: new Date(), line: 'x' }] },
    ]);
    const rows = await run();
    expect(byId(rows, 'loki.logs')).toMatchObject({
      status: 'WARNING',
      detail: `Loki has no log line of {service="wmon-webhook"} in the last 7 d: the service's log shipping is broken`,
    });
  });

  it('is UNKNOWN when Loki refuses the request (multi-tenant, no org id) or hangs; not ready is CRITICAL', async () => {
    loki = await startFakeLoki({ authEnabled: true });
    let rows = await run();
    expect(byId(rows, 'loki.logs')).toMatchObject({
      status: 'UNKNOWN',
      detail: expect.stringMatching(/^cannot tell: Loki refused the credentials \(HTTP 401: no org id/),
    });
    await loki.close();
    loki = await startFakeLoki();
    loki.setLatency(1500);
    rows = await run(300);
    expect(byId(rows, 'loki.logs')).toMatchObject({
      status: 'UNKNOWN',
      detail: 'cannot tell: Loki is not answering (timeout after 300 ms)',
    });
    loki.setLatency(0);
    loki.setReady(false);
    rows = await run();
    expect(byId(rows, 'ready.loki')).toMatchObject({
      status: 'CRITICAL',
      detail: expect.stringMatching(/not ready: GET .*\/ready answered HTTP 503/),
    });
  });
});

describe('the Jaeger check against the Jaeger fake', () => {
  const jaeger = eachTest(startFakeJaeger);

  const run = async (timeoutMs = 2000) => {
    const ctx = createHealthContext(await loaded({ jaeger: jaeger().query.port }), { timeoutMs });
    return runTasks([...jaegerTasks(ctx), ...readinessTasks(ctx).filter((t) => t.component === 'jaeger')]);
  };

  const span = async (service: string) => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const res = await fetch(`${jaeger().otlp.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: '5b8efff798038103d269b633813fc60c',
                    spanId: 'eee19b7ec3c1b174',
                    name: 'POST /webhooks/stripe',
                    kind: 2,
                    startTimeUnixNano: String(now - 5_000_000n),
                    endTimeUnixNano: String(now),
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
  };

  it('knows the service once it has sent spans', async () => {
    await span('wmon-webhook');
    const rows = await run();
    expect(byId(rows, 'jaeger.service')).toMatchObject({ status: 'OK', detail: 'Jaeger has traces of wmon-webhook' });
    expect(byId(rows, 'ready.jaeger').status).toBe('OK');
  });

  it('warns when it does not, naming what it knows', async () => {
    await span('checkout');
    const rows = await run();
    expect(byId(rows, 'jaeger.service')).toMatchObject({
      status: 'WARNING',
      detail: "Jaeger has no trace of wmon-webhook (it knows checkout): the service's tracing is broken",
    });
  });

  it('is UNKNOWN when it hangs past the deadline, CRITICAL when its API fails', async () => {
    jaeger().query.setLatency(1500);
    let rows = await run(300);
    expect(byId(rows, 'jaeger.service')).toMatchObject({
      status: 'UNKNOWN',
      detail: 'cannot tell: Jaeger is not answering (timeout after 300 ms)',
    });
    expect(byId(rows, 'ready.jaeger').status).toBe('CRITICAL');
    jaeger().query.setLatency(0);
    jaeger().query.failWith(gatewayError(500, 'storage unavailable'));
    rows = await run();
    expect(byId(rows, 'jaeger.service')).toMatchObject({
      status: 'CRITICAL',
      detail: expect.stringMatching(/^Jaeger failed: HTTP 500: storage unavailable/),
    });
  });
});
