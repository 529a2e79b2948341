import path from 'node:path';

import { WmonError, type ConfigIssue } from '../../errors.js';
import type { Config, SecretRef } from './schema.js';
import { MAX_PEM_FILE_BYTES, MAX_SECRET_FILE_BYTES, readSmallFileSync } from './small-file.js';
import type { BasicAuth } from './secret-ref.js';
import { prometheusSecretFile, type PrometheusSecretOwner } from './storage.js';
import { checkTls } from './tls.js';

export interface SecretContext {
  readonly env: NodeJS.ProcessEnv;
  /** Folder relative secret file paths are resolved against (wmon.yaml's). */
  readonly baseDir: string;
}

/** What a secret's value must look like; checked without ever printing the value. */
interface SecretKind {
  readonly what: string;
  readonly valid: (value: string) => boolean;
}

const isUrlWithProtocol =
  (...protocols: string[]) =>
  (value: string): boolean => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  };

const KINDS = {
  password: { what: 'a non-empty password', valid: (v) => v.length > 0 },
  // bcrypt reads at most 72 bytes: a longer password would be accepted by its first 72 bytes alone.
  authPassword: {
    what: 'a password of 12 to 72 bytes',
    valid: (v) => v.length >= 12 && Buffer.byteLength(v) <= 72,
  },
  slackUrl: { what: 'an https:// Slack incoming-webhook URL', valid: isUrlWithProtocol('https:') },
  httpsUrl: { what: 'an https:// URL', valid: isUrlWithProtocol('https:') },
  httpUrl: { what: 'an http:// or https:// URL', valid: isUrlWithProtocol('http:', 'https:') },
  routingKey: { what: 'a PagerDuty integration (routing) key', valid: (v) => /^[A-Za-z0-9]{20,64}$/.test(v) },
  stripeSecret: {
    what: 'one or more Stripe signing secrets (whsec_…, comma-separated)',
    valid: (v) => v.split(',').every((s) => /^whsec_[A-Za-z0-9+/=_-]+$/.test(s.trim())),
  },
  postgresUrl: { what: 'a postgres:// URL', valid: isUrlWithProtocol('postgres:', 'postgresql:') },
  redisUrl: { what: 'a redis:// or rediss:// URL', valid: isUrlWithProtocol('redis:', 'rediss:') },
  bearerToken: { what: 'a bearer token (one word, no spaces)', valid: (v) => /^[\x21-\x7e]{1,4096}$/.test(v) },
  stripeApiKey: {
    what: 'a Stripe API key (rk_live_… or rk_test_…: a restricted key with read access to events)',
    valid: (v) => /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/.test(v),
  },
} satisfies Record<string, SecretKind>;

export type SecretName =
  | 'smtpPassword'
  | 'slackWebhookUrl'
  | 'pagerdutyRoutingKey'
  | 'heartbeatUrl'
  | 'genericWebhookUrl'
  | 'msteamsWebhookUrl'
  | 'opsgenieApiKey'
  | 'grafanaAdminPassword'
  | 'stripeWebhookSecret'
  | 'databaseUrl'
  | 'redisUrl'
  | 'authPassword'
  | 'stripeApiKey';

/** A secret of `prometheus.remoteWrite[i]` or `prometheus.extraScrapeConfigs[i]`, named by its index. */
export type PrometheusSecretName = `${'remoteWrite' | 'extraScrapeConfigs'}.${number}.${'password' | 'bearerToken'}`;

interface SecretSlot {
  readonly name: SecretName | PrometheusSecretName;
  readonly path: string;
  readonly ref: SecretRef;
  readonly kind: SecretKind;
}

/** Every secret reference present in the configuration, with its wmon.yaml path. */
export function secretSlots(config: Config): SecretSlot[] {
  const slots: SecretSlot[] = [];
  const add = (name: SecretName, p: string, ref: SecretRef | undefined, kind: SecretKind) => {
    if (ref) slots.push({ name, path: p, ref, kind });
  };
  const n = config.notifications;
  add('smtpPassword', 'notifications.email.password', n.email?.password, KINDS.password);
  add('slackWebhookUrl', 'notifications.slack.webhookUrl', n.slack?.webhookUrl, KINDS.slackUrl);
  add('pagerdutyRoutingKey', 'notifications.pagerduty.routingKey', n.pagerduty?.routingKey, KINDS.routingKey);
  add('genericWebhookUrl', 'notifications.webhook.url', n.webhook?.url, KINDS.httpUrl);
  add('msteamsWebhookUrl', 'notifications.msteams.webhookUrl', n.msteams?.webhookUrl, KINDS.httpsUrl);
  add('opsgenieApiKey', 'notifications.opsgenie.apiKey', n.opsgenie?.apiKey, KINDS.password);
  add('heartbeatUrl', 'notifications.heartbeat.url', n.heartbeat?.url, KINDS.httpUrl);
  add('grafanaAdminPassword', 'grafana.adminPassword', config.grafana.adminPassword, KINDS.password);
  add('stripeWebhookSecret', 'service.stripeWebhookSecret', config.service.stripeWebhookSecret, KINDS.stripeSecret);
  add('databaseUrl', 'service.databaseUrl', config.service.databaseUrl, KINDS.postgresUrl);
  add('redisUrl', 'service.redisUrl', config.service.redisUrl, KINDS.redisUrl);
  add('authPassword', 'auth.password', config.auth?.password, KINDS.authPassword);
  add('stripeApiKey', 'service.stripeApiKey', config.service.stripeApiKey, KINDS.stripeApiKey);
  for (const s of prometheusSecrets(config)) slots.push(s);
  return slots;
}

/** A secret Prometheus reads, with the file (in its secrets folder) it is written to. */
export type PrometheusSecretSlot = SecretSlot & { readonly file: string };

/**
 * The secrets of the remote-write endpoints and of the extra scrape jobs (their `basicAuth` password or
 * `bearerToken`), each with the file in Prometheus's secrets folder prometheus.yml names.
 */
export function prometheusSecrets(config: Config): PrometheusSecretSlot[] {
  const p = config.prometheus;
  return [
    ...p.remoteWrite.flatMap((r, i) => credentialSecret('remote_write', 'remoteWrite', i, r)),
    ...p.extraScrapeConfigs.flatMap((j, i) => credentialSecret('scrape', 'extraScrapeConfigs', i, j)),
  ];
}

/** The secret of one remote-write endpoint or scrape job: its basicAuth password or its bearerToken, if any. */
function credentialSecret(
  owner: PrometheusSecretOwner,
  key: 'remoteWrite' | 'extraScrapeConfigs',
  index: number,
  credentials: { readonly basicAuth?: BasicAuth | undefined; readonly bearerToken?: SecretRef | undefined },
): PrometheusSecretSlot[] {
  const secret = credentials.basicAuth
    ? {
        kind: 'password' as const,
        path: 'basicAuth.password',
        ref: credentials.basicAuth.password,
        what: KINDS.password,
      }
    : credentials.bearerToken
      ? { kind: 'bearerToken' as const, path: 'bearerToken', ref: credentials.bearerToken, what: KINDS.bearerToken }
      : undefined;
  if (!secret) return [];
  return [
    {
      name: `${key}.${index}.${secret.kind}`,
      path: `prometheus.${key}[${index}].${secret.path}`,
      ref: secret.ref,
      kind: secret.what,
      file: prometheusSecretFile(owner, index, secret.kind),
    },
  ];
}

type Resolution = { ok: true; value: string } | { ok: false; problem: string };

function resolve(ref: SecretRef, ctx: SecretContext): Resolution {
  if (ref.env !== undefined) {
    const value = ctx.env[ref.env];
    if (value === undefined || value === '') {
      return { ok: false, problem: `environment variable ${ref.env} is not set` };
    }
    return { ok: true, value: value.trim() };
  }
  const file = path.resolve(ctx.baseDir, ref.file ?? '');
  const r = readSmallFileSync(file, MAX_SECRET_FILE_BYTES, 'secret file');
  return r.ok ? { ok: true, value: r.bytes.toString('utf8').trim() } : r;
}

/** Check that every referenced secret (and file) exists and looks right. Never includes values. */
export function checkSecrets(config: Config, ctx: SecretContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const slot of secretSlots(config)) {
    const source = slot.ref.env !== undefined ? `environment variable ${slot.ref.env}` : `file ${slot.ref.file}`;
    const r = resolve(slot.ref, ctx);
    if (!r.ok) issues.push({ path: `${slot.path}.${slot.ref.env !== undefined ? 'env' : 'file'}`, message: r.problem });
    else if (!slot.kind.valid(r.value)) {
      issues.push({ path: slot.path, message: `${source} must hold ${slot.kind.what}` });
    }
  }
  const ca = config.service.build.caCertFile;
  if (ca !== undefined) {
    const r = readSmallFileSync(path.resolve(ctx.baseDir, ca), MAX_PEM_FILE_BYTES, 'certificate file');
    if (!r.ok) issues.push({ path: 'service.build.caCertFile', message: r.problem });
    else if (!r.bytes.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
      issues.push({
        path: 'service.build.caCertFile',
        message: `${path.resolve(ctx.baseDir, ca)} is not a PEM certificate`,
      });
    }
  }
  issues.push(...checkTls(config, ctx.baseDir));
  return issues;
}

/** The value of one configured secret; undefined when the configuration does not reference it. */
export function readSecret(
  config: Config,
  name: SecretName | PrometheusSecretName,
  ctx: SecretContext,
): string | undefined {
  const slot = secretSlots(config).find((s) => s.name === name);
  if (!slot) return undefined;
  const r = resolve(slot.ref, ctx);
  if (!r.ok) {
    throw new WmonError(`${slot.path}: ${r.problem}`, {
      code: 'SECRET_MISSING',
      suggestions: ['Set the environment variable or create the file named in wmon.yaml.'],
    });
  }
  return r.value;
}
