/**
 * The service's Prometheus metrics, built from the one shared list (src/core/vocab/metric-names.ts) into a
 * dedicated prom-client Registry. Names, help and label names come from that list; this file only adds
 * the types, buckets, the label values known in advance, and the process gauges collected at scrape time.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REQUEST_DURATION_BUCKETS, SERVICE_METRICS, type MetricSpec } from '../../src/core/vocab/metric-names.js';

type Specs = typeof SERVICE_METRICS;
type Key = keyof Specs;
type LabelsOf<K extends Key> = Specs[K]['labels'][number];
type MetricOf<K extends Key> = Specs[K]['type'] extends 'counter'
  ? Counter<LabelsOf<K>>
  : Specs[K]['type'] extends 'gauge'
    ? Gauge<LabelsOf<K>>
    : Histogram<LabelsOf<K>>;

export type ServiceMetrics = { readonly [K in Key]: MetricOf<K> };

/** Finer buckets (seconds) for database and cache operations, which take micro- to milliseconds. */
export const OPERATION_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

const BUCKETS: Partial<Record<Key, readonly number[]>> = {
  dbQueryDuration: OPERATION_DURATION_BUCKETS,
  cacheOperationDuration: OPERATION_DURATION_BUCKETS,
};

/** Label values known in advance: their series are exported at 0 from the start, so rate() works at once. */
export const ERROR_TYPES = ['signature', 'payload', 'processing', 'database', 'cache', 'internal'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];
export const PROCESS_OUTCOMES = ['success', 'failure', 'duplicate', 'dead_letter'] as const;
export const QUEUE_STATES = ['pending', 'processing', 'dead_letter'] as const;
export const MEMORY_KINDS = ['rss', 'heap_used', 'heap_total', 'external'] as const;
export const DB_CONNECTION_STATES = ['active', 'idle'] as const;
export const RATE_LIMIT_SCOPES = ['client', 'global'] as const;
export const CACHE_NAMES = ['event_ids', 'objects'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

export interface MetricsHandle {
  readonly registry: Registry;
  readonly m: ServiceMetrics;
  /** Stop the CPU sampler. */
  close(): void;
}

export function createMetrics(signatureReasons: readonly string[]): MetricsHandle {
  const registry = new Registry();
  const built: Record<string, Counter | Gauge | Histogram> = {};
  for (const [key, spec] of Object.entries(SERVICE_METRICS) as [Key, MetricSpec][]) {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    if (spec.type === 'counter') built[key] = new Counter(common);
    else if (spec.type === 'gauge') built[key] = new Gauge(common);
    else built[key] = new Histogram({ ...common, buckets: [...(BUCKETS[key] ?? REQUEST_DURATION_BUCKETS)] });
  }
  const m = built as unknown as ServiceMetrics;

  for (const type of ERROR_TYPES) m.errorsTotal.inc({ type }, 0);
  for (const outcome of PROCESS_OUTCOMES) m.eventsProcessed.inc({ outcome }, 0);
  for (const state of QUEUE_STATES) m.queueSize.set({ state }, 0);
  for (const state of DB_CONNECTION_STATES) m.dbConnections.set({ state }, 0);
  for (const scope of RATE_LIMIT_SCOPES) m.rateLimited.inc({ scope }, 0);
  for (const cache of CACHE_NAMES) {
    m.cacheHits.inc({ cache }, 0);
    m.cacheMisses.inc({ cache }, 0);
  }
  for (const reason of signatureReasons) m.signatureFailures.inc({ reason }, 0);
  m.concurrentRequests.set(0);
  m.dbUp.set(0);
  m.cacheUp.set(0);

  // Process gauges, read when scraped.
  const memoryCollect = () => {
    const u = process.memoryUsage();
    m.memoryUsage.set({ kind: 'rss' }, u.rss);
    m.memoryUsage.set({ kind: 'heap_used' }, u.heapUsed);
    m.memoryUsage.set({ kind: 'heap_total' }, u.heapTotal);
    m.memoryUsage.set({ kind: 'external' }, u.external);
  };
  memoryCollect();
  setCollect(m.memoryUsage, memoryCollect);
  const limit = memoryLimitBytes();
  m.memoryLimit.set(limit);

  // CPU: percent of one core over the last sampling interval.
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  const sample = () => {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const elapsedUs = Number(now - lastAt) / 1000;
    if (elapsedUs > 0) {
      const usedUs = cpu.user - lastCpu.user + (cpu.system - lastCpu.system);
      m.cpuUsage.set(Math.round((usedUs / elapsedUs) * 1000) / 10);
    }
    lastCpu = cpu;
    lastAt = now;
  };
  m.cpuUsage.set(0);
  const timer = setInterval(sample, 5000);
  timer.unref();

  return {
    registry,
    m,
    close: () => clearInterval(timer),
  };
}

function setCollect(metric: object, fn: () => void): void {
  // prom-client calls `collect` (when defined) before serialising a metric.
  (metric as { collect?: () => void }).collect = fn;
}

/**
 * The memory this process may use: the cgroup v2 `memory.max` or v1 `memory.limit_in_bytes` when it is
 * set and lower than the host's memory, else the host's total memory.
 */
export function memoryLimitBytes(readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): number {
  const host = os.totalmem();
  const candidates: string[] = [];
  try {
    const line = readFile('/proc/self/cgroup')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (line) {
      const path = line.slice(3).trim();
      if (path && path !== '/') candidates.push(`/sys/fs/cgroup${path}/memory.max`);
    }
  } catch {
    // not Linux, or no procfs
  }
  candidates.push('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes');
  for (const file of candidates) {
    try {
      const text = readFile(file).trim();
      if (text === 'max') return host;
      const n = Number(text);
      if (Number.isFinite(n) && n > 0) return Math.min(n, host);
    } catch {
      // try the next
    }
  }
  return host;
}

/** Bounded label values: a fixed list of routes and methods, and the HTTP status as a number. */
export const ROUTES = ['/webhooks/stripe', '/healthz', '/readyz', '/metrics'] as const;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function routeLabel(path: string): string {
  return (ROUTES as readonly string[]).includes(path) ? path : 'other';
}

export function methodLabel(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'other';
}
