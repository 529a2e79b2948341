/**
 * The bounded label values of the service's metrics: the service emits only these, and the CLI's rules,
 * dashboards and queries match on them. Each list is in the order the service exports it.
 */

/** `webhook_errors_total{type}`: what failed. */
export const ERROR_TYPES = ['signature', 'payload', 'processing', 'database', 'cache', 'internal'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/**
 * `webhook_events_processed_total{outcome}`: `success`, `failure` (an attempt that will be retried),
 * `duplicate` (a delivery Stripe repeated, not processed again) and `dead_letter` (the last attempt failed).
 */
export const PROCESSING_OUTCOMES = ['success', 'failure', 'duplicate', 'dead_letter'] as const;
export type ProcessingOutcome = (typeof PROCESSING_OUTCOMES)[number];

/** `webhook_queue_size{state}`. */
export const QUEUE_STATES = ['pending', 'processing', 'dead_letter'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** `webhook_memory_usage_bytes{kind}`. */
export const MEMORY_KINDS = ['rss', 'heap_used', 'heap_total', 'external'] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

/** `webhook_db_connections{state}`. */
export const DB_CONNECTION_STATES = ['active', 'idle'] as const;
export type DbConnectionState = (typeof DB_CONNECTION_STATES)[number];

/** `webhook_db_query_duration_seconds{operation}`: the store's operations. */
export const STORE_OPERATIONS = [
  'write_batch',
  'load_pending',
  'count',
  'get_object',
  'get_event',
  'ping',
  'migrate',
  'known_ids',
  'renew_leases',
] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/** `webhook_cache_hits_total{cache}` and `webhook_cache_misses_total{cache}`: recent event ids and Stripe objects. */
export const CACHE_NAMES = ['event_ids', 'objects'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

/** `webhook_cache_operation_duration_seconds{operation}`. */
export const CACHE_OPERATIONS = ['get', 'set', 'ping'] as const;
export type CacheOperation = (typeof CACHE_OPERATIONS)[number];

/**
 * `webhook_signature_failures_total{reason}`, also the `error` of the service's 400 answer: why a
 * Stripe-Signature header did not verify.
 */
export const SIGNATURE_FAILURE_REASONS = [
  'missing_header',
  'duplicate_header',
  'malformed_header',
  'no_v1_signature',
  'signature_mismatch',
  'timestamp_outside_tolerance',
  'empty_payload',
  'invalid',
] as const;
export type SignatureFailureReason = (typeof SIGNATURE_FAILURE_REASONS)[number];

/** `webhook_rate_limited_total{scope}`: which limit a 429 came from. */
export const RATE_LIMIT_SCOPES = ['client', 'global'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

/**
 * `source` on the request and event metrics (`webhook_requests_total`, `webhook_request_duration_seconds`,
 * `webhook_events_processed_total`, `webhook_events_by_type_total`, `webhook_event_processing_duration_seconds`):
 * `probe` for `wmon check --probe`'s synthetic event (probe-event.ts: its request once the event is known to
 * be the probe, and the event), `external` for everything else (Stripe's deliveries, scrapes, anyone). Every
 * figure, alert and dashboard of wmon leaves the probe out with `source!="probe"` (which also matches series
 * from a service that has no `source` label).
 */
export const TRAFFIC_SOURCES = ['external', 'probe'] as const;
export type TrafficSource = (typeof TRAFFIC_SOURCES)[number];
/** The `source` of the probe's request and event. */
export const PROBE_SOURCE = 'probe' satisfies TrafficSource;

/**
 * `webhook_reconcile_errors_total{reason}`: why a reconcile with Stripe's List Events API failed or stopped
 * short. `authentication` (the API key was refused: 401/403), `rate_limited` (429 after every retry),
 * `api` (another error answer), `connection` (Stripe not reachable), `database` (the store did not
 * answer), `page_limit` (more pages than a run reads: the window was not fully compared), `invalid_event`
 * (an event the API returned that the service cannot store).
 */
export const RECONCILE_ERROR_REASONS = [
  'authentication',
  'rate_limited',
  'api',
  'connection',
  'database',
  'page_limit',
  'invalid_event',
] as const;
export type ReconcileErrorReason = (typeof RECONCILE_ERROR_REASONS)[number];

/** Where a stored event came from: a webhook delivery, or a reconcile that found it missing. */
export const EVENT_SOURCES = ['webhook', 'reconcile'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * `service_replica`: on every series the service exports (prom-client's default labels), the name of the process
 * that exported it: its `REPLICA` variable, else its host name (a container's or pod's own). Several replicas
 * of the service on one database are scraped as one job; this label keeps their series apart. Counters and
 * queue figures are per replica: wmon's rules and dashboards aggregate with `sum` (or `max` for the
 * database-wide gauges) without `service_replica` in their `by` clauses, so one replica or many read the same, and a
 * series without the label (an older service) matches too. Its values are not fixed here.
 */
export const REPLICA_LABEL = 'service_replica';
