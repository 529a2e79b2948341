/**
 * The one list of metric names that wmon's rules and dashboards may query.
 *
 * The bundled webhook service (service/) builds its prom-client registry from SERVICE_METRICS, and the
 * renderer's tests check that every PromQL expression in the rules and dashboards refers only to names
 * listed here (service metrics, node exporter metrics, and Prometheus's own synthetic series). Each
 * metric names the value set of every label that has one (labels.ts, routes.ts). Besides the labels listed here,
 * every series the service exports carries `service_replica` (REPLICA_LABEL, labels.ts): which process exported it.
 */
import {
  CACHE_NAMES,
  CACHE_OPERATIONS,
  DB_CONNECTION_STATES,
  ERROR_TYPES,
  MEMORY_KINDS,
  PROCESSING_OUTCOMES,
  QUEUE_STATES,
  RATE_LIMIT_SCOPES,
  RECONCILE_ERROR_REASONS,
  SIGNATURE_FAILURE_REASONS,
  STORE_OPERATIONS,
  TRAFFIC_SOURCES,
} from './labels.js';
import { METHOD_LABELS, ROUTE_LABELS } from './routes.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Label names, each with a bounded set of values. */
  readonly labels: readonly string[];
  /**
   * The values of the labels whose set is fixed here. The others are bounded by the service itself: `status`
   * (an HTTP status code) and the event `type` (Stripe's event types, capped, the rest counted as `other`).
   */
  readonly values?: { readonly [label: string]: readonly string[] };
}

/** Default histogram buckets (seconds) shared by the service and the dashboards' heatmap. */
export const REQUEST_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10,
] as const;

/**
 * Buckets (seconds) of the delivery lag: a first delivery arrives within seconds, Stripe's retries after a
 * failed delivery back off from minutes to hours (for up to three days). 300 s is the alert's default threshold.
 */
export const DELIVERY_LAG_BUCKETS = [
  1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 259200,
] as const;

export const SERVICE_METRICS = {
  requestsTotal: {
    name: 'webhook_requests_total',
    type: 'counter',
    help: 'HTTP requests handled, by method, route, status code and source (probe: wmon check --probe).',
    labels: ['method', 'route', 'status', 'source'],
    values: { method: METHOD_LABELS, route: ROUTE_LABELS, source: TRAFFIC_SOURCES },
  },
  errorsTotal: {
    name: 'webhook_errors_total',
    type: 'counter',
    help: 'Errors, by type (signature, payload, processing, database, cache, internal).',
    labels: ['type'],
    values: { type: ERROR_TYPES },
  },
  requestDuration: {
    name: 'webhook_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request duration in seconds, by route, status code and source (probe: wmon check --probe).',
    labels: ['route', 'status', 'source'],
    values: { route: ROUTE_LABELS, source: TRAFFIC_SOURCES },
  },
  concurrentRequests: {
    name: 'webhook_concurrent_requests',
    type: 'gauge',
    help: 'HTTP requests in flight.',
    labels: [],
  },
  eventsProcessed: {
    name: 'webhook_events_processed_total',
    type: 'counter',
    help: 'Stripe events handled, by outcome (success, failure, duplicate, dead_letter) and source (probe: wmon check --probe).',
    labels: ['outcome', 'source'],
    values: { outcome: PROCESSING_OUTCOMES, source: TRAFFIC_SOURCES },
  },
  eventProcessingDuration: {
    name: 'webhook_event_processing_duration_seconds',
    type: 'histogram',
    help: 'Time spent processing one Stripe event, by event type and source (probe: wmon check --probe).',
    labels: ['type', 'source'],
    values: { source: TRAFFIC_SOURCES },
  },
  eventsByType: {
    name: 'webhook_events_by_type_total',
    type: 'counter',
    help: 'Stripe events accepted, by event type (unknown shapes are counted as other) and source (probe: wmon check --probe).',
    labels: ['type', 'source'],
    values: { source: TRAFFIC_SOURCES },
  },
  queueSize: {
    name: 'webhook_queue_size',
    type: 'gauge',
    help: 'Events in the processing queue, by state (pending, processing, dead_letter).',
    labels: ['state'],
    values: { state: QUEUE_STATES },
  },
  memoryUsage: {
    name: 'webhook_memory_usage_bytes',
    type: 'gauge',
    help: 'Process memory in bytes, by kind (rss, heap_used, heap_total, external).',
    labels: ['kind'],
    values: { kind: MEMORY_KINDS },
  },
  memoryLimit: {
    name: 'webhook_memory_limit_bytes',
    type: 'gauge',
    help: 'Memory available to the process in bytes (cgroup limit, or host memory when unlimited).',
    labels: [],
  },
  cpuUsage: {
    name: 'webhook_cpu_usage_percent',
    type: 'gauge',
    help: 'Process CPU usage in percent of one core, over the last sampling interval.',
    labels: [],
  },
  dbConnections: {
    name: 'webhook_db_connections',
    type: 'gauge',
    help: 'Database connections, by state (active, idle).',
    labels: ['state'],
    values: { state: DB_CONNECTION_STATES },
  },
  dbQueryDuration: {
    name: 'webhook_db_query_duration_seconds',
    type: 'histogram',
    help: 'Database query duration in seconds, by operation.',
    labels: ['operation'],
    values: { operation: STORE_OPERATIONS },
  },
  dbUp: {
    name: 'webhook_db_up',
    type: 'gauge',
    help: '1 when the database answers, 0 when it does not.',
    labels: [],
  },
  cacheHits: {
    name: 'webhook_cache_hits_total',
    type: 'counter',
    help: 'Cache lookups that found a value, by cache.',
    labels: ['cache'],
    values: { cache: CACHE_NAMES },
  },
  cacheMisses: {
    name: 'webhook_cache_misses_total',
    type: 'counter',
    help: 'Cache lookups that found nothing, by cache.',
    labels: ['cache'],
    values: { cache: CACHE_NAMES },
  },
  cacheOperationDuration: {
    name: 'webhook_cache_operation_duration_seconds',
    type: 'histogram',
    help: 'Cache operation duration in seconds, by operation.',
    labels: ['operation'],
    values: { operation: CACHE_OPERATIONS },
  },
  cacheUp: {
    name: 'webhook_cache_up',
    type: 'gauge',
    help: '1 when the cache answers, 0 when it does not.',
    labels: [],
  },
  signatureFailures: {
    name: 'webhook_signature_failures_total',
    type: 'counter',
    help: 'Requests rejected because the Stripe-Signature header did not verify, by reason.',
    labels: ['reason'],
    values: { reason: SIGNATURE_FAILURE_REASONS },
  },
  rateLimited: {
    name: 'webhook_rate_limited_total',
    type: 'counter',
    help: 'Requests answered 429, by scope (client, global).',
    labels: ['scope'],
    values: { scope: RATE_LIMIT_SCOPES },
  },
  eventDeliveryLag: {
    name: 'webhook_event_delivery_lag_seconds',
    type: 'histogram',
    help: "Seconds from a Stripe event's creation to its acceptance (late when Stripe is retrying).",
    labels: [],
  },
  reconcileMissing: {
    name: 'webhook_reconcile_missing_events',
    type: 'gauge',
    help: "Events Stripe's List Events API returned that the service had not stored, found by the last reconcile.",
    labels: [],
  },
  reconcileRecovered: {
    name: 'webhook_reconcile_recovered_total',
    type: 'counter',
    help: 'Events a reconcile fetched from Stripe and stored because their webhook never arrived.',
    labels: [],
  },
  reconcileLastSuccess: {
    name: 'webhook_reconcile_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'When the last reconcile with Stripe completed (Unix seconds); 0 before the first.',
    labels: [],
  },
  reconcileErrors: {
    name: 'webhook_reconcile_errors_total',
    type: 'counter',
    help: 'Reconciles with Stripe that failed or stopped short, by reason.',
    labels: ['reason'],
    values: { reason: RECONCILE_ERROR_REASONS },
  },
} as const satisfies Record<string, MetricSpec>;

export type ServiceMetricKey = keyof typeof SERVICE_METRICS;

type SpecOf<K extends ServiceMetricKey> = (typeof SERVICE_METRICS)[K];

/** The label names of a service metric, e.g. `LabelName<'eventsProcessed'>` is `'outcome'`. */
export type LabelName<K extends ServiceMetricKey> = SpecOf<K>['labels'][number];

/**
 * The values a label of a service metric takes: its fixed set where the contract has one (e.g.
 * `LabelValue<'eventsProcessed', 'outcome'>` is ProcessingOutcome), else any string.
 */
export type LabelValue<K extends ServiceMetricKey, L extends LabelName<K>> =
  SpecOf<K> extends { readonly values: infer V }
    ? L extends keyof V
      ? V[L] extends readonly (infer T extends string)[]
        ? T
        : string
      : string
    : string;

/** Node exporter metrics that rules and dashboards use. */
export const NODE_EXPORTER_METRICS = [
  'node_cpu_seconds_total',
  'node_memory_MemTotal_bytes',
  'node_memory_MemAvailable_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_size_bytes',
  'node_load1',
] as const;

/** Prometheus's own metrics that wmon's self-alerts query (Prometheus 3.5 names; it scrapes itself). */
export const PROMETHEUS_SELF_METRICS = [
  'prometheus_rule_evaluation_failures_total',
  'prometheus_notifications_errors_total',
  'prometheus_notifications_dropped_total',
  'prometheus_config_last_reload_successful',
  'prometheus_tsdb_compactions_failed_total',
  'prometheus_tsdb_wal_corruptions_total',
  'prometheus_target_scrapes_exceeded_sample_limit_total',
] as const;

/** Alertmanager's metrics that wmon's alerts query (Alertmanager 0.28 names; Prometheus scrapes it). */
export const ALERTMANAGER_METRICS = ['alertmanager_notifications_failed_total'] as const;

/** The blackbox exporter's probe results that wmon's alerts and dashboards query (per probed URL). */
export const BLACKBOX_METRICS = [
  'probe_success',
  'probe_duration_seconds',
  'probe_ssl_earliest_cert_expiry',
  'probe_http_status_code',
] as const;

/** Series that Prometheus itself creates for every target, rule and alert. */
export const PROMETHEUS_SYNTHETIC_METRICS = ['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds'] as const;

/** Names a histogram exposes besides its base name. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/** Every series name a PromQL expression in wmon's rules or dashboards may refer to. */
export function knownSeriesNames(): ReadonlySet<string> {
  const names = new Set<string>();
  for (const spec of Object.values(SERVICE_METRICS) as MetricSpec[]) {
    if (spec.type === 'histogram') {
      for (const suffix of HISTOGRAM_SUFFIXES) names.add(spec.name + suffix);
    } else {
      names.add(spec.name);
    }
  }
  for (const name of NODE_EXPORTER_METRICS) names.add(name);
  for (const name of PROMETHEUS_SYNTHETIC_METRICS) names.add(name);
  for (const name of PROMETHEUS_SELF_METRICS) names.add(name);
  for (const name of ALERTMANAGER_METRICS) names.add(name);
  for (const name of BLACKBOX_METRICS) names.add(name);
  return names;
}

/**
 * The series names (histograms with their `_bucket`, `_sum` and `_count` names) of the service's metrics that
 * have `label`: e.g. `seriesNamesWithLabel('source')`, whose selectors in wmon's rules and dashboards must
 * leave wmon's probe out.
 */
export function seriesNamesWithLabel(label: string): ReadonlySet<string> {
  const names = new Set<string>();
  for (const spec of Object.values(SERVICE_METRICS) as MetricSpec[]) {
    if (!spec.labels.includes(label)) continue;
    if (spec.type === 'histogram') for (const suffix of HISTOGRAM_SUFFIXES) names.add(spec.name + suffix);
    else names.add(spec.name);
  }
  return names;
}

/**
 * What a handler of your own (wmon.yaml `handler:`) must export for the traffic alerts (error rate, latency,
 * silence) and `wmon metrics`: the rest of SERVICE_METRICS is optional, each adding its panels and alerts.
 */
export const HANDLER_REQUIRED_METRICS = [
  'requestsTotal',
  'errorsTotal',
  'requestDuration',
] as const satisfies readonly ServiceMetricKey[];
