/**
 * A contract fake of Jaeger (v2) for tests that cannot run Jaeger: its OTLP/HTTP receiver and the query
 * API its UI uses, on two ports as in Jaeger (4318 and 16686).
 *
 * Query API, after cmd/query/app/http_handler.go and query_parser.go in jaegertracing/jaeger (the
 * "internal" HTTP API of https://www.jaegertracing.io/docs/latest/apis/): every answer is
 * `{data, total, limit, offset, errors}`; `GET /api/services` (names, sorted), `GET
 * /api/services/{service}/operations` (names), `GET /api/operations?service=` (`{name, spanKind}`),
 * `GET /api/traces?service=&limit=&start=&end=` (start/end in microseconds, default the last 2 days,
 * `limit` default 100; no service: 400 `parameter 'service' is required`), `GET /api/traces/{id}` (404
 * `trace not found`). Traces use the UI model: `{traceID, spans: [{traceID, spanID, operationName,
 * references, startTime (µs), duration (µs), tags, logs, processID, warnings, flags}], processes:
 * {p1: {serviceName, tags}}, warnings}`; a trace id whose high 64 bits are zero prints as 16 hex digits.
 *
 * OTLP/HTTP, after the OTLP specification (docs/specification.md in open-telemetry/opentelemetry-proto,
 * https://opentelemetry.io/docs/specs/otlp/#otlphttp): `POST /v1/traces` with an
 * ExportTraceServiceRequest in the JSON Protobuf encoding (hex trace/span ids, integer enums, 64-bit
 * integers as strings or numbers, lowerCamelCase keys, unknown fields ignored), optionally gzipped;
 * 200 with `{}` on success, 400 with a JSON `Status` for bad data. A resource without `service.name`
 * is stored under `OTLPResourceNoServiceName`, as Jaeger's translator does.
 * Deviation: binary Protobuf bodies are answered 415 (the webhook service's exporter,
 * @opentelemetry/exporter-trace-otlp-http, sends JSON).
 */
import { parseJson, startFakeServer, type FakeResponse, type FakeServerControl } from './http.js';

export interface FakeJaeger {
  /** The query API (the UI's port, 16686 in Jaeger). */
  readonly query: FakeServerControl;
  /** The OTLP/HTTP receiver (4318 in Jaeger); `${otlp.url}/v1/traces` takes spans. */
  readonly otlp: FakeServerControl;
  /** Spans stored so far. */
  spanCount(): number;
  close(): Promise<void>;
}

interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
  startUs: number;
  durationUs: number;
  tags: { key: string; type: string; value: unknown }[];
}

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';

export async function startFakeJaeger(): Promise<FakeJaeger> {
  const spans: StoredSpan[] = [];

  const structured = (data: unknown, status = 200, errors: { code?: number; msg: string }[] | null = null): FakeResponse => ({
    status,
    json: { data, total: Array.isArray(data) && status === 200 ? data.length : 0, limit: 0, offset: 0, errors },
  });
  const fail = (status: number, msg: string) => structured(null, status, [{ code: status, msg }]);

  const otlp = await startFakeServer((req) => {
    if (req.path !== '/v1/traces') return { status: 404, text: '404 page not found' };
    if (req.method !== 'POST') return { status: 405, text: '405 method not allowed, supported: [POST]' };
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/json')) {
      return { status: 415, text: `415 unsupported media type, supported: [application/json] (this fake does not decode ${ct || 'an untyped body'})` };
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
    spans.push(...received);
    return { status: 200, json: {} };
  });

  const traceJson = (traceId: string) => {
    const members = spans.filter((s) => s.traceId === traceId);
    const processIds = new Map<string, string>();
    for (const s of members) if (!processIds.has(s.service)) processIds.set(s.service, `p${processIds.size + 1}`);
    return {
      traceID: traceId,
      spans: members.map((s) => ({
        traceID: s.traceId,
        spanID: s.spanId,
        operationName: s.name,
        references: s.parentSpanId ? [{ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId }] : [],
        startTime: s.startUs,
        duration: s.durationUs,
        tags: s.tags,
        logs: [],
        processID: processIds.get(s.service),
        warnings: null,
        flags: 1,
      })),
      processes: Object.fromEntries([...processIds].map(([service, id]) => [id, { serviceName: service, tags: [] }])),
      warnings: null,
    };
  };

  const query = await startFakeServer((req) => {
    if (req.method !== 'GET') return { status: 405, text: 'Method Not Allowed' };
    let m: RegExpExecArray | null;
    if (req.path === '/api/services') {
      return structured([...new Set(spans.map((s) => s.service))].sort());
    }
    if ((m = /^\/api\/services\/([^/]+)\/operations$/.exec(req.path))) {
      const service = decodeURIComponent(m[1] ?? '');
      return structured([...new Set(spans.filter((s) => s.service === service).map((s) => s.name))].sort());
    }
    if (req.path === '/api/operations') {
      const service = req.query.get('service');
      if (!service) return fail(400, "parameter 'service' is required");
      const kind = req.query.get('spanKind');
      const ops = new Map<string, string>();
      for (const s of spans) {
        const k = SPAN_KINDS[s.kind] ?? 'unspecified';
        if (s.service === service && (!kind || kind === k)) ops.set(`${s.name}\u0000${k}`, k);
      }
      return structured([...ops].map(([key, spanKind]) => ({ name: key.split('\u0000')[0], spanKind })));
    }
    if ((m = /^\/api\/traces\/([^/]+)$/.exec(req.path))) {
      const id = normalizeTraceId(decodeURIComponent(m[1] ?? ''));
      if (id === undefined) return fail(400, 'strconv.ParseUint: parsing trace id: invalid syntax');
      if (!spans.some((s) => s.traceId === id)) return fail(404, 'trace not found');
      return structured([traceJson(id)]);
    }
    if (req.path === '/api/traces') {
      const service = req.query.get('service');
      if (!service) return fail(400, "parameter 'service' is required");
      const nowUs = Date.now() * 1000;
      const int = (name: string, def: number): number | string => {
        const raw = req.query.get(name);
        if (raw === null || raw === '') return def;
        return /^\d+$/.test(raw) ? Number(raw) : `unable to parse param '${name}': strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`;
      };
      const start = int('start', nowUs - 2 * 86_400_000_000);
      const end = int('end', nowUs);
      const limit = int('limit', 100);
      for (const v of [start, end, limit]) if (typeof v === 'string') return fail(400, v);
      const ids: string[] = [];
      const sorted = spans
        .filter((s) => s.service === service && s.startUs >= Number(start) && s.startUs <= Number(end))
        .sort((a, b) => b.startUs - a.startUs);
      for (const s of sorted) if (!ids.includes(s.traceId)) ids.push(s.traceId);
      const data = ids.slice(0, Number(limit)).map(traceJson);
      return { status: 200, json: { data, total: 0, limit: 0, offset: 0, errors: null } };
    }
    return { status: 404, text: '404 page not found' };
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

/** Jaeger prints a trace id without its high 64 bits when they are zero. */
function normalizeTraceId(hex: string): string | undefined {
  const h = hex.toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(h)) return undefined;
  const padded = h.padStart(32, '0');
  return padded.startsWith('0000000000000000') ? padded.slice(16) : padded;
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
    const attrs = arr(obj(resourceSpans.resource, 'resource').attributes, 'resource.attributes').map((a, i) => attribute(a, `resource.attributes[${i}]`));
    const serviceName = attrs.find((a) => a.key === 'service.name')?.value;
    const service = typeof serviceName === 'string' && serviceName !== '' ? serviceName : NO_SERVICE_NAME;
    // `instrumentationLibrarySpans` is the pre-1.0 name of `scopeSpans`.
    const scopes = [...arr(resourceSpans.scopeSpans, 'scopeSpans'), ...arr(resourceSpans.instrumentationLibrarySpans, 'instrumentationLibrarySpans')];
    for (const [si, ss] of scopes.entries()) {
      for (const [pi, sp] of arr(obj(ss, `scopeSpans[${si}]`).spans, 'spans').entries()) {
        const where = `resourceSpans[${ri}].scopeSpans[${si}].spans[${pi}]`;
        const span = obj(sp, where);
        const start = int64(span.startTimeUnixNano, `${where}.startTimeUnixNano`);
        const end = int64(span.endTimeUnixNano, `${where}.endTimeUnixNano`);
        const kind = span.kind === undefined ? 0 : span.kind;
        if (typeof kind !== 'number') throw new Error(`${where}.kind: enums are integers in OTLP/JSON`);
        const tags = arr(span.attributes, `${where}.attributes`).map((a, i) => attribute(a, `${where}.attributes[${i}]`));
        if (kind > 0) tags.push({ key: 'span.kind', type: 'string', value: SPAN_KINDS[kind] ?? 'unspecified' });
        const parent = span.parentSpanId === undefined || span.parentSpanId === '' ? '' : hexId(span.parentSpanId, 8, `${where}.parentSpanId`);
        out.push({
          traceId: normalizeTraceId(hexId(span.traceId, 16, `${where}.traceId`)) ?? '',
          spanId: hexId(span.spanId, 8, `${where}.spanId`),
          parentSpanId: parent,
          name: typeof span.name === 'string' ? span.name : '',
          kind,
          service,
          startUs: Number(start / 1000n),
          durationUs: Number((end > start ? end - start : 0n) / 1000n),
          tags,
        });
      }
    }
  }
  return out;
}

/** An OTLP KeyValue as a Jaeger tag. */
function attribute(a: unknown, where: string): { key: string; type: string; value: unknown } {
  if (typeof a !== 'object' || a === null) throw new Error(`${where}: expected a KeyValue`);
  const { key, value } = a as { key?: unknown; value?: unknown };
  if (typeof key !== 'string') throw new Error(`${where}.key: expected a string`);
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.stringValue === 'string') return { key, type: 'string', value: v.stringValue };
  if (typeof v.boolValue === 'boolean') return { key, type: 'bool', value: v.boolValue };
  if (typeof v.intValue === 'string' || typeof v.intValue === 'number') return { key, type: 'int64', value: Number(v.intValue) };
  if (typeof v.doubleValue === 'number') return { key, type: 'float64', value: v.doubleValue };
  return { key, type: 'string', value: JSON.stringify(v) };
}
