import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { SECRET_FILES, type SecretFileKey } from '@wmon/contract';
import bcrypt from 'bcryptjs';

import type { LoadedConfig } from '../../core/config/load.js';
import { WEB_AUTH_COMPONENTS, type ComponentId } from '../../core/config/schema.js';
import {
  buildWebConfig,
  TLS_FILES,
  WEB_CONFIG_FILE,
  WEB_TLS_CONFIG_FILE,
  webConfigFile,
} from '../../core/render/web-config.js';
import { loadTls } from '../../core/config/tls.js';
import { toYaml } from '../../core/render/yaml.js';
import { prometheusSecrets, readSecret, secretSlots, type SecretName } from '../../core/config/secrets.js';
import { PROMETHEUS_SECRET_FILE } from '../../core/config/storage.js';
import { ConfigError, WmonError } from '../../errors.js';
import { isEnabled } from '../../core/model/stack.js';

/**
 * Secrets on disk, in the stack directory:
 *   <stackDir>/grafana-admin-password, <stackDir>/stripe-webhook-secret,
 *   <stackDir>/auth-password                                               mode 0600: what people read
 *   <stackDir>/secrets/                                                    mode 0700: nobody else gets in
 *   <stackDir>/secrets/auth-password.bcrypt                                mode 0600: the auth password's hash
 *   <stackDir>/secrets/<component>/<name>                                  mounted read-only into that component
 *   <stackDir>/secrets/<component>/web-config.yml                          with auth: Prometheus, Alertmanager,
 *                                                                          node exporter (the hash, basic auth)
 *   <stackDir>/secrets/<component>/web-config-tls.yml                      the same with auth.tls (HTTPS)
 *   <stackDir>/secrets/<component>/tls-{cert,key,ca}.pem                   with auth.tls: the same three serve
 *                                                                          HTTPS (cert, key); Prometheus and
 *                                                                          Grafana trust it (ca)
 *   <stackDir>/secrets/prometheus/remote_write_<n>_{password,bearer_token} prometheus.remoteWrite's credentials
 *   <stackDir>/secrets/prometheus/scrape_<n>_{password,bearer_token}       prometheus.extraScrapeConfigs' ones
 * Containers run as their own users (nobody, grafana, node), so the mounted copies are 0644 inside 0755
 * folders: the 0700 folder above them is what keeps other host users out.
 *
 * The mounted copies use the contract's SECRET_FILES names, the same inside the container as in the host
 * folder. The copies kept for people (GENERATED_SECRET_FILES) are spelled with hyphens: those names are
 * user-facing (README, `wmon urls`, backups) and existing stacks keep their generated secrets in them, so
 * they stay as they are, mapped explicitly by secret name.
 */
export const SECRETS_DIR = 'secrets';
export const GENERATED_SECRET_FILES = {
  grafanaAdminPassword: 'grafana-admin-password',
  stripeWebhookSecret: 'stripe-webhook-secret',
  authPassword: 'auth-password',
} as const satisfies { readonly [K in SecretFileKey]?: string };

/** The notification channels' secrets: Alertmanager reads them. */
const CHANNEL_SECRETS = [
  'smtpPassword',
  'slackWebhookUrl',
  'pagerdutyRoutingKey',
  'genericWebhookUrl',
  'msteamsWebhookUrl',
  'opsgenieApiKey',
  'heartbeatUrl',
] as const;

/** Which secrets each component reads (as SECRET_FILES[name] inside its secrets folder). */
const COMPONENT_SECRETS: Partial<Record<ComponentId, readonly (SecretName & SecretFileKey)[]>> = {
  // With auth: Prometheus scrapes its neighbours and alerts Alertmanager with it, Grafana queries Prometheus.
  prometheus: ['authPassword'],
  alertmanager: CHANNEL_SECRETS,
  grafana: ['grafanaAdminPassword', 'authPassword'],
  webhook: ['stripeWebhookSecret', 'databaseUrl', 'redisUrl', 'stripeApiKey'],
};

/**
 * bcrypt cost of the web configuration's hash: 10, the floor commonly advised. Every `wmon init`/`update`
 * checks the kept hash once (about 0.1 s in bcryptjs); the components cache successful checks.
 */
export const BCRYPT_COST = 10;
/** The bcrypt hash of the auth password, kept so that rendering again does not hash again (and churn). */
export const AUTH_HASH_FILE = 'auth-password.bcrypt';

export interface StackSecrets {
  /** Where wmon.yaml's auth password is kept (generated or copied), for `wmon urls`. */
  readonly authPasswordFile?: string;
  /** Where the Grafana admin password is kept (generated or copied), for `wmon urls`. */
  readonly grafanaAdminPasswordFile?: string;
  readonly stripeWebhookSecretFile?: string;
  /** Per component, the host folder to mount at the contract's SECRETS_MOUNT_DIR. */
  readonly mounts: Partial<Record<ComponentId, string>>;
}

/** Generate what can be generated (kept across runs), and lay out each component's secret files. */
export async function materializeSecrets(loaded: LoadedConfig, stackDir: string): Promise<StackSecrets> {
  const { config } = loaded;
  const ctx = { env: process.env, baseDir: loaded.dir };
  const mounts: Partial<Record<ComponentId, string>> = {};
  try {
    await mkdir(path.join(stackDir, SECRETS_DIR), { recursive: true, mode: 0o700 });
    await chmod(path.join(stackDir, SECRETS_DIR), 0o700);

    const generated = async (file: string, make: () => string): Promise<{ value: string; file: string }> => {
      const p = path.join(stackDir, file);
      const existing = (await readFile(p, 'utf8').catch(() => undefined))?.trim();
      if (existing) {
        await chmod(p, 0o600);
        return { value: existing, file: p };
      }
      const value = make();
      await writeSecretFile(p, `${value}\n`, 0o600);
      return { value, file: p };
    };

    /** The secret wmon.yaml names, kept in the stack dir; without one, the one generated before, or a new one. */
    const configuredOrGenerated = async (name: keyof typeof GENERATED_SECRET_FILES, make: () => string) => {
      const configured = readSecret(config, name, ctx);
      return configured
        ? { value: configured, file: await keep(stackDir, GENERATED_SECRET_FILES[name], configured) }
        : await generated(GENERATED_SECRET_FILES[name], make);
    };

    let grafanaAdminPasswordFile: string | undefined;
    let stripeWebhookSecretFile: string | undefined;
    const values: Partial<Record<SecretName, string>> = {};
    const read = [...CHANNEL_SECRETS, 'databaseUrl', 'redisUrl', 'stripeApiKey'] as const;
    for (const name of read) {
      const v = readSecret(config, name, ctx);
      if (v !== undefined) values[name] = v;
    }
    if (isEnabled(config, 'grafana')) {
      const g = await configuredOrGenerated('grafanaAdminPassword', () => randomBytes(18).toString('base64url'));
      values.grafanaAdminPassword = g.value;
      grafanaAdminPasswordFile = g.file;
    }
    if (isEnabled(config, 'webhook')) {
      const s = await configuredOrGenerated(
        'stripeWebhookSecret',
        () => `whsec_${randomBytes(24).toString('base64url')}`,
      );
      values.stripeWebhookSecret = s.value;
      stripeWebhookSecretFile = s.file;
    }

    let authPasswordFile: string | undefined;
    let webConfig: string | undefined;
    // Checked when wmon.yaml was loaded; read again (bounded) as it is now.
    const loadedTls = loadTls(config, loaded.dir);
    if (loadedTls && !loadedTls.ok) throw new ConfigError(loaded.file, loadedTls.issues);
    const tls = loadedTls?.material;
    if (config.auth) {
      const a = await configuredOrGenerated('authPassword', () => randomBytes(24).toString('base64url'));
      values.authPassword = a.value;
      authPasswordFile = a.file;
      const bcryptHash = await keptHash(path.join(stackDir, SECRETS_DIR, AUTH_HASH_FILE), a.value);
      webConfig = toYaml(buildWebConfig({ username: config.auth.username, bcryptHash }, tls !== undefined));
    }

    for (const [component, names] of Object.entries(COMPONENT_SECRETS) as Array<
      [ComponentId, readonly SecretFileKey[]]
    >) {
      if (!isEnabled(config, component)) continue;
      const dir = path.join(stackDir, SECRETS_DIR, component);
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await chmod(dir, 0o755);
      for (const name of names) {
        const value = values[name];
        const file = path.join(dir, SECRET_FILES[name]);
        if (value !== undefined) await writeSecretFile(file, value, 0o644);
        else await rm(file, { force: true });
      }
      mounts[component] = dir;
    }
    if (isEnabled(config, 'prometheus')) {
      mounts.prometheus = await writePrometheusSecrets(loaded, path.join(stackDir, SECRETS_DIR, 'prometheus'));
    }
    for (const component of WEB_AUTH_COMPONENTS) {
      if (!isEnabled(config, component)) continue;
      const dir = path.join(stackDir, SECRETS_DIR, component);
      // One web configuration: the one the container's command line names (TLS or not), never a stale other.
      const current = webConfigFile(tls !== undefined);
      for (const name of [WEB_CONFIG_FILE, WEB_TLS_CONFIG_FILE]) {
        if (webConfig === undefined || name !== current) await rm(path.join(dir, name), { force: true });
      }
      if (webConfig === undefined) continue;
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await chmod(dir, 0o755);
      await writeSecretFile(path.join(dir, current), webConfig, 0o644);
      mounts[component] = dir;
    }
    // With auth.tls: the servers' certificate and key, and what Prometheus and Grafana trust as their clients.
    const tlsFiles: ReadonlyArray<readonly [ComponentId, keyof typeof TLS_FILES]> = [
      ...WEB_AUTH_COMPONENTS.flatMap((c) => [[c, 'cert'] as const, [c, 'key'] as const]),
      ['prometheus', 'ca'] as const,
      ['grafana', 'ca'] as const,
    ];
    for (const [component, which] of tlsFiles) {
      if (!isEnabled(config, component)) continue;
      const dir = path.join(stackDir, SECRETS_DIR, component);
      const file = path.join(dir, TLS_FILES[which]);
      if (tls === undefined) {
        await rm(file, { force: true });
        continue;
      }
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await chmod(dir, 0o755);
      await writeSecretFile(file, { cert: tls.certPem, key: tls.keyPem, ca: tls.caPem }[which], 0o644);
      mounts[component] = dir;
    }
    return {
      ...(authPasswordFile ? { authPasswordFile } : {}),
      ...(grafanaAdminPasswordFile ? { grafanaAdminPasswordFile } : {}),
      ...(stripeWebhookSecretFile ? { stripeWebhookSecretFile } : {}),
      mounts,
    };
  } catch (error) {
    if (error instanceof WmonError) throw error;
    throw new WmonError(`Cannot write the stack's secrets under ${stackDir}: ${(error as Error).message}`, {
      code: 'SECRETS_WRITE_FAILED',
      suggestions: ['Check that the stack directory is writable by you.'],
    });
  }
}

/**
 * The remote-write endpoints' and extra scrape jobs' passwords and bearer tokens, each in the file
 * prometheus.yml names (and those no longer configured removed). Returns the folder.
 */
async function writePrometheusSecrets(loaded: LoadedConfig, dir: string): Promise<string> {
  const ctx = { env: process.env, baseDir: loaded.dir };
  const wanted = new Set<string>();
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  for (const slot of prometheusSecrets(loaded.config)) {
    wanted.add(slot.file);
    await writeSecretFile(path.join(dir, slot.file), readSecret(loaded.config, slot.name, ctx) ?? '', 0o644);
  }
  for (const name of await readdir(dir)) {
    if (PROMETHEUS_SECRET_FILE.test(name) && !wanted.has(name)) await rm(path.join(dir, name), { force: true });
  }
  return dir;
}

/**
 * The bcrypt hash of `password`: the kept one while it still matches (rendering twice gives the same file),
 * else a new one (random salt, BCRYPT_COST) kept 0600 for next time.
 */
async function keptHash(file: string, password: string): Promise<string> {
  const existing = (await readFile(file, 'utf8').catch(() => undefined))?.trim();
  if (existing && /^\$2[aby]\$\d\d\$/.test(existing) && bcrypt.getRounds(existing) >= BCRYPT_COST) {
    if (await bcrypt.compare(password, existing)) {
      await chmod(file, 0o600);
      return existing;
    }
  }
  const hash = await bcrypt.hash(password, BCRYPT_COST);
  await writeSecretFile(file, `${hash}\n`, 0o600);
  return hash;
}

/** Keep a configured secret's current value beside the generated ones (0600), so `wmon urls` can show it. */
async function keep(stackDir: string, file: string, value: string): Promise<string> {
  const p = path.join(stackDir, file);
  await writeSecretFile(p, `${value}\n`, 0o600);
  return p;
}

async function writeSecretFile(file: string, contents: string, mode: number): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === contents) {
    await chmod(file, mode);
    return;
  }
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, contents, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/** A kept secret, read at once (the stack context builds its clients synchronously). */
export function readKeptSecretSync(stackDir: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(stackDir, file), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Read a kept secret (e.g. the Grafana admin password) for `wmon urls --show-credentials`. */
export async function readKeptSecret(stackDir: string, file: string): Promise<string | undefined> {
  const text = await readFile(path.join(stackDir, file), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/** A secret file (or the folder of mounted copies) that users other than its owner can read. */
export interface ExposedSecretFile {
  readonly path: string;
  /** e.g. `0644`. */
  readonly mode: string;
  /** What it is: `notifications.slack.webhookUrl`, `kept by wmon`, … */
  readonly what: string;
  /** The command that fixes it. */
  readonly fix: string;
}

/**
 * The secret files wmon reads or keeps, and which of them group or others may read: the files named in
 * wmon.yaml, the copies kept in the stack directory, and the secrets folder (whose 0700 is what keeps other
 * users away from the mounted copies inside it). Files that do not exist are not reported here.
 */
export async function secretFilePermissions(
  loaded: LoadedConfig,
  stackDir: string,
): Promise<{ readonly checked: number; readonly exposed: readonly ExposedSecretFile[] }> {
  const candidates: Array<{ path: string; what: string; dir: boolean }> = [];
  for (const slot of secretSlots(loaded.config)) {
    if (slot.ref.file !== undefined) {
      candidates.push({ path: path.resolve(loaded.dir, slot.ref.file), what: slot.path, dir: false });
    }
  }
  const keyFile = loaded.config.auth?.tls?.keyFile;
  if (keyFile !== undefined)
    candidates.push({ path: path.resolve(loaded.dir, keyFile), what: 'auth.tls.keyFile', dir: false });
  for (const file of Object.values(GENERATED_SECRET_FILES)) {
    candidates.push({ path: path.join(stackDir, file), what: 'kept by wmon', dir: false });
  }
  candidates.push({ path: path.join(stackDir, SECRETS_DIR, AUTH_HASH_FILE), what: 'kept by wmon', dir: false });
  candidates.push({ path: path.join(stackDir, SECRETS_DIR), what: "the components' secret files", dir: true });
  let checked = 0;
  const exposed: ExposedSecretFile[] = [];
  for (const c of candidates) {
    const st = await stat(c.path).catch(() => undefined);
    if (!st) continue;
    checked++;
    const open = c.dir ? st.mode & 0o077 : st.mode & 0o044;
    if (open === 0) continue;
    exposed.push({
      path: c.path,
      mode: `0${(st.mode & 0o777).toString(8).padStart(3, '0')}`,
      what: c.what,
      fix: `chmod ${c.dir ? '700' : '600'} ${c.path}`,
    });
  }
  return { checked, exposed };
}
