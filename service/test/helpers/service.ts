/**
 * Test helpers: start the service in-process on a free port with a throw-away SQLite file (or the given
 * DATABASE_URL), sign and post events, read metrics.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { REPLICA_LABEL } from '@wmon/contract';
import { createService, type Service, type ServiceOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { newEventId, signPayload } from '../../src/send.js';
import type { WriteOp } from '../../src/store/types.js';

export const SECRET = 'whsec_test_primary_0123456789abcdef';
export const SECRET_2 = 'whsec_test_rotated_fedcba9876543210';

export const FIXTURES_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'stripe-events');

export type Fixture = { id: string; type: string; created: number; data: { object: Record<string, unknown> } } & Record<
  string,
  unknown
>;

export function fixtures(): Map<string, Fixture> {
  const out = new Map<string, Fixture>();
  for (const f of readdirSync(FIXTURES_DIR).filter((n) => n.endsWith('.json'))) {
    const e = JSON.parse(readFileSync(join(FIXTURES_DIR, f), 'utf8')) as Fixture;
    out.set(e.type, e);
  }
  return out;
}

/** A fixture of `type` with a fresh id, optionally with changes to its object. */
export function event(
  type: string,
  object: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Fixture {
  const base = fixtures().get(type);
  if (!base) throw new Error(`no fixture for ${type}`);
  return {
    ...base,
    id: newEventId(),
    created: Math.floor(Date.now() / 1000),
    data: { ...base.data, object: { ...base.data.object, ...object } },
    ...extra,
  };
}

export interface Running {
  readonly service: Service;
  /** The public listener (webhook route, liveness). */
  readonly url: string;
  /** The internal listener (metrics, readiness, liveness). */
  readonly internalUrl: string;
  readonly webhookUrl: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'wmon-svc-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Start a service. `env` overrides the test defaults (SQLite in a temp dir, no rate limits, fast retries). */
export async function startService(env: Record<string, string> = {}, options: ServiceOptions = {}): Promise<Running> {
  const dir = tempDir();
  const config = loadConfig({
    STRIPE_WEBHOOK_SECRET: SECRET,
    DATABASE_URL: `sqlite:${join(dir, 'webhooks.db')}`,
    PORT: '0',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_CLIENT: '0',
    RATE_LIMIT_GLOBAL: '0',
    RETRY_BASE_MS: '20',
    RETRY_MAX_MS: '200',
    ...env,
  });
  const service = createService(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    healthIntervalMs: 200,
    sweepIntervalMs: 500,
    ...options,
  });
  const url = await service.start();
  return {
    service,
    url,
    internalUrl: service.internalUrl(),
    webhookUrl: `${url}/webhooks/stripe`,
    dir,
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  json(): Record<string, unknown>;
}

/**
 * POST over a raw socket, so tests control every header line (repeated headers, missing ones): Node's
 * http client would merge or refuse them. `headers` are sent as given, plus Content-Length and
 * Connection: close.
 */
export function rawPost(url: string, body: string | Buffer, headers: [string, string][]): Promise<RawResponse> {
  const u = new URL(url);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const head = [
    `POST ${u.pathname} HTTP/1.1`,
    `Host: ${u.host}`,
    ...headers.map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${bytes.length}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(Number(u.port), u.hostname, () => sock.end(Buffer.concat([Buffer.from(head), bytes])));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const lines = raw.slice(0, split).split('\r\n');
      const status = Number(lines[0]!.split(' ')[1]);
      const hdrs: http.IncomingHttpHeaders = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        hdrs[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      let text = raw.slice(split + 4);
      if (hdrs['transfer-encoding'] === 'chunked') {
        let out = '';
        for (let rest = text; ;) {
          const nl = rest.indexOf('\r\n');
          const size = parseInt(rest.slice(0, nl), 16);
          if (!size) break;
          out += rest.slice(nl + 2, nl + 2 + size);
          rest = rest.slice(nl + 2 + size + 2);
        }
        text = out;
      }
      resolve({ status, headers: hdrs, body: text, json: () => JSON.parse(text) as Record<string, unknown> });
    });
  });
}

/** Sign and POST an event (or any payload) with fetch. */
export async function post(
  url: string,
  payload: string | object,
  opts: { secret?: string; header?: string; timestamp?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = opts.header ?? signPayload(text, opts.secret ?? SECRET, opts.timestamp);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature, ...opts.headers },
    body: text,
  });
  const raw = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    body = { raw };
  }
  return { status: res.status, body, headers: res.headers };
}

/** GET /metrics from the internal listener's URL. */
export async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  return res.text();
}

/**
 * The value of one sample in a Prometheus text exposition (0 when absent). The `service_replica` label every series
 * carries is matched only when `labels` names it.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labelPart = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    const got = Object.fromEntries([...labelPart.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!(REPLICA_LABEL in labels)) delete got[REPLICA_LABEL];
    if (
      Object.entries(labels).every(([k, v]) => got[k] === v) &&
      Object.keys(got).length === Object.keys(labels).length
    ) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}

export async function waitFor<T>(
  probe: () => Promise<T> | T,
  done: (v: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The store's insert of a fixture, as the webhook route makes it (received now, a webhook delivery). */
export function insertOp(e: Fixture): WriteOp {
  return {
    kind: 'insert',
    event: {
      id: e.id,
      type: e.type,
      created: e.created,
      livemode: false,
      receivedAt: Date.now(),
      payload: JSON.stringify(e),
    },
  };
}
