/**
 * prometheus.remoteWrite, externalLabels and alertmanager peers as they are rendered: prometheus.yml (checked by
 * promtool), the credentials' files in Prometheus's secrets folder (never their values in a rendered file), and
 * the containers' command lines, ports and mounts.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { materializeSecrets } from '../../../src/adapters/stack-dir/secrets.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { RESERVED_HEADERS } from '../../../src/core/config/storage.js';
import { containerSpecs } from '../../../src/core/model/containers.js';
import { buildStack } from '../../../src/core/model/stack.js';
import { tempDir } from '../../support/tmp.js';
import { expectOnlyInSecretsFolder, promtoolCheck, renderedWithSecrets } from '../../support/rendered-secrets.js';

const MIMIR_PASSWORD = 'mimir-password-4f1c2a';
const THANOS_TOKEN = 'thanos-token-9b7e3d';

const ENDPOINTS = `prometheus:
  externalLabels: {cluster: eu-1, replica: a}
  replicaLabel: replica
  remoteWrite:
  - url: https://mimir.example.com/api/v1/push
    headers: {X-Scope-OrgID: team-a}
    basicAuth: {username: wmon, password: {file: mimir-password}}
    queue: {capacity: 10000, minShards: 2, maxShards: 20, maxSamplesPerSend: 2000, batchSendDeadline: 5s, minBackoff: 30ms, maxBackoff: 5s}
    writeRelabel:
    - {action: keep, regex: "webhook_.*|up"}
    - {action: drop, sourceLabels: [job, instance], regex: "node-exporter;.*"}
  - url: http://thanos-receive:19291/api/v1/receive
    name: thanos
    bearerToken: {env: WMON_TEST_THANOS_TOKEN}
  - url: http://victoria:8428/api/v1/write
`;

/** wmon.yaml's folder with the password files (Mimir's, and the README example's auth), the stack rendered and its secrets laid out under .wmon. */
function rendered(yaml: string) {
  process.env.WMON_TEST_THANOS_TOKEN = THANOS_TOKEN;
  return renderedWithSecrets('wmon-remote-write-', yaml, {
    'mimir-password': `${MIMIR_PASSWORD}\n`,
    'auth-password': 'auth-password-of-the-example\n',
  });
}

describe('remote write, external labels and Alertmanager peers, rendered', () => {
  it('renders each endpoint (basic auth, bearer token, none) into a prometheus.yml promtool accepts', async () => {
    const r = await rendered(ENDPOINTS);
    const check = await promtoolCheck(r.promYml);
    expect(check.exitCode, check.output).toBe(0);
    expect(r.prometheus.remote_write).toEqual([
      {
        url: 'https://mimir.example.com/api/v1/push',
        name: 'remote-write-1',
        headers: { 'X-Scope-OrgID': 'team-a' },
        basic_auth: { username: 'wmon', password_file: '/run/secrets/wmon/remote_write_1_password' },
        queue_config: {
          capacity: 10000,
          min_shards: 2,
          max_shards: 20,
          max_samples_per_send: 2000,
          batch_send_deadline: '5s',
          min_backoff: '30ms',
          max_backoff: '5s',
        },
        write_relabel_configs: [
          { source_labels: ['__name__'], regex: 'webhook_.*|up', action: 'keep' },
          { source_labels: ['job', 'instance'], regex: 'node-exporter;.*', action: 'drop' },
        ],
      },
      {
        url: 'http://thanos-receive:19291/api/v1/receive',
        name: 'thanos',
        authorization: { type: 'Bearer', credentials_file: '/run/secrets/wmon/remote_write_2_bearer_token' },
      },
      { url: 'http://victoria:8428/api/v1/write', name: 'remote-write-3' },
    ]);
    expect(r.prometheus.global.external_labels).toEqual({
      project: 'wmon',
      environment: 'development',
      cluster: 'eu-1',
      replica: 'a',
    });
    // Both replicas' alerts are the same alert to the Alertmanagers.
    expect(r.prometheus.alerting.alert_relabel_configs).toEqual([{ action: 'labeldrop', regex: 'replica' }]);
  });

  it('writes the credentials into files Prometheus reads, never into a rendered file, and mounts them', async () => {
    const r = await rendered(ENDPOINTS);
    const folder = await expectOnlyInSecretsFolder(r, {
      remote_write_1_password: MIMIR_PASSWORD,
      remote_write_2_bearer_token: THANOS_TOKEN,
    });

    // An endpoint removed takes its file with it; one without credentials needs no secrets folder at all.
    const after = await rendered('prometheus:\n  remoteWrite: [{url: "http://victoria:8428/api/v1/write"}]\n');
    expect(after.spec('prometheus').binds.map((b) => b.target)).not.toContain('/run/secrets/wmon');
    const again = parseConfigText(
      'prometheus:\n  remoteWrite: [{url: "http://victoria:8428/api/v1/write"}]\n',
      'wmon.yaml',
    );
    await materializeSecrets(
      { file: path.join(r.stackDir, '../wmon.yaml'), dir: path.dirname(r.stackDir), exists: true, config: again },
      r.stackDir,
    );
    expect((await readdir(folder)).filter((n) => n.startsWith('remote_write_'))).toEqual([]);
  });

  it("refuses the same headers as Prometheus: each of wmon's reserved headers fails promtool, a tenant header passes", async () => {
    const dir = await tempDir('wmon-headers-');
    const file = path.join(dir, 'prometheus.yml');
    for (const header of [...RESERVED_HEADERS, 'X-Scope-OrgID']) {
      await writeFile(file, `remote_write:\n- url: http://mimir:9009/api/v1/push\n  headers: {${header}: x}\n`);
      const check = await promtoolCheck(file);
      expect(check.exitCode === 0, `${header}: ${check.output}`).toBe(header === 'X-Scope-OrgID');
    }
  });

  it('keeps every container as it was without the new keys, and without peers Alertmanager runs alone', async () => {
    const specs = (yaml: string) =>
      containerSpecs(buildStack(parseConfigText(yaml, 'wmon.yaml')), {
        stackDir: '/stack',
        // What materializeSecrets gives whatever the configuration: a folder for each of them.
        secretMounts: { prometheus: '/p', alertmanager: '/a', grafana: '/g', webhook: '/w' },
      });
    const labels = (yaml: string) => specs(yaml).map((s) => s.labels);
    expect(
      labels(
        'prometheus:\n  externalLabels: {cluster: eu-1}\n  replicaLabel: cluster\n  remoteWrite: [{url: "http://victoria:8428/api/v1/write"}]\nalertmanager: {clusterPort: 9999}\n',
      ),
    ).toEqual(labels(''));
    const before = await rendered('');
    const am = before.spec('alertmanager');
    expect(am.cmd).toContain('--cluster.listen-address=');
    expect(am.cmd?.filter((f) => f.startsWith('--cluster.'))).toEqual(['--cluster.listen-address=']);
    expect(am.ports.map((p) => p.containerPort)).toEqual([9093]);
    expect(before.prometheus.remote_write).toBeUndefined();
    expect(before.prometheus.alerting.alert_relabel_configs).toBeUndefined();
  });

  it('joins the peers: cluster flags, and the cluster port published over TCP and UDP', async () => {
    const r = await rendered(
      'alertmanager:\n  peers: [am-b.example.com:9094, 10.0.0.3:9094]\n  advertiseAddress: 10.0.0.1:9095\n  clusterPort: 9095\n',
    );
    const am = r.spec('alertmanager');
    expect(am.cmd?.filter((f) => f.startsWith('--cluster.'))).toEqual([
      '--cluster.listen-address=0.0.0.0:9094',
      '--cluster.advertise-address=10.0.0.1:9095',
      '--cluster.peer=am-b.example.com:9094',
      '--cluster.peer=10.0.0.3:9094',
    ]);
    expect(am.ports).toEqual([
      { containerPort: 9093, hostPort: 9093, hostIp: '127.0.0.1', protocol: 'tcp' },
      { containerPort: 9094, hostPort: 9095, hostIp: '127.0.0.1', protocol: 'tcp' },
      { containerPort: 9094, hostPort: 9095, hostIp: '127.0.0.1', protocol: 'udp' },
    ]);
  });

  it("takes the README's HA pair example as it is: promtool accepts what it renders", async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const example = /An HA pair on hosts[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const r = await rendered(example!);
    const check = await promtoolCheck(r.promYml);
    expect(check.exitCode, check.output).toBe(0);
    expect(r.prometheus.global.external_labels).toMatchObject({ cluster: 'shop-prod', replica: 'a' });
    expect(r.spec('alertmanager').cmd).toContain('--cluster.peer=10.0.0.2:9094');
  });
});
