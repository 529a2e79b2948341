/**
 * A stack published beyond loopback, on the real engine: refused without auth before anything exists; with
 * auth and TLS (a self-signed certificate made here), Prometheus, Alertmanager and the node exporter answer
 * only HTTPS, 401 without the credentials and 200 with them, Prometheus scrapes its neighbours and reaches
 * Alertmanager over HTTPS, its admin API is off (wmon backup stops it to copy its data instead), `wmon check`
 * is OK, and no container's environment (as the engine reports it) holds the password.
 */
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPrometheusClient } from '../../src/adapters/clients/index.js';
import { LABELS } from '../../src/core/model/container-types.js';
import type { BackupResultJson, UrlsResultJson } from '../../src/results.js';
import { jsonOutput, wmon } from '../support/cli.js';
import { checkJsonSchema, targetsUp } from '../support/observe.js';
import { makeCert, type TestCert } from '../support/tls.js';
import { eventually } from '../support/wait.js';
import { E2E_WAIT, e2eProject, TEST_IMAGES, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
let cert: TestCert;
const PASSWORD = 'e2e-auth-password-7Kq2Xv9';
const env = { WMON_E2E_AUTH: PASSWORD };

beforeAll(async () => {
  p = await e2eProject('exposure e2e');
  if (p) {
    cert = makeCert(p.dir, 'server', { names: ['DNS:localhost', 'IP:127.0.0.1'], days: 30 });
    await chmod(cert.keyFile, 0o600);
  }
}, 60_000);

afterAll(async () => {
  await p?.cleanup();
}, 120_000);

const config = (auth: string) => `project: ${p!.project}
pullPolicy: never
bindAddress: 0.0.0.0
${auth}prometheus: {scrapeInterval: 2s, evaluationInterval: 2s}
components:
  prometheus: {image: ${TEST_IMAGES.prometheus}, port: ${p!.ports.prometheus}}
  alertmanager: {image: ${TEST_IMAGES.alertmanager}, port: ${p!.ports.alertmanager}}
  nodeExporter: {image: ${TEST_IMAGES.nodeExporter}, port: ${p!.ports.nodeExporter}}
  webhook: {enabled: false}
  grafana: {enabled: false}
  loki: {enabled: false}
  jaeger: {enabled: false}
  blackboxExporter: {enabled: false}
`;

const AUTH =
  'auth:\n  username: e2e\n  password: {env: WMON_E2E_AUTH}\n  tls: {certFile: server.crt, keyFile: server.key}\n';
const basic = `Basic ${Buffer.from(`e2e:${PASSWORD}`).toString('base64')}`;

/** An HTTPS request trusting only the test's certificate: the status and body. */
function request(
  url: string,
  opts: { auth?: string; method?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.auth ? { Authorization: opts.auth } : {},
        ca: cert.certPem,
        timeout: 10_000,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}
const status = async (url: string, auth?: string) => (await request(url, auth ? { auth } : {})).status;

/** `GET /containers/<name>/json` from the engine's API (what `docker inspect` shows). */
function inspectEnv(name: string): Promise<string[]> {
  const host = process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock';
  const socketPath = host.replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: `/containers/${encodeURIComponent(name)}/json` }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve((JSON.parse(body) as { Config: { Env: string[] | null } }).Config.Env ?? []));
      })
      .on('error', reject);
  });
}

describe.sequential('a stack published on 0.0.0.0', () => {
  it('is refused without auth (exit 78) before anything is created', async ({ skip }) => {
    if (!p) return skip();
    await writeFile(path.join(p.dir, 'wmon.yaml'), config(''));
    const r = await wmon(['init'], { cwd: p.dir, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(78);
    expect(r.stderr).toContain('bindAddress: 0.0.0.0 is not a loopback address');
    expect(r.stderr).toContain('add an auth section');
    const filter = { [LABELS.project]: p.project };
    expect(await p.runtime.listContainers(filter)).toEqual([]);
    expect(await p.runtime.listVolumes(filter)).toEqual([]);
    expect(await p.runtime.listNetworks(filter)).toEqual([]);
    expect(existsSync(path.join(p.dir, '.wmon'))).toBe(false);
  }, 600_000);

  it('with auth and TLS: only HTTPS, 401 without the credentials, 200 with them, for Prometheus, Alertmanager and the node exporter', async ({
    skip,
  }) => {
    if (!p) return skip();
    await writeFile(path.join(p.dir, 'wmon.yaml'), config(AUTH));
    const r = await wmon(['init', '--json'], { cwd: p.dir, env, timeout: 600_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const urls = {
      prometheus: `https://127.0.0.1:${p.ports.prometheus}/api/v1/status/buildinfo`,
      alertmanager: `https://127.0.0.1:${p.ports.alertmanager}/api/v2/status`,
      nodeExporter: `https://127.0.0.1:${p.ports.nodeExporter}/metrics`,
    };
    for (const [component, url] of Object.entries(urls)) {
      expect(await status(url), component).toBe(401);
      expect(await status(url, `Basic ${Buffer.from('e2e:wrong').toString('base64')}`), component).toBe(401);
      expect(await status(url, basic), component).toBe(200);
      // Plain HTTP gets no answer from them, and a client that does not trust the certificate refuses it.
      const plain = await fetch(url.replace('https:', 'http:'), { signal: AbortSignal.timeout(10_000) });
      expect(plain.status, component).toBe(400);
      expect(await plain.text(), component).toContain('HTTPS');
      await expect(fetch(url, { signal: AbortSignal.timeout(10_000) }), component).rejects.toThrow();
    }
    // Published beyond loopback, Prometheus runs without its admin API: not even the credentials reach it.
    const snapshot = `https://127.0.0.1:${p.ports.prometheus}/api/v1/admin/tsdb/snapshot?skip_head=true`;
    expect((await request(snapshot, { method: 'POST' })).status).toBe(401);
    const refused = await request(snapshot, { method: 'POST', auth: basic });
    expect(refused.status).not.toBe(200);
    expect(refused.body).toMatch(/admin APIs disabled/i);
  }, 600_000);

  it('Prometheus scrapes its neighbours and reaches Alertmanager with the credentials', async ({ skip }) => {
    if (!p) return skip();
    const prom = createPrometheusClient({
      baseUrl: `https://127.0.0.1:${p.ports.prometheus}`,
      auth: { kind: 'basic', username: 'e2e', password: PASSWORD },
      tls: { ca: [cert.certPem], serverName: 'localhost' },
    });
    const targets = await targetsUp(prom, 3, E2E_WAIT);
    expect(targets.map((t) => t.labels.job).sort()).toEqual(['alertmanager', 'node-exporter', 'prometheus']);
    await eventually(
      'Alertmanager discovered',
      async () => ((await prom.alertmanagers()).active.length === 1 ? true : undefined),
      E2E_WAIT,
    );
  }, 600_000);

  it('wmon check is OK, and wmon urls shows the credentials only when asked', async ({ skip }) => {
    if (!p) return skip();
    const check = jsonOutput(await wmon(['check', '--json'], { cwd: p.dir, env, timeout: 120_000 }), checkJsonSchema);
    expect(
      check.checks.filter((c) => c.status !== 'OK').map((c) => `${c.id}: ${c.detail}`),
      check.summary,
    ).toEqual([]);
    expect(check.status).toBe('OK');
    expect(check.checks.find((c) => c.id === 'secrets.files')?.status).toBe('OK');
    expect(check.checks.find((c) => c.id === 'secrets.tls')?.detail).toContain('(for localhost) is valid until');

    const plain = await wmon(['urls', '--json'], { cwd: p.dir, env });
    expect(plain.stdout).not.toContain(PASSWORD);
    const shown = JSON.parse(
      (await wmon(['urls', '--json', '--show-credentials'], { cwd: p.dir, env })).stdout,
    ) as UrlsResultJson;
    const listed = JSON.parse(plain.stdout) as UrlsResultJson;
    expect(JSON.stringify(listed)).toContain(`https://127.0.0.1:${p.ports.prometheus}`);
    expect(JSON.stringify(listed)).toContain(`https://127.0.0.1:${p.ports.alertmanager}`);
    expect(shown.credentials.auth).toMatchObject({
      user: 'e2e',
      password: PASSWORD,
      components: ['nodeExporter', 'alertmanager', 'prometheus'],
    });
  }, 600_000);

  it("no container's environment holds the password, as the engine reports it", async ({ skip }) => {
    if (!p) return skip();
    const containers = await p.runtime.listContainers({ [LABELS.project]: p.project });
    expect(containers).toHaveLength(3);
    for (const c of containers) {
      const envs = await inspectEnv(c.name);
      expect(envs.length, c.name).toBeGreaterThan(0);
      expect(
        envs.filter((e) => e.includes(PASSWORD)),
        c.name,
      ).toEqual([]);
    }
  }, 600_000);

  it('wmon backup copies the data of the stopped Prometheus (no admin API), which answers again afterwards', async ({
    skip,
  }) => {
    if (!p) return skip();
    const r = await wmon(['backup', '--json', '--output', path.join(p.dir, 'backups')], {
      cwd: p.dir,
      env,
      timeout: 600_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout) as BackupResultJson;
    expect(b.prometheus?.mode).toBe('volume');
    expect(b.prometheus?.files).toBeGreaterThan(0);
    expect(b.components.find((c) => c.component === 'prometheus')?.detail).toContain('Prometheus stopped for');
    expect(await status(`https://127.0.0.1:${p.ports.prometheus}/-/ready`, basic)).toBe(200);
  }, 600_000);
});
