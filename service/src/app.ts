/**
 * Wires the service together: metrics, logs, traces, store, cache, processor, HTTP server, the health
 * monitor behind webhook_db_up / webhook_cache_up, and graceful shutdown.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { READINESS_CHECKS, type ErrorType, type ReadinessBody } from '@wmon/contract';
import { Cache, createCacheBackend } from './cache/index.js';
import { RedisCache } from './cache/redis.js';
import { configSecrets, describeConfig, type Config } from './config.js';
import { createRedactor } from './observability/redact.js';
import { defaultRegistry } from './handlers/defaults.js';
import type { HandlerRegistry } from './handlers/registry.js';
import { createRequestHandler, type HttpDeps } from './http/server.js';
import { RateLimiter, SharedRateLimiter } from './http/rate-limit.js';
import { createMetrics, type MetricsHandle } from './metrics.js';
import { createLogging, type Logging } from './observability/logging.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import { EventProcessor } from './queue/processor.js';
import { createStore } from './store/index.js';
import { leaseOwner } from './store/postgres.js';
import type { Store } from './store/types.js';
import { TypeLabeler } from './webhook/event.js';
import { Reconciler, type ReconcileOptions } from './reconcile/reconciler.js';
import { SERVICE_VERSION } from './version.js';

export interface ServiceOptions {
  /** Handlers to use instead of the defaults (tests register failing ones). */
  readonly handlers?: HandlerRegistry;
  /** A logger to use instead of the one built from the configuration. */
  readonly logger?: Logger;
  readonly healthIntervalMs?: number;
  readonly sweepIntervalMs?: number;
  /** Delay of the first automatic reconcile after start-up (ms); false: no automatic runs (tests). */
  readonly reconcileFirstDelayMs?: number | false;
  readonly reconcileOptions?: ReconcileOptions;
}

export interface HealthState {
  readonly database: boolean;
  readonly cache: boolean;
  readonly errors: { readonly database?: string; readonly cache?: string };
}

export interface Service {
  readonly config: Config;
  readonly metrics: MetricsHandle;
  readonly store: Store;
  readonly cache: Cache;
  readonly processor: EventProcessor;
  /** The reconcile with Stripe; undefined without STRIPE_API_KEY. */
  readonly reconciler: Reconciler | undefined;
  readonly log: Logger;
  /** The public listener: the webhook route and liveness. */
  readonly server: Server;
  /** The internal listener: metrics, readiness, liveness. */
  readonly internalServer: Server;
  /** Listen on both; resolves with the public base URL (http://host:port). */
  start(): Promise<string>;
  /** The internal listener's base URL, once started. */
  internalUrl(): string;
  /** Graceful stop: stop accepting, finish in-flight requests and jobs, flush, close pools. */
  stop(): Promise<void>;
  /** Ping the database and cache now; updates the up gauges. */
  checkHealth(): Promise<HealthState>;
}

const PING_TIMEOUT_MS = 1500;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createService(config: Config, options: ServiceOptions = {}): Service {
  const logging: Logging | undefined = options.logger
    ? undefined
    : createLogging({
        level: config.logLevel,
        serviceName: config.serviceName,
        lokiUrl: config.lokiUrl,
        redact: createRedactor(configSecrets(config)),
      });
  const log = options.logger ?? logging!.log;
  const tracing: Tracing = createTracing(config.otlpEndpoint, config.serviceName, SERVICE_VERSION);
  const metrics = createMetrics(config.replica);
  const { m } = metrics;
  const types = new TypeLabeler();

  // Errors are counted always, logged when they are news (a dependency going down is logged by the health monitor).
  const onError = (type: ErrorType, err: unknown): void => {
    m.errorsTotal.inc({ type });
    if (type === 'database') {
      m.dbUp.set(0);
      log.warn({ err: errMessage(err) }, 'database operation failed');
    } else if (type === 'cache') {
      m.cacheUp.set(0);
    }
  };

  const store = createStore(
    config.database,
    (operation, seconds) => m.dbQueryDuration.observe({ operation }, seconds),
    (err) => log.warn({ err: err.message }, 'database connection lost'),
    { owner: leaseOwner(config.replica), leaseMs: config.leaseMs },
  );
  let lastRedisError = '';
  const cache = new Cache(
    createCacheBackend(config.redis, config.cacheMaxEntries, (err) => {
      if (err.message !== lastRedisError) log.warn({ err: err.message }, 'redis connection error');
      lastRedisError = err.message;
    }),
    metrics,
    (type, _op, err) => {
      onError(type, err);
      log.debug({ err: errMessage(err) }, 'cache operation failed');
    },
  );
  (m.dbConnections as unknown as { collect?: () => void }).collect = () => {
    const c = store.connections();
    m.dbConnections.set({ state: 'active' }, c.active);
    m.dbConnections.set({ state: 'idle' }, c.idle);
  };

  const processor = new EventProcessor(
    {
      store,
      cache,
      registry: options.handlers ?? defaultRegistry(),
      metrics,
      log,
      types,
      tracer: tracing.tracer,
      onDatabaseError: (err) => onError('database', err),
      coherentCache: cache.kind === 'memory' && !store.appliesChanges,
    },
    {
      workers: config.workers,
      maxAttempts: config.maxAttempts,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      bufferSize: config.queueBufferSize,
      sweepIntervalMs: options.sweepIntervalMs ?? 5000,
    },
  );

  // Health: both dependencies pinged now and then; transitions logged once.
  const state = { database: false, cache: false };
  async function checkHealth(): Promise<HealthState> {
    const [db, c] = await Promise.allSettled([
      withTimeout(store.ping(), PING_TIMEOUT_MS, 'database'),
      withTimeout(cache.ping(), PING_TIMEOUT_MS, 'cache'),
    ]);
    const now = { database: db.status === 'fulfilled', cache: c.status === 'fulfilled' };
    for (const key of READINESS_CHECKS) {
      if (now[key] !== state[key]) {
        const result = key === 'database' ? db : c;
        if (now[key]) log.info(`${key} is reachable`);
        else
          log.error(
            { err: result.status === 'rejected' ? errMessage(result.reason) : undefined },
            `${key} is unreachable`,
          );
      }
    }
    state.database = now.database;
    state.cache = now.cache;
    m.dbUp.set(now.database ? 1 : 0);
    m.cacheUp.set(now.cache ? 1 : 0);
    const errors: { database?: string; cache?: string } = {};
    if (db.status === 'rejected') errors.database = errMessage(db.reason);
    if (c.status === 'rejected') errors.cache = errMessage(c.reason);
    return { ...now, errors };
  }

  const reconciler = config.reconcile
    ? new Reconciler({ store, cache, processor, metrics, types, log }, config.reconcile, options.reconcileOptions)
    : undefined;

  const httpDeps: HttpDeps = {
    reconciler,
    secrets: config.secrets,
    toleranceSeconds: config.toleranceSeconds,
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxy: config.rateLimit.trustProxy,
    store,
    cache,
    processor,
    metrics,
    rateLimiter:
      cache.backend instanceof RedisCache
        ? new SharedRateLimiter(cache.backend.client, config.rateLimit.perClient, config.rateLimit.global)
        : new RateLimiter(config.rateLimit.perClient, config.rateLimit.global),
    types,
    log,
    tracer: tracing.tracer,
    onError: (type, err) => onError(type, err),
    readiness: async () => {
      const h = await checkHealth();
      const check = (ok: boolean, error: string | undefined) =>
        ok ? { ok: true } : { ok: false, error: error ?? 'unreachable' };
      const checks: ReadinessBody['checks'] = {
        database: check(h.database, h.errors.database),
        cache: check(h.cache, h.errors.cache),
      };
      return { ready: h.database && h.cache, checks };
    },
  };
  const handler = createRequestHandler(httpDeps, 'public');
  const internalHandler = createRequestHandler(httpDeps, 'internal');
  const serverOptions = { keepAliveTimeout: 30_000, requestTimeout: 60_000, headersTimeout: 20_000 };
  const server = createServer(serverOptions, handler);
  const internalServer = createServer(serverOptions, internalHandler);
  let internalUrl: string | undefined;

  let healthTimer: NodeJS.Timeout | undefined;
  let started = false;
  let stopping: Promise<void> | undefined;

  async function start(): Promise<string> {
    log.info({ config: describeConfig(config), version: SERVICE_VERSION }, 'starting');
    await store.init();
    if (cache.backend instanceof RedisCache) {
      await cache.backend
        .connect()
        .catch((err: Error) => log.error({ err: err.message }, 'cache unavailable at start-up; continuing without it'));
    }
    await checkHealth();
    await processor.start();
    healthTimer = setInterval(() => void checkHealth(), options.healthIntervalMs ?? 2000);
    healthTimer.unref();
    if (reconciler && options.reconcileFirstDelayMs !== false) reconciler.start(options.reconcileFirstDelayMs);
    started = true;
    internalUrl = await listen(internalServer, config.metricsPort, config.metricsHost);
    const url = await listen(server, config.port, config.host);
    log.info({ url, internalUrl, store: store.kind, cache: cache.kind }, 'listening');
    return url;
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      log.info('shutting down');
      handler.shutdown();
      internalHandler.shutdown();
      if (healthTimer) clearInterval(healthTimer);
      if (started) {
        // Stop accepting; let in-flight requests finish (their events are stored before they answer).
        const servers = [server, internalServer].filter((s) => s.listening);
        const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        for (const s of servers) s.closeIdleConnections();
        const remaining = Math.max(0, deadline - Date.now());
        await Promise.race([closed, new Promise((r) => setTimeout(r, remaining).unref())]);
        for (const s of servers) s.closeAllConnections();
      }
      if (reconciler) {
        // A run in progress finishes its API call and its writes (recovered events are queued before this).
        const remaining = Math.max(0, deadline - Date.now());
        await Promise.race([reconciler.stop(), new Promise((r) => setTimeout(r, remaining).unref())]);
      }
      await processor.stop(Math.max(0, deadline - Date.now()));
      await store.close().catch((err: unknown) => log.error({ err: errMessage(err) }, 'closing the database failed'));
      await cache.close().catch(() => {});
      metrics.close();
      await tracing.shutdown();
      log.info('stopped');
      await logging?.flush();
    })();
    return stopping;
  }

  return {
    config,
    metrics,
    store,
    cache,
    processor,
    reconciler,
    log,
    server,
    internalServer,
    start,
    stop,
    checkHealth,
    internalUrl: () => {
      if (internalUrl === undefined) throw new Error('the service has not started');
      return internalUrl;
    },
  };
}

/** Listen on host:port; resolves with the base URL (http://host:port). */
function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve(`http://${shown}:${addr.port}`);
    });
  });
}

function errMessage(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  return err instanceof Error ? err.message : String(err);
}
