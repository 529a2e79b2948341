/**
 * Long-term storage on the real engine: a second Prometheus, started here from the same local image with its
 * remote-write receiver on (`--web.enable-remote-write-receiver`: the protocol Mimir, Thanos Receive and
 * Cortex accept) behind basic auth, receives the stack's `webhook_*` series, carrying the external labels
 * wmon.yaml gives, with the password read from a file and never written into a rendered file; the write
 * relabelling keeps only what it says, and `wmon check` reports the endpoint sending. The stack's Alertmanager is
 * one half of an HA pair (alertmanager.peers): the engine takes its cluster flags and publishes its gossip port.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPrometheusClient, type PrometheusClient } from '../../src/adapters/clients/index.js';
import { stackLabels } from '../../src/core/model/containers.js';
import { jsonOutput, wmon } from '../support/cli.js';
import { checkJsonSchema, sendTraffic, targetsUp } from '../support/observe.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { E2E_WAIT, e2eProject, TEST_IMAGES, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
let receiver: PrometheusClient;
let receiverPort: number;
let clusterPort: number;
const RECEIVER_USER = 'wmon-e2e';
const RECEIVER_PASSWORD = 'receiver-password-5Xr8Lq2';
const receiverName = () => `${p!.project}-receiver`;

beforeAll(async () => {
  p = await e2eProject('remote write e2e');
  if (!p) return;
  await p.writeConfig();
  // The receiver's own files, mounted into it: an empty configuration and its basic auth (bcrypt, as Prometheus wants).
  const dir = path.join(p.dir, 'receiver');
  await mkdir(dir);
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'prometheus.yml'), 'global: {}\n', { mode: 0o644 });
  const hash = await bcrypt.hash(RECEIVER_PASSWORD, 10);
  await writeFile(path.join(dir, 'web.yml'), `basic_auth_users:\n  ${RECEIVER_USER}: '${hash}'\n`, { mode: 0o644 });
  await writeFile(path.join(p.dir, 'receiver-password'), `${RECEIVER_PASSWORD}\n`, { mode: 0o600 });
  clusterPort = await freePort();

  const file = path.join(p.dir, 'wmon.yaml');
  const base = await readFile(file, 'utf8');
  await writeFile(
    file,
    base.replace(
      '  evaluationInterval: 2s\n',
      `  evaluationInterval: 2s
  externalLabels: {cluster: e2e, replica: a}
  replicaLabel: replica
  remoteWrite:
  - url: http://${receiverName()}:9090/api/v1/write
    name: receiver
    basicAuth: {username: ${RECEIVER_USER}, password: {file: receiver-password}}
    headers: {X-Scope-OrgID: e2e}
    queue: {batchSendDeadline: 1s, minBackoff: 100ms, maxBackoff: 1s}
    writeRelabel: [{action: keep, regex: "webhook_.*|up"}]
`,
    ) +
      // Half of an HA pair whose other half is away: Alertmanager runs its cluster and keeps looking for it.
      `alertmanager:\n  peers: ['192.0.2.1:9094']\n  advertiseAddress: '127.0.0.1:${clusterPort}'\n  clusterPort: ${clusterPort}\n`,
  );
  const r = await wmon(['init'], { cwd: p.dir, timeout: 900_000 });
  if (r.exitCode !== 0) throw new Error(`wmon init failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  await targetsUp(createPrometheusClient({ baseUrl: `http://127.0.0.1:${p.ports.prometheus}` }), 4, E2E_WAIT);

  // The receiver joins the stack's network under the name the URL gives; it carries the project's labels, so
  // the project's cleanup removes it too.
  receiverPort = await freePort();
  // Its data in a volume of the project's (the image's folder, owned by its user, is copied in).
  const volume = `${p.project}-receiver-data`;
  await p.runtime.ensureVolume(volume, stackLabels({ project: p.project }));
  await p.runtime.createContainer(
    {
      name: receiverName(),
      component: 'receiver',
      image: TEST_IMAGES.prometheus,
      cmd: [
        '--config.file=/etc/receiver/prometheus.yml',
        '--web.config.file=/etc/receiver/web.yml',
        '--storage.tsdb.path=/prometheus',
        '--web.enable-remote-write-receiver',
      ],
      ports: [{ containerPort: 9090, hostPort: receiverPort, hostIp: '127.0.0.1', protocol: 'tcp' }],
      volumes: [{ volume, target: '/prometheus' }],
      binds: [{ source: dir, target: '/etc/receiver', readOnly: true }],
      aliases: [receiverName()],
      labels: stackLabels({ project: p.project }),
      restartPolicy: 'no',
      memoryBytes: 256 * 1024 ** 2,
      dependsOn: [],
    },
    `${p.project}-net`,
  );
  await p.runtime.startContainer(receiverName());
  receiver = createPrometheusClient({
    baseUrl: `http://127.0.0.1:${receiverPort}`,
    auth: { kind: 'basic', username: RECEIVER_USER, password: RECEIVER_PASSWORD },
  });
  const credentials = Buffer.from(`${RECEIVER_USER}:${RECEIVER_PASSWORD}`).toString('base64');
  await eventually(
    'the receiver ready',
    async () => {
      const res = await fetch(`http://127.0.0.1:${receiverPort}/-/ready`, {
        headers: { authorization: `Basic ${credentials}` },
      });
      return res.ok ? true : undefined;
    },
    E2E_WAIT,
  );
}, 900_000);

afterAll(async () => {
  await p?.cleanup();
}, 180_000);

/** The receiver's series for a selector, by their labels. */
async function received(selector: string): Promise<Array<Record<string, string>>> {
  const r = await receiver.query(`last_over_time(${selector}[10m])`);
  return r.resultType === 'vector' ? r.result.map((s) => s.metric) : [];
}

describe.sequential('remote write to a second Prometheus on a real engine', () => {
  it("the receiver gets the stack's webhook_* series, with the external labels", async ({ skip }) => {
    if (!p) return skip();
    const secret = (await readFile(path.join(p.dir, '.wmon/stripe-webhook-secret'), 'utf8')).trim();
    await sendTraffic(`http://127.0.0.1:${p.ports.webhook}/webhooks/stripe`, secret, { batches: 1 });
    const series = await eventually(
      'webhook_events_processed_total in the receiver',
      async () => {
        const s = await received('webhook_events_processed_total{outcome="success"}');
        return s.length > 0 ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    for (const labels of series) {
      expect(labels).toMatchObject({
        job: 'webhook',
        project: p.project,
        environment: 'development',
        cluster: 'e2e',
        replica: 'a',
      });
    }
    const names = await receiver.query('count by (__name__) ({__name__=~"webhook_.*"})');
    expect(names.resultType === 'vector' ? names.result.length : 0).toBeGreaterThan(3);
  }, 300_000);

  it('wmon check has a line for the endpoint: sending', async ({ skip }) => {
    if (!p) return skip();
    // Samples retried while the receiver was starting count for five minutes: the line says "sending" once
    // Prometheus has sent since (it warns before, as it should).
    const line = async () =>
      jsonOutput(await wmon(['check', '--json'], { cwd: p!.dir, timeout: 120_000 }), checkJsonSchema).checks.find(
        (c) => c.id === 'remote-write.receiver' && c.status === 'OK',
      );
    const row = await eventually('the remote-write line saying sending', line, E2E_WAIT);
    expect(row).toMatchObject({
      status: 'OK',
      detail: expect.stringMatching(new RegExp(`^sending to http://${receiverName()}:9090/api/v1/write, `)),
    });
  }, 180_000);

  it('sends only what writeRelabel keeps: up and webhook_*, no node_* series', async ({ skip }) => {
    if (!p) return skip();
    const ups = await eventually('up of every target in the receiver', async () => {
      const s = await received('up{cluster="e2e"}');
      return s.length >= 4 ? s : undefined;
    });
    expect(ups.map((s) => s.job).sort()).toEqual(['alertmanager', 'node-exporter', 'prometheus', 'webhook']);
    const stack = createPrometheusClient({ baseUrl: `http://127.0.0.1:${p.ports.prometheus}` });
    const local = await stack.query('count(node_cpu_seconds_total)');
    expect(local.resultType === 'vector' ? local.result.length : 0).toBe(1);
    expect(await received('{__name__=~"node_.*"}')).toEqual([]);
  }, 120_000);

  it('the receiver checks the credentials, which no rendered file holds', async ({ skip }) => {
    if (!p) return skip();
    const anonymous = await fetch(`http://127.0.0.1:${receiverPort}/api/v1/query?query=up`);
    expect(anonymous.status).toBe(401);
    const rendered = await readFile(path.join(p.dir, '.wmon/prometheus/prometheus.yml'), 'utf8');
    expect(rendered).toContain('password_file: /run/secrets/wmon/remote_write_1_password');
    expect(rendered).not.toContain(RECEIVER_PASSWORD);
    const inspected = await p.runtime.inspectContainer(`${p.project}-prometheus`);
    expect(JSON.stringify(inspected)).not.toContain(RECEIVER_PASSWORD);
  }, 60_000);

  it('runs Alertmanager as a cluster member: its gossip port published over TCP and UDP, the peer flags taken', async ({
    skip,
  }) => {
    if (!p) return skip();
    const am = await p.runtime.inspectContainer(`${p.project}-alertmanager`);
    expect(am?.running).toBe(true);
    const gossip = am!.ports.filter((port) => port.containerPort === 9094);
    expect(gossip.map((port) => [port.protocol, port.hostPort, port.hostIp]).sort()).toEqual([
      ['tcp', clusterPort, '127.0.0.1'],
      ['udp', clusterPort, '127.0.0.1'],
    ]);
    const status = (await (await fetch(`http://127.0.0.1:${p.ports.alertmanager}/api/v2/status`)).json()) as {
      cluster: { status: string; peers: Array<{ address: string }> };
    };
    expect(status.cluster.status).not.toBe('disabled');
    expect(status.cluster.peers.map((peer) => peer.address)).toContain(`127.0.0.1:${clusterPort}`);
  }, 60_000);
});
