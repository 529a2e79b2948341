import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { SECRET_FILES, type SecretFileKey } from '@wmon/contract';

import type { LoadedConfig } from '../../core/config/load.js';
import type { ComponentId } from '../../core/config/schema.js';
import { readSecret, type SecretName } from '../../core/config/secrets.js';
import { WmonError } from '../../errors.js';
import { isEnabled } from '../../core/model/stack.js';

/**
 * Secrets on disk, in the stack directory:
 *   <stackDir>/grafana-admin-password, <stackDir>/stripe-webhook-secret   mode 0600: what people read
 *   <stackDir>/secrets/                                                    mode 0700: nobody else gets in
 *   <stackDir>/secrets/<component>/<name>                                  mounted read-only into that component
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
} as const satisfies { readonly [K in SecretFileKey]?: string };

/** Which secrets each component reads (as SECRET_FILES[name] inside its secrets folder). */
const COMPONENT_SECRETS: Partial<Record<ComponentId, readonly (SecretName & SecretFileKey)[]>> = {
  alertmanager: [
    'smtpPassword',
    'slackWebhookUrl',
    'pagerdutyRoutingKey',
    'genericWebhookUrl',
    'msteamsWebhookUrl',
    'opsgenieApiKey',
    'heartbeatUrl',
  ],
  grafana: ['grafanaAdminPassword'],
  webhook: ['stripeWebhookSecret', 'databaseUrl', 'redisUrl'],
};

export interface StackSecrets {
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

    let grafanaAdminPasswordFile: string | undefined;
    let stripeWebhookSecretFile: string | undefined;
    const values: Partial<Record<SecretName, string>> = {};
    const read = [
      'smtpPassword',
      'slackWebhookUrl',
      'pagerdutyRoutingKey',
      'genericWebhookUrl',
      'msteamsWebhookUrl',
      'opsgenieApiKey',
      'heartbeatUrl',
      'databaseUrl',
      'redisUrl',
    ] as const;
    for (const name of read) {
      const v = readSecret(config, name, ctx);
      if (v !== undefined) values[name] = v;
    }
    if (isEnabled(config, 'grafana')) {
      const configured = readSecret(config, 'grafanaAdminPassword', ctx);
      const g = configured
        ? { value: configured, file: await keep(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword, configured) }
        : await generated(GENERATED_SECRET_FILES.grafanaAdminPassword, () => randomBytes(18).toString('base64url'));
      values.grafanaAdminPassword = g.value;
      grafanaAdminPasswordFile = g.file;
    }
    if (isEnabled(config, 'webhook')) {
      const configured = readSecret(config, 'stripeWebhookSecret', ctx);
      const s = configured
        ? { value: configured, file: await keep(stackDir, GENERATED_SECRET_FILES.stripeWebhookSecret, configured) }
        : await generated(
            GENERATED_SECRET_FILES.stripeWebhookSecret,
            () => `whsec_${randomBytes(24).toString('base64url')}`,
          );
      values.stripeWebhookSecret = s.value;
      stripeWebhookSecretFile = s.file;
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
        if (value !== undefined) await writeSecretFile(path.join(dir, SECRET_FILES[name]), value, 0o644);
      }
      mounts[component] = dir;
    }
    return {
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

/** Read a kept secret (e.g. the Grafana admin password) for `wmon urls --show-credentials`. */
export async function readKeptSecret(stackDir: string, file: string): Promise<string | undefined> {
  const text = await readFile(path.join(stackDir, file), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}
