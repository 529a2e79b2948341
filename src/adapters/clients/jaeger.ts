/**
 * Jaeger's query API v3, the stable JSON-over-HTTP API Jaeger v2 serves on its query port, 16686
 * (https://www.jaegertracing.io/docs/2.8/architecture/apis/, "Query JSON over HTTP"; the messages are
 * proto/api_v3/query_service.proto in jaegertracing/jaeger-idl): `GET /api/v3/services`,
 * `GET /api/v3/operations?service=`, `GET /api/v3/traces?query.service_name=&query.start_time_min=
 * &query.start_time_max=&query.num_traces=`. Traces come as OTLP JSON wrapped in `{result: {resourceSpans}}`;
 * a search that finds nothing is a 404 `No traces found`; errors are `{error: {httpCode, message}}`.
 * (The `/api/*` JSON API the UI uses is documented as internal and subject to change: not used here.)
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
  /** OTLP's span kind in lower case (`server`, `client`, `internal`, `producer`, `consumer`); empty when unspecified. */
  readonly kind: string;
  readonly startTime: Date;
  readonly durationMicros: number;
  /** The span's attributes. */
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

// proto3 JSON leaves out empty lists: `{}` is an answer without services or operations.
const servicesSchema = z.object({ services: z.array(z.string()).optional() });
const operationsSchema = z.object({
  operations: z.array(z.object({ name: z.string(), spanKind: z.string().optional() })).optional(),
});

/** An OTLP AnyValue in JSON: 64-bit integers are strings. */
const anyValue = z.looseObject({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: z.union([z.string(), z.number()]).optional(),
  doubleValue: z.number().optional(),
});
const keyValue = z.object({ key: z.string(), value: anyValue.optional() });
const nanos = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]);
const spanSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/i, '32 hex digits'),
  spanId: z.string().regex(/^[0-9a-f]{16}$/i, '16 hex digits'),
  parentSpanId: z.string().optional(),
  name: z.string().optional(),
  kind: z.number().int().optional(),
  startTimeUnixNano: nanos.optional(),
  endTimeUnixNano: nanos.optional(),
  attributes: z.array(keyValue).optional(),
});
const tracesSchema = z.object({
  result: z.object({
    resourceSpans: z
      .array(
        z.object({
          resource: z.object({ attributes: z.array(keyValue).optional() }).optional(),
          scopeSpans: z.array(z.object({ spans: z.array(spanSchema).optional() })).optional(),
        }),
      )
      .optional(),
  }),
});
const gatewayErrorSchema = z.object({
  error: z.object({ httpCode: z.number().optional(), message: z.string().optional() }),
});

/** OTLP's SpanKind enum (trace.proto), as Jaeger names the kinds. */
const SPAN_KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

export function createJaegerClient(options: ClientOptions): JaegerClient {
  const http = createTransport('Jaeger', options);

  return {
    async services() {
      const res = await http.json({ path: '/api/v3/services' }, servicesSchema);
      return (res.services ?? []).slice().sort();
    },

    async operations(service) {
      const res = await http.json({ path: '/api/v3/operations', query: { service } }, operationsSchema);
      return [...new Set((res.operations ?? []).map((o) => o.name))].sort();
    },

    async traces(service, search = {}) {
      const end = new Date();
      const start = new Date(end.getTime() - (search.lookbackMs ?? 3_600_000));
      const spec = {
        path: '/api/v3/traces',
        query: {
          'query.service_name': service,
          'query.start_time_min': start.toISOString(),
          'query.start_time_max': end.toISOString(),
          'query.num_traces': search.limit ?? 20,
        },
        okStatuses: [404],
      };
      const res = await http.request(spec);
      if (res.status === 404) {
        // The gateway's own 404 means the search found nothing; any other 404 is not Jaeger's API v3.
        if (gatewayErrorSchema.safeParse(res.data).data?.error.httpCode === 404) return [];
        return http.badResponse(spec, 'HTTP 404: no query API v3 here (Jaeger 2 serves it on its query port, 16686)');
      }
      const parsed = tracesSchema.safeParse(res.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return http.badResponse(
          spec,
          `unexpected traces at ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
        );
      }
      return toTraces(parsed.data);
    },
  };
}

function toTraces(data: z.output<typeof tracesSchema>): JaegerTrace[] {
  const traces = new Map<string, JaegerSpan[]>();
  for (const rs of data.result.resourceSpans ?? []) {
    const service = attributes(rs.resource?.attributes)['service.name'];
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const traceId = s.traceId.toLowerCase();
        const startNs = BigInt(s.startTimeUnixNano ?? 0);
        const endNs = BigInt(s.endTimeUnixNano ?? 0);
        let spans = traces.get(traceId);
        if (!spans) traces.set(traceId, (spans = []));
        spans.push({
          traceId,
          spanId: s.spanId.toLowerCase(),
          parentSpanId: s.parentSpanId ? s.parentSpanId.toLowerCase() : undefined,
          operationName: s.name ?? '',
          serviceName: typeof service === 'string' ? service : '',
          kind: SPAN_KINDS[s.kind ?? 0] ?? '',
          startTime: new Date(Number(startNs / 1_000_000n)),
          durationMicros: endNs > startNs ? Number((endNs - startNs) / 1000n) : 0,
          tags: attributes(s.attributes),
        });
      }
    }
  }
  return [...traces].map(([traceId, spans]) => ({ traceId, spans }));
}

function attributes(list: ReadonlyArray<z.output<typeof keyValue>> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value: v = {} }) => {
      if (v.stringValue !== undefined) return [key, v.stringValue];
      if (v.boolValue !== undefined) return [key, v.boolValue];
      if (v.intValue !== undefined) return [key, Number(v.intValue)];
      if (v.doubleValue !== undefined) return [key, v.doubleValue];
      return [key, v];
    }),
  );
}
