/**
 * wmon refuses versions of the Prometheus family older than it supports: the image tags in wmon.yaml
 * before anything starts, and the version a running component reports (for tags that do not say).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { checkRunningVersion } from '../../src/ops/versions.js';
import { WmonError } from '../../src/errors.js';
import { wmon } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
});

/** A server answering one path with a body, as the component's documented API does. */
async function answering(pathname: string, body: string, contentType = 'application/json'): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === pathname) res.writeHead(200, { 'Content-Type': contentType }).end(body);
    else res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

const buildinfo = (version: string) =>
  JSON.stringify({
    status: 'success',
    data: { version, revision: 'x', branch: 'x', buildUser: 'x', buildDate: 'x', goVersion: 'go1.24' },
  });

describe('wmon init with an image older than wmon supports', () => {
  it('refuses before it renders or contacts the engine, naming the path, the version and the minimum (exit 78)', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'wmon.yaml'),
      'components:\n  prometheus: {image: docker.io/prom/prometheus:v2.53.0}\n',
    );
    // No engine answers at this address: reaching it would fail with 69, not 78.
    const env = { DOCKER_HOST: `unix://${path.join(dir, 'no-engine.sock')}` };
    for (const args of [['init'], ['init', '--dry-run'], ['update']]) {
      const r = await wmon([...args, '--json'], { cwd: dir, env });
      expect(r.exitCode, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(78);
      const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; suggestions: string[] } };
      expect(error.code).toBe('VERSION_UNSUPPORTED');
      expect(error.message).toContain(
        'components.prometheus.image: docker.io/prom/prometheus:v2.53.0: Prometheus 2.53.0 is older than 3.5.0',
      );
      expect(error.message).toContain('Prometheus 3.5.0, Alertmanager 0.28.0 and Node Exporter 1.9.0 or newer');
      expect(error.suggestions[0]).toBe(
        'Set components.prometheus.image to docker.io/prom/prometheus:v3.5.0 (the default) or a newer version.',
      );
    }
    expect(existsSync(path.join(dir, '.wmon'))).toBe(false);

    const human = await wmon(['init'], { cwd: dir, env });
    expect(human.exitCode).toBe(78);
    expect(human.stderr).toContain('Prometheus 2.53.0 is older than 3.5.0, the oldest version wmon supports');
    expect(human.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the version a running component reports', () => {
  it('refuses a Prometheus that reports an older version, naming it and the minimum', async () => {
    const url = await answering('/api/v1/status/buildinfo', buildinfo('2.53.0'));
    const error = await checkRunningVersion(
      'prometheus',
      url,
      'wmon-prometheus (docker.io/prom/prometheus:latest)',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WmonError);
    expect((error as WmonError).code).toBe('VERSION_UNSUPPORTED');
    expect((error as WmonError).exit).toBe(78);
    expect((error as WmonError).message).toMatch(
      /^wmon-prometheus \(docker\.io\/prom\/prometheus:latest\): a version older than wmon supports/,
    );
    expect((error as WmonError).message).toContain(
      'Prometheus 2.53.0 is older than 3.5.0, the oldest version wmon supports',
    );
  });

  it('refuses a node exporter whose build info says 1.8.2, and lets 1.9.0 and a component without a version be', async () => {
    const metrics = (v: string) =>
      `# HELP node_exporter_build_info A metric with a constant '1' value.\n# TYPE node_exporter_build_info gauge\nnode_exporter_build_info{branch="x",goversion="go1.24",revision="x",tags="x",version="${v}"} 1\n`;
    const old = await answering('/metrics', metrics('1.8.2'), 'text/plain; version=0.0.4');
    await expect(checkRunningVersion('nodeExporter', old, 'wmon-node-exporter')).rejects.toThrow(
      'Node Exporter 1.8.2 is older than 1.9.0',
    );
    const current = await answering('/metrics', metrics('1.9.0'), 'text/plain; version=0.0.4');
    await expect(checkRunningVersion('nodeExporter', current, 'wmon-node-exporter')).resolves.toBeUndefined();
    const silent = await answering('/nothing', '');
    await expect(checkRunningVersion('alertmanager', silent, 'wmon-alertmanager')).resolves.toBeUndefined();
    await expect(checkRunningVersion('webhook', silent, 'wmon-webhook')).resolves.toBeUndefined();
  });
});
