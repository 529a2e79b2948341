/**
 * Secrets reach containers only as files: no container's environment, command line or labels holds a secret
 * value, every secret variable is a `…_FILE` naming a mounted file; and a backup never holds one (every byte
 * of the decompressed archive is scanned for each value).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { SECRETS_MOUNT_DIR } from '@wmon/contract';
import { afterEach, describe, expect, it } from 'vitest';

import { AUTH_HASH_FILE, materializeSecrets } from '../../src/adapters/stack-dir/secrets.js';
import { parseConfigText } from '../../src/core/config/load.js';
import { containerSpecs } from '../../src/core/model/containers.js';
import { buildStack } from '../../src/core/model/stack.js';
import { createBackup } from '../../src/ops/backup.js';
import { initStack } from '../../src/ops/up.js';
import { runningStack, UP } from '../support/memory-stack.js';
import { makeCert } from '../support/tls.js';
import { tempDir } from '../support/tmp.js';

/** One value per secret wmon knows, each unmistakable in any byte stream. */
const VALUES = {
  WMON_T_SMTP: 'smtp-pass-Q7f3kZ9',
  WMON_T_SLACK: 'https://hooks.slack.com/services/T000/B000/slackXsecretZ41',
  WMON_T_PD: 'pdroutingkey0123456789abcdefQZ',
  WMON_T_GRAFANA: 'grafana-admin-J4x8Lm2',
  WMON_T_STRIPE: 'whsec_stripeSigningSecret7Hq2',
  WMON_T_DB: 'postgres://app:dbPassW0rdX9@db.internal:5432/hooks',
  WMON_T_REDIS: 'redis://:redisPassV3ry7@cache.internal:6379/0',
  WMON_T_AUTH: 'auth-password-N5p1Rw8tY',
} as const;
/** The passwords inside the URLs are what must not leak, besides the whole values. */
const NEEDLES = [...Object.values(VALUES), 'dbPassW0rdX9', 'redisPassV3ry7'];

const SECRETS_YAML = `auth: {username: ops, password: {env: WMON_T_AUTH}}
grafana: {adminPassword: {env: WMON_T_GRAFANA}}
notifications:
  email: {to: [oncall@example.com], from: wmon@example.com, smarthost: 'smtp.example.com:587', username: wmon, password: {env: WMON_T_SMTP}}
  slack: {webhookUrl: {env: WMON_T_SLACK}}
  pagerduty: {routingKey: {env: WMON_T_PD}}
service:
  stripeWebhookSecret: {env: WMON_T_STRIPE}
  databaseUrl: {env: WMON_T_DB}
  redisUrl: {env: WMON_T_REDIS}
`;

Object.assign(process.env, VALUES);
afterEach(() => Object.assign(process.env, VALUES));

function leaks(text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n));
}

describe('secrets reach containers only as files', () => {
  it("no container's environment, command or labels holds a secret; every secret variable names a mounted file", async () => {
    const dir = await tempDir('wmon-env-audit-');
    const config = parseConfigText(SECRETS_YAML, 'wmon.yaml');
    const stackDir = path.join(dir, '.wmon');
    const secrets = await materializeSecrets(
      { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config },
      stackDir,
    );
    const specs = containerSpecs(buildStack(config), { stackDir, secretMounts: secrets.mounts });
    expect(specs.map((s) => s.component).sort()).toEqual([
      'alertmanager',
      'blackboxExporter',
      'grafana',
      'jaeger',
      'loki',
      'nodeExporter',
      'prometheus',
      'webhook',
    ]);
    for (const spec of specs) {
      const { readiness: _probe, ...container } = spec;
      expect(leaks(JSON.stringify(container)), spec.component).toEqual([]);
      for (const [name, value] of Object.entries(spec.env ?? {})) {
        if (!/PASSWORD|SECRET|DATABASE_URL|REDIS_URL|TOKEN|KEY/.test(name)) continue;
        expect(name, `${spec.component} ${name}`).toMatch(/_FILE$/);
        expect(value.startsWith(`${SECRETS_MOUNT_DIR}/`), `${spec.component} ${name}=${value}`).toBe(true);
        const mount = spec.binds.find((b) => b.target === SECRETS_MOUNT_DIR);
        expect(mount, spec.component).toBeDefined();
        const held = await readFile(path.join(mount!.source, value.slice(SECRETS_MOUNT_DIR.length + 1)), 'utf8');
        expect(Object.values(VALUES)).toContain(held);
      }
    }
    const env = (id: string) => specs.find((s) => s.component === id)!.env!;
    expect(env('grafana').GF_SECURITY_ADMIN_PASSWORD__FILE).toBe(`${SECRETS_MOUNT_DIR}/grafana_admin_password`);
    expect(env('webhook')).toMatchObject({
      STRIPE_WEBHOOK_SECRET_FILE: `${SECRETS_MOUNT_DIR}/stripe_webhook_secret`,
      DATABASE_URL_FILE: `${SECRETS_MOUNT_DIR}/database_url`,
      REDIS_URL_FILE: `${SECRETS_MOUNT_DIR}/redis_url`,
    });
    expect(env('webhook').DATABASE_URL).toBeUndefined();
  });
});

describe('a backup never holds a secret', () => {
  it('scans every byte of the decompressed archive for each secret value (and the auth hash)', async () => {
    const { s, open } = await runningStack();
    await s.writeConfig(SECRETS_YAML);
    const ctx = await open();
    await initStack(ctx, UP);
    const hash = (await readFile(path.join(ctx.stackDir, 'secrets', AUTH_HASH_FILE), 'utf8')).trim();
    expect(hash).toMatch(/^\$2[aby]\$/);

    const result = await createBackup(ctx, {});
    const bytes = gunzipSync(await readFile(result.file)).toString('latin1');
    expect(bytes.length).toBeGreaterThan(10_000);
    expect(bytes).toContain('wmon.yaml');
    expect(bytes).toContain('password_file: /run/secrets/wmon/auth_password');
    expect(leaks(bytes)).toEqual([]);
    expect(bytes.includes(hash)).toBe(false);
  });

  it('holds neither the TLS key nor the certificate (auth.tls), mounted only as secret files', async () => {
    const { s, open } = await runningStack();
    const cert = makeCert(s.dir, 'server');
    const withTls = SECRETS_YAML.replace(
      'auth: {username: ops, password: {env: WMON_T_AUTH}}',
      'auth: {username: ops, password: {env: WMON_T_AUTH}, tls: {certFile: server.crt, keyFile: server.key}}',
    );
    expect(withTls).not.toBe(SECRETS_YAML);
    await s.writeConfig(withTls);
    const ctx = await open();
    await initStack(ctx, UP);
    expect(await readFile(path.join(ctx.stackDir, 'secrets', 'prometheus', 'tls-key.pem'), 'utf8')).toBe(cert.keyPem);

    const result = await createBackup(ctx, {});
    const bytes = gunzipSync(await readFile(result.file)).toString('latin1');
    expect(bytes).toContain('tls_config');
    // Every base64 line of the key and the certificate: not one is in the archive.
    const lines = (pem: string) => pem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
    expect(lines(cert.keyPem).length).toBeGreaterThan(0);
    expect(lines(cert.keyPem).filter((l) => bytes.includes(l))).toEqual([]);
    expect(lines(cert.certPem).filter((l) => bytes.includes(l))).toEqual([]);
    expect(leaks(bytes)).toEqual([]);
  });
});
