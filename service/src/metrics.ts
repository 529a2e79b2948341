/**
 * The service's Prometheus metrics, built from the one shared list (@wmon/contract's SERVICE_METRICS) into a
 * dedicated prom-client Registry. Names, help, label names and label values come from the contract; this
 * file only adds the types, buckets, the series exported at 0 from the start, and the process gauges
 * collected at scrape time.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  CACHE_NAMES,
  DB_CONNECTION_STATES,
  DELIVERY_LAG_BUCKETS,
  ERROR_TYPES,
  METHOD_LABELS,
  OTHER_LABEL,
  PROCESSING_OUTCOMES,
  QUEUE_STATES,
  RATE_LIMIT_SCOPES,
  RECONCILE_ERROR_REASONS,
  REPLICA_LABEL,
  REQUEST_DURATION_BUCKETS,
  ROUTE_LABELS,
  SERVICE_METRICS,
  SIGNATURE_FAILURE_REASONS,
  TRAFFIC_SOURCES,
  type LabelName,
  type LabelValue,
  type MemoryKind,
  type MethodLabel,
  type MetricSpec,
  type RouteLabel,
} from '@wmon/contract';

type Specs = typeof SERVICE_METRICS;
type Key = keyof Specs;

/** A label set of metric K: a label with a fixed set in the contract takes only those values. */
export type LabelsOf<K extends Key> = { readonly [L in LabelName<K>]?: LabelValue<K, L> };

/** The parts of prom-client's Counter, Gauge and Histogram the service uses, with contract-typed labels. */
export interface CounterOf<K extends Key> {
  inc(labels: LabelsOf<K>, value?: number): void;
  inc(value?: number): void;
}
export interface GaugeOf<K extends Key> {
  set(labels: LabelsOf<K>, value: number): void;
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}
export interface HistogramOf<K extends Key> {
  observe(labels: LabelsOf<K>, value: number): void;
  observe(value: number): void;
  /** Starts a timer; the returned function observes the seconds elapsed. */
  startTimer(labels?: LabelsOf<K>): () => number;
}

type MetricOf<K extends Key> = Specs[K]['type'] extends 'counter'
  ? CounterOf<K>
  : Specs[K]['type'] extends 'gauge'
    ? GaugeOf<K>
    : HistogramOf<K>;

export type ServiceMetrics = { readonly [K in Key]: MetricOf<K> };

/** Finer buckets (seconds) for database and cache operations, which take micro- to milliseconds. */
export const OPERATION_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

const BUCKETS: Partial<Record<Key, readonly number[]>> = {
  dbQueryDuration: OPERATION_DURATION_BUCKETS,
  cacheOperationDuration: OPERATION_DURATION_BUCKETS,
  eventDeliveryLag: DELIVERY_LAG_BUCKETS,
};

export interface MetricsHandle {
  readonly registry: Registry;
  readonly m: ServiceMetrics;
  /** Stop the CPU sampler. */
  close(): void;
}

/**
 * `service_replica`: this process's name, a label on every series it exports, so that replicas scraped as one job
 * stay apart (dashboards sum over it, or show it).
 */
export function createMetrics(replica?: string): MetricsHandle {
  const registry = new Registry();
  if (replica !== undefined) registry.setDefaultLabels({ [REPLICA_LABEL]: replica });
  const built: Record<string, Counter | Gauge | Histogram> = {};
  for (const [key, spec] of Object.entries(SERVICE_METRICS) as [Key, MetricSpec][]) {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    if (spec.type === 'counter') built[key] = new Counter(common);
    else if (spec.type === 'gauge') built[key] = new Gauge(common);
    else built[key] = new Histogram({ ...common, buckets: [...(BUCKETS[key] ?? REQUEST_DURATION_BUCKETS)] });
  }
  const m = built as unknown as ServiceMetrics;

  // Label values known in advance: their series are exported at 0 from the start, so rate() works at once.
  for (const type of ERROR_TYPES) m.errorsTotal.inc({ type }, 0);
  for (const source of TRAFFIC_SOURCES)
    for (const outcome of PROCESSING_OUTCOMES) m.eventsProcessed.inc({ outcome, source }, 0);
  for (const state of QUEUE_STATES) m.queueSize.set({ state }, 0);
  for (const state of DB_CONNECTION_STATES) m.dbConnections.set({ state }, 0);
  for (const scope of RATE_LIMIT_SCOPES) m.rateLimited.inc({ scope }, 0);
  for (const cache of CACHE_NAMES) {
    m.cacheHits.inc({ cache }, 0);
    m.cacheMisses.inc({ cache }, 0);
  }
  for (const reason of SIGNATURE_FAILURE_REASONS) m.signatureFailures.inc({ reason }, 0);
  for (const reason of RECONCILE_ERROR_REASONS) m.reconcileErrors.inc({ reason }, 0);
  m.reconcileRecovered.inc(0);
  m.reconcileMissing.set(0);
  m.reconcileLastSuccess.set(0);
  m.concurrentRequests.set(0);
  m.dbUp.set(0);
  m.cacheUp.set(0);

  // Process gauges, read when scraped.
  const memoryCollect = () => {
    const u = process.memoryUsage();
    const byKind: Record<MemoryKind, number> = {
      rss: u.rss,
      heap_used: u.heapUsed,
      heap_total: u.heapTotal,
      external: u.external,
    };
    for (const [kind, bytes] of Object.entries(byKind) as [MemoryKind, number][]) m.memoryUsage.set({ kind }, bytes);
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

/** Bounded label values: the contract's routes and methods (anything else is `other`), and the HTTP status. */
const ROUTE_SET: ReadonlySet<string> = new Set(ROUTE_LABELS.filter((r) => r !== OTHER_LABEL));
const METHOD_SET: ReadonlySet<string> = new Set(METHOD_LABELS.filter((m) => m !== OTHER_LABEL));

export function routeLabel(path: string): RouteLabel {
  return ROUTE_SET.has(path) ? (path as RouteLabel) : OTHER_LABEL;
}

export function methodLabel(method: string | undefined): MethodLabel {
  return method !== undefined && METHOD_SET.has(method) ? (method as MethodLabel) : OTHER_LABEL;
}
