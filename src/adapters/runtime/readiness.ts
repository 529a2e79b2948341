/**
 * Readiness, always probed over HTTP from the host with a deadline (Podman never runs HEALTHCHECKs
 * without systemd, so engine health status cannot be waited on). Each attempt has its own timeout; the
 * pause between attempts grows; a failure names the URL, the time waited, the attempts and the last answer
 * (status and body excerpt, or the connection error). `giveUpIf` lets the caller stop early, e.g. when
 * the container has exited, and `diagnose` adds context (the container's last log lines) to the error.
 */
import https from 'node:https';

import { WmonError } from '../../errors.js';
import type { ContainerRuntime } from './container-runtime.js';
import type { ClientTls, ContainerSpec } from '../../core/model/container-types.js';

export interface HttpWaitOptions {
  readonly url: string;
  /** Who is awaited, for messages, e.g. `prometheus`. */
  readonly name?: string;
  /** Total deadline. Default 60 s. */
  readonly timeoutMs?: number;
  /** Per-attempt timeout (connect + answer). Default 2 s. */
  readonly attemptTimeoutMs?: number;
  /** First pause between attempts; grows ×1.5 up to maxIntervalMs. Default 200 ms. */
  readonly intervalMs?: number;
  /** Default 2 s. */
  readonly maxIntervalMs?: number;
  /** Accepted statuses. Default: 200 only. */
  readonly expectStatus?: number | readonly number[];
  /** The body must contain this too (e.g. Grafana's `"database": "ok"`). */
  readonly bodyIncludes?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** An https:// URL's trust (`auth.tls`): these certificates only, and the name the certificate must be valid for. */
  readonly tls?: ClientTls;
  /** Checked between attempts: a reason to stop waiting now (e.g. `container exited with code 1`). */
  readonly giveUpIf?: () => Promise<string | undefined>;
  /** On failure: more context for the message (e.g. the container's last log lines). */
  readonly diagnose?: () => Promise<string | undefined>;
  readonly signal?: AbortSignal;
  /** Called after each failed attempt. */
  readonly onAttempt?: (attempt: {
    readonly number: number;
    readonly elapsedMs: number;
    readonly last: string;
  }) => void;
}

export interface HttpReady {
  readonly url: string;
  readonly status: number;
  readonly body: string;
  readonly attempts: number;
  readonly waitedMs: number;
}

export class ReadinessError extends WmonError {
  readonly url: string;
  readonly waitedMs: number;
  readonly attempts: number;
  readonly lastAnswer: string;

  constructor(opts: {
    name?: string;
    url: string;
    waitedMs: number;
    attempts: number;
    lastAnswer: string;
    why: string;
    diagnosis?: string;
  }) {
    const who = opts.name === undefined ? opts.url : `${opts.name} (${opts.url})`;
    const diagnosis =
      opts.diagnosis === undefined || opts.diagnosis.trim() === '' ? '' : `\n${opts.diagnosis.trimEnd()}`;
    super(
      `${who} did not become ready: ${opts.why} after ${(opts.waitedMs / 1000).toFixed(1)} s and ${opts.attempts} attempt${opts.attempts === 1 ? '' : 's'}; last answer: ${opts.lastAnswer}${diagnosis}`,
      {
        code: 'NOT_READY',
        suggestions: [
          opts.name === undefined
            ? "Check the service's logs."
            : `Check its logs: \`docker logs <container of ${opts.name}>\` (or \`podman logs\`).`,
          'A slow machine may need a longer deadline.',
        ],
      },
    );
    this.name = 'ReadinessError';
    this.url = opts.url;
    this.waitedMs = opts.waitedMs;
    this.attempts = opts.attempts;
    this.lastAnswer = opts.lastAnswer;
  }
}

function excerpt(body: string, max = 200): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (text === '') return '(empty body)';
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

const TIMED_OUT = 'no answer within the attempt timeout';

function connectionError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const source = cause ?? error;
  const code = typeof source === 'object' && source !== null ? (source as { code?: unknown }).code : undefined;
  const message = source instanceof Error ? source.message : String(source);
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return TIMED_OUT;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  return typeof code === 'string' ? `${code} (${message})` : message;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Wait until `url` answers an accepted status (and body). Throws ReadinessError at the deadline. */
export async function waitForHttp(opts: HttpWaitOptions): Promise<HttpReady> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
  const maxInterval = opts.maxIntervalMs ?? 2000;
  const accepted =
    opts.expectStatus === undefined
      ? [200]
      : typeof opts.expectStatus === 'number'
        ? [opts.expectStatus]
        : opts.expectStatus;
  let interval = opts.intervalMs ?? 200;
  let attempts = 0;
  let last = 'none (no attempt finished)';
  const fail = async (why: string): Promise<never> => {
    let diagnosis: string | undefined;
    try {
      diagnosis = await opts.diagnose?.();
    } catch {
      diagnosis = undefined;
    }
    throw new ReadinessError({
      ...(opts.name === undefined ? {} : { name: opts.name }),
      url: opts.url,
      waitedMs: Date.now() - started,
      attempts,
      lastAnswer: last,
      why,
      ...(diagnosis === undefined ? {} : { diagnosis }),
    });
  };
  for (;;) {
    if (opts.signal?.aborted) return fail('waiting was cancelled');
    // The attempt at the deadline still gets a fair chance (at least 250 ms) to answer.
    const remaining = timeoutMs - (Date.now() - started);
    const thisTimeout = Math.min(attemptTimeoutMs, Math.max(250, remaining));
    attempts++;
    try {
      const signals = [AbortSignal.timeout(thisTimeout)];
      if (opts.signal) signals.push(opts.signal);
      const res = await httpGet(opts.url, {
        headers: { ...opts.headers },
        signal: AbortSignal.any(signals),
        tls: opts.tls,
      });
      const body = res.body;
      if (accepted.includes(res.status) && (opts.bodyIncludes === undefined || body.includes(opts.bodyIncludes))) {
        return { url: opts.url, status: res.status, body, attempts, waitedMs: Date.now() - started };
      }
      last = `HTTP ${res.status} ${excerpt(body)}`;
      if (accepted.includes(res.status)) last += ` (expected it to contain ${JSON.stringify(opts.bodyIncludes)})`;
    } catch (error) {
      const answer = connectionError(error);
      // An attempt cut short by the deadline says less than the answer before it.
      if (!(thisTimeout < attemptTimeoutMs && answer === TIMED_OUT && attempts > 1)) last = answer;
    }
    const elapsed = Date.now() - started;
    opts.onAttempt?.({ number: attempts, elapsedMs: elapsed, last });
    if (opts.giveUpIf) {
      const reason = await opts.giveUpIf().catch(() => undefined);
      if (reason !== undefined) return fail(`gave up: ${reason}`);
    }
    if (elapsed >= timeoutMs) return fail('no acceptable answer');
    await sleep(Math.min(interval, timeoutMs - elapsed), opts.signal);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
}

/** At most this much of an answer is read over HTTPS (a readiness probe, /metrics for a version). */
const MAX_HTTPS_BODY_BYTES = 16 * 1024 * 1024;

/**
 * GET `url`: the status and the body's text. Plain HTTP goes through fetch (no redirect followed); HTTPS with
 * `tls` through node:https, trusting exactly `tls.ca` and checking the certificate against `tls.serverName`
 * (fetch cannot be given a CA without an extra package).
 */
export async function httpGet(
  url: string,
  opts: { headers?: Readonly<Record<string, string>>; signal: AbortSignal; tls?: ClientTls | undefined },
): Promise<{ status: number; body: string }> {
  const tls = opts.tls;
  if (tls === undefined || !url.startsWith('https:')) {
    const res = await fetch(url, { headers: { ...opts.headers }, signal: opts.signal, redirect: 'manual' });
    return { status: res.status, body: await res.text() };
  }
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { headers: { ...opts.headers }, signal: opts.signal, ca: [...tls.ca], servername: tls.serverName, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_HTTPS_BODY_BYTES) {
            req.destroy(new Error(`the answer is larger than ${MAX_HTTPS_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/**
 * The URL that reaches a component's readiness endpoint from the host: its probe's container port,
 * through the host binding (a wildcard binding is reached on the loopback address).
 */
export function readinessUrl(spec: ContainerSpec): string | undefined {
  const probe = spec.readiness;
  if (!probe) return undefined;
  const binding = spec.ports.find((p) => p.containerPort === probe.containerPort);
  if (!binding) return undefined;
  const host =
    binding.hostIp === '0.0.0.0' || binding.hostIp === ''
      ? '127.0.0.1'
      : binding.hostIp === '::'
        ? '::1'
        : binding.hostIp;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const scheme = probe.tls ? 'https' : 'http';
  return `${scheme}://${hostPart}:${binding.hostPort}${probe.path.startsWith('/') ? '' : '/'}${probe.path}`;
}

/**
 * Wait until a started container answers its readiness probe over HTTP (through its host port). Gives up at
 * once when the container disappears or exits, and adds its last log lines to the error.
 */
export async function waitContainerReady(
  runtime: ContainerRuntime,
  spec: ContainerSpec,
  timeoutMs: number,
): Promise<void> {
  const url = readinessUrl(spec);
  if (!url) return;
  await waitForHttp({
    url,
    name: spec.component,
    timeoutMs,
    ...(spec.readiness?.bodyIncludes ? { bodyIncludes: spec.readiness.bodyIncludes } : {}),
    ...(spec.readiness?.basicAuth ? { headers: { Authorization: basicAuthHeader(spec.readiness.basicAuth) } } : {}),
    ...(spec.readiness?.tls ? { tls: spec.readiness.tls } : {}),
    giveUpIf: async () => {
      const d = await runtime.inspectContainer(spec.name);
      if (!d) return 'the container disappeared';
      if (!d.running && d.state !== 'created') {
        const how = d.state === 'exited' ? `exited with code ${d.exitCode}` : `is ${d.state}`;
        return `the container ${how}${d.error ? ` (${d.error})` : ''}`;
      }
      return undefined;
    },
    diagnose: async () => {
      const logs = await runtime.logs(spec.name, { tail: 15 }).catch(() => undefined);
      if (!logs?.text.trim()) return undefined;
      const lines = logs.text
        .trimEnd()
        .split('\n')
        .map((l) => `    ${l}`);
      return `Last log lines of ${spec.name}:\n${lines.join('\n')}`;
    },
  });
}

/** `Basic base64(user:password)` (RFC 7617, UTF-8). */
export function basicAuthHeader(auth: { readonly username: string; readonly password: string }): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

export interface SettleOptions {
  /** Who is awaited, for messages, e.g. `Prometheus`. */
  readonly name: string;
  readonly timeoutMs: number;
  /** Called after each look that found something still pending. */
  readonly onPending?: (pending: readonly string[]) => void;
}

/**
 * Wait until `pending()` finds nothing left to wait for (an answer that fails counts as pending, with its
 * message). Looks twice a second at first, then every second; at the deadline, a NOT_READY error lists
 * what was still pending.
 */
export async function waitUntilSettled(pending: () => Promise<readonly string[]>, opts: SettleOptions): Promise<void> {
  const started = Date.now();
  let interval = 250;
  for (;;) {
    let left: readonly string[];
    try {
      left = await pending();
    } catch (error) {
      left = [(error as Error).message.split('\n')[0] ?? String(error)];
    }
    if (left.length === 0) return;
    opts.onPending?.(left);
    const elapsed = Date.now() - started;
    if (elapsed >= opts.timeoutMs) {
      throw new WmonError(
        `${opts.name} did not settle within ${(elapsed / 1000).toFixed(1)} s: ${left.slice(0, 5).join('; ')}${left.length > 5 ? ` (and ${left.length - 5} more)` : ''}`,
        {
          code: 'NOT_READY',
          suggestions: [
            `Look at ${opts.name}'s own view of it (its web UI, Status › Targets and Alerts), and the logs of what it waits for.`,
            'A slow machine may need a longer deadline (--timeout).',
          ],
        },
      );
    }
    await sleep(Math.min(interval, opts.timeoutMs - elapsed));
    interval = Math.min(1000, interval * 2);
  }
}
