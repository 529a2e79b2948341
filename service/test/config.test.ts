import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EXIT_CONFIG, loadConfig } from '../src/config.js';
import { SERVICE_VERSION } from '../src/version.js';

const SECRET = 'whsec_abc123';
const load = (env: Record<string, string>) => loadConfig({ STRIPE_WEBHOOK_SECRET: SECRET, ...env });
const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('needs only the webhook secret, and defaults the rest', () => {
    const c = load({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      metricsPort: 9464,
      metricsHost: '127.0.0.1',
      secrets: [SECRET],
      toleranceSeconds: 300,
      database: { kind: 'sqlite', path: './data/webhooks.db', synchronous: 'FULL', thread: 'worker' },
      redis: undefined,
      lokiUrl: undefined,
      otlpEndpoint: undefined,
      serviceName: 'wmon-webhook',
      logLevel: 'info',
      bodyLimitBytes: 1048576,
      rateLimit: { perClient: 100, global: 1000, trustProxy: false },
      workers: 16,
      maxAttempts: 5,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads rotated secrets, PostgreSQL, Redis and the limits', () => {
    const c = load({
      STRIPE_WEBHOOK_SECRET: 'whsec_new, whsec_old',
      DATABASE_URL: 'postgres://u:p@db:5432/app',
      DATABASE_SCHEMA: 'webhooks',
      REDIS_URL: 'redis://cache:6379/0',
      RATE_LIMIT_PER_CLIENT: '0',
      RATE_LIMIT_GLOBAL: '0',
      WORKERS: '16',
      LOG_LEVEL: 'DEBUG',
      HOST: '0.0.0.0',
    });
    expect(c.secrets).toEqual(['whsec_new', 'whsec_old']);
    expect(c.database).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/app',
      schema: 'webhooks',
      poolMax: 10,
    });
    expect(c.redis).toEqual({ url: 'redis://cache:6379/0', keyPrefix: 'wmon:' });
    expect(c.rateLimit).toMatchObject({ perClient: 0, global: 0 });
    expect(c.logLevel).toBe('debug');
    expect(c.host).toBe('0.0.0.0');
  });

  it('reads the secret from STRIPE_WEBHOOK_SECRET_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wmon-cfg-'));
    writeFileSync(join(dir, 's'), 'whsec_fromfile\nwhsec_second\n');
    expect(loadConfig({ STRIPE_WEBHOOK_SECRET_FILE: join(dir, 's') }).secrets).toEqual([
      'whsec_fromfile',
      'whsec_second',
    ]);
  });

  it('reads DATABASE_URL and REDIS_URL from <NAME>_FILE, and refuses both forms at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wmon-cfg-'));
    writeFileSync(join(dir, 'db'), 'postgres://app:s3cret@db.internal:5432/webhooks\n');
    writeFileSync(join(dir, 'redis'), 'redis://cache.internal:6379\n');
    const c = load({ DATABASE_URL_FILE: join(dir, 'db'), REDIS_URL_FILE: join(dir, 'redis') });
    expect(c.database).toMatchObject({ kind: 'postgres', url: 'postgres://app:s3cret@db.internal:5432/webhooks' });
    expect(c.redis?.url).toBe('redis://cache.internal:6379');
    expect(
      errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_URL: 'sqlite:x.db', DATABASE_URL_FILE: join(dir, 'db') }),
    ).toBe('DATABASE_URL_FILE: set either DATABASE_URL or DATABASE_URL_FILE, not both');
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, REDIS_URL_FILE: join(dir, 'missing') })).toMatch(
      /^REDIS_URL_FILE: cannot read .*missing \(ENOENT\)$/,
    );
  });

  it('names the variable and what it expects, one line, never echoing secrets', () => {
    expect(errorOf({})).toMatch(/^STRIPE_WEBHOOK_SECRET: required/);
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: 'sk_live_oops' })).toBe(
      'STRIPE_WEBHOOK_SECRET: expected each secret to start with whsec_ (got one starting with "sk_liv")',
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, PORT: 'eighty' })).toBe(
      'PORT: expected a whole number between 0 and 65535 (got "eighty")',
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, RATE_LIMIT_GLOBAL: '-1' })).toMatch(
      /^RATE_LIMIT_GLOBAL: expected a whole number/,
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_URL: 'mysql://x' })).toMatch(
      /^DATABASE_URL: expected sqlite:<path>/,
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, REDIS_URL: 'localhost:6379' })).toMatch(
      /^REDIS_URL: expected a redis:\/\//,
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, LOKI_URL: 'loki:3100' })).toMatch(/^LOKI_URL: expected an http/);
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'loud' })).toMatch(
      /^LOG_LEVEL: expected one of fatal, error/,
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, TRUST_PROXY: 'maybe' })).toMatch(
      /^TRUST_PROXY: expected true or false/,
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_WEBHOOK_SECRET_FILE: '/x' })).toMatch(/not both/);
    expect(errorOf({ STRIPE_WEBHOOK_SECRET_FILE: '/nonexistent/secret' })).toBe(
      'STRIPE_WEBHOOK_SECRET_FILE: cannot read /nonexistent/secret (ENOENT)',
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, PORT: '9000', METRICS_PORT: '9000' })).toMatch(
      /^METRICS_PORT: expected a port other than PORT \(9000\)/,
    );
    expect(errorOf({ STRIPE_WEBHOOK_SECRET: SECRET, RETRY_BASE_MS: '5000', RETRY_MAX_MS: '1000' })).toMatch(
      /^RETRY_MAX_MS:/,
    );
  });

  it('keeps the version constant equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(SERVICE_VERSION).toBe(pkg.version);
  });
});

describe('the entry point', () => {
  it('exits 78 with one clear line for a bad value, no stack trace', () => {
    const res = spawnSync(
      process.execPath,
      ['--conditions=@wmon/source', '--import', 'tsx', join(import.meta.dirname, '..', 'src', 'main.ts')],
      {
        env: { PATH: process.env.PATH, STRIPE_WEBHOOK_SECRET: SECRET, WORKERS: 'lots' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(res.status).toBe(EXIT_CONFIG);
    expect(res.stderr).toBe(
      'wmon-webhook: invalid configuration: WORKERS: expected a whole number between 1 and 256 (got "lots")\n',
    );
    expect(res.stdout).toBe('');
  });
});

describe('credentials in refused or unreachable URLs', () => {
  const PASSWORD = 'Zq7-never-echo-Pw91';
  const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

  /** Run the service until it exits, or stop it (SIGTERM) once it logs `stopAt`; all it printed. */
  function run(env: Record<string, string>, stopAt?: string): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--conditions=@wmon/source', '--import', 'tsx', MAIN], {
        env: {
          PATH: process.env.PATH,
          STRIPE_WEBHOOK_SECRET: SECRET,
          PORT: '0',
          METRICS_PORT: '0',
          LOG_LEVEL: 'debug',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const kill = setTimeout(() => child.kill('SIGKILL'), 40_000);
      const onData = (c: Buffer) => {
        out += c.toString();
        if (stopAt !== undefined && out.includes(stopAt)) child.kill('SIGTERM');
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(kill);
        resolve({ code, out });
      });
    });
  }

  const dir = mkdtempSync(join(tmpdir(), 'wmon-cfg-'));
  const cases: [string, Record<string, string>, number, string | undefined, RegExp][] = [
    [
      'a refused DATABASE_URL',
      { DATABASE_URL: `mysql://app:${PASSWORD}@db/x` },
      EXIT_CONFIG,
      undefined,
      /DATABASE_URL: .*"mysql:"/,
    ],
    [
      'a DATABASE_URL that does not parse',
      { DATABASE_URL: `postgres:/app:${PASSWORD}@db/x` },
      EXIT_CONFIG,
      undefined,
      /DATABASE_URL:/,
    ],
    ['a refused REDIS_URL', { REDIS_URL: `redis//:${PASSWORD}@cache:6379` }, EXIT_CONFIG, undefined, /REDIS_URL:/],
    [
      'an unreachable PostgreSQL',
      { DATABASE_URL: `postgres://app:${PASSWORD}@127.0.0.1:1/db` },
      1,
      undefined,
      /start-up failed/,
    ],
    [
      'a password in the query of an unreachable PostgreSQL',
      { DATABASE_URL: `postgres://app@127.0.0.1:1/db?password=${PASSWORD}` },
      1,
      undefined,
      /start-up failed/,
    ],
    [
      'an unreachable Redis (the service runs on without it)',
      { DATABASE_URL: `sqlite:${join(dir, 'w.db')}`, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:1/0` },
      0,
      '"listening"',
      /redis connection error|cache unavailable/,
    ],
  ];
  for (const [what, env, code, stopAt, shows] of cases) {
    it(`never prints the password of ${what}`, async () => {
      const res = await run(env, stopAt);
      expect(res.code).toBe(code);
      expect(res.out).toMatch(shows);
      expect(res.out).not.toContain(PASSWORD);
      expect(res.out).not.toContain(encodeURIComponent(PASSWORD));
    });
  }
});
