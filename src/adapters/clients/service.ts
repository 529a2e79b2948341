/**
 * The bundled webhook service (service/), on @wmon/contract's ROUTES: `GET /healthz` (process alive) and
 * `POST /webhooks/stripe` on its public listener; `GET /readyz` (200 when its database and cache answer,
 * 503 otherwise, a JSON body saying which) and `GET /metrics` (Prometheus text format) on its internal one.
 *
 * The readiness body this client reads is the contract's ReadinessBody, which the service serves:
 *   {"status": "ok" | "not_ready" | "shutting_down", "checks": {"database": {"ok": true}, "cache": {"ok": false, "error": "…"}}}
 * It also accepts `dependencies` for `checks`, a list of `{name, …}` for the map, and for each check a
 * boolean, a status word (`ok`/`up`/`ready`/`healthy`/`pass` are good) or an object with `ok`/`up`/
 * `healthy` (boolean) or `status`/`state` (word), and `error`/`message`/`detail`/`reason` (text).
 */
import {
  RECONCILE_ROUTE,
  ROUTES,
  type ReadinessStatus,
  type ReconcileRequest,
  type ReconcileResult,
} from '@wmon/contract';

import { createTransport, type ClientOptions } from './http.js';
import { ExpositionParseError, parseExposition, type MetricFamily } from './exposition.js';

export interface DependencyCheck {
  readonly name: string;
  readonly ok: boolean;
  /** The service's explanation, when it gave one. */
  readonly detail: string | undefined;
}

export interface ServiceReadiness {
  /** HTTP 200. */
  readonly ready: boolean;
  readonly status: number;
  /** The service's own word for it (the contract's `ok`, `not_ready`, `shutting_down`), when it gave one. */
  readonly state: ReadinessStatus | (string & {}) | undefined;
  /** Per dependency (database, cache, ...), in the order the service listed them. */
  readonly dependencies: readonly DependencyCheck[];
}

export interface ServiceClient {
  /** `GET /healthz`: true on 200, false on 503; throws if unreachable. */
  healthz(): Promise<boolean>;
  /** `GET /readyz`: ready or not, and each dependency's state. */
  readyz(): Promise<ServiceReadiness>;
  /** `GET /metrics`, parsed into metric families. */
  metrics(): Promise<MetricFamily[]>;
  /** `GET /metrics` as served. */
  metricsText(): Promise<string>;
  /**
   * `POST /webhooks/stripe` with a payload and its `Stripe-Signature` header, the payload sent byte for
   * byte. Every HTTP answer is returned (a 400 names why the signature or event was refused); throws
   * only when the service cannot be reached or does not answer in time.
   */
  postEvent(payload: string, signature: string): Promise<{ readonly status: number; readonly body: string }>;
  /**
   * `POST /reconcile` on the internal listener: reconcile with Stripe now. The answer as the service gave
   * it: 200 (done), 502 (Stripe failed it), 409 (no API key: `status: disabled`; or a run is already
   * waiting: `error: busy`). `timeoutMs` bounds the whole run.
   */
  reconcile(
    request: ReconcileRequest,
    timeoutMs: number,
  ): Promise<{ readonly status: number; readonly body: ReconcileResult | { error: string; message: string } }>;
  /** `GET /reconcile`: the last reconcile's result (`status: never` before the first, `disabled` without a key). */
  lastReconcile(): Promise<ReconcileResult>;
}

const GOOD_WORDS = new Set(['ok', 'up', 'ready', 'healthy', 'pass', 'passed', 'connected']);

export interface ServiceClientOptions extends ClientOptions {
  /**
   * The internal listener (@wmon/contract's SERVICE_LISTENERS.internal): `/readyz` and `/metrics` are
   * answered there only. Default: `baseUrl` (a service that serves everything on one port).
   */
  readonly internalBaseUrl?: string;
}

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const { internalBaseUrl, ...publicOptions } = options;
  const publicHttp = createTransport('webhook service', publicOptions);
  const http =
    internalBaseUrl === undefined
      ? publicHttp
      : createTransport('webhook service', { ...publicOptions, baseUrl: internalBaseUrl });
  const reconcileHttp = (timeoutMs: number) =>
    createTransport('webhook service', {
      ...publicOptions,
      baseUrl: internalBaseUrl ?? publicOptions.baseUrl,
      timeoutMs,
    });
  const scrapeSpec = { path: ROUTES.metrics, headers: { Accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' } };

  const metricsText = async (): Promise<string> => (await http.request(scrapeSpec)).text;

  return {
    async healthz() {
      const res = await publicHttp.request({ path: ROUTES.health, okStatuses: [503] });
      return res.status === 200;
    },

    async readyz() {
      const spec = { path: ROUTES.ready, okStatuses: [503] };
      const res = await http.request(spec);
      const dependencies = readDependencies(res.data);
      if (dependencies === undefined) {
        return http.badResponse(
          spec,
          `expected a JSON body with "checks" (HTTP ${res.status}, body: ${res.text.slice(0, 120)})`,
        );
      }
      const state = isObject(res.data) && typeof res.data.status === 'string' ? res.data.status : undefined;
      return { ready: res.status === 200, status: res.status, state, dependencies };
    },

    async metrics() {
      const text = await metricsText();
      try {
        return parseExposition(text);
      } catch (error) {
        if (error instanceof ExpositionParseError)
          return http.badResponse(scrapeSpec, `not Prometheus text format: ${error.message}`);
        throw error;
      }
    },

    metricsText,

    async postEvent(payload, signature) {
      const res = await publicHttp.request({
        method: 'POST',
        path: ROUTES.webhook,
        rawBody: { text: payload, contentType: 'application/json' },
        headers: { 'Stripe-Signature': signature, 'User-Agent': 'wmon' },
        okStatuses: 'all',
      });
      return { status: res.status, body: res.text };
    },

    async reconcile(request, timeoutMs) {
      const t = reconcileHttp(timeoutMs);
      const spec = { method: 'POST' as const, path: RECONCILE_ROUTE, body: request, okStatuses: [409, 502] };
      const res = await t.request(spec);
      if (!isObject(res.data))
        return t.badResponse(spec, `expected a JSON object (HTTP ${res.status}, body: ${res.text.slice(0, 120)})`);
      return { status: res.status, body: res.data as unknown as ReconcileResult };
    },

    async lastReconcile() {
      const spec = { path: RECONCILE_ROUTE };
      const res = await http.request(spec);
      if (!isObject(res.data) || typeof res.data.status !== 'string')
        return http.badResponse(spec, `expected a JSON object with "status" (body: ${res.text.slice(0, 120)})`);
      return res.data as unknown as ReconcileResult;
    },
  };
}

function readDependencies(body: unknown): DependencyCheck[] | undefined {
  if (!isObject(body)) return undefined;
  const checks = body.checks ?? body.dependencies;
  if (Array.isArray(checks)) {
    return checks.filter(isObject).map((c, i) => toCheck(typeof c.name === 'string' ? c.name : `#${i + 1}`, c));
  }
  if (isObject(checks)) return Object.entries(checks).map(([name, c]) => toCheck(name, c));
  return undefined;
}

function toCheck(name: string, c: unknown): DependencyCheck {
  if (typeof c === 'boolean') return { name, ok: c, detail: undefined };
  if (typeof c === 'string')
    return { name, ok: GOOD_WORDS.has(c.toLowerCase()), detail: GOOD_WORDS.has(c.toLowerCase()) ? undefined : c };
  if (!isObject(c)) return { name, ok: false, detail: 'no status given' };
  const flag = [c.ok, c.up, c.healthy].find((v): v is boolean => typeof v === 'boolean');
  const word = [c.status, c.state].find((v): v is string => typeof v === 'string');
  const ok = flag ?? (word !== undefined && GOOD_WORDS.has(word.toLowerCase()));
  const text = [c.error, c.message, c.detail, c.reason].find((v): v is string => typeof v === 'string' && v !== '');
  return { name, ok, detail: text ?? (ok ? undefined : word) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
