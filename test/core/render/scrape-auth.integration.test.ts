/**
 * Extra scrape jobs with wmon's credential keys, scraped by the real Prometheus (the version CI runs): the
 * rendered prometheus.yml and the secret files wmon lays out in Prometheus's secrets folder, against two small
 * HTTP servers, one requiring basic auth and one a bearer token. Both targets are up.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startPrometheus, type Daemon } from '../../support/debian-daemons.js';
import { stopDaemonAndServer } from '../../support/loaded-config.js';
import { freePorts } from '../../support/ports.js';
import { renderedWithSecrets } from '../../support/rendered-secrets.js';
import { eventually } from '../../support/wait.js';

const PASSWORD = 'orders-scrape-password-5d1e';
const TOKEN = 'queue-scrape-token-0a8c77';

/** What each server was asked: with the right credentials, and without (refused with 401). */
const seen = { basic: { ok: 0, refused: 0 }, bearer: { ok: 0, refused: 0 } };

/** A /metrics server that answers only requests carrying `authorization`. */
async function protectedMetrics(port: number, authorization: string, count: { ok: number; refused: number }) {
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.headers.authorization !== authorization) {
      count.refused++;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="metrics"' }).end();
      return;
    }
    count.ok++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end('orders_up 1\n');
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return server;
}

let prometheus: Daemon | undefined;
let basicServer: http.Server | undefined;
let bearerServer: http.Server | undefined;

beforeAll(async () => {
  const [basicPort, bearerPort] = await freePorts(2);
  basicServer = await protectedMetrics(
    basicPort!,
    `Basic ${Buffer.from(`scraper:${PASSWORD}`).toString('base64')}`,
    seen.basic,
  );
  bearerServer = await protectedMetrics(bearerPort!, `Bearer ${TOKEN}`, seen.bearer);
  process.env.WMON_TEST_SCRAPE_TOKEN = TOKEN;
  const r = await renderedWithSecrets(
    'wmon-scrape-auth-int-',
    `prometheus:
  extraScrapeConfigs:
  - job_name: orders-api
    scrape_interval: 1s
    static_configs: [{targets: ['127.0.0.1:${basicPort}']}]
    basicAuth: {username: scraper, password: {file: orders-password}}
  - job_name: queue
    scrape_interval: 1s
    static_configs: [{targets: ['127.0.0.1:${bearerPort}']}]
    bearerToken: {env: WMON_TEST_SCRAPE_TOKEN}
`,
    { 'orders-password': `${PASSWORD}\n` },
  );
  // The rendered prometheus.yml, with the secrets folder where the container mounts it: on this host.
  const yml = (await readFile(r.promYml, 'utf8')).replaceAll('/run/secrets/wmon/', `${r.secrets.mounts.prometheus}/`);
  expect(yml).not.toContain(PASSWORD);
  expect(yml).not.toContain(TOKEN);
  prometheus = await startPrometheus(() => ({ 'prometheus.yml': yml }), { plain: true });
}, 60_000);

afterAll(async () => {
  await stopDaemonAndServer(prometheus, basicServer);
  await new Promise((ok) => (bearerServer ? bearerServer.close(ok) : ok(undefined)));
});

interface Target {
  labels: { job: string };
  health: string;
  lastError: string;
}

describe('extra scrape jobs with basicAuth and bearerToken, scraped by the real Prometheus', () => {
  it('has both targets up, the servers answering only the right credentials', async () => {
    // Each server refuses a request without them.
    for (const server of [basicServer!, bearerServer!]) {
      const port = (server.address() as { port: number }).port;
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    }
    const targets = await eventually(
      'both extra jobs up',
      async () => {
        const res = await fetch(`${prometheus!.url}/api/v1/targets?state=active`);
        const body = (await res.json()) as { data: { activeTargets: Target[] } };
        const ours = body.data.activeTargets.filter((t) => ['orders-api', 'queue'].includes(t.labels.job));
        return ours.length === 2 && ours.every((t) => t.health === 'up') ? ours : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${prometheus!.output().slice(-2000)}`);
    });
    expect(targets.map((t) => [t.labels.job, t.health, t.lastError]).sort()).toEqual([
      ['orders-api', 'up', ''],
      ['queue', 'up', ''],
    ]);
    expect(seen.basic.ok).toBeGreaterThan(0);
    expect(seen.bearer.ok).toBeGreaterThan(0);
  });
});
