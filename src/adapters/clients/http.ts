/**
 * The one place that talks axios. Each client gets a Transport: a base URL, a timeout on every call,
 * optional auth, and errors mapped to ComponentRequestError. No axios type leaves this file.
 */
import https from 'node:https';

import axios, { type AxiosRequestConfig } from 'axios';
import type { z } from 'zod';
import { ComponentRequestError, type ComponentName, type RequestFailure } from './errors.js';

export const DEFAULT_TIMEOUT_MS = 5000;

/** HTTP basic auth (e.g. Grafana's admin) or a bearer token (e.g. a Grafana service-account token). */
export type ClientAuth =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

/** What every client factory accepts. */
export interface ClientOptions {
  /** e.g. `http://127.0.0.1:9090`; a path prefix (reverse proxy) is kept. */
  readonly baseUrl: string;
  /** Deadline for each call, connection included. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly auth?: ClientAuth;
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** For an https:// base URL (`auth.tls`): trust exactly these PEM certificates, for this server name. */
  readonly tls?: { readonly ca: readonly string[]; readonly serverName: string };
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface RequestSpec {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** Query parameters; arrays repeat the key (`filter=a&filter=b`), as the Alertmanager API wants. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent exactly as given, instead of `body` (a signed webhook payload, whose bytes must not change). */
  readonly rawBody?: { readonly text: string; readonly contentType: string };
  /** Headers for this request only (e.g. `Accept: text/plain` for a scrape). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Statuses besides 2xx that are answers rather than failures (e.g. 503 from a readiness probe); 'all' for every status. */
  readonly okStatuses?: readonly number[] | 'all';
  /**
   * What a failure means for this call, added to the message; a hinted 401/403 is then not reported
   * as refused credentials (Prometheus answers 403 when its lifecycle API is off).
   */
  readonly hint?: (status: number, apiMessage: string | undefined) => string | undefined;
}

export interface TransportResponse {
  readonly status: number;
  /** The body: parsed JSON when the component sent JSON, else the text. */
  readonly data: unknown;
  readonly text: string;
}

export interface Transport {
  readonly component: ComponentName;
  readonly timeoutMs: number;
  request(spec: RequestSpec): Promise<TransportResponse>;
  /** A request whose body must match `schema` (else a `bad-response` error). */
  json<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.output<S>>;
  /** Throws a `bad-response` ComponentRequestError for this request. */
  badResponse(spec: RequestSpec, what: string): never;
}

export function createTransport(component: ComponentName, options: ClientOptions): Transport {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.auth?.kind === 'bearer') headers.Authorization = `Bearer ${options.auth.token}`;
  const instance = axios.create({
    baseURL: base,
    timeout: timeoutMs,
    headers,
    auth:
      options.auth?.kind === 'basic' ? { username: options.auth.username, password: options.auth.password } : undefined,
    ...(options.tls
      ? {
          httpsAgent: new https.Agent({
            ca: [...options.tls.ca],
            servername: options.tls.serverName,
            keepAlive: false,
          }),
        }
      : {}),
    // The stack is on loopback: an HTTP(S)_PROXY from the environment would only get in the way.
    proxy: false,
    // Keep the raw text: we parse (and report bad JSON) ourselves.
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    maxRedirects: 0,
    transitional: { clarifyTimeoutError: true },
  });

  // Credentials in the base URL (http://user:pw@host) never reach a message.
  const shownBase = base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  const describe = (spec: RequestSpec) => ({
    method: spec.method ?? 'GET',
    url: truncate(`${shownBase}${pathWithQuery(spec)}`),
  });

  const fail = (
    spec: RequestSpec,
    failure: RequestFailure,
    what: string,
    extra: { status?: number; apiMessage?: string } = {},
  ): never => {
    throw new ComponentRequestError({ component, ...describe(spec), failure, what, timeoutMs, ...extra });
  };

  const request = async (spec: RequestSpec): Promise<TransportResponse> => {
    const signal = AbortSignal.timeout(timeoutMs);
    const config: AxiosRequestConfig = {
      method: spec.method ?? 'GET',
      url: pathWithQuery(spec),
      signal,
    };
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.rawBody !== undefined) {
      config.data = spec.rawBody.text;
      headers['Content-Type'] = spec.rawBody.contentType;
    } else if (spec.body !== undefined) {
      config.data = JSON.stringify(spec.body);
      headers['Content-Type'] = 'application/json';
    }
    config.headers = headers;
    let status: number;
    let text: string;
    let contentType: string;
    try {
      const res = await instance.request<string>(config);
      status = res.status;
      text = typeof res.data === 'string' ? res.data : '';
      contentType = String(res.headers['content-type'] ?? '');
    } catch (error) {
      return fail(spec, ...transportFailure(error, signal, timeoutMs));
    }

    const data = parseBody(text, contentType);
    const ok = (status >= 200 && status < 300) || spec.okStatuses === 'all' || (spec.okStatuses ?? []).includes(status);
    if (!ok) {
      const apiMessage = apiErrorMessage(data);
      const what = `HTTP ${status}${apiMessage ? `: ${apiMessage}` : ''}`;
      const hint = spec.hint?.(status, apiMessage);
      if (hint) fail(spec, 'http', `${what} (${hint})`, { status, apiMessage });
      if (status === 401 || status === 403) {
        fail(spec, 'auth', `${what} (check credentials)`, { status, apiMessage });
      }
      fail(spec, 'http', what, { status, apiMessage });
    }
    return { status, data, text };
  };

  const badResponse = (spec: RequestSpec, what: string): never => fail(spec, 'bad-response', what);

  return {
    component,
    timeoutMs,
    request,
    badResponse,
    async json(spec, schema) {
      const res = await request(spec);
      const parsed = schema.safeParse(res.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
        return badResponse(
          spec,
          `unexpected response${where}: ${issue?.message ?? 'invalid'} (HTTP ${res.status}, body: ${truncate(res.text, 120)})`,
        );
      }
      return parsed.data;
    },
  };
}

function pathWithQuery(spec: RequestSpec): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(spec.query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${spec.path}?${qs}` : spec.path;
}

function parseBody(text: string, contentType: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (contentType.includes('json') || /^[[{"]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      // Not JSON after all: keep the text.
    }
  }
  return text;
}

/**
 * The component's error message from the shapes the stack uses: Prometheus `{error}`, Grafana and
 * Alertmanager `{message}`, Jaeger's query API v3 `{error: {message}}` (and its internal API's
 * `{errors: [{msg}]}`), and plain text (Loki, Alertmanager's 500s).
 */
function apiErrorMessage(data: unknown): string | undefined {
  if (typeof data === 'string') return truncate(data.trim(), 300) || undefined;
  if (data && typeof data === 'object') {
    const o = data as Record<string, unknown>;
    if (typeof o.error === 'string' && o.error) return o.error;
    if (typeof o.message === 'string' && o.message) return o.message;
    if (o.error && typeof o.error === 'object') {
      const message = (o.error as Record<string, unknown>).message;
      if (typeof message === 'string' && message) return message;
    }
    if (Array.isArray(o.errors)) {
      const msgs = o.errors
        .map((e: unknown) => (e && typeof e === 'object' ? (e as Record<string, unknown>).msg : undefined))
        .filter((m): m is string => typeof m === 'string');
      if (msgs.length > 0) return msgs.join('; ');
    }
  }
  return undefined;
}

function transportFailure(error: unknown, signal: AbortSignal, timeoutMs: number): [RequestFailure, string] {
  const code = errorCode(error);
  if (signal.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
    return ['timeout', `timeout after ${timeoutMs} ms`];
  }
  if (code === 'ECONNREFUSED') return ['connection-refused', 'connection refused'];
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return ['network', 'host not found'];
  if (code === 'ECONNRESET' || code === 'EPIPE') return ['network', 'connection reset by the server'];
  const message = error instanceof Error ? error.message : String(error);
  return ['network', code ? `${code}: ${message}` : message];
}

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_BAD_REQUEST') return code;
    // Node's happy-eyeballs connect fails with an AggregateError whose members carry the code.
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) e = errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function truncate(s: string, max = 240): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
