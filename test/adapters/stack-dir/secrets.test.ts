import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { materializeSecrets } from '../../../src/adapters/stack-dir/secrets.js';
import type { UrlsResultJson } from '../../../src/results.js';
import { wmon } from '../../support/cli.js';
import { tempDir } from '../../support/tmp.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('stack secrets', () => {
  it('generates the Grafana password and a whsec_ secret (0600), kept across runs, and lays out per-component files', async () => {
    const dir = await tempDir();
    const loaded = { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config: parseConfigText('', 'wmon.yaml') };
    const stackDir = path.join(dir, '.wmon');
    const first = await materializeSecrets(loaded, stackDir);
    const password = (await readFile(first.grafanaAdminPasswordFile!, 'utf8')).trim();
    const secret = (await readFile(first.stripeWebhookSecretFile!, 'utf8')).trim();
    expect(password).toMatch(/^[\w-]{20,}$/);
    expect(secret).toMatch(/^whsec_[\w-]{20,}$/);
    expect(await mode(first.grafanaAdminPasswordFile!)).toBe(0o600);
    expect(await mode(first.stripeWebhookSecretFile!)).toBe(0o600);
    expect(await mode(path.join(stackDir, 'secrets'))).toBe(0o700);
    expect(Object.keys(first.mounts).sort()).toEqual(['alertmanager', 'grafana', 'prometheus', 'webhook']);
    expect(await readFile(path.join(first.mounts.grafana!, 'grafana_admin_password'), 'utf8')).toBe(password);
    expect(await readFile(path.join(first.mounts.webhook!, 'stripe_webhook_secret'), 'utf8')).toBe(secret);

    const second = await materializeSecrets(loaded, stackDir);
    expect((await readFile(second.grafanaAdminPasswordFile!, 'utf8')).trim()).toBe(password);
    expect((await readFile(second.stripeWebhookSecretFile!, 'utf8')).trim()).toBe(secret);
  });

  it('gives each component only its own configured secrets', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'pd'), 'abcdefghijklmnopqrstuvwxyz012345\n');
    const config = parseConfigText(
      'notifications:\n  pagerduty: {routingKey: {file: pd}}\nservice:\n  databaseUrl: {env: WMON_TEST_DB}\n',
      'wmon.yaml',
    );
    process.env.WMON_TEST_DB = 'postgres://app:pw@db:5432/hooks';
    try {
      const s = await materializeSecrets(
        { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config },
        path.join(dir, '.wmon'),
      );
      expect(await readFile(path.join(s.mounts.alertmanager!, 'pagerduty_routing_key'), 'utf8')).toBe(
        'abcdefghijklmnopqrstuvwxyz012345',
      );
      expect(await readFile(path.join(s.mounts.webhook!, 'database_url'), 'utf8')).toBe(
        'postgres://app:pw@db:5432/hooks',
      );
      await expect(readFile(path.join(s.mounts.alertmanager!, 'database_url'))).rejects.toThrow();
      await expect(readFile(path.join(s.mounts.grafana!, 'pagerduty_routing_key'))).rejects.toThrow();
    } finally {
      delete process.env.WMON_TEST_DB;
    }
  });

  it('wmon urls names the files, and shows the values only with --show-credentials', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'wmon.yaml'), 'grafana: {adminUser: ops}\ncomponents: {grafana: {port: 3300}}\n');
    const loaded = {
      file: path.join(dir, 'wmon.yaml'),
      dir,
      exists: true,
      config: parseConfigText('grafana: {adminUser: ops}\n', 'wmon.yaml'),
    };
    const s = await materializeSecrets(loaded, path.join(dir, '.wmon'));
    const password = (await readFile(s.grafanaAdminPasswordFile!, 'utf8')).trim();

    const plain = await wmon(['urls', '--json'], { cwd: dir });
    expect(plain.exitCode, plain.stderr).toBe(0);
    const urls = JSON.parse(plain.stdout) as UrlsResultJson;
    expect(urls.components.find((c) => c.component === 'grafana')?.url).toBe('http://127.0.0.1:3300');
    expect(urls.credentials.grafana).toEqual({ user: 'ops', passwordFile: s.grafanaAdminPasswordFile });
    expect(plain.stdout).not.toContain(password);

    const shown = await wmon(['urls', '--json', '--show-credentials'], { cwd: dir });
    expect((JSON.parse(shown.stdout) as UrlsResultJson).credentials.grafana?.password).toBe(password);
    const human = await wmon(['urls'], { cwd: dir });
    expect(human.stdout).toContain(`password in ${s.grafanaAdminPasswordFile}`);
    expect(human.stdout).not.toContain(password);
  });
});
