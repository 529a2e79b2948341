/**
 * Loki HTTP API (https://grafana.com/docs/loki/v3.5.x/reference/loki-http-api/): readiness, JSON push,
 * LogQL instant and range queries, labels. Query answers use the envelope `{status, data: {resultType,
 * result}}`; errors are plain text (400 for a LogQL parse error). With `auth_enabled`, every request
 * names its tenant in `X-Scope-OrgID`.
 */
import { z } from 'zod';
import { createTransport, type ClientOptions } from './http.js';
import type { QueryResult } from './prometheus.js';
import { sampleSchema } from './sample-value.js';
import type { Labels } from './types.js';

export interface LokiClientOptions extends ClientOptions {
  /** Sent as `X-Scope-OrgID` (multi-tenant Loki). */
  readonly tenant?: string;
}

export interface LogEntry {
  /** Nanoseconds since the epoch, exactly as Loki has it (a Number cannot hold it). */
  readonly timestampNs: string;
  /** The same instant, to the millisecond. */
  readonly time: Date;
  readonly line: string;
}

export interface LogStream {
  readonly labels: Labels;
  readonly entries: readonly LogEntry[];
}

/** Log queries give streams; metric queries give Prometheus's own result types (but no `string`). */
export type LokiQueryResult =
  | { readonly resultType: 'streams'; readonly result: readonly LogStream[] }
  | Exclude<QueryResult, { readonly resultType: 'string' }>;

export interface PushStream {
  readonly labels: Labels;
  /** `time` as a Date, or nanoseconds since the epoch as a bigint. */
  readonly entries: readonly { readonly time: Date | bigint; readonly line: string }[];
}

export type Direction = 'forward' | 'backward';

export interface LokiInstantOptions {
  readonly time?: Date;
  readonly limit?: number;
  readonly direction?: Direction;
}

export interface LokiRangeOptions {
  readonly start: Date;
  readonly end?: Date;
  readonly limit?: number;
  readonly direction?: Direction;
  /** For metric queries: seconds, or a duration such as `30s`. */
  readonly step?: number | string;
}

export interface TimeRange {
  readonly start?: Date;
  readonly end?: Date;
}

export interface LokiClient {
  /** `GET /ready`: true on 200, false on 503 (starting); throws if unreachable. */
  ready(): Promise<boolean>;
  /** `POST /loki/api/v1/push` (JSON). */
  push(streams: readonly PushStream[]): Promise<void>;
  /** `GET /loki/api/v1/query`: instant queries (recent Loki accepts only metric queries here). */
  query(logql: string, options?: LokiInstantOptions): Promise<LokiQueryResult>;
  /** `GET /loki/api/v1/query_range`: log queries (streams) and metric queries (matrix). */
  queryRange(logql: string, options: LokiRangeOptions): Promise<LokiQueryResult>;
  /** `GET /loki/api/v1/labels`. */
  labels(range?: TimeRange): Promise<string[]>;
  /** `GET /loki/api/v1/label/<name>/values`, optionally for streams matching `selector`. */
  labelValues(name: string, options?: TimeRange & { readonly selector?: string }): Promise<string[]>;
  /** Whether any line matching the stream selector (e.g. `{service="webhook"}`) arrived in the last `sinceMs`. */
  hasRecentLogs(selector: string, sinceMs: number): Promise<boolean>;
}

const labels = z.record(z.string(), z.string());
const sample = sampleSchema;
const entry = z
  .tuple([z.string().regex(/^\d+$/, 'a nanosecond timestamp'), z.string()])
  .rest(z.unknown())
  .transform(([ns, line]): LogEntry => ({ timestampNs: ns, time: nsToDate(ns), line }));

const queryEnvelope = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    z.object({
      resultType: z.literal('streams'),
      result: z.array(z.object({ stream: labels, values: z.array(entry) })),
    }),
    z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: labels, value: sample })) }),
    z.object({
      resultType: z.literal('matrix'),
      result: z.array(z.object({ metric: labels, values: z.array(sample) })),
    }),
    z.object({ resultType: z.literal('scalar'), result: sample }),
  ]),
});

const listEnvelope = z.object({ status: z.literal('success'), data: z.array(z.string()).nullish() });

export function createLokiClient(options: LokiClientOptions): LokiClient {
  const http = createTransport('Loki', {
    ...options,
    headers: { ...options.headers, ...(options.tenant ? { 'X-Scope-OrgID': options.tenant } : {}) },
  });

  const toResult = (data: z.output<typeof queryEnvelope>['data']): LokiQueryResult => {
    switch (data.resultType) {
      case 'streams':
        return { resultType: 'streams', result: data.result.map((s) => ({ labels: s.stream, entries: s.values })) };
      case 'vector':
        return { resultType: 'vector', result: data.result.map((s) => ({ metric: s.metric, sample: s.value })) };
      case 'matrix':
        return { resultType: 'matrix', result: data.result.map((s) => ({ metric: s.metric, samples: s.values })) };
      default:
        return data;
    }
  };

  const queryRange = async (logql: string, opts: LokiRangeOptions): Promise<LokiQueryResult> => {
    const res = await http.json(
      {
        path: '/loki/api/v1/query_range',
        query: {
          query: logql,
          start: dateToNs(opts.start),
          end: opts.end ? dateToNs(opts.end) : undefined,
          limit: opts.limit,
          direction: opts.direction,
          step: opts.step === undefined ? undefined : String(opts.step),
        },
      },
      queryEnvelope,
    );
    return toResult(res.data);
  };

  return {
    async ready() {
      const res = await http.request({ path: '/ready', okStatuses: [503] });
      return res.status === 200;
    },

    async push(streams) {
      const body = {
        streams: streams.map((s) => ({
          stream: s.labels,
          values: s.entries.map((e) => [typeof e.time === 'bigint' ? e.time.toString() : dateToNs(e.time), e.line]),
        })),
      };
      await http.request({ method: 'POST', path: '/loki/api/v1/push', body });
    },

    async query(logql, opts = {}) {
      const res = await http.json(
        {
          path: '/loki/api/v1/query',
          query: {
            query: logql,
            time: opts.time ? dateToNs(opts.time) : undefined,
            limit: opts.limit,
            direction: opts.direction,
          },
        },
        queryEnvelope,
      );
      return toResult(res.data);
    },

    queryRange,

    async labels(range = {}) {
      const res = await http.json(
        {
          path: '/loki/api/v1/labels',
          query: { start: range.start && dateToNs(range.start), end: range.end && dateToNs(range.end) },
        },
        listEnvelope,
      );
      return res.data ?? [];
    },

    async labelValues(name, opts = {}) {
      const res = await http.json(
        {
          path: `/loki/api/v1/label/${encodeURIComponent(name)}/values`,
          query: {
            start: opts.start && dateToNs(opts.start),
            end: opts.end && dateToNs(opts.end),
            query: opts.selector,
          },
        },
        listEnvelope,
      );
      return res.data ?? [];
    },

    async hasRecentLogs(selector, sinceMs) {
      const now = Date.now();
      // `end` is exclusive: leave a second of slack for a clock that runs a little ahead of ours.
      const result = await queryRange(selector, {
        start: new Date(now - sinceMs),
        end: new Date(now + 1000),
        limit: 1,
        direction: 'backward',
      });
      return result.resultType === 'streams' && result.result.some((s) => s.entries.length > 0);
    },
  };
}

/** A Date as Loki's nanosecond epoch string. */
export function dateToNs(d: Date): string {
  return (BigInt(d.getTime()) * 1_000_000n).toString();
}

function nsToDate(ns: string): Date {
  return new Date(Number(BigInt(ns) / 1_000_000n));
}
