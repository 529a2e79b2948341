/**
 * The HTTP front: routing, body limits, signature verification, durable acceptance, and the request
 * metrics. Plain node:http, no framework: this path is the hot one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import {
  OTHER_LABEL,
  ROUTES,
  SERVICE_LISTENERS,
  type ErrorType,
  type ServiceListener,
  type HealthBody,
  type ReadinessBody,
  type RouteLabel,
  type TrafficSource,
  trafficSource,
  RECONCILE_ROUTE,
  RECONCILE_WINDOW_BOUNDS,
  SERVICE_SECRET_ENV,
  type ReconcileResult,
} from '@wmon/contract';
import type { Cache } from '../cache/index.js';
import { methodLabel, routeLabel, type MetricsHandle } from '../metrics.js';
import type { EventProcessor } from '../queue/processor.js';
import { DatabaseError, type Store } from '../store/types.js';
import { decodeBody, parseEvent, type TypeLabeler } from '../webhook/event.js';
import { verifyStripeSignature } from '../webhook/signature.js';
import { acceptEvent, type Acceptance } from '../webhook/accept.js';
import type { RequestLimiter } from './rate-limit.js';
import { ReconcileBusyError, type Reconciler } from '../reconcile/reconciler.js';

export interface HttpDeps {
  readonly secrets: readonly string[];
  readonly toleranceSeconds: number;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
  readonly store: Store;
  readonly cache: Cache;
  readonly processor: EventProcessor;
  readonly metrics: MetricsHandle;
  readonly rateLimiter: RequestLimiter;
  readonly types: TypeLabeler;
  readonly log: Logger;
  readonly tracer: Tracer | undefined;
  readonly onError: (type: ErrorType, err: unknown) => void;
  /** The reconcile with Stripe, when an API key is configured. */
  readonly reconciler?: Reconciler | undefined;
  /** Readiness: resolves with the state of each dependency. */
  readonly readiness: () => Promise<{ ready: boolean; checks: ReadinessBody['checks'] }>;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const RECEIVED = Buffer.from('{"received":true}');
const RECEIVED_DUPLICATE = Buffer.from('{"received":true,"duplicate":true}');
const WEBHOOK_ROUTE = ROUTES.webhook;

/** Values of one header, as sent (Node joins repeated unknown headers; rawHeaders keeps them apart). */
function headerValues(req: IncomingMessage, lowerName: string): string[] | undefined {
  let values: string[] | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) (values ??= []).push(raw[i + 1]!);
  }
  return values;
}

/**
 * The handler of one listener: `public` answers the webhook route and liveness only, `internal` metrics,
 * readiness and liveness (SERVICE_LISTENERS in the contract); any other path is a 404 on that listener.
 */
export function createRequestHandler(deps: HttpDeps, listener: ServiceListener = 'public') {
  const { m } = deps.metrics;
  const serves = new Set<string>(SERVICE_LISTENERS[listener].routes);
  let shuttingDown = false;

  function finish(
    req: IncomingMessage,
    res: ServerResponse,
    route: RouteLabel,
    started: number,
    status: number,
    headers: Record<string, string | number>,
    body: Buffer | string,
    source: TrafficSource = 'external',
  ) {
    if (shuttingDown) headers = { ...headers, connection: 'close' };
    res.writeHead(status, {
      ...headers,
      'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
    });
    res.end(body);
    const code = String(status);
    m.requestsTotal.inc({ method: methodLabel(req.method), route, status: code, source });
    m.requestDuration.observe({ route, status: code, source }, (performance.now() - started) / 1000);
  }

  function json(
    req: IncomingMessage,
    res: ServerResponse,
    route: RouteLabel,
    started: number,
    status: number,
    body: unknown,
    extra?: Record<string, string | number>,
    source?: TrafficSource,
  ) {
    finish(
      req,
      res,
      route,
      started,
      status,
      extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS,
      JSON.stringify(body),
      source,
    );
  }

  function clientAddress(req: IncomingMessage): string {
    if (deps.trustProxy) {
      const xff = req.headers['x-forwarded-for'];
      const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
      if (first) return first;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  /** Read the body up to the limit; past it, stop reading (the connection is closed after the 413). */
  function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          done = true;
          req.off('data', onData);
          req.pause();
          resolve('too_large');
          return;
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => {
        if (done) return;
        done = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      });
      req.once('error', () => {
        if (done) return;
        done = true;
        resolve('aborted');
      });
      req.once('aborted', () => {
        if (done) return;
        done = true;
        resolve('aborted');
      });
    });
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse, started: number): void {
    res.shouldKeepAlive = false;
    json(
      req,
      res,
      WEBHOOK_ROUTE,
      started,
      413,
      { error: 'payload_too_large', message: `the body exceeds ${deps.bodyLimitBytes} bytes` },
      { connection: 'close' },
    );
  }

  /**
   * A verified request whose event can never be stored: a permanent 400 (Stripe stops retrying it), logged
   * at warn with the reason and counted as a payload error.
   */
  function refuse(
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    span: Span | undefined,
    error: 'invalid_json' | 'invalid_event',
    message: string,
    eventId?: string,
    source?: TrafficSource,
  ): void {
    deps.onError('payload', undefined);
    deps.log.warn({ reason: error, eventId, client: clientAddress(req) }, 'webhook rejected: %s', message);
    span?.setAttribute('webhook.rejected', error);
    json(req, res, WEBHOOK_ROUTE, started, 400, { error, message }, undefined, source);
  }

  async function webhook(
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    span: Span | undefined,
  ): Promise<void> {
    if (req.method !== 'POST') {
      json(
        req,
        res,
        WEBHOOK_ROUTE,
        started,
        405,
        { error: 'method_not_allowed', message: 'use POST' },
        { allow: 'POST' },
      );
      return;
    }
    if (deps.rateLimiter.enabled) {
      const decision = await deps.rateLimiter.check(clientAddress(req));
      if (!decision.ok) {
        m.rateLimited.inc({ scope: decision.scope });
        json(
          req,
          res,
          WEBHOOK_ROUTE,
          started,
          429,
          { error: 'rate_limited', scope: decision.scope, message: `too many requests (${decision.scope} limit)` },
          {
            'retry-after': decision.retryAfterSeconds,
          },
        );
        return;
      }
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > deps.bodyLimitBytes) {
      tooLarge(req, res, started);
      return;
    }
    const body = await readBody(req, deps.bodyLimitBytes);
    if (body === 'too_large') {
      tooLarge(req, res, started);
      return;
    }
    if (body === 'aborted') return;
    const verdict = verifyStripeSignature(
      body,
      headerValues(req, 'stripe-signature'),
      deps.secrets,
      deps.toleranceSeconds,
    );
    if (!verdict.ok) {
      m.signatureFailures.inc({ reason: verdict.reason });
      deps.onError('signature', undefined);
      deps.log.warn({ reason: verdict.reason, client: clientAddress(req) }, 'webhook rejected: bad signature');
      span?.setAttribute('webhook.rejected', verdict.reason);
      json(req, res, WEBHOOK_ROUTE, started, 400, { error: verdict.reason, message: verdict.message });
      return;
    }

    // Verified over its bytes; as text it must be UTF-8 (Stripe sends nothing else).
    const payload = decodeBody(body);
    if (payload === undefined) {
      refuse(req, res, started, span, 'invalid_json', 'the body is not valid UTF-8, so it is not JSON');
      return;
    }
    const parsed = parseEvent(payload);
    if (!parsed.ok) {
      refuse(req, res, started, span, parsed.error, parsed.message);
      return;
    }
    const event = parsed.event;
    span?.setAttributes({ 'stripe.event.id': event.id, 'stripe.event.type': event.type });
    // wmon's probe is counted apart from business traffic from here on (its request and its event).
    const source = trafficSource(event);

    // Dedupe: the cache first (recent ids), then the database's unique key, which decides.
    let accepted: Acceptance;
    try {
      accepted = await acceptEvent(deps, event, payload, 'webhook', body, source);
    } catch (err) {
      if (err instanceof DatabaseError && err.permanent) {
        // The database refuses this event itself (a value it cannot hold): no retry will store it.
        refuse(
          req,
          res,
          started,
          span,
          'invalid_event',
          `the database cannot store this event: ${err.message}`,
          event.id,
          source,
        );
        return;
      }
      deps.onError('database', err);
      // Not stored, so not acknowledged: Stripe retries later.
      json(
        req,
        res,
        WEBHOOK_ROUTE,
        started,
        503,
        { error: 'storage_unavailable', message: 'the event could not be stored; retry later' },
        { 'retry-after': 5 },
        source,
      );
      return;
    }
    finish(
      req,
      res,
      WEBHOOK_ROUTE,
      started,
      200,
      JSON_HEADERS,
      accepted === 'new' ? RECEIVED : RECEIVED_DUPLICATE,
      source,
    );
  }

  /**
   * `GET /reconcile`: the last run; `POST /reconcile` {sinceSeconds?, replay?}: run now and answer its result.
   * Not traffic: answered without the request metrics.
   */
  async function reconcile(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown, extra: Record<string, string | number> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        ...JSON_HEADERS,
        ...extra,
        'content-length': Buffer.byteLength(text),
        ...(shuttingDown ? { connection: 'close' } : {}),
      });
      res.end(text);
    };
    const r = deps.reconciler;
    const key = SERVICE_SECRET_ENV.stripeApiKey;
    const disabled: ReconcileResult = {
      status: 'disabled',
      error: {
        reason: 'authentication',
        message: `no Stripe API key: set ${key.file} (or ${key.value}) to a restricted key with read access to events`,
      },
    };
    if (req.method === 'GET' || req.method === 'HEAD') {
      answer(200, r ? r.last() : disabled);
      return;
    }
    if (req.method !== 'POST') {
      answer(405, { error: 'method_not_allowed', message: 'use GET or POST' }, { allow: 'GET, POST' });
      return;
    }
    const body = await readBody(req, 4096);
    if (body === 'aborted') return;
    let request: { sinceSeconds?: number; replay?: boolean };
    try {
      if (body === 'too_large') throw new Error('the body exceeds 4096 bytes');
      const text = body.toString('utf8').trim();
      const value: unknown = text === '' ? {} : JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('expected a JSON object');
      const { sinceSeconds, replay } = value as Record<string, unknown>;
      const { minSeconds, maxSeconds } = RECONCILE_WINDOW_BOUNDS;
      if (
        sinceSeconds !== undefined &&
        (typeof sinceSeconds !== 'number' ||
          !Number.isInteger(sinceSeconds) ||
          sinceSeconds < minSeconds ||
          sinceSeconds > maxSeconds)
      )
        throw new Error(`sinceSeconds: expected a whole number of seconds from ${minSeconds} to ${maxSeconds}`);
      if (replay !== undefined && typeof replay !== 'boolean') throw new Error('replay: expected true or false');
      request = {
        ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
        ...(replay !== undefined ? { replay } : {}),
      };
    } catch (err) {
      answer(400, { error: 'bad_request', message: (err as Error).message });
      return;
    }
    if (!r) {
      answer(409, disabled);
      return;
    }
    try {
      const result = await r.run({ trigger: 'request', ...request });
      answer(result.status === 'ok' ? 200 : 502, result);
    } catch (err) {
      if (!(err instanceof ReconcileBusyError)) throw err;
      answer(409, { error: 'busy', message: err.message }, { 'retry-after': 30 });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const q = req.url?.indexOf('?') ?? -1;
    const path = q === -1 ? (req.url ?? '/') : req.url!.slice(0, q);
    if (path === WEBHOOK_ROUTE && serves.has(path)) {
      if (!deps.tracer) return webhook(req, res, started, undefined);
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      const span = deps.tracer.startSpan(
        `POST ${WEBHOOK_ROUTE}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': path } },
        parent,
      );
      try {
        await context.with(trace.setSpan(parent, span), () => webhook(req, res, started, span));
        span.setAttribute('http.response.status_code', res.statusCode);
        span.setStatus({ code: res.statusCode >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET });
      } finally {
        span.end();
      }
      return;
    }
    if (path === RECONCILE_ROUTE && listener === 'internal') return reconcile(req, res);
    const label = serves.has(path) ? routeLabel(path) : OTHER_LABEL;
    const isGet = req.method === 'GET' || req.method === 'HEAD';
    if (label === OTHER_LABEL) {
      json(req, res, OTHER_LABEL, started, 404, { error: 'not_found', message: `no route for ${req.method} ${path}` });
    } else if (!isGet) {
      json(req, res, label, started, 405, { error: 'method_not_allowed', message: 'use GET' }, { allow: 'GET, HEAD' });
    } else if (label === ROUTES.health || label === ROUTES.reachability) {
      json(req, res, label, started, 200, { status: 'ok' } satisfies HealthBody);
    } else if (label === ROUTES.ready) {
      if (shuttingDown) {
        json(req, res, label, started, 503, { status: 'shutting_down', checks: {} } satisfies ReadinessBody);
        return;
      }
      const r = await deps.readiness();
      json(req, res, label, started, r.ready ? 200 : 503, {
        status: r.ready ? 'ok' : 'not_ready',
        checks: r.checks,
      } satisfies ReadinessBody);
    } else {
      const text = await deps.metrics.registry.metrics();
      finish(req, res, label, started, 200, { 'content-type': deps.metrics.registry.contentType }, text);
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    m.concurrentRequests.inc();
    res.once('close', () => m.concurrentRequests.dec());
    route(req, res).catch((err: unknown) => {
      deps.onError('internal', err);
      deps.log.error({ err }, 'request failed');
      if (!res.headersSent) {
        res.writeHead(500, JSON_HEADERS);
        res.end('{"error":"internal","message":"internal error"}');
      } else {
        res.destroy();
      }
      m.requestsTotal.inc({ method: methodLabel(req.method), route: routeLabel(req.url ?? ''), status: '500' });
    });
  };
  return Object.assign(handler, {
    shutdown: () => {
      shuttingDown = true;
    },
  });
}
