/**
 * The key figures of SPEC.md's metric table over a window, from Prometheus, each compared with wmon.yaml's
 * alert thresholds. Rates, ratios and quantiles use the same PromQL as the alert rules and dashboards
 * (render/webhook-queries.ts), so a figure and the alert about it agree; counts are exact (counters.ts).
 */
import type { PrometheusClient } from '../../adapters/clients/index.js';
import type { AlertThresholds } from '../../core/config/alerts.js';
import * as Q from '../../core/vocab/webhook-queries.js';
import type { FigureStatus, FigureUnit, MetricCountsJson, MetricFigureJson, MetricFigureKey } from '../../results.js';
import { counterTotals } from './counters.js';
import { singleValue } from './prometheus.js';

interface FigureSpec {
  readonly label: string;
  readonly unit: FigureUnit;
  /** PromQL for the window (`w` is e.g. `300s`). */
  readonly query: (w: string) => string;
  /** Applied to the value (e.g. ratio → percent). */
  readonly scale?: number;
  readonly thresholds?: (a: AlertThresholds) => MetricFigureJson['thresholds'];
  /** A 1/0 gauge: 0 is critical. */
  readonly upGauge?: boolean;
}

const PERCENT = 100;
const MS = 1000;

export const FIGURES: Readonly<Record<MetricFigureKey, FigureSpec>> = {
  requestRate: { label: 'Request rate', unit: 'per_second', query: (w) => Q.requestRate(w) },
  errorRate: {
    label: 'Error rate',
    unit: 'percent',
    query: (w) => Q.errorRatio(w),
    scale: PERCENT,
    thresholds: (a) => ({ warning: a.errorRatePercent.warning, critical: a.errorRatePercent.critical }),
  },
  latencyP50: { label: 'Latency p50', unit: 'ms', query: (w) => Q.requestLatencyQuantile(0.5, w), scale: MS },
  latencyP95: {
    label: 'Latency p95',
    unit: 'ms',
    query: (w) => Q.requestLatencyQuantile(0.95, w),
    scale: MS,
    thresholds: (a) => ({ warning: a.latencyP95Ms.warning, critical: a.latencyP95Ms.critical }),
  },
  latencyP99: { label: 'Latency p99', unit: 'ms', query: (w) => Q.requestLatencyQuantile(0.99, w), scale: MS },
  concurrency: { label: 'Requests in flight', unit: 'count', query: () => `sum(${Q.METRIC.concurrentRequests})` },
  concurrencyPeak: {
    label: 'Requests in flight (peak)',
    unit: 'count',
    query: (w) => `sum(max_over_time(${Q.METRIC.concurrentRequests}[${w}]))`,
  },
  eventProcessingP95: {
    label: 'Event processing p95',
    unit: 'ms',
    query: (w) => Q.histogramQuantile('eventProcessingDuration', 0.95, w),
    scale: MS,
  },
  queuePending: {
    label: 'Queue pending',
    unit: 'count',
    query: () => Q.queueBacklog('pending'),
    thresholds: (a) => ({ warning: a.queueBacklog.warning }),
  },
  queueProcessing: {
    label: 'Queue processing',
    unit: 'count',
    query: () => `sum(${Q.series('queueSize', { state: 'processing' })})`,
  },
  queueDeadLetter: {
    label: 'Queue dead letters',
    unit: 'count',
    query: () => Q.queueBacklog('dead_letter'),
    thresholds: (a) => ({ warning: a.deadLetter.warning }),
  },
  memoryRss: { label: 'Memory (RSS)', unit: 'bytes', query: () => `sum(${Q.series('memoryUsage', { kind: 'rss' })})` },
  memoryLimit: { label: 'Memory limit', unit: 'bytes', query: () => `sum(${Q.METRIC.memoryLimit})` },
  memoryPercent: {
    label: 'Memory of limit',
    unit: 'percent',
    query: () => `max(${Q.memoryRatio()})`,
    scale: PERCENT,
    thresholds: (a) => ({ warning: a.memoryPercent.warning }),
  },
  cpuPercent: {
    label: 'CPU',
    unit: 'percent',
    query: () => `max(${Q.METRIC.cpuUsage})`,
    thresholds: (a) => ({ warning: a.cpuPercent.warning }),
  },
  dbConnectionsActive: {
    label: 'DB connections active',
    unit: 'count',
    query: () => `sum(${Q.series('dbConnections', { state: 'active' })})`,
  },
  dbConnectionsIdle: {
    label: 'DB connections idle',
    unit: 'count',
    query: () => `sum(${Q.series('dbConnections', { state: 'idle' })})`,
  },
  dbQueryP95: {
    label: 'DB query p95',
    unit: 'ms',
    query: (w) => Q.histogramQuantile('dbQueryDuration', 0.95, w),
    scale: MS,
  },
  dbUp: { label: 'Database up', unit: 'boolean', query: () => `min(${Q.METRIC.dbUp})`, upGauge: true },
  cacheHitRatio: { label: 'Cache hit ratio', unit: 'percent', query: (w) => Q.cacheHitRatio(w), scale: PERCENT },
  cacheUp: { label: 'Cache up', unit: 'boolean', query: () => `min(${Q.METRIC.cacheUp})`, upGauge: true },
  signatureFailureRate: {
    label: 'Signature failures',
    unit: 'per_second',
    query: (w) => `sum(rate(${Q.METRIC.signatureFailures}[${w}]))`,
    thresholds: (a) => ({ warning: a.signatureFailuresPerSecond.warning }),
  },
  rateLimitedRate: {
    label: 'Rate limited',
    unit: 'per_second',
    query: (w) => `sum(rate(${Q.METRIC.rateLimited}[${w}]))`,
    thresholds: (a) => ({ info: a.rateLimitedPerSecond.info }),
  },
};

/** Where a value stands against thresholds; alerts fire AT their threshold, so `>=`. */
export function classify(
  value: number | null,
  thresholds: MetricFigureJson['thresholds'],
  upGauge = false,
): FigureStatus {
  if (value === null) return 'no_data';
  if (upGauge) return value < 1 ? 'critical' : 'ok';
  if (thresholds.critical !== undefined && value >= thresholds.critical) return 'critical';
  if (thresholds.warning !== undefined && value >= thresholds.warning) return 'warning';
  if (thresholds.info !== undefined && value >= thresholds.info) return 'info';
  return 'ok';
}

const STATUS_RANK: Record<Exclude<FigureStatus, 'no_data'>, number> = { ok: 0, info: 1, warning: 2, critical: 3 };

export function worstFigureStatus(statuses: Iterable<FigureStatus>): Exclude<FigureStatus, 'no_data'> {
  let worst: Exclude<FigureStatus, 'no_data'> = 'ok';
  for (const s of statuses) if (s !== 'no_data' && STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

/** Every figure of the table, queried in parallel at `at` (Unix seconds). */
export async function queryFigures(
  prometheus: PrometheusClient,
  alerts: AlertThresholds,
  windowSeconds: number,
  at: number,
  keys: readonly MetricFigureKey[] = Object.keys(FIGURES) as MetricFigureKey[],
): Promise<Record<MetricFigureKey, MetricFigureJson>> {
  const w = `${windowSeconds}s`;
  const entries = await Promise.all(
    keys.map(async (key) => {
      const spec = FIGURES[key];
      const raw = singleValue(await prometheus.query(spec.query(w), { time: at }));
      const value = raw === null ? null : roundFigure(raw * (spec.scale ?? 1));
      const thresholds = spec.thresholds?.(alerts) ?? {};
      const figure: MetricFigureJson = {
        label: spec.label,
        value,
        unit: spec.unit,
        status: classify(value, thresholds, spec.upGauge),
        thresholds,
      };
      return [key, figure] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<MetricFigureKey, MetricFigureJson>;
}

/** The exact counts of the window (requests, errors, events, signature failures, rate limiting). */
export async function queryCounts(
  prometheus: PrometheusClient,
  windowSeconds: number,
  at: number,
): Promise<MetricCountsJson> {
  const count = (selector: string, by: string) => counterTotals(prometheus, selector, windowSeconds, at, by);
  const [requests, errors, byType, processed, signatures, limited] = await Promise.all([
    count(Q.series('requestsTotal', Q.WEBHOOK_TRAFFIC_MATCH), 'status'),
    count(Q.METRIC.errorsTotal, 'type'),
    count(Q.series('eventsByType', Q.NOT_PROBE_MATCH), 'type'),
    count(Q.series('eventsProcessed', Q.NOT_PROBE_MATCH), 'outcome'),
    count(Q.METRIC.signatureFailures, 'reason'),
    count(Q.METRIC.rateLimited, 'scope'),
  ]);
  return {
    requests: { total: requests.total, byStatus: requests.by },
    errors: { total: errors.total, byType: errors.by },
    events: { received: byType.total, byType: byType.by, processed: processed.by },
    signatureFailures: { total: signatures.total, byReason: signatures.by },
    rateLimited: { total: limited.total, byScope: limited.by },
  };
}

/** Six significant digits: enough for any display, no float noise in JSON. */
export function roundFigure(n: number): number {
  if (n === 0 || !Number.isFinite(n)) return n;
  return Number(n.toPrecision(6));
}
