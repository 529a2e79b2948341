/**
 * Service configuration, read from environment variables and validated with zod.
 *
 * Every variable is documented in service/README.md. A bad value throws a ConfigError whose message is one
 * line naming the variable and what it expects; main.ts prints it and exits with EXIT_CONFIG.
 */
import { readFileSync } from 'node:fs';
import {
  RECONCILE_DEFAULTS,
  RECONCILE_INTERVAL_BOUNDS,
  RECONCILE_WINDOW_BOUNDS,
  SERVICE_LISTENERS,
  SERVICE_SECRET_ENV,
} from '@wmon/contract';
import { hostname } from 'node:os';
import { z } from 'zod';
import { redactUrls, urlCredentials } from './observability/redact.js';

export const EXIT_CONFIG = 78; // sysexits.h EX_CONFIG
/** sysexits.h EX_TEMPFAIL: the SQLite database is held by another service process (free once that one stops). */
export const EXIT_DATABASE_IN_USE = 75;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `expected a whole number between ${min} and ${max}`)
        .max(max, `expected a whole number between ${min} and ${max}`),
    );

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an http:// or https:// URL');

/** The secrets' variables (the value, or a file holding it), as wmon sets them. */
const {
  stripeWebhookSecret: STRIPE,
  databaseUrl: DB,
  redisUrl: REDIS,
  stripeApiKey: STRIPE_API_KEY,
} = SERVICE_SECRET_ENV;

/** Variables whose values may hold credentials: never echoed. */
const CREDENTIAL_VARIABLES = new Set<string>([STRIPE.value, STRIPE.file, DB.value, REDIS.value, STRIPE_API_KEY.value]);

/** Variables that may also come from a file named by <NAME>_FILE (the Stripe secret has its own rules). */
const FILE_VARIABLES = [DB, REDIS, STRIPE_API_KEY] as const;

/** A duration such as 90s, 10m, 72h or 2d, in whole seconds, within [min, max]. */
const duration = (minSeconds: number, maxSeconds: number) => {
  const expected = `expected a duration such as 30s, 10m, 72h or 2d, from ${showSeconds(minSeconds)} to ${showSeconds(maxSeconds)}`;
  return z
    .string()
    .trim()
    .regex(/^\d{1,7}[smhd]$/, expected)
    .transform(
      (v) => Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86_400 }[v.slice(-1) as 's' | 'm' | 'h' | 'd'],
    )
    .pipe(z.number().min(minSeconds, expected).max(maxSeconds, expected));
};

function showSeconds(s: number): string {
  if (s % 86_400 === 0) return `${s / 86_400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** Environment variables, by name, with their defaults. Optional ones are absent when unset or empty. */
const envSchema = z.object({
  [SERVICE_LISTENERS.public.portEnv]: int(0, 65535).default(SERVICE_LISTENERS.public.port),
  HOST: z.string().trim().min(1).optional(),
  [SERVICE_LISTENERS.internal.portEnv]: int(0, 65535).default(SERVICE_LISTENERS.internal.port),
  METRICS_HOST: z.string().trim().min(1).optional(),
  [STRIPE.value]: z.string().optional(),
  [STRIPE.file]: z.string().optional(),
  SIGNATURE_TOLERANCE_SECONDS: int(1, 86_400).default(300),
  [DB.value]: z
    .string()
    .trim()
    .refine(
      (v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/.+/.test(v),
      'expected sqlite:<path> (e.g. sqlite:./data/webhooks.db) or a postgres:// URL',
    )
    .default('sqlite:./data/webhooks.db'),
  DATABASE_SCHEMA: z
    .string()
    .trim()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (letters, digits, _)')
    .default('public'),
  DATABASE_POOL_MAX: int(1, 100).default(10),
  SQLITE_SYNCHRONOUS: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(['FULL', 'NORMAL'], { message: 'expected FULL or NORMAL' }))
    .default('FULL'),
  SQLITE_THREAD: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['worker', 'main'], { message: 'expected worker or main' }))
    .default('worker'),
  [REDIS.value]: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/.+/, 'expected a redis:// or rediss:// URL')
    .optional(),
  REDIS_KEY_PREFIX: z.string().default('wmon:'),
  CACHE_MAX_ENTRIES: int(100, 10_000_000).default(50_000),
  LOKI_URL: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default('wmon-webhook'),
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024).default(1_048_576),
  RATE_LIMIT_PER_CLIENT: int(0, 1_000_000).default(100),
  RATE_LIMIT_GLOBAL: int(0, 10_000_000).default(1000),
  TRUST_PROXY: bool.default(false),
  WORKERS: int(1, 256).default(16),
  MAX_ATTEMPTS: int(1, 100).default(5),
  RETRY_BASE_MS: int(1, 3_600_000).default(1000),
  RETRY_MAX_MS: int(1, 86_400_000).default(300_000),
  QUEUE_BUFFER_SIZE: int(10, 1_000_000).default(10_000),
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(10_000),
  [STRIPE_API_KEY.value]: z
    .string()
    .trim()
    .regex(
      /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/,
      'expected a Stripe API key (rk_live_… or rk_test_…: a restricted key with read access to events; sk_… works too)',
    )
    .optional(),
  STRIPE_API_BASE: httpUrl.optional(),
  RECONCILE_INTERVAL: duration(RECONCILE_INTERVAL_BOUNDS.minSeconds, RECONCILE_INTERVAL_BOUNDS.maxSeconds).default(
    RECONCILE_DEFAULTS.intervalSeconds,
  ),
  RECONCILE_WINDOW: duration(RECONCILE_WINDOW_BOUNDS.minSeconds, RECONCILE_WINDOW_BOUNDS.maxSeconds).default(
    RECONCILE_DEFAULTS.windowSeconds,
  ),
  RECONCILE_REPLAY: bool.default(true),
  RECONCILE_GRACE: duration(0, 3600).default(120),
  RECONCILE_EVENT_TYPES: z
    .string()
    .trim()
    .transform((v) =>
      v
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t.length > 0),
    )
    .pipe(
      z
        .array(z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, 'expected Stripe event types such as charge.succeeded'))
        .max(20, 'expected at most 20 event types (the most the List Events API takes)'),
    )
    .optional(),
  REPLICA: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/, 'expected a name of letters, digits, _ . : - (up to 63 characters)')
    .optional(),
  LEASE_MS: int(1000, 3_600_000).default(30_000),
});

export type DatabaseConfig =
  | {
      readonly kind: 'sqlite';
      readonly path: string;
      readonly synchronous: 'FULL' | 'NORMAL';
      readonly thread: 'worker' | 'main';
    }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string; readonly poolMax: number };

export interface Config {
  /** The public listener: the webhook route and liveness. */
  readonly port: number;
  readonly host: string;
  /** The internal listener: metrics, readiness, liveness (never to be exposed). */
  readonly metricsPort: number;
  readonly metricsHost: string;
  readonly secrets: readonly string[];
  readonly toleranceSeconds: number;
  readonly database: DatabaseConfig;
  readonly redis: { readonly url: string; readonly keyPrefix: string } | undefined;
  readonly cacheMaxEntries: number;
  readonly lokiUrl: string | undefined;
  readonly otlpEndpoint: string | undefined;
  readonly serviceName: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly bodyLimitBytes: number;
  readonly rateLimit: { readonly perClient: number; readonly global: number; readonly trustProxy: boolean };
  readonly workers: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly queueBufferSize: number;
  readonly shutdownTimeoutMs: number;
  /** The reconcile with Stripe's List Events API; undefined when no STRIPE_API_KEY is set. */
  readonly reconcile: ReconcileConfig | undefined;
  /** This process's name among replicas: the `service_replica` label of its metrics (REPLICA, else the host name). */
  readonly replica: string;
  /** How long an event stays leased to a replica that stopped renewing it (PostgreSQL). */
  readonly leaseMs: number;
}

export interface ReconcileConfig {
  readonly apiKey: string;
  /** Where the Stripe library sends its requests (Stripe itself unless STRIPE_API_BASE is set). */
  readonly api: { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };
  readonly intervalSeconds: number;
  readonly windowSeconds: number;
  /** Whether the automatic runs store what is missing (a request decides for itself). */
  readonly replay: boolean;
  /** Events younger than this are not compared yet (their first delivery may be on its way). */
  readonly graceSeconds: number;
  /** The event types the webhook endpoint receives (the List Events `types[]`); empty for all. */
  readonly eventTypes: readonly string[];
}

function stripeApi(base: string | undefined): ReconcileConfig['api'] {
  if (base === undefined) return { host: 'api.stripe.com', port: 443, protocol: 'https' };
  const u = new URL(base);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}

function parseSecrets(raw: string, source: string): string[] {
  const secrets = raw
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (secrets.length === 0)
    throw new ConfigError(`${source}: expected one or more webhook secrets (whsec_...), comma-separated`);
  for (const s of secrets) {
    if (!/^whsec_\S+$/.test(s)) {
      throw new ConfigError(
        `${source}: expected each secret to start with whsec_ (got one starting with "${s.slice(0, 6)}")`,
      );
    }
  }
  return secrets;
}

/**
 * Build the service configuration from environment variables. Empty strings count as unset, so
 * `FOO= npm start` behaves like an absent FOO.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') present[key] = value;
  }
  // Docker-secrets convention: DATABASE_URL_FILE / REDIS_URL_FILE name a file holding the value, so
  // credentials in URLs stay out of the container's environment (`docker inspect`).
  for (const { value: key, file: fileKey } of FILE_VARIABLES) {
    const file = env[fileKey];
    if (file === undefined || file === '') continue;
    if (present[key] !== undefined) throw new ConfigError(`${fileKey}: set either ${key} or ${fileKey}, not both`);
    try {
      present[key] = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`${fileKey}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const got = present[name];
    let shown = '';
    if (got !== undefined && CREDENTIAL_VARIABLES.has(name)) {
      // A refused URL may hold a password anywhere (it did not parse as one): show only its scheme.
      const scheme = /^[A-Za-z][A-Za-z0-9+.-]{0,20}:/.exec(got.trim())?.[0];
      shown = scheme ? ` (got a value starting with "${scheme}"; not shown, it may hold credentials)` : ' (not shown)';
    } else if (got !== undefined) {
      shown = ` (got "${got.length > 60 ? got.slice(0, 60) + '…' : got}")`;
    }
    throw new ConfigError(`${name}: ${issue.message}${shown}`);
  }
  const e = parsed.data;

  let secrets: string[];
  const secretValue = e[STRIPE.value];
  const secretFile = e[STRIPE.file];
  if (secretValue !== undefined && secretFile !== undefined) {
    throw new ConfigError(`${STRIPE.file}: set either ${STRIPE.value} or ${STRIPE.file}, not both`);
  } else if (secretValue !== undefined) {
    secrets = parseSecrets(secretValue, STRIPE.value);
  } else if (secretFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(secretFile, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `${STRIPE.file}: cannot read ${secretFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    secrets = parseSecrets(text, STRIPE.file);
  } else {
    throw new ConfigError(
      `${STRIPE.value}: required; set it to your endpoint signing secret (whsec_..., comma-separated during rotation) or set ${STRIPE.file}`,
    );
  }

  if (e.RETRY_MAX_MS < e.RETRY_BASE_MS) {
    throw new ConfigError(`RETRY_MAX_MS: expected a value no smaller than RETRY_BASE_MS (${e.RETRY_BASE_MS})`);
  }

  const database: DatabaseConfig = e.DATABASE_URL.startsWith('sqlite:')
    ? {
        kind: 'sqlite',
        path: e.DATABASE_URL.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''),
        synchronous: e.SQLITE_SYNCHRONOUS,
        thread: e.SQLITE_THREAD,
      }
    : { kind: 'postgres', url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, poolMax: e.DATABASE_POOL_MAX };

  const host = e.HOST ?? '127.0.0.1';
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    throw new ConfigError(
      `METRICS_PORT: expected a port other than PORT (${e.PORT}): metrics and readiness have a listener of their own`,
    );
  }
  return Object.freeze({
    port: e.PORT,
    // Loopback unless asked: the container image sets HOST=0.0.0.0 itself.
    host,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST ?? host,
    secrets: Object.freeze(secrets),
    toleranceSeconds: e.SIGNATURE_TOLERANCE_SECONDS,
    database: Object.freeze(database),
    redis: e.REDIS_URL === undefined ? undefined : Object.freeze({ url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX }),
    cacheMaxEntries: e.CACHE_MAX_ENTRIES,
    lokiUrl: e.LOKI_URL,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: e.OTEL_SERVICE_NAME,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimit: Object.freeze({
      perClient: e.RATE_LIMIT_PER_CLIENT,
      global: e.RATE_LIMIT_GLOBAL,
      trustProxy: e.TRUST_PROXY,
    }),
    workers: e.WORKERS,
    maxAttempts: e.MAX_ATTEMPTS,
    retryBaseMs: e.RETRY_BASE_MS,
    retryMaxMs: e.RETRY_MAX_MS,
    queueBufferSize: e.QUEUE_BUFFER_SIZE,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    reconcile:
      e.STRIPE_API_KEY === undefined
        ? undefined
        : Object.freeze({
            apiKey: e.STRIPE_API_KEY,
            api: Object.freeze(stripeApi(e.STRIPE_API_BASE)),
            intervalSeconds: e.RECONCILE_INTERVAL,
            windowSeconds: e.RECONCILE_WINDOW,
            replay: e.RECONCILE_REPLAY,
            graceSeconds: e.RECONCILE_GRACE,
            eventTypes: Object.freeze(e.RECONCILE_EVENT_TYPES ?? []),
          }),
    replica: e.REPLICA ?? hostname(),
    leaseMs: e.LEASE_MS,
  });
}

/** The configuration with secrets masked, for the start-up log line. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    port: c.port,
    host: c.host,
    metricsPort: c.metricsPort,
    metricsHost: c.metricsHost,
    secrets: c.secrets.length,
    toleranceSeconds: c.toleranceSeconds,
    database: c.database.kind === 'sqlite' ? `sqlite:${c.database.path}` : redactUrl(c.database.url),
    cache: c.redis ? redactUrl(c.redis.url) : 'memory',
    loki: c.lokiUrl ? redactUrl(c.lokiUrl) : 'off',
    tracing: c.otlpEndpoint ? redactUrl(c.otlpEndpoint) : 'off',
    bodyLimitBytes: c.bodyLimitBytes,
    rateLimit: c.rateLimit,
    workers: c.workers,
    maxAttempts: c.maxAttempts,
    replica: c.replica,
    reconcile: c.reconcile
      ? {
          api: `${c.reconcile.api.protocol}://${c.reconcile.api.host}:${c.reconcile.api.port}`,
          intervalSeconds: c.reconcile.intervalSeconds,
          windowSeconds: c.reconcile.windowSeconds,
          replay: c.reconcile.replay,
        }
      : 'off',
  };
}

export function redactUrl(url: string): string {
  try {
    return redactUrls(new URL(url).toString());
  } catch {
    return '<invalid url>';
  }
}

/** Every secret value of the configuration, for the redactor of logs and errors. */
export function configSecrets(c: Config): string[] {
  return [
    ...c.secrets,
    ...(c.reconcile ? [c.reconcile.apiKey] : []),
    ...(c.database.kind === 'postgres' ? urlCredentials(c.database.url) : []),
    ...urlCredentials(c.redis?.url),
    ...urlCredentials(c.lokiUrl),
    ...urlCredentials(c.otlpEndpoint),
  ];
}
