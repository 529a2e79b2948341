import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentRequestError, createJaegerClient, type JaegerClient } from '../../../src/adapters/clients/index.js';
import { closedPort } from '../../support/fakes/http.js';
import { startFakeJaeger, type FakeJaeger } from '../../support/fakes/jaeger.js';
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
function exportRequest(service: string | undefined, spans: { name: string; spanId: string; parentSpanId?: string; startMs: number; durationMs: number; kind?: number }[]) {
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
    headers: { 'Content-Type': init.contentType ?? 'application/json', ...(init.gzip ? { 'Content-Encoding': 'gzip' } : {}) },
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
        { name: 'db.insert event', spanId: 'eee19b7ec3c1b175', parentSpanId: 'eee19b7ec3c1b174', startMs: start + 5, durationMs: 10, kind: 3 },
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
    expect(root).toMatchObject({ spanId: 'eee19b7ec3c1b174', parentSpanId: undefined, operationName: 'POST /webhooks/stripe', serviceName: 'webhook-service', durationMicros: 40_000 });
    expect(root?.startTime.getTime()).toBe(start);
    expect(root?.tags).toMatchObject({ 'http.route': '/webhooks/stripe', 'http.status_code': 200, 'span.kind': 'server' });
    expect(child).toMatchObject({ parentSpanId: 'eee19b7ec3c1b174', operationName: 'db.insert event' });

    const query = jaeger.query.requests.at(-1)?.query;
    expect(query?.get('service')).toBe('webhook-service');
    expect(query?.get('limit')).toBe('5');
    expect(Number(query?.get('end')) - Number(query?.get('start'))).toBe(60_000_000);

    await expect(client.traces('webhook-service', { lookbackMs: 1000 })).resolves.toEqual([]);
  });

  it('takes gzipped OTLP bodies and files spans without service.name as Jaeger does', async () => {
    const res = await sendSpans(exportRequest(undefined, [{ name: 'op', spanId: '0000000000000001', startMs: Date.now(), durationMs: 1 }]), { gzip: true });
    expect(res.status).toBe(200);
    await expect(client.services()).resolves.toEqual(['OTLPResourceNoServiceName']);
  });

  it('answers bad OTLP data with 400 and a Status, and binary protobuf with 415', async () => {
    const bad = await sendSpans({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: 'x' }] }] }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ message: expect.stringContaining('hex') });
    const proto = await sendSpans({}, { contentType: 'application/x-protobuf' });
    expect(proto.status).toBe(415);
    expect(jaeger.spanCount()).toBe(0);
  });

  it('turns Jaeger\'s structured errors into a clear message', async () => {
    jaeger.query.failWith({ status: 500, json: { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 500, msg: 'storage unavailable' }] } }, 1);
    const error = await failure(client.services(), ComponentRequestError);
    expect(error.message).toBe(`Jaeger: GET ${jaeger.query.url}/api/services failed: HTTP 500: storage unavailable`);
  });

  it('times out and reports connection refused', async () => {
    jaeger.query.setLatency(500);
    const e1 = await failure(createJaegerClient({ baseUrl: jaeger.query.url, timeoutMs: 100 }).services(), ComponentRequestError);
    expect(e1.failure).toBe('timeout');
    expect(e1.message).toContain('timeout after 100 ms');

    const port = await closedPort();
    const e2 = await failure(createJaegerClient({ baseUrl: `http://127.0.0.1:${port}` }).services(), ComponentRequestError);
    expect(e2.failure).toBe('connection-refused');
    expect(e2.message).toContain('Jaeger');
  });
});
