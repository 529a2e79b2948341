import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import bcrypt from 'bcryptjs';
import { execa } from 'execa';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { writeRenderedFiles } from '../../../src/adapters/stack-dir/files.js';
import { AUTH_HASH_FILE, materializeSecrets } from '../../../src/adapters/stack-dir/secrets.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { containerSpecs } from '../../../src/core/model/containers.js';
import { buildStack } from '../../../src/core/model/stack.js';
import { renderStack } from '../../../src/core/render/index.js';
import { WEB_CONFIG_FILE } from '../../../src/core/render/web-config.js';
import { tempDir } from '../../support/tmp.js';
import { promTool } from '../../support/tools.js';

const AUTHED = ['prometheus', 'alertmanager', 'nodeExporter', 'blackboxExporter'] as const;

async function stackWithAuth(yaml: string, files: Record<string, string> = {}) {
  const dir = await tempDir('wmon-web-auth-');
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text, { mode: 0o600 });
  const config = parseConfigText(yaml, 'wmon.yaml');
  const loaded = { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config };
  const stackDir = path.join(dir, '.wmon');
  return { dir, config, loaded, stackDir };
}

describe('basic auth for Prometheus, Alertmanager and the node exporter', () => {
  it('writes a web configuration that promtool accepts: the user and a bcrypt hash (cost 10 or more) of the password', async () => {
    const s = await stackWithAuth('auth: {username: ops, password: {file: pw}}\n', { pw: 'correct horse battery\n' });
    const secrets = await materializeSecrets(s.loaded, s.stackDir);
    const files = AUTHED.map((id) => path.join(secrets.mounts[id]!, WEB_CONFIG_FILE));
    const r = await execa(promTool('promtool'), ['check', 'web-config', ...files], { reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
    expect(new Set(texts).size).toBe(1);
    const users = (parse(texts[0]!) as { basic_auth_users: Record<string, string> }).basic_auth_users;
    expect(Object.keys(users)).toEqual(['ops']);
    expect(bcrypt.compareSync('correct horse battery', users.ops!)).toBe(true);
    expect(bcrypt.compareSync('correct horse batter', users.ops!)).toBe(false);
    expect(bcrypt.getRounds(users.ops!)).toBeGreaterThanOrEqual(10);
    // Prometheus and Grafana get the password itself (scrapes, alerts, the data source); the others never.
    expect(await readFile(path.join(secrets.mounts.prometheus!, 'auth_password'), 'utf8')).toBe(
      'correct horse battery',
    );
    expect(await readFile(path.join(secrets.mounts.grafana!, 'auth_password'), 'utf8')).toBe('correct horse battery');
    await expect(readFile(path.join(secrets.mounts.alertmanager!, 'auth_password'))).rejects.toThrow();
    expect((await stat(path.join(s.stackDir, 'secrets', AUTH_HASH_FILE))).mode & 0o777).toBe(0o600);
  });

  it('renders the same file again while the password is unchanged, and a new hash when it changes', async () => {
    const s = await stackWithAuth('auth: {password: {file: pw}}\n', { pw: 'first password 123' });
    const web = async () =>
      readFile(path.join((await materializeSecrets(s.loaded, s.stackDir)).mounts.prometheus!, WEB_CONFIG_FILE), 'utf8');
    const first = await web();
    expect(await web()).toBe(first);
    await writeFile(path.join(s.dir, 'pw'), 'second password 456');
    const second = await web();
    expect(second).not.toBe(first);
    const hash = (parse(second) as { basic_auth_users: { wmon: string } }).basic_auth_users.wmon;
    expect(bcrypt.compareSync('second password 456', hash)).toBe(true);
    expect(await web()).toBe(second);
  });

  it('generates a password (kept 0600) when none is configured, and removes the web configuration with auth', async () => {
    const s = await stackWithAuth('auth: {}\n');
    const secrets = await materializeSecrets(s.loaded, s.stackDir);
    const password = (await readFile(secrets.authPasswordFile!, 'utf8')).trim();
    expect(password).toMatch(/^[\w-]{32}$/);
    expect((await stat(secrets.authPasswordFile!)).mode & 0o777).toBe(0o600);
    expect((await materializeSecrets(s.loaded, s.stackDir)).authPasswordFile).toBe(secrets.authPasswordFile);
    expect((await readFile(secrets.authPasswordFile!, 'utf8')).trim()).toBe(password);

    const without = { ...s.loaded, config: parseConfigText('', 'wmon.yaml') };
    const after = await materializeSecrets(without, s.stackDir);
    await expect(readFile(path.join(secrets.mounts.prometheus!, WEB_CONFIG_FILE))).rejects.toThrow();
    await expect(readFile(path.join(after.mounts.grafana!, 'auth_password'))).rejects.toThrow();
  });

  it('points the containers at it, and Prometheus scrapes and alerts with basic auth (promtool check config)', async () => {
    const s = await stackWithAuth('auth: {username: ops}\n');
    const secrets = await materializeSecrets(s.loaded, s.stackDir);
    const specs = containerSpecs(buildStack(s.config), {
      stackDir: s.stackDir,
      secretMounts: secrets.mounts,
      auth: { username: 'ops', password: 'pw' },
    });
    for (const spec of specs) {
      const authed = (AUTHED as readonly string[]).includes(spec.component);
      expect(spec.cmd?.includes('--web.config.file=/run/secrets/wmon/web-config.yml') ?? false, spec.component).toBe(
        authed,
      );
      expect(spec.readiness?.basicAuth, spec.component).toEqual(
        authed ? { username: 'ops', password: 'pw' } : undefined,
      );
      if (authed) {
        expect(spec.binds).toContainEqual({
          source: secrets.mounts[spec.component as 'prometheus'],
          target: '/run/secrets/wmon',
          readOnly: true,
        });
      }
      // The probe's credentials are wmon's, never the container's: they do not change its config hash.
      expect(JSON.stringify(spec.labels)).not.toContain('pw');
    }
    expect(specs.find((x) => x.component === 'grafana')?.env?.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');

    const { files } = renderStack(s.config);
    await writeRenderedFiles(s.stackDir, files);
    const prom = parse(files.find((f) => f.path === 'prometheus/prometheus.yml')!.contents) as {
      scrape_configs: Array<{ job_name: string; basic_auth?: unknown }>;
      alerting: { alertmanagers: Array<{ basic_auth?: unknown }> };
    };
    const basicAuth = { username: 'ops', password_file: '/run/secrets/wmon/auth_password' };
    const jobs = Object.fromEntries(prom.scrape_configs.map((j) => [j.job_name, j.basic_auth]));
    expect(jobs).toMatchObject({
      prometheus: basicAuth,
      alertmanager: basicAuth,
      'node-exporter': basicAuth,
      'blackbox-exporter': basicAuth,
    });
    expect(jobs.webhook).toBeUndefined();
    expect(prom.alerting.alertmanagers[0]!.basic_auth).toEqual(basicAuth);
    const r = await execa(
      promTool('promtool'),
      ['check', 'config', path.join(s.stackDir, 'prometheus/prometheus.yml')],
      {
        reject: false,
      },
    );
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);

    const datasources = parse(files.find((f) => f.path === 'grafana/provisioning/datasources/wmon.yaml')!.contents) as {
      datasources: Array<Record<string, unknown>>;
    };
    // Prometheus and Alertmanager: both answer only with the credentials.
    for (const uid of ['wmon-prometheus', 'wmon-alertmanager']) {
      expect(
        datasources.datasources.find((d) => d.uid === uid),
        uid,
      ).toMatchObject({
        basicAuth: true,
        basicAuthUser: 'ops',
        secureJsonData: { basicAuthPassword: '$__file{/run/secrets/wmon/auth_password}' },
      });
    }
  });

  it('changes nothing in a stack without auth', () => {
    const specs = containerSpecs(buildStack(parseConfigText('', 'wmon.yaml')), { stackDir: '/s', secretMounts: {} });
    for (const spec of specs) {
      expect(spec.cmd?.some((a) => a.startsWith('--web.config.file')) ?? false).toBe(false);
      expect(spec.readiness?.basicAuth).toBeUndefined();
    }
    expect(renderStack(parseConfigText('', 'wmon.yaml')).files.some((f) => f.contents.includes('basic_auth'))).toBe(
      false,
    );
  });
});
