/**
 * `wmon init` / `urls` / `down` on the real container engine (Podman here, Docker elsewhere), with the
 * local images scripts/engine/build-images.sh makes and the webhook service built from this repository.
 * Grafana, Loki and Jaeger are off: they cannot run here. In CI a missing engine fails the suite.
 */
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

import { probeEvent } from '@wmon/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createAlertmanagerClient,
  createPrometheusClient,
  type PrometheusClient,
} from '../../src/adapters/clients/index.js';
import type { InitResultJson, UrlsResultJson } from '../../src/results.js';
import { LABELS } from '../../src/core/model/container-types.js';
import { postSignedEvent } from '../../service/src/send.js';
import { wmon } from '../support/cli.js';
import { targetsUp } from '../support/observe.js';
import { eventually } from '../support/wait.js';
import { E2E_WAIT, e2eProject, TEST_IMAGES, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
let prom: PrometheusClient;

beforeAll(async () => {
  p = await e2eProject('init e2e');
  if (!p) return;
  prom = createPrometheusClient({ baseUrl: `http://127.0.0.1:${p.ports.prometheus}` });
  await p.writeConfig();
}, 60_000);

afterAll(() => p?.cleanup(), 120_000);

const init = async (...args: string[]) => {
  const r = await wmon(['init', '--json', ...args], { cwd: p!.dir, timeout: 600_000 });
  return { ...r, json: r.exitCode === 0 ? (JSON.parse(r.stdout) as InitResultJson) : undefined };
};

const containerIds = async () =>
  Object.fromEntries(
    (await p!.runtime.listContainers({ [LABELS.project]: p!.project })).map((c) => [c.component, c.id]),
  );

describe.sequential('wmon init on a real engine', () => {
  it('refuses a taken host port before creating anything, naming the port, the component and the holder', async ({
    skip,
  }) => {
    if (!p) return skip();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(p!.ports.prometheus, '127.0.0.1', resolve));
    try {
      const r = await wmon(['init'], { cwd: p.dir, timeout: 600_000 });
      expect(r.exitCode, r.stderr).toBe(75);
      expect(r.stderr).toContain(`port ${p.ports.prometheus} (prometheus)`);
      expect(r.stderr).toMatch(/node/); // the process holding it (this test's node)
      expect(await p.runtime.listContainers({ [LABELS.project]: p.project })).toEqual([]);
      expect(await p.runtime.listNetworks({ [LABELS.project]: p.project })).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 600_000);

  it('brings Prometheus, Alertmanager, node exporter and the webhook service up', async ({ skip }) => {
    if (!p) return skip();
    const started = Date.now();
    const r = await init();
    const seconds = (Date.now() - started) / 1000;
    expect(r.exitCode, r.stderr || r.stdout).toBe(0);
    console.info(`wmon init, from nothing to all ready: ${seconds.toFixed(1)} s (including the service image build)`);
    expect(r.json!.containers.map((c) => [c.component, c.action])).toEqual([
      ['webhook', 'create'],
      ['nodeExporter', 'create'],
      ['alertmanager', 'create'],
      ['prometheus', 'create'],
    ]);
    const running = await p.runtime.listContainers({ [LABELS.project]: p.project });
    expect(running.map((c) => c.state)).toEqual(['running', 'running', 'running', 'running']);
  }, 900_000);

  it('has every Prometheus target up, the rules loaded, and Alertmanager ready and known', async ({ skip }) => {
    if (!p) return skip();
    const targets = await targetsUp(prom, 4, E2E_WAIT);
    expect(targets.map((t) => t.job).sort()).toEqual(['alertmanager', 'node-exporter', 'prometheus', 'webhook']);
    const rules = (await prom.rules()).flatMap((g) => g.rules.map((r) => r.name));
    expect(rules).toEqual(expect.arrayContaining(['WebhookHighErrorRate', 'WebhookDatabaseDown', 'TargetDown']));
    expect(await createAlertmanagerClient({ baseUrl: `http://127.0.0.1:${p.ports.alertmanager}` }).ready()).toBe(true);
    const ams = await prom.alertmanagers();
    expect(ams.active).toEqual(['http://alertmanager:9093/api/v2/alerts']);
  }, 120_000);

  it('counts a signed test event in webhook_events_processed_total, queried from Prometheus', async ({ skip }) => {
    if (!p) return skip();
    const secret = (await readFile(path.join(p.dir, '.wmon/stripe-webhook-secret'), 'utf8')).trim();
    const sent = await postSignedEvent({
      url: `http://127.0.0.1:${p.ports.webhook}/webhooks/stripe`,
      secret,
      payload: JSON.stringify(probeEvent()),
    });
    expect(sent.status).toBe(200);
    const value = await eventually(
      'the event counted by Prometheus',
      async () => {
        const r = await prom.query('sum(webhook_events_processed_total{outcome="success"})');
        const v = r.resultType === 'vector' ? r.result[0]?.sample.value : undefined;
        return v !== undefined && v >= 1 ? v : undefined;
      },
      E2E_WAIT,
    );
    expect(value).toBe(1);
  }, 120_000);

  it('runs the service as a non-root user on a read-only root file system, storing events in its volume', async ({
    skip,
  }) => {
    if (!p) return skip();
    const name = `${p.project}-webhook`;
    const d = await p.runtime.inspectContainer(name);
    expect(d?.readOnlyRootfs).toBe(true);
    const id = await p.runtime.exec(name, ['id', '-u']);
    expect(id.exitCode).toBe(0);
    expect(Number(id.stdout.trim())).toBeGreaterThan(0);
    // The image's USER (node), as the engine reports it: neither empty (root) nor root.
    expect(d?.user).toMatch(/^(?!root(:|$)|0(:|$))\S+$/);
    const write = await p.runtime.exec(name, ['node', '-e', "require('fs').writeFileSync('/app/probe', 'x')"]);
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toMatch(/EROFS|read-only file system/i);
    // The event of the test before is stored in SQLite on the /data volume.
    const stored = await p.runtime.exec(
      name,
      [
        'node',
        '-e',
        "const D=require('better-sqlite3');const db=new D('/data/webhooks.db',{readonly:true});console.log(db.prepare('SELECT count(*) AS n FROM webhook_events').get().n)",
      ],
      { workdir: '/app/service' },
    );
    expect(stored.stderr).toBe('');
    expect(Number(stored.stdout.trim())).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('answers /metrics and /readyz on the internal port only, published on loopback; the public port has neither', async ({
    skip,
  }) => {
    if (!p) return skip();
    const pub = `http://127.0.0.1:${p.ports.webhook}`;
    const internal = `http://127.0.0.1:${p.ports.webhookMetrics}`;
    for (const path of ['/metrics', '/readyz']) {
      expect((await fetch(pub + path)).status, `public ${path}`).toBe(404);
      expect((await fetch(internal + path)).status, `internal ${path}`).toBe(200);
    }
    expect((await fetch(`${pub}/healthz`)).status).toBe(200);
    const d = await p.runtime.inspectContainer(`${p.project}-webhook`);
    expect(d?.ports.map((x) => [x.containerPort, x.hostIp, x.hostPort]).sort()).toEqual(
      [
        [8080, '127.0.0.1', p.ports.webhook],
        [9464, '127.0.0.1', p.ports.webhookMetrics],
      ].sort(),
    );
  }, 60_000);

  it('lists what runs with wmon urls --json', async ({ skip }) => {
    if (!p) return skip();
    const r = await wmon(['urls', '--json'], { cwd: p.dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const urls = JSON.parse(r.stdout) as UrlsResultJson;
    expect(urls.components.map((c) => [c.component, c.url])).toEqual([
      ['webhook', `http://127.0.0.1:${p.ports.webhook}`],
      ['nodeExporter', `http://127.0.0.1:${p.ports.nodeExporter}`],
      ['alertmanager', `http://127.0.0.1:${p.ports.alertmanager}`],
      ['prometheus', `http://127.0.0.1:${p.ports.prometheus}`],
    ]);
    for (const c of urls.components)
      expect((await fetch(c.url + (c.component === 'webhook' ? '/healthz' : '/metrics'))).status).toBe(200);
    expect(urls.credentials.webhook?.secret).toBeUndefined();
  }, 60_000);

  it('changes nothing when run again', async ({ skip }) => {
    if (!p) return skip();
    const before = await containerIds();
    const r = await init();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json!.changed).toBe(false);
    expect(r.json!.containers.every((c) => c.action === 'keep')).toBe(true);
    expect(r.json!.images.find((i) => i.ref.includes('webhook'))?.action).toBe('present');
    expect(await containerIds()).toEqual(before);
  }, 600_000);

  it('after a threshold change, reloads only Prometheus (same container) with the new rule', async ({ skip }) => {
    if (!p) return skip();
    const before = await containerIds();
    const startedAt = (await p.runtime.inspectContainer(before.prometheus!))?.startedAt;
    await p.writeConfig('alerts:\n  cpuPercent: {warning: 60}\n');
    const r = await init();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json!.containers.filter((c) => c.action !== 'keep').map((c) => [c.component, c.action])).toEqual([
      ['prometheus', 'reload'],
    ]);
    expect(await containerIds()).toEqual(before);
    expect((await p.runtime.inspectContainer(before.prometheus!))?.startedAt).toEqual(startedAt);
    const cpu = (await prom.rules()).flatMap((g) => g.rules).find((rule) => rule.name === 'WebhookHighCPU');
    expect(cpu?.query).toBe('webhook_cpu_usage_percent >= 60');
  }, 600_000);

  it("keeps Prometheus's data across wmon down and wmon init", async ({ skip }) => {
    if (!p) return skip();
    const then = Date.now() / 1000;
    const before = await prom.query('up{job="prometheus"}', { time: then });
    expect(before.resultType === 'vector' && before.result.length).toBe(1);

    const down = await wmon(['down', '--json'], { cwd: p.dir });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout).keptVolumes).toContain(`${p.project}-prometheus-data`);
    expect(await p.runtime.listContainers({ [LABELS.project]: p.project })).toEqual([]);

    const started = Date.now();
    const r = await init();
    console.info(
      `wmon init, from no container to all ready (images present): ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json!.containers.every((c) => c.action === 'create')).toBe(true);
    // The sample recorded before `down` is read back from the volume.
    const after = await prom.query('up{job="prometheus"}', { time: then });
    expect(after).toEqual(before);
  }, 600_000);
});

describe.sequential('wmon init when a component cannot start', () => {
  let q: E2eProject | undefined;
  beforeAll(async () => {
    q = await e2eProject('init failure e2e');
    await q?.writeConfig();
  }, 60_000);
  afterAll(async () => {
    await q?.cleanup();
  }, 120_000);

  it('shows the plan with --dry-run and changes nothing', async ({ skip }) => {
    if (!q) return skip();
    const r = await wmon(['init', '--dry-run', '--json'], { cwd: q.dir, timeout: 300_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as InitResultJson;
    expect(plan.dryRun).toBe(true);
    expect(plan.configCreated).toBe(false);
    expect(plan.containers.map((c) => c.action)).toEqual(['create', 'create', 'create', 'create']);
    expect(plan.files.every((f) => f.status === 'created')).toBe(true);
    expect(await q.runtime.listContainers({ [LABELS.project]: q.project })).toEqual([]);
    expect(await q.runtime.listVolumes({ [LABELS.project]: q.project })).toEqual([]);
  }, 300_000);

  it('names the component, its answer and its last log lines, and leaves nothing behind', async ({ skip }) => {
    if (!q) return skip();
    // node_exporter does not understand Prometheus's flags: the "prometheus" container exits at once.
    const config = (await readFile(path.join(q.dir, 'wmon.yaml'), 'utf8'))
      .replace(/prometheus: \{image: [^,]+,/, `prometheus: {image: ${TEST_IMAGES.nodeExporter},`)
      .replace(/webhook: \{[^}]+\}/, 'webhook: {enabled: false}');
    await writeFile(path.join(q.dir, 'wmon.yaml'), config);
    const r = await wmon(['init', '--timeout', '30'], { cwd: q.dir, timeout: 300_000 });
    expect(r.exitCode, r.stdout).toBe(75);
    expect(r.stderr).toContain('prometheus');
    expect(r.stderr).toMatch(/exited with code \d+/);
    expect(r.stderr).toContain(`Last log lines of ${q.project}-prometheus`);
    expect(r.stderr).toMatch(/unknown (long )?flag|config\.file/);
    expect(await q.runtime.listContainers({ [LABELS.project]: q.project })).toEqual([]);
    expect(await q.runtime.listVolumes({ [LABELS.project]: q.project })).toEqual([]);
    expect(await q.runtime.listNetworks({ [LABELS.project]: q.project })).toEqual([]);
  }, 300_000);
});
