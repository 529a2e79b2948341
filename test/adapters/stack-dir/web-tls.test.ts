import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

import { writeRenderedFiles } from '../../../src/adapters/stack-dir/files.js';
import { materializeSecrets } from '../../../src/adapters/stack-dir/secrets.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { containerSpecs } from '../../../src/core/model/containers.js';
import { buildStack } from '../../../src/core/model/stack.js';
import { renderStack } from '../../../src/core/render/index.js';
import { TLS_FILES, WEB_CONFIG_FILE, WEB_TLS_CONFIG_FILE } from '../../../src/core/render/web-config.js';
import { makeCert, type TestCert } from '../../support/tls.js';
import { tempDir } from '../../support/tmp.js';
import { promTool } from '../../support/tools.js';

const SERVERS = ['prometheus', 'alertmanager', 'nodeExporter'] as const;
const MOUNT = '/run/secrets/wmon';

let dir: string;
let cert: TestCert;
let ca: TestCert;
let signed: TestCert;

beforeAll(async () => {
  dir = await tempDir('wmon-web-tls-');
  cert = makeCert(dir, 'server');
  ca = makeCert(dir, 'ca', { isCa: true });
  signed = makeCert(dir, 'signed', { ca, names: ['DNS:monitor.example.test'] });
});

function stack(yaml: string) {
  const config = parseConfigText(yaml, 'wmon.yaml');
  return { config, loaded: { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config } };
}

/** A copy of `file` with the container's secrets folder replaced by the host folder mounted there. */
async function onHost(file: string, mountDir: string): Promise<string> {
  const copy = path.join(path.dirname(file), `host-${path.basename(file)}`);
  await writeFile(copy, (await readFile(file, 'utf8')).replaceAll(MOUNT, mountDir));
  return copy;
}

describe('HTTPS for Prometheus, Alertmanager and the node exporter (auth.tls)', () => {
  it('writes a web configuration with tls_server_config that promtool accepts, the certificate and key beside it', async () => {
    const s = stack('auth: {tls: {certFile: server.crt, keyFile: server.key}}\n');
    const stackDir = path.join(dir, 'stack-1');
    const secrets = await materializeSecrets(s.loaded, stackDir);
    for (const id of SERVERS) {
      const mount = secrets.mounts[id]!;
      const web = parse(await readFile(path.join(mount, WEB_TLS_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
      await expect(readFile(path.join(mount, WEB_CONFIG_FILE)), id).rejects.toThrow();
      expect(web.tls_server_config, id).toEqual({
        cert_file: `${MOUNT}/${TLS_FILES.cert}`,
        key_file: `${MOUNT}/${TLS_FILES.key}`,
      });
      expect(await readFile(path.join(mount, TLS_FILES.cert), 'utf8')).toBe(cert.certPem);
      expect(await readFile(path.join(mount, TLS_FILES.key), 'utf8')).toBe(cert.keyPem);
      const r = await execa(
        promTool('promtool'),
        ['check', 'web-config', await onHost(path.join(mount, WEB_TLS_CONFIG_FILE), mount)],
        {
          reject: false,
        },
      );
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    }
    // Clients trust the certificate itself; the key is only where it is served from.
    expect(await readFile(path.join(secrets.mounts.prometheus!, TLS_FILES.ca), 'utf8')).toBe(cert.certPem);
    expect(await readFile(path.join(secrets.mounts.grafana!, TLS_FILES.ca), 'utf8')).toBe(cert.certPem);
    await expect(readFile(path.join(secrets.mounts.grafana!, TLS_FILES.key))).rejects.toThrow();
    await expect(readFile(path.join(secrets.mounts.webhook!, TLS_FILES.key))).rejects.toThrow();

    // Without auth.tls the files go again, and the web configuration is plain basic auth.
    const plain = await materializeSecrets(stack('auth: {}\n').loaded, stackDir);
    const web = parse(await readFile(path.join(plain.mounts.prometheus!, WEB_CONFIG_FILE), 'utf8')) as object;
    expect(web).not.toHaveProperty('tls_server_config');
    await expect(readFile(path.join(plain.mounts.prometheus!, WEB_TLS_CONFIG_FILE))).rejects.toThrow();
    for (const f of Object.values(TLS_FILES)) {
      await expect(readFile(path.join(plain.mounts.prometheus!, f))).rejects.toThrow();
    }
  });

  it('makes Prometheus scrape and alert over https trusting the private CA (promtool check config), and Grafana too', async () => {
    const s = stack(
      'auth: {username: ops, tls: {certFile: signed.crt, keyFile: signed.key, caFile: ca.crt, serverName: monitor.example.test}}\n',
    );
    const stackDir = path.join(dir, 'stack-2');
    const secrets = await materializeSecrets(s.loaded, stackDir);
    expect(await readFile(path.join(secrets.mounts.prometheus!, TLS_FILES.ca), 'utf8')).toBe(ca.certPem);
    expect(await readFile(path.join(secrets.mounts.alertmanager!, TLS_FILES.cert), 'utf8')).toBe(signed.certPem);
    const { files } = renderStack(s.config);
    await writeRenderedFiles(stackDir, files);
    const prom = parse(files.find((f) => f.path === 'prometheus/prometheus.yml')!.contents) as {
      scrape_configs: Array<{ job_name: string; scheme?: string; tls_config?: unknown }>;
      alerting: { alertmanagers: Array<{ scheme?: string; tls_config?: unknown }> };
    };
    const tls = { ca_file: `${MOUNT}/${TLS_FILES.ca}`, server_name: 'monitor.example.test' };
    const jobs = Object.fromEntries(prom.scrape_configs.map((j) => [j.job_name, j]));
    for (const name of ['prometheus', 'alertmanager', 'node-exporter']) {
      expect(jobs[name], name).toMatchObject({ scheme: 'https', tls_config: tls });
    }
    for (const name of ['webhook', 'grafana', 'loki']) {
      expect(jobs[name]?.scheme, name).toBeUndefined();
      expect(jobs[name]?.tls_config, name).toBeUndefined();
    }
    expect(prom.alerting.alertmanagers[0]).toMatchObject({ scheme: 'https', tls_config: tls });
    const promFile = await onHost(path.join(stackDir, 'prometheus/prometheus.yml'), secrets.mounts.prometheus!);
    const r = await execa(promTool('promtool'), ['check', 'config', promFile], { reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);

    const datasources = parse(files.find((f) => f.path === 'grafana/provisioning/datasources/wmon.yaml')!.contents) as {
      datasources: Array<Record<string, unknown>>;
    };
    expect(datasources.datasources[0]).toMatchObject({
      url: 'https://prometheus:9090',
      jsonData: { tlsAuthWithCACert: true, serverName: 'monitor.example.test' },
      secureJsonData: { tlsCACert: `$__file{${MOUNT}/${TLS_FILES.ca}}` },
    });
  });

  it('gives every client https URLs and the probes what to trust; the others stay http', () => {
    const s = stack(
      'bindAddress: 0.0.0.0\nauth: {tls: {certFile: server.crt, keyFile: server.key}}\ncomponents: {loki: {bindAddress: 127.0.0.1}, jaeger: {bindAddress: 127.0.0.1}}\n',
    );
    const model = buildStack(s.config);
    const url = (id: string) => model.components.find((c) => c.id === id)!.url;
    expect(url('prometheus')).toBe('https://127.0.0.1:9090');
    expect(url('alertmanager')).toBe('https://127.0.0.1:9093');
    expect(url('nodeExporter')).toBe('https://127.0.0.1:9100');
    expect(url('grafana')).toBe('http://127.0.0.1:3000');
    const tls = { ca: [cert.certPem], serverName: 'localhost' };
    const specs = containerSpecs(model, {
      stackDir: '/s',
      secretMounts: {},
      auth: { username: 'wmon', password: 'pw' },
      tls,
    });
    for (const spec of specs) {
      const served = (SERVERS as readonly string[]).includes(spec.component);
      expect(spec.readiness?.tls, spec.component).toEqual(served ? tls : undefined);
    }
    expect(specs.find((x) => x.component === 'prometheus')!.cmd).toContain('--web.external-url=https://127.0.0.1:9090');
    // They choose HTTP or HTTPS when they start: TLS on or off is a new container (another config hash).
    const before = containerSpecs(
      buildStack(
        stack(
          'bindAddress: 0.0.0.0\nauth: {}\ncomponents: {loki: {bindAddress: 127.0.0.1}, jaeger: {bindAddress: 127.0.0.1}}\n',
        ).config,
      ),
      { stackDir: '/s', secretMounts: {}, auth: { username: 'wmon', password: 'pw' } },
    );
    for (const spec of specs) {
      const old = before.find((x) => x.component === spec.component)!;
      const changed = old.labels['wmon.config-hash'] !== spec.labels['wmon.config-hash'];
      expect(changed, spec.component).toBe((SERVERS as readonly string[]).includes(spec.component));
    }
    expect(specs.find((x) => x.component === 'alertmanager')!.cmd).toContain(
      '--web.config.file=/run/secrets/wmon/web-config-tls.yml',
    );
  });
});
