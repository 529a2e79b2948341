/**
 * One small typed HTTP client per stack component. Each is an interface and a factory; no axios type
 * crosses this folder's border, and every failure is a ComponentRequestError.
 */
export { ComponentRequestError, isComponentRequestError } from './errors.js';
export type { ComponentName, RequestFailure } from './errors.js';
export { DEFAULT_TIMEOUT_MS } from './http.js';
export type { ClientAuth, ClientOptions } from './http.js';
export type { Labels } from './types.js';
export { parseSampleValue } from './sample-value.js';
export type { Sample } from './sample-value.js';
export { parseExposition, findSamples, ExpositionParseError } from './exposition.js';
export type { ExposedSample, MetricFamily, MetricKind } from './exposition.js';

export { createPrometheusClient, unixSeconds } from './prometheus.js';
export type {
  AlertState,
  AlertingRule,
  AlertmanagerDiscovery,
  BuildInfo,
  MatrixSeries,
  PrometheusAlert,
  PrometheusClient,
  QueryOptions,
  QueryResult,
  RangeQueryOptions,
  RecordingRule,
  Rule,
  RuleGroup,
  RuleHealth,
  ScrapeTarget,
  TargetHealth,
  VectorSeries,
} from './prometheus.js';

export { createAlertmanagerClient } from './alertmanager.js';
export type {
  AlertmanagerAlert,
  AlertmanagerClient,
  AlertmanagerStatus,
  AlertsFilter,
  NewSilence,
  Silence,
  SilenceMatcher,
} from './alertmanager.js';

export { createGrafanaClient } from './grafana.js';
export type {
  DashboardHit,
  DashboardJson,
  DashboardWithMeta,
  DatasourceInput,
  GrafanaClient,
  GrafanaDatasource,
  GrafanaFolder,
  GrafanaHealth,
  SavedDashboard,
  UpsertDashboardOptions,
} from './grafana.js';

export { createLokiClient, dateToNs } from './loki.js';
export type {
  Direction,
  LogEntry,
  LogStream,
  LokiClient,
  LokiClientOptions,
  LokiInstantOptions,
  LokiQueryResult,
  LokiRangeOptions,
  PushStream,
  TimeRange,
} from './loki.js';

export { createJaegerClient } from './jaeger.js';
export type { JaegerClient, JaegerSpan, JaegerTrace, TraceSearch } from './jaeger.js';

export { createServiceClient } from './service.js';
export type { DependencyCheck, ServiceClient, ServiceClientOptions, ServiceReadiness } from './service.js';
