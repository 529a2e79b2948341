/**
 * PromQL for the webhook service's key figures, shared by the alert rules (fixed windows such as `5m`) and
 * the dashboards (`$__rate_interval`), so that an alert and the panel it links to compute the same thing.
 * Metric names and label values come from the contract the service emits them by (@wmon/contract).
 */
import {
  NODE_EXPORTER_METRICS,
  PROBE_SOURCE,
  ROUTES,
  SERVICE_METRICS,
  type LabelName,
  type LabelValue,
  type ServiceMetricKey,
} from '@wmon/contract';

/** The service's metric names by key, e.g. `METRIC.requestsTotal` → `webhook_requests_total`. */
export const METRIC = Object.fromEntries(Object.entries(SERVICE_METRICS).map(([key, spec]) => [key, spec.name])) as {
  readonly [K in ServiceMetricKey]: (typeof SERVICE_METRICS)[K]['name'];
};

type NodeMetric = (typeof NODE_EXPORTER_METRICS)[number];
/** A node exporter metric name, checked against the list at compile time. */
export const nodeMetric = <N extends NodeMetric>(name: N): N => name;

/** A label matcher: one value (`=`), any of a list (`=~`), or `{ not: … }` for the opposite (`!=`, `!~`). */
export type Matcher<V extends string> = V | readonly V[] | { readonly not: V | readonly V[] };

/** Matchers on a service metric's labels: a label with a fixed set in the contract takes only its values. */
export type SeriesMatch<K extends ServiceMetricKey> = { readonly [L in LabelName<K>]?: Matcher<LabelValue<K, L>> };

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|]/g;
const quoted = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const isNot = (m: Matcher<string>): m is { readonly not: string | readonly string[] } =>
  typeof m === 'object' && 'not' in m;

function matcher(label: string, m: Matcher<string>): string {
  const negated = isNot(m);
  const v = negated ? m.not : m;
  if (typeof v === 'string') return `${label}${negated ? '!=' : '='}${quoted(v)}`;
  return `${label}${negated ? '!~' : '=~'}${quoted(v.map((x) => x.replace(REGEX_SPECIAL, '\\$&')).join('|'))}`;
}

/**
 * A selector of one of the service's metrics, typed by the contract: `series('queueSize', { state:
 * 'pending' })` is `webhook_queue_size{state="pending"}`, and `{ state: 'pending_' }` does not compile.
 * `suffix` picks a histogram's `_bucket` series.
 */
export function series<K extends ServiceMetricKey>(
  metric: K,
  match: SeriesMatch<K> = {},
  suffix: '' | '_bucket' = '',
): string {
  const matchers = (Object.entries(match) as [string, Matcher<string> | undefined][]).flatMap(([label, m]) =>
    m === undefined ? [] : [matcher(label, m)],
  );
  return `${METRIC[metric]}${suffix}${matchers.length > 0 ? `{${matchers.join(', ')}}` : ''}`;
}

/**
 * Routes that are not webhook traffic: Prometheus's scrapes and the health probes. They succeed fast and
 * often, so counting them would dilute the error rate and the latency percentiles of the real traffic (on a
 * quiet laptop, scrapes can outnumber Stripe's deliveries). If the service does not count them at all, the
 * filter simply matches everything.
 */
export const PROBE_ROUTES = [ROUTES.metrics, ROUTES.health, ROUTES.ready, ROUTES.reachability] as const;

/**
 * Business traffic: everything but `wmon check --probe`'s synthetic event, which the service counts with
 * `source="probe"` on its request and event metrics (a cron job probing every few minutes would otherwise
 * inflate the counts and keep the silence alert quiet). `!=` also matches a service without the label.
 */
export const NOT_PROBE_MATCH = { source: { not: PROBE_SOURCE } } as const satisfies SeriesMatch<'eventsProcessed'>;

/** The webhook traffic of `requestsTotal` and `requestDuration`: every route but the health probes, no wmon probe. */
export const WEBHOOK_TRAFFIC_MATCH = {
  route: { not: PROBE_ROUTES },
  ...NOT_PROBE_MATCH,
} as const satisfies SeriesMatch<'requestsTotal'>;

/** `by (a, b)`, or nothing when no labels are given (aggregate everything). */
function by(labels: readonly string[]): string {
  return labels.length > 0 ? ` by (${labels.join(', ')})` : '';
}

/** Webhook requests per second. */
export function requestRate(window: string, labels: readonly string[] = []): string {
  return `sum${by(labels)} (rate(${series('requestsTotal', WEBHOOK_TRAFFIC_MATCH)}[${window}]))`;
}

/**
 * Errors per request, as a ratio (0.1 = 10 %): SPEC.md's "errors / requests".
 *
 * The numerator is webhook_errors_total, which the service increments once per failure of any type
 * (signature, payload, processing, database, cache, internal) — so it also sees events that were accepted
 * with a 2xx and failed later in the queue, which a ratio of 5xx responses would miss, and a rotated
 * Stripe secret (every delivery failing its signature check), which is an outage although it answers 400.
 * The denominator is the webhook traffic (probe routes excluded), filtered with `> 0` so that no traffic
 * gives no result instead of 0/0 = NaN or x/0 = +Inf (queue retries can fail while no request comes in).
 */
export function errorRatio(window: string, labels: readonly string[] = []): string {
  return `sum${by(labels)} (rate(${METRIC.errorsTotal}[${window}]))` + ` / (${requestRate(window, labels)} > 0)`;
}

/**
 * A quantile of the request duration in seconds, from the histogram's buckets. Empty buckets (no traffic)
 * give NaN, which no comparison matches, so alerts built on it stay silent without traffic.
 */
export function requestLatencyQuantile(quantile: number, window: string, labels: readonly string[] = []): string {
  return (
    `histogram_quantile(${quantile}, sum by (${[...labels, 'le'].join(', ')}) ` +
    `(rate(${series('requestDuration', WEBHOOK_TRAFFIC_MATCH, '_bucket')}[${window}])))`
  );
}

/** A quantile of any of the service's histograms (by key), in its unit. */
export function histogramQuantile(
  metric:
    'eventProcessingDuration' | 'dbQueryDuration' | 'cacheOperationDuration' | 'requestDuration' | 'eventDeliveryLag',
  quantile: number,
  window: string,
  labels: readonly string[] = [],
): string {
  const bucket =
    metric === 'eventProcessingDuration' || metric === 'requestDuration'
      ? series(metric, NOT_PROBE_MATCH, '_bucket')
      : `${METRIC[metric]}_bucket`;
  return `histogram_quantile(${quantile}, sum by (${[...labels, 'le'].join(', ')}) (rate(${bucket}[${window}])))`;
}

/** Resident memory as a ratio of the memory available to the process (0.85 = 85 %). */
export function memoryRatio(): string {
  return `${series('memoryUsage', { kind: 'rss' })} / ignoring(kind) (${METRIC.memoryLimit} > 0)`;
}

/** Cache lookups that found a value, as a ratio of all lookups. */
export function cacheHitRatio(window: string, labels: readonly string[] = []): string {
  const hits = `sum${by(labels)} (rate(${METRIC.cacheHits}[${window}]))`;
  const misses = `sum${by(labels)} (rate(${METRIC.cacheMisses}[${window}]))`;
  return `${hits} / ((${hits} + ${misses}) > 0)`;
}

/**
 * Processing attempts that succeeded, as a ratio of all attempts: success / (success + failure +
 * dead_letter). The service counts `failure` once per failed attempt that will be retried and
 * `dead_letter` for the last one, so retries lower the ratio as soon as they happen. Duplicates are left
 * out: they are deliveries Stripe repeated, which are not processed again.
 */
export function processingSuccessRatio(window: string): string {
  const processed = `sum(rate(${series('eventsProcessed', { outcome: { not: 'duplicate' }, ...NOT_PROBE_MATCH })}[${window}]))`;
  return `sum(rate(${series('eventsProcessed', { outcome: 'success', ...NOT_PROBE_MATCH })}[${window}])) / (${processed} > 0)`;
}

/**
 * The queue's backlog (`pending`, `dead_letter`) is a database-wide figure: every replica of the service on one
 * database reports the same, so it is read with `max` (a `sum` would count it once per replica). `processing`
 * is each replica's own, summed. One service (SQLite) reads the same either way.
 */
export const queueBacklog = (state: 'pending' | 'dead_letter'): string => `max(${series('queueSize', { state })})`;

/** The queue by state, for a timeseries panel: the backlog's states by `max`, `processing` summed over replicas. */
export const QUEUE_BY_STATE =
  `max by (state) (${series('queueSize', { state: { not: 'processing' } })})` +
  ` or sum by (state) (${series('queueSize', { state: 'processing' })})`;
