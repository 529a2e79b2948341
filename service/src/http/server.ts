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
} from '@wmon/contract';
import { EVENT_ID_TTL_SECONDS, type Cache } from '../cache/index.js';
import { methodLabel, routeLabel, type MetricsHandle } from '../metrics.js';
import type { EventProcessor } from '../queue/processor.js';
import { DatabaseError, type Store } from '../store/types.js';
import { decodeBody, parseEvent, type TypeLabeler } from '../webhook/event.js';
import { verifyStripeSignature } from '../webhook/signature.js';
import type { RateLimiter } from './rate-limit.js';

export interface HttpDeps {
  readonly secrets: readonly string[];
  readonly toleranceSeconds: number;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
  readonly store: Store;
  readonly cache: Cache;
  readonly processor: EventProcessor;
  readonly metrics: MetricsHandle;
  readonly rateLimiter: RateLimiter;
  readonly types: TypeLabeler;
  readonly log: Logger;
  readonly tracer: Tracer | undefined;
  readonly onError: (type: ErrorType, err: unknown) => void;
  /** Readiness: resolves with the state of each dependency. */
  readonly readiness: () => Promise<{ ready: boolean; checks: ReadinessBody['checks'] }>;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const RECEIVED = Buffer.from('{"received":true}');
const RECEIVED_DUPLICATE = Buffer.from('{"received":true,"duplicate":true}');
const WEBHOOK_ROUTE = ROUTES.webhook;

/** Seconds from an event's `created` (Unix seconds) to its acceptance at `acceptedAtMs`, never negative. */
export function deliveryLagSeconds(acceptedAtMs: number, createdSeconds: number): number {
  return Math.max(0, acceptedAtMs / 1000 - createdSeconds);
}

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
      const decision = deps.rateLimiter.check(clientAddress(req));
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
    if ((await deps.cache.get('event_ids', event.id)) !== undefined) {
      m.eventsProcessed.inc({ outcome: 'duplicate', source });
      finish(req, res, WEBHOOK_ROUTE, started, 200, JSON_HEADERS, RECEIVED_DUPLICATE, source);
      return;
    }
    const receivedAt = Date.now();
    let isNew: boolean;
    try {
      isNew = (await deps.store.write({
        kind: 'insert',
        event: {
          id: event.id,
          type: event.type,
          created: event.created,
          livemode: event.livemode === true,
          receivedAt,
          payload,
          raw: body,
        },
      })) as boolean;
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
    void deps.cache.set('event_ids', event.id, '1', EVENT_ID_TTL_SECONDS);
    if (isNew) {
      m.eventsByType.inc({ type: deps.types.label(event.type), source });
      // Late when Stripe is retrying (an earlier delivery failed); a clock ahead of ours counts as no lag. wmon's
      // probe is not a Stripe delivery: it is left out.
      if (source !== 'probe') m.eventDeliveryLag.observe(deliveryLagSeconds(receivedAt, event.created));
      deps.processor.enqueue({ id: event.id, type: event.type, event, payload, attempts: 0, receivedAt });
      deps.log.debug({ eventId: event.id, eventType: event.type }, 'event accepted');
      finish(req, res, WEBHOOK_ROUTE, started, 200, JSON_HEADERS, RECEIVED, source);
    } else {
      m.eventsProcessed.inc({ outcome: 'duplicate', source });
      finish(req, res, WEBHOOK_ROUTE, started, 200, JSON_HEADERS, RECEIVED_DUPLICATE, source);
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
