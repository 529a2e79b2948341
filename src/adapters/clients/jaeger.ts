/**
 * Jaeger's query API, the one its UI uses (cmd/query/app/http_handler.go in jaegertracing/jaeger, served
 * by Jaeger v2 on port 16686): `GET /api/services`, `GET /api/services/{service}/operations`,
 * `GET /api/traces?service=`. Answers are `{data, total, limit, offset, errors}`; errors carry
 * `errors: [{code, msg}]`.
 */
import { z } from 'zod';
import { createTransport, type ClientOptions } from './http.js';

export interface JaegerSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a trace's root span. */
  readonly parentSpanId: string | undefined;
  readonly operationName: string;
  readonly serviceName: string;
  readonly startTime: Date;
  readonly durationMicros: number;
  readonly tags: Readonly<Record<string, unknown>>;
}

export interface JaegerTrace {
  readonly traceId: string;
  readonly spans: readonly JaegerSpan[];
}

export interface TraceSearch {
  /** Most traces to return (default 20, as the UI). */
  readonly limit?: number;
  /** How far back to look (default one hour). */
  readonly lookbackMs?: number;
}

export interface JaegerClient {
  /** Services that reported spans. */
  services(): Promise<string[]>;
  /** Operation (span) names of one service. */
  operations(service: string): Promise<string[]>;
  /** Recent traces that include a span of `service`. */
  traces(service: string, search?: TraceSearch): Promise<JaegerTrace[]>;
}

const names = z.object({ data: z.array(z.string()).nullable() });

const tag = z.object({ key: z.string(), value: z.unknown() });
const spanSchema = z.object({
  traceID: z.string(),
  spanID: z.string(),
  operationName: z.string(),
  references: z.array(z.object({ refType: z.string(), traceID: z.string(), spanID: z.string() })).nullish(),
  startTime: z.number(),
  duration: z.number(),
  tags: z.array(tag).nullish(),
  processID: z.string(),
});
const tracesSchema = z.object({
  data: z
    .array(
      z.object({
        traceID: z.string(),
        spans: z.array(spanSchema),
        processes: z.record(z.string(), z.object({ serviceName: z.string() })),
      }),
    )
    .nullable(),
});

export function createJaegerClient(options: ClientOptions): JaegerClient {
  const http = createTransport('Jaeger', options);

  return {
    async services() {
      const res = await http.json({ path: '/api/services' }, names);
      return (res.data ?? []).slice().sort();
    },

    async operations(service) {
      const res = await http.json({ path: `/api/services/${encodeURIComponent(service)}/operations` }, names);
      return (res.data ?? []).slice().sort();
    },

    async traces(service, search = {}) {
      const endMicros = Date.now() * 1000;
      const startMicros = endMicros - (search.lookbackMs ?? 3_600_000) * 1000;
      const res = await http.json(
        {
          path: '/api/traces',
          query: { service, limit: search.limit ?? 20, start: String(startMicros), end: String(endMicros) },
        },
        tracesSchema,
      );
      return (res.data ?? []).map((t) => ({
        traceId: t.traceID,
        spans: t.spans.map((s) => ({
          traceId: s.traceID,
          spanId: s.spanID,
          parentSpanId: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
          operationName: s.operationName,
          serviceName: t.processes[s.processID]?.serviceName ?? '',
          startTime: new Date(Math.floor(s.startTime / 1000)),
          durationMicros: s.duration,
          tags: Object.fromEntries((s.tags ?? []).map((x) => [x.key, x.value])),
        })),
      }));
    },
  };
}
