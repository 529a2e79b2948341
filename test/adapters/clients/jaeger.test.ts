import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentRequestError, createJaegerClient, type JaegerClient } from '../../../src/adapters/clients/index.js';
import { closedPort } from '../../support/fakes/http.js';
import { gatewayError, startFakeJaeger, type FakeJaeger } from '../../support/fakes/jaeger.js';
import { failure } from '../../support/failures.js';

let jaeger: FakeJaeger;
let client: JaegerClient;

beforeEach(async () => {
  jaeger = await startFakeJaeger();
  client = createJaegerClient({ baseUrl: jaeger.query.url, timeoutMs: 2000 });
});

afterEach(async () => {
  await jaeger.close();
});

const TRACE_ID = '5b8efff798038103d269b633813fc60c';

/** An ExportTraceServiceRequest in OTLP's JSON encoding (cf. examples/trace.json in opentelemetry-proto). */
function exportRequest(
  service: string | undefined,
  spans: { name: string; spanId: string; parentSpanId?: string; startMs: number; durationMs: number; kind?: number }[],
) {
  return {
    resourceSpans: [
      {
        resource: { attributes: service ? [{ key: 'service.name', value: { stringValue: service } }] : [] },
        scopeSpans: [
          {
            scope: { name: 'wmon-test', version: '1.0.0' },
            spans: spans.map((s) => ({
              traceId: TRACE_ID,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind ?? 2,
              startTimeUnixNano: String(BigInt(s.startMs) * 1_000_000n),
              endTimeUnixNano: String(BigInt(s.startMs + s.durationMs) * 1_000_000n),
              attributes: [
                { key: 'http.route', value: { stringValue: '/webhooks/stripe' } },
                { key: 'http.status_code', value: { intValue: '200' } },
              ],
              status: {},
            })),
          },
        ],
      },
    ],
  };
}

async function sendSpans(body: unknown, init: { gzip?: boolean; contentType?: string } = {}): Promise<Response> {
  const json = Buffer.from(JSON.stringify(body));
  return fetch(`${jaeger.otlp.url}/v1/traces`, {
    method: 'POST',
    headers: {
      'Content-Type': init.contentType ?? 'application/json',
      ...(init.gzip ? { 'Content-Encoding': 'gzip' } : {}),
    },
    body: init.gzip ? gzipSync(json) : json,
  });
}

describe('Jaeger client against the contract fake', () => {
  it('knows no services before any span arrives', async () => {
    await expect(client.services()).resolves.toEqual([]);
  });

  it('lists a service once it has sent spans over OTLP/HTTP JSON, with its operations and traces', async () => {
    const start = Date.now() - 5000;
    const res = await sendSpans(
      exportRequest('webhook-service', [
        { name: 'POST /webhooks/stripe', spanId: 'eee19b7ec3c1b174', startMs: start, durationMs: 40 },
        {
          name: 'db.insert event',
          spanId: 'eee19b7ec3c1b175',
          parentSpanId: 'eee19b7ec3c1b174',
          startMs: start + 5,
          durationMs: 10,
          kind: 3,
        },
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    await expect(res.json()).resolves.toEqual({});

    await expect(client.services()).resolves.toEqual(['webhook-service']);
    await expect(client.operations('webhook-service')).resolves.toEqual(['POST /webhooks/stripe', 'db.insert event']);
    await expect(client.operations('nobody')).resolves.toEqual([]);

    const traces = await client.traces('webhook-service', { limit: 5, lookbackMs: 60_000 });
    expect(traces).toHaveLength(1);
    expect(traces[0]?.traceId).toBe(TRACE_ID);
    const [root, child] = traces[0]?.spans ?? [];
    expect(root).toMatchObject({
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: undefined,
      operationName: 'POST /webhooks/stripe',
      serviceName: 'webhook-service',
      durationMicros: 40_000,
    });
    expect(root?.startTime.getTime()).toBe(start);
    expect(root?.kind).toBe('server');
    expect(root?.tags).toEqual({ 'http.route': '/webhooks/stripe', 'http.status_code': 200 });
    expect(child).toMatchObject({ parentSpanId: 'eee19b7ec3c1b174', operationName: 'db.insert event', kind: 'client' });

    // The stable API v3 (docs 2.8, architecture/apis): RFC 3339 bounds and a trace count.
    const search = jaeger.query.requests.at(-1);
    expect(search?.path).toBe('/api/v3/traces');
    expect(search?.query.get('query.service_name')).toBe('webhook-service');
    expect(search?.query.get('query.num_traces')).toBe('5');
    const bounds = ['query.start_time_min', 'query.start_time_max'].map((k) => Date.parse(search?.query.get(k) ?? ''));
    expect((bounds[1] ?? 0) - (bounds[0] ?? 0)).toBe(60_000);

    // Nothing in the window: Jaeger answers 404 "No traces found", which is an empty list.
    await expect(client.traces('webhook-service', { lookbackMs: 1000 })).resolves.toEqual([]);
    await expect(client.traces('nobody')).resolves.toEqual([]);
  });

  it('takes gzipped OTLP bodies and files spans without service.name as Jaeger 2 does', async () => {
    const res = await sendSpans(
      exportRequest(undefined, [{ name: 'op', spanId: '0000000000000001', startMs: Date.now(), durationMs: 1 }]),
      { gzip: true },
    );
    expect(res.status).toBe(200);
    await expect(client.services()).resolves.toEqual(['missing-service-name']);
  });

  it('answers bad OTLP data with 400 and a Status, and binary protobuf with 415', async () => {
    const bad = await sendSpans({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: 'x' }] }] }],
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ message: expect.stringContaining('hex') });
    const proto = await sendSpans({}, { contentType: 'application/x-protobuf' });
    expect(proto.status).toBe(415);
    expect(jaeger.spanCount()).toBe(0);
  });

  it("turns Jaeger's structured errors into a clear message", async () => {
    jaeger.query.failWith(gatewayError(500, 'storage unavailable'), 1);
    const error = await failure(client.services(), ComponentRequestError);
    expect(error.message).toBe(`Jaeger: GET ${jaeger.query.url}/api/v3/services failed: HTTP 500: storage unavailable`);
  });

  it("reports a 404 that is not the API v3 gateway's (not Jaeger 2, or the wrong port) as such", async () => {
    jaeger.query.failWith({ status: 404, text: '404 page not found\n' }, 1);
    const error = await failure(client.traces('webhook-service'), ComponentRequestError);
    expect(error.failure).toBe('bad-response');
    expect(error.message).toContain('no query API v3 here');
  });

  it('times out and reports connection refused', async () => {
    jaeger.query.setLatency(500);
    const e1 = await failure(
      createJaegerClient({ baseUrl: jaeger.query.url, timeoutMs: 100 }).services(),
      ComponentRequestError,
    );
    expect(e1.failure).toBe('timeout');
    expect(e1.message).toContain('timeout after 100 ms');

    const port = await closedPort();
    const e2 = await failure(
      createJaegerClient({ baseUrl: `http://127.0.0.1:${port}` }).services(),
      ComponentRequestError,
    );
    expect(e2.failure).toBe('connection-refused');
    expect(e2.message).toContain('Jaeger');
  });
});

describe('the Jaeger fake answers as Jaeger 2.8 does (fakes/jaeger.ts names the pages and sources)', () => {
  const get = async (path: string) => {
    const res = await fetch(`${jaeger.query.url}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };

  it('leaves empty lists out of API v3 answers (proto3 JSON), and serves them as Go sniffs them (text/plain)', async () => {
    await expect(get('/api/v3/services')).resolves.toEqual({
      status: 200,
      type: 'text/plain; charset=utf-8',
      body: '{}',
    });
    await expect(get('/api/v3/operations?service=x')).resolves.toMatchObject({ status: 200, body: '{}' });
    // The internal API's readiness answer: data null while nothing is stored.
    const ready = await get('/api/services');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ data: null, total: 0, limit: 0, offset: 0, errors: null });
  });

  it('refuses a trace search without both time bounds, or with a bad one (400), and without a trace count (500)', async () => {
    const now = new Date().toISOString();
    const missing = await get('/api/v3/traces?query.service_name=s');
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body)).toEqual({
      error: { httpCode: 400, message: 'query.start_time_min and query.start_time_max are required' },
    });
    const bad = await get(`/api/v3/traces?query.start_time_min=yesterday&query.start_time_max=${now}`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(
      /^malformed parameter query.start_time_min: parsing time "yesterday"/,
    );
    // Jaeger's memory store refuses search depth 0 (internal/storage/v2/memory), reported as a 500.
    const noDepth = await get(`/api/v3/traces?query.start_time_min=${now}&query.start_time_max=${now}`);
    expect(noDepth.status).toBe(500);
    expect(JSON.parse(noDepth.body).error.message).toBe('search depth must be greater than 0 and less than max traces');
  });

  it('returns traces as OTLP JSON: hex ids, nanoseconds as strings, the resource with its service.name', async () => {
    const start = Date.now() - 1000;
    await sendSpans(exportRequest('svc', [{ name: 'op', spanId: 'eee19b7ec3c1b174', startMs: start, durationMs: 5 }]));
    const from = new Date(start - 1000).toISOString();
    const to = new Date().toISOString();
    const res = await get(
      `/api/v3/traces?query.service_name=svc&query.start_time_min=${from}&query.start_time_max=${to}&query.num_traces=1`,
    );
    expect(res.status).toBe(200);
    const span = JSON.parse(res.body).result.resourceSpans[0];
    expect(span.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'svc' } }]);
    expect(span.scopeSpans[0].spans[0]).toMatchObject({
      traceId: TRACE_ID,
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: '',
      kind: 2,
      startTimeUnixNano: String(BigInt(start) * 1_000_000n),
    });
    const none = await get(
      `/api/v3/traces?query.service_name=other&query.start_time_min=${from}&query.start_time_max=${to}&query.num_traces=1`,
    );
    expect(none).toMatchObject({ status: 404, type: 'text/plain; charset=utf-8' });
    expect(JSON.parse(none.body)).toEqual({ error: { httpCode: 404, message: 'No traces found' } });
  });
});

describe("the client's query API paths, against Jaeger 2.8's documentation", () => {
  it('uses only the stable API v3 routes (https://www.jaegertracing.io/docs/2.8/architecture/apis/)', async () => {
    // "16686 | HTTP | /api/v3/* | OTLP-based JSON over HTTP", status Stable; the routes are those of
    // proto/api_v3/query_service_http.yaml in jaegertracing/jaeger-idl. `/api/*` is "Internal … intentionally
    // undocumented and subject to change".
    const documented = ['/api/v3/traces', '/api/v3/services', '/api/v3/operations'];
    await client.services();
    await client.operations('webhook-service');
    await client.traces('webhook-service');
    expect(jaeger.query.requests.map((r) => r.path)).toEqual([
      '/api/v3/services',
      '/api/v3/operations',
      '/api/v3/traces',
    ]);
    expect(jaeger.query.requests.map((r) => r.path).filter((p) => !documented.includes(p))).toEqual([]);
  });
});
