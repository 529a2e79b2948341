/**
 * A contract fake of Jaeger 2.8 (the all-in-one default configuration: memory storage, max_traces 100000)
 * for tests that cannot run Jaeger: its OTLP/HTTP receiver and its query port, as two servers (4318 and
 * 16686 in Jaeger). It follows, for Jaeger v2.8.0:
 *   - https://www.jaegertracing.io/docs/2.8/architecture/apis/ ("Default Ports": 4318 HTTP `/v1/traces`
 *     OTLP Protobuf or JSON; 16686 HTTP `/api/v3/*` "Query JSON over HTTP", stable, and `/api/*` the
 *     internal JSON API), and the messages of proto/api_v3/query_service.proto in jaegertracing/jaeger-idl:
 *     `GET /api/v3/services` → `{services}`, `GET /api/v3/operations?service=&span_kind=` →
 *     `{operations: [{name, spanKind}]}`, `GET /api/v3/traces?query.service_name=&query.operation_name=
 *     &query.start_time_min=&query.start_time_max=&query.num_traces=&query.duration_min=&query.duration_max=`
 *     → `{result: TracesData}` (OTLP JSON: hex ids, 64-bit integers as strings, enums as integers).
 *     Times are RFC 3339, durations Go durations; start_time_min is inclusive, start_time_max exclusive.
 *   - where the page and the proto are silent, Jaeger's source at v2.8.0: cmd/query/app/apiv3/http_gateway.go
 *     (proto3 JSON leaves empty fields out, so no services is `{}`; answers carry no Content-Type of their
 *     own and Go sends `text/plain; charset=utf-8`; errors are `{"error":{"httpCode","message"}}` via
 *     http.Error, also text/plain; both start_time bounds are required, 400; a search that finds nothing is
 *     404 `No traces found`), internal/storage/v2/memory (query.num_traces must be 1 to max_traces, else 500
 *     `search depth must be greater than 0 and less than max traces`; the most recently written traces
 *     first), internal/jptrace/sanitizer (a resource without service.name is stored as
 *     `missing-service-name`, an empty one as `empty-service-name`, a non-string one as
 *     `service-name-wrong-type`), and cmd/query/app/http_handler.go for the one internal endpoint wmon uses,
 *     `GET /api/services` (its readiness probe): `{data, total, limit, offset, errors}`, `data` null when
 *     nothing is stored.
 *   - OTLP/HTTP after the OTLP specification (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
 *     `POST /v1/traces` with an ExportTraceServiceRequest in the JSON Protobuf encoding, optionally
 *     gzipped; 200 with `{}` on success, 400 with a JSON `Status` for bad data.
 * Deviations: binary Protobuf bodies are answered 415 (the webhook service's exporter,
 * @opentelemetry/exporter-trace-otlp-http, sends JSON); unknown paths are 404 (Jaeger's UI would serve
 * its page); `GET /api/v3/traces/{id}` and the rest of the internal API are left out (wmon does not use them).
 */
import { parseJson, startFakeServer, type FakeResponse, type FakeServerControl } from './http.js';

export interface FakeJaeger {
  /** The query port (16686 in Jaeger). */
  readonly query: FakeServerControl;
  /** The OTLP/HTTP receiver (4318 in Jaeger); `${otlp.url}/v1/traces` takes spans. */
  readonly otlp: FakeServerControl;
  /** Spans stored so far. */
  spanCount(): number;
  close(): Promise<void>;
}

/** An error as Jaeger's API v3 gateway writes it (http.Error: text/plain, a JSON body and a newline). */
export function gatewayError(status: number, message: string): FakeResponse {
  return {
    status,
    text: `${JSON.stringify({ error: { httpCode: status, message } })}\n`,
    headers: { 'X-Content-Type-Options': 'nosniff' },
  };
}

type KeyValue = { key: string; value: Record<string, unknown> };

interface StoredSpan {
  /** service.name after Jaeger's sanitizer. */
  service: string;
  resourceAttributes: KeyValue[];
  scope: Record<string, unknown>;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: KeyValue[];
  status: Record<string, unknown>;
}

const SPAN_KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];
const MAX_TRACES = 100_000;

export async function startFakeJaeger(): Promise<FakeJaeger> {
  const spans: StoredSpan[] = [];
  /** Trace ids, most recently written last (Jaeger's memory store keeps a ring of traces). */
  const writeOrder: string[] = [];

  const otlp = await startFakeServer((req) => {
    if (req.path !== '/v1/traces') return { status: 404, text: '404 page not found' };
    if (req.method !== 'POST') return { status: 405, text: '405 method not allowed, supported: [POST]' };
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/json')) {
      return {
        status: 415,
        text: `415 unsupported media type, supported: [application/json] (this fake does not decode ${ct || 'an untyped body'})`,
      };
    }
    const badData = (message: string): FakeResponse => ({ status: 400, json: { code: 3, message } });
    const parsed = parseJson(req.body);
    if (!parsed.ok) return badData(`proto: syntax error: ${parsed.error}`);
    let received: StoredSpan[];
    try {
      received = decodeExportRequest(parsed.value);
    } catch (error) {
      return badData((error as Error).message);
    }
    for (const s of received) {
      spans.push(s);
      const i = writeOrder.indexOf(s.traceId);
      if (i >= 0) writeOrder.splice(i, 1);
      writeOrder.push(s.traceId);
    }
    return { status: 200, json: {} };
  });

  /** A proto3 JSON answer as the gateway writes it: no Content-Type set, so Go sniffs text/plain. */
  const protoJson = (body: unknown): FakeResponse => ({ status: 200, text: JSON.stringify(body) });

  const findTraces = (q: URLSearchParams): FakeResponse => {
    const min = q.get('query.start_time_min') ?? '';
    const max = q.get('query.start_time_max') ?? '';
    if (min === '' || max === '')
      return gatewayError(400, 'query.start_time_min and query.start_time_max are required');
    const minNs = rfc3339Nanos(min);
    if (minNs === undefined)
      return gatewayError(400, `malformed parameter query.start_time_min: ${timeParseError(min)}`);
    const maxNs = rfc3339Nanos(max);
    if (maxNs === undefined)
      return gatewayError(400, `malformed parameter query.start_time_max: ${timeParseError(max)}`);
    let depth = 0;
    const n = q.get('query.num_traces');
    if (n !== null && n !== '') {
      if (!/^[+-]?\d+$/.test(n))
        return gatewayError(
          400,
          `malformed parameter query.num_traces: strconv.Atoi: parsing ${JSON.stringify(n)}: invalid syntax`,
        );
      depth = Number(n);
    }
    const durations: Array<bigint | undefined> = [];
    for (const name of ['query.duration_min', 'query.duration_max']) {
      const raw = q.get(name);
      if (raw === null || raw === '') {
        durations.push(undefined);
        continue;
      }
      const ns = goDurationNanos(raw);
      if (ns === undefined)
        return gatewayError(400, `malformed parameter ${name}: time: invalid duration ${JSON.stringify(raw)}`);
      durations.push(ns);
    }
    if (depth <= 0 || depth > MAX_TRACES)
      return gatewayError(500, 'search depth must be greater than 0 and less than max traces');
    const [durationMin, durationMax] = durations;
    const service = q.get('query.service_name') ?? '';
    const operation = q.get('query.operation_name') ?? '';
    const matches = (s: StoredSpan): boolean => {
      if (service !== '' && s.service !== service) return false;
      if (operation !== '' && s.name !== operation) return false;
      if (s.startNs < minNs || s.startNs >= maxNs) return false;
      const d = s.endNs - s.startNs;
      if (durationMin !== undefined && durationMin !== 0n && d < durationMin) return false;
      if (durationMax !== undefined && durationMax !== 0n && d > durationMax) return false;
      return true;
    };
    const found = [...writeOrder]
      .reverse()
      .filter((id) => spans.some((s) => s.traceId === id && matches(s)))
      .slice(0, depth);
    if (found.length === 0) return gatewayError(404, 'No traces found');
    return protoJson({
      result: { resourceSpans: found.flatMap((id) => resourceSpans(spans.filter((s) => s.traceId === id))) },
    });
  };

  const query = await startFakeServer((req) => {
    const known = ['/api/services', '/api/v3/services', '/api/v3/operations', '/api/v3/traces'];
    if (!known.includes(req.path)) return { status: 404, text: '404 page not found\n' };
    if (req.method !== 'GET') return { status: 405, text: '' };
    const services = [...new Set(spans.map((s) => s.service))];
    switch (req.path) {
      case '/api/services':
        return {
          status: 200,
          json: {
            data: services.length > 0 ? services : null,
            total: services.length,
            limit: 0,
            offset: 0,
            errors: null,
          },
        };
      case '/api/v3/services':
        return protoJson(services.length > 0 ? { services } : {});
      case '/api/v3/operations': {
        const service = req.query.get('service') ?? '';
        const kind = req.query.get('span_kind') ?? '';
        const ops = new Map<string, { name: string; spanKind?: string }>();
        for (const s of spans) {
          const spanKind = SPAN_KINDS[s.kind] ?? '';
          if (s.service !== service || (kind !== '' && kind !== spanKind)) continue;
          ops.set(`${s.name}\u0000${spanKind}`, { name: s.name, ...(spanKind ? { spanKind } : {}) });
        }
        return protoJson(ops.size > 0 ? { operations: [...ops.values()] } : {});
      }
      default:
        return findTraces(req.query);
    }
  });

  return {
    query,
    otlp,
    spanCount: () => spans.length,
    async close() {
      await Promise.all([query.close(), otlp.close()]);
    },
  };
}

/** One trace's spans as OTLP ResourceSpans, one per resource, as Jaeger stores and returns them. */
function resourceSpans(trace: StoredSpan[]): unknown[] {
  const byResource = new Map<string, StoredSpan[]>();
  for (const s of trace) {
    const key = JSON.stringify(s.resourceAttributes);
    byResource.set(key, [...(byResource.get(key) ?? []), s]);
  }
  return [...byResource.values()].map((group) => ({
    resource: { attributes: group[0]?.resourceAttributes ?? [] },
    scopeSpans: [
      {
        scope: group[0]?.scope ?? {},
        spans: group.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: s.startNs.toString(),
          endTimeUnixNano: s.endNs.toString(),
          ...(s.attributes.length > 0 ? { attributes: s.attributes } : {}),
          status: s.status,
        })),
      },
    ],
  }));
}

/** Go's time.Parse(time.RFC3339Nano, …), in nanoseconds since the epoch. */
function rfc3339Nanos(raw: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(raw);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

function timeParseError(raw: string): string {
  return `parsing time ${JSON.stringify(raw)} as "2006-01-02T15:04:05.999999999Z07:00": cannot parse ${JSON.stringify(raw)} as "2006"`;
}

/** Go's time.ParseDuration (`300ms`, `1.5s`, `2h45m`), in nanoseconds. */
function goDurationNanos(raw: string): bigint | undefined {
  if (raw === '0') return 0n;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== raw) return undefined;
  return BigInt(Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? 's'] ?? 0), 0)));
}

function decodeExportRequest(body: unknown): StoredSpan[] {
  const obj = (v: unknown, what: string): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what}: expected an object`);
    return v as Record<string, unknown>;
  };
  const arr = (v: unknown, what: string): unknown[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new Error(`${what}: expected an array`);
    return v;
  };
  const int64 = (v: unknown, what: string): bigint => {
    if (v === undefined || v === null) return 0n;
    if ((typeof v === 'string' && /^\d+$/.test(v)) || (typeof v === 'number' && Number.isInteger(v))) return BigInt(v);
    throw new Error(`${what}: expected a 64-bit integer`);
  };
  const hexId = (v: unknown, bytes: number, what: string): string => {
    if (typeof v !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v)) {
      throw new Error(`${what}: expected ${bytes * 2} hex digits (OTLP/JSON ids are hex, not base64)`);
    }
    return v.toLowerCase();
  };

  const out: StoredSpan[] = [];
  for (const [ri, rs] of arr(obj(body, 'ExportTraceServiceRequest').resourceSpans, 'resourceSpans').entries()) {
    const resourceSpans = obj(rs, `resourceSpans[${ri}]`);
    const attrs = arr(obj(resourceSpans.resource, 'resource').attributes, 'resource.attributes').map((a, i) =>
      keyValue(a, `resource.attributes[${i}]`),
    );
    // internal/jptrace/sanitizer (emptyservicename.go): the placeholders Jaeger files such spans under.
    const name = attrs.find((a) => a.key === 'service.name');
    const service =
      name === undefined
        ? 'missing-service-name'
        : typeof name.value.stringValue !== 'string'
          ? 'service-name-wrong-type'
          : name.value.stringValue === ''
            ? 'empty-service-name'
            : name.value.stringValue;
    const resourceAttributes = [
      ...attrs.filter((a) => a.key !== 'service.name'),
      { key: 'service.name', value: { stringValue: service } },
    ];
    // `instrumentationLibrarySpans` is the pre-1.0 name of `scopeSpans`.
    const scopes = [
      ...arr(resourceSpans.scopeSpans, 'scopeSpans'),
      ...arr(resourceSpans.instrumentationLibrarySpans, 'instrumentationLibrarySpans'),
    ];
    for (const [si, ss] of scopes.entries()) {
      const scopeSpans = obj(ss, `scopeSpans[${si}]`);
      const scope = obj(scopeSpans.scope ?? scopeSpans.instrumentationLibrary, `scopeSpans[${si}].scope`);
      for (const [pi, sp] of arr(scopeSpans.spans, 'spans').entries()) {
        const where = `resourceSpans[${ri}].scopeSpans[${si}].spans[${pi}]`;
        const span = obj(sp, where);
        const kind = span.kind === undefined ? 0 : span.kind;
        if (typeof kind !== 'number') throw new Error(`${where}.kind: enums are integers in OTLP/JSON`);
        out.push({
          service,
          resourceAttributes,
          scope,
          traceId: hexId(span.traceId, 16, `${where}.traceId`),
          spanId: hexId(span.spanId, 8, `${where}.spanId`),
          parentSpanId:
            span.parentSpanId === undefined || span.parentSpanId === ''
              ? ''
              : hexId(span.parentSpanId, 8, `${where}.parentSpanId`),
          name: typeof span.name === 'string' ? span.name : '',
          kind,
          startNs: int64(span.startTimeUnixNano, `${where}.startTimeUnixNano`),
          endNs: int64(span.endTimeUnixNano, `${where}.endTimeUnixNano`),
          attributes: arr(span.attributes, `${where}.attributes`).map((a, i) =>
            keyValue(a, `${where}.attributes[${i}]`),
          ),
          status: obj(span.status, `${where}.status`),
        });
      }
    }
  }
  return out;
}

/** An OTLP KeyValue, checked. */
function keyValue(a: unknown, where: string): KeyValue {
  if (typeof a !== 'object' || a === null) throw new Error(`${where}: expected a KeyValue`);
  const { key, value } = a as { key?: unknown; value?: unknown };
  if (typeof key !== 'string') throw new Error(`${where}.key: expected a string`);
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
    throw new Error(`${where}.value: expected an AnyValue`);
  return { key, value: (value ?? {}) as Record<string, unknown> };
}
