/**
 * Prometheus HTTP API v1 (https://prometheus.io/docs/prometheus/latest/querying/api/) and the
 * management API (`/-/ready`, `/-/healthy`, `/-/reload`). Every `/api/v1` answer is the envelope
 * `{status, data, errorType?, error?, warnings?}`; errors (400 bad_data, 422 execution, 503 timeout)
 * become ComponentRequestError with Prometheus's `error` text.
 */
import { z } from 'zod';
import { createTransport, type ClientOptions, type RequestSpec } from './http.js';
import { parseSampleValue, sampleSchema, type Sample } from './sample-value.js';
import type { Labels } from './types.js';

export interface VectorSeries {
  readonly metric: Labels;
  readonly sample: Sample;
}

export interface MatrixSeries {
  readonly metric: Labels;
  readonly samples: readonly Sample[];
}

/** An instant query's result, by `resultType`. */
export type QueryResult =
  | { readonly resultType: 'vector'; readonly result: readonly VectorSeries[] }
  | { readonly resultType: 'matrix'; readonly result: readonly MatrixSeries[] }
  | { readonly resultType: 'scalar'; readonly result: Sample }
  | { readonly resultType: 'string'; readonly result: { readonly time: number; readonly value: string } };

export type TargetHealth = 'up' | 'down' | 'unknown';

export interface ScrapeTarget {
  readonly scrapePool: string;
  /** The `job` label (falls back to the scrape pool). */
  readonly job: string;
  /** The `instance` label. */
  readonly instance: string;
  readonly scrapeUrl: string;
  readonly health: TargetHealth;
  /** Empty when the last scrape succeeded. */
  readonly lastError: string;
  /** RFC 3339 time of the last scrape. */
  readonly lastScrape: string;
  readonly lastScrapeDurationSeconds: number;
  /** Labels after relabelling. */
  readonly labels: Labels;
}

export type AlertState = 'inactive' | 'pending' | 'firing';
export type RuleHealth = 'ok' | 'err' | 'unknown';

export interface PrometheusAlert {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly state: AlertState;
  /** RFC 3339; absent for inactive alerts. */
  readonly activeAt: string | undefined;
  /** The value of the alert expression when last evaluated. */
  readonly value: number;
}

export interface AlertingRule {
  readonly type: 'alerting';
  readonly name: string;
  readonly query: string;
  /** The `for` duration, in seconds. */
  readonly durationSeconds: number;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** Absent on Prometheus versions that do not report it. */
  readonly state: AlertState | undefined;
  readonly health: RuleHealth;
  readonly lastError: string | undefined;
  readonly alerts: readonly PrometheusAlert[];
}

export interface RecordingRule {
  readonly type: 'recording';
  readonly name: string;
  readonly query: string;
  readonly labels: Labels;
  readonly health: RuleHealth;
  readonly lastError: string | undefined;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  readonly name: string;
  readonly file: string;
  /** Evaluation interval in seconds. */
  readonly intervalSeconds: number;
  readonly rules: readonly Rule[];
}

export interface AlertmanagerDiscovery {
  /** URLs Prometheus sends alerts to, e.g. `http://127.0.0.1:9093/api/v2/alerts`. */
  readonly active: readonly string[];
  readonly dropped: readonly string[];
}

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly branch: string;
  readonly buildUser: string;
  readonly buildDate: string;
  readonly goVersion: string;
}

export interface QueryOptions {
  /** Evaluation time: a Date or Unix seconds. Default: the server's now. */
  readonly time?: Date | number;
}

export interface RangeQueryOptions {
  readonly start: Date | number;
  readonly end: Date | number;
  /** Resolution: seconds, or a Prometheus duration such as `30s`. */
  readonly step: number | string;
}

export interface PrometheusClient {
  /** Instant query (`GET /api/v1/query`). */
  query(expr: string, options?: QueryOptions): Promise<QueryResult>;
  /** Range query (`GET /api/v1/query_range`): always a matrix. */
  queryRange(expr: string, options: RangeQueryOptions): Promise<MatrixSeries[]>;
  /** Active scrape targets with their health (`GET /api/v1/targets?state=active`). */
  targets(): Promise<ScrapeTarget[]>;
  /** Loaded rule groups, their rules' state and health (`GET /api/v1/rules`). */
  rules(): Promise<RuleGroup[]>;
  /** Pending and firing alerts (`GET /api/v1/alerts`). */
  alerts(): Promise<PrometheusAlert[]>;
  /** Alertmanagers Prometheus discovered (`GET /api/v1/alertmanagers`). */
  alertmanagers(): Promise<AlertmanagerDiscovery>;
  /** The loaded configuration, as Prometheus dumps it: YAML with defaults filled in, no comments. */
  statusConfig(): Promise<string>;
  buildInfo(): Promise<BuildInfo>;
  /** `GET /-/ready`: true on 200, false on 503 (starting up); throws if unreachable. */
  ready(): Promise<boolean>;
  /** `GET /-/healthy`. */
  healthy(): Promise<boolean>;
  /** `POST /-/reload` (needs `--web.enable-lifecycle`); throws with Prometheus's reason if the new config fails. */
  reload(): Promise<void>;
  /**
   * `POST /api/v1/admin/tsdb/snapshot` (needs `--web.enable-admin-api`): the snapshot's name; its files
   * are in `<data dir>/snapshots/<name>`.
   */
  snapshot(options?: { readonly skipHead?: boolean }): Promise<string>;
}

const labels = z.record(z.string(), z.string());
const sample = sampleSchema;

const vector = z.array(z.object({ metric: labels, value: sample }));
const matrix = z.array(z.object({ metric: labels, values: z.array(sample) }));

const queryData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: vector }),
  z.object({ resultType: z.literal('matrix'), result: matrix }),
  z.object({ resultType: z.literal('scalar'), result: sample }),
  z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) }),
]);

function envelope<S extends z.ZodType>(data: S) {
  return z.object({ status: z.literal('success'), data, warnings: z.array(z.string()).optional() });
}

const targetsData = z.object({
  activeTargets: z.array(
    z.object({
      labels,
      scrapePool: z.string(),
      scrapeUrl: z.string(),
      lastError: z.string(),
      lastScrape: z.string(),
      lastScrapeDuration: z.number(),
      health: z.enum(['up', 'down', 'unknown']),
    }),
  ),
});

const alertState = z.enum(['inactive', 'pending', 'firing']);
const ruleHealth = z.enum(['ok', 'err', 'unknown']);
const alert = z.object({
  labels,
  annotations: labels.optional(),
  state: alertState,
  activeAt: z.string().optional(),
  value: z.string(),
});

const rulesData = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      interval: z.number(),
      rules: z.array(
        z.discriminatedUnion('type', [
          z.object({
            type: z.literal('alerting'),
            name: z.string(),
            query: z.string(),
            duration: z.number(),
            labels: labels.optional(),
            annotations: labels.optional(),
            state: alertState.optional(),
            health: ruleHealth,
            lastError: z.string().optional(),
            alerts: z.array(alert).nullish(),
          }),
          z.object({
            type: z.literal('recording'),
            name: z.string(),
            query: z.string(),
            labels: labels.optional(),
            health: ruleHealth,
            lastError: z.string().optional(),
          }),
        ]),
      ),
    }),
  ),
});

const buildInfoData = z.object({
  version: z.string(),
  revision: z.string(),
  branch: z.string(),
  buildUser: z.string(),
  buildDate: z.string(),
  goVersion: z.string(),
});

const LIFECYCLE_HINT = 'start Prometheus with --web.enable-lifecycle';
const ADMIN_HINT = 'start Prometheus with --web.enable-admin-api';

export function createPrometheusClient(options: ClientOptions): PrometheusClient {
  const http = createTransport('Prometheus', options);
  const serverTimeout = `${http.timeoutMs}ms`;

  const toAlert = (a: z.output<typeof alert>, spec: RequestSpec): PrometheusAlert => {
    const value = parseSampleValue(a.value);
    if (value === undefined) http.badResponse(spec, `alert value ${JSON.stringify(a.value)} is not a number`);
    return {
      labels: a.labels,
      annotations: a.annotations ?? {},
      state: a.state,
      activeAt: a.activeAt,
      value: value ?? Number.NaN,
    };
  };

  const probe = async (path: string): Promise<boolean> => {
    const res = await http.request({ path, okStatuses: [503] });
    return res.status === 200;
  };

  return {
    async query(expr, opts = {}) {
      const spec: RequestSpec = {
        path: '/api/v1/query',
        query: {
          query: expr,
          time: opts.time === undefined ? undefined : unixSeconds(opts.time),
          timeout: serverTimeout,
        },
      };
      const { data } = await http.json(spec, envelope(queryData));
      if (data.resultType === 'string') {
        return { resultType: 'string', result: { time: data.result[0], value: data.result[1] } };
      }
      if (data.resultType === 'vector') {
        return { resultType: 'vector', result: data.result.map((s) => ({ metric: s.metric, sample: s.value })) };
      }
      if (data.resultType === 'matrix') {
        return { resultType: 'matrix', result: data.result.map((s) => ({ metric: s.metric, samples: s.values })) };
      }
      return data;
    },

    async queryRange(expr, opts) {
      const spec: RequestSpec = {
        path: '/api/v1/query_range',
        query: {
          query: expr,
          start: unixSeconds(opts.start),
          end: unixSeconds(opts.end),
          step: typeof opts.step === 'number' ? String(opts.step) : opts.step,
          timeout: serverTimeout,
        },
      };
      const { data } = await http.json(spec, envelope(z.object({ resultType: z.literal('matrix'), result: matrix })));
      return data.result.map((s) => ({ metric: s.metric, samples: s.values }));
    },

    async targets() {
      const { data } = await http.json({ path: '/api/v1/targets', query: { state: 'active' } }, envelope(targetsData));
      return data.activeTargets.map((t) => ({
        scrapePool: t.scrapePool,
        job: t.labels.job ?? t.scrapePool,
        instance: t.labels.instance ?? '',
        scrapeUrl: t.scrapeUrl,
        health: t.health,
        lastError: t.lastError,
        lastScrape: t.lastScrape,
        lastScrapeDurationSeconds: t.lastScrapeDuration,
        labels: t.labels,
      }));
    },

    async rules() {
      const spec: RequestSpec = { path: '/api/v1/rules' };
      const { data } = await http.json(spec, envelope(rulesData));
      return data.groups.map((g) => ({
        name: g.name,
        file: g.file,
        intervalSeconds: g.interval,
        rules: g.rules.map((r): Rule =>
          r.type === 'alerting'
            ? {
                type: 'alerting',
                name: r.name,
                query: r.query,
                durationSeconds: r.duration,
                labels: r.labels ?? {},
                annotations: r.annotations ?? {},
                state: r.state,
                health: r.health,
                lastError: r.lastError || undefined,
                alerts: (r.alerts ?? []).map((a) => toAlert(a, spec)),
              }
            : {
                type: 'recording',
                name: r.name,
                query: r.query,
                labels: r.labels ?? {},
                health: r.health,
                lastError: r.lastError || undefined,
              },
        ),
      }));
    },

    async alerts() {
      const spec: RequestSpec = { path: '/api/v1/alerts' };
      const { data } = await http.json(spec, envelope(z.object({ alerts: z.array(alert) })));
      return data.alerts.map((a) => toAlert(a, spec));
    },

    async alertmanagers() {
      const am = z.array(z.object({ url: z.string() }));
      const { data } = await http.json(
        { path: '/api/v1/alertmanagers' },
        envelope(z.object({ activeAlertmanagers: am, droppedAlertmanagers: am })),
      );
      return {
        active: data.activeAlertmanagers.map((a) => a.url),
        dropped: data.droppedAlertmanagers.map((a) => a.url),
      };
    },

    async statusConfig() {
      const { data } = await http.json({ path: '/api/v1/status/config' }, envelope(z.object({ yaml: z.string() })));
      return data.yaml;
    },

    async buildInfo() {
      const { data } = await http.json({ path: '/api/v1/status/buildinfo' }, envelope(buildInfoData));
      return data;
    },

    ready: () => probe('/-/ready'),
    healthy: () => probe('/-/healthy'),

    async reload() {
      await http.request({
        method: 'POST',
        path: '/-/reload',
        hint: (status) => (status === 403 ? LIFECYCLE_HINT : undefined),
      });
    },

    async snapshot(opts = {}) {
      const { data } = await http.json(
        {
          method: 'POST',
          path: '/api/v1/admin/tsdb/snapshot',
          query: { skip_head: opts.skipHead ? 'true' : undefined },
          // Prometheus 2.x answers 500 "admin APIs disabled"; some versions use 403 or 503.
          hint: (status, message) =>
            /admin apis? (is |are )?disabled/i.test(message ?? '') || status === 403 ? ADMIN_HINT : undefined,
        },
        envelope(z.object({ name: z.string().min(1) })),
      );
      return data.name;
    },
  };
}

/** Unix seconds with millisecond precision, as the API accepts. */
export function unixSeconds(t: Date | number): string {
  const seconds = t instanceof Date ? t.getTime() / 1000 : t;
  return seconds.toFixed(3);
}
