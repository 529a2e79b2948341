import type { ReadinessBody } from '@wmon/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ComponentRequestError,
  createServiceClient,
  findSamples,
  type ServiceClient,
} from '../../../src/adapters/clients/index.js';
import { closedPort, startFakeServer, type FakeResponse, type FakeServerControl } from '../../support/fakes/http.js';

// The service's three probes, with the bodies service/src/http/server.ts answers (the contract's ReadinessBody).
let readyz: FakeResponse;
let server: FakeServerControl;
let client: ServiceClient;

const METRICS = `# HELP webhook_requests_total HTTP requests handled.
# TYPE webhook_requests_total counter
webhook_requests_total{method="POST",route="/webhooks/stripe",status="200"} 41
webhook_requests_total{method="POST",route="/webhooks/stripe",status="400"} 2
# HELP webhook_db_up 1 when the database answers.
# TYPE webhook_db_up gauge
webhook_db_up 1
`;

beforeEach(async () => {
  readyz = {
    status: 200,
    json: { status: 'ok', checks: { database: { ok: true, latencyMs: 1 }, cache: { ok: true } } },
  };
  server = await startFakeServer((req) => {
    if (req.path === '/healthz') return { status: 200, json: { status: 'ok' } };
    if (req.path === '/readyz') return readyz;
    if (req.path === '/metrics')
      return { status: 200, text: METRICS, contentType: 'text/plain; version=0.0.4; charset=utf-8' };
    return { status: 404, json: { error: 'not found' } };
  });
  client = createServiceClient({ baseUrl: server.url, timeoutMs: 2000 });
});

afterEach(async () => {
  await server.close();
});

/** What the client reads: the database up, the cache up (no problem) or down with this problem. */
function readiness(status: number, state: string, cacheProblem: string | undefined) {
  const dependencies = [
    { name: 'database', ok: true, detail: undefined },
    { name: 'cache', ok: cacheProblem === undefined, detail: cacheProblem },
  ];
  return { ready: status === 200, status, state, dependencies };
}

describe('webhook service client', () => {
  it('reads liveness', async () => {
    await expect(client.healthz()).resolves.toBe(true);
  });

  it('reads readiness per dependency, ready or not', async () => {
    await expect(client.readyz()).resolves.toEqual(readiness(200, 'ok', undefined));
    readyz = {
      status: 503,
      json: {
        status: 'not_ready',
        checks: { database: { ok: true }, cache: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:6379' } },
      } satisfies ReadinessBody,
    };
    await expect(client.readyz()).resolves.toEqual(readiness(503, 'not_ready', 'connect ECONNREFUSED 127.0.0.1:6379'));
  });

  it('reads a shutting-down service as not ready, with no checks', async () => {
    readyz = { status: 503, json: { status: 'shutting_down', checks: {} } satisfies ReadinessBody };
    await expect(client.readyz()).resolves.toEqual({
      ready: false,
      status: 503,
      state: 'shutting_down',
      dependencies: [],
    });
  });

  it('accepts the other common readiness shapes', async () => {
    readyz = {
      status: 503,
      json: {
        dependencies: [
          { name: 'database', status: 'down', message: 'timeout' },
          { name: 'cache', status: 'up' },
        ],
      },
    };
    await expect(client.readyz()).resolves.toMatchObject({
      ready: false,
      dependencies: [
        { name: 'database', ok: false, detail: 'timeout' },
        { name: 'cache', ok: true },
      ],
    });
    readyz = { status: 200, json: { checks: { database: 'ok', cache: true } } };
    await expect(client.readyz()).resolves.toMatchObject({ ready: true, dependencies: [{ ok: true }, { ok: true }] });
  });

  it('calls a readiness answer without checks a bad response', async () => {
    readyz = { status: 200, text: 'OK' };
    const error = await client.readyz().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentRequestError);
    expect((error as ComponentRequestError).failure).toBe('bad-response');
    expect((error as ComponentRequestError).message).toContain('webhook service');
  });

  it('scrapes and parses metrics, asking for the text format', async () => {
    const families = await client.metrics();
    expect(server.requests.at(-1)?.headers.accept).toMatch(/^text\/plain/);
    expect(findSamples(families, 'webhook_requests_total', { status: '200' })[0]?.value).toBe(41);
    expect(findSamples(families, 'webhook_db_up')[0]?.value).toBe(1);
    await expect(client.metricsText()).resolves.toBe(METRICS);
  });

  it('reports unparsable metrics, timeouts and a stopped service clearly', async () => {
    server.failWith({ status: 200, text: 'webhook_requests_total{ 1' }, 1);
    await expect(client.metrics()).rejects.toThrow(
      /webhook service: GET .*\/metrics failed: not Prometheus text format: line 1/,
    );

    server.setLatency(400);
    await expect(createServiceClient({ baseUrl: server.url, timeoutMs: 100 }).healthz()).rejects.toThrow(
      /timeout after 100 ms/,
    );

    const port = await closedPort();
    await expect(createServiceClient({ baseUrl: `http://127.0.0.1:${port}` }).readyz()).rejects.toThrow(
      `webhook service: GET http://127.0.0.1:${port}/readyz failed: connection refused`,
    );
  });

  it('posts a signed event byte for byte and returns every answer, refusals included', async () => {
    const { default: Stripe } = await import('stripe');
    const secret = 'whsec_client_test';
    // Odd spacing and key order: any re-serialisation on the way would break the signature.
    const payload =
      '{"id":"evt_client1",  "object":"event","type":"balance.available","created":1700000000,"data":{"object":{"object":"balance"}}}';
    const received: { body: string; signature: string | undefined; contentType: string | undefined }[] = [];
    const receiver = await startFakeServer((req) => {
      const body = req.body.toString('utf8');
      const signature = req.headers['stripe-signature'] as string | undefined;
      received.push({ body, signature, contentType: req.headers['content-type'] });
      try {
        Stripe.webhooks.constructEvent(body, signature ?? '', secret);
        return { status: 200, json: { received: true } };
      } catch {
        return {
          status: 400,
          json: {
            error: 'signature_mismatch',
            message: 'no v1 signature matches the payload for any configured secret',
          },
        };
      }
    });
    try {
      const c = createServiceClient({ baseUrl: receiver.url, timeoutMs: 2000 });
      await expect(
        c.postEvent(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret })),
      ).resolves.toEqual({ status: 200, body: '{"received":true}' });
      expect(received[0]).toMatchObject({ body: payload, contentType: 'application/json' });

      const refused = await c.postEvent(
        payload,
        Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other' }),
      );
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('signature_mismatch');
    } finally {
      await receiver.close();
    }

    const port = await closedPort();
    await expect(
      createServiceClient({ baseUrl: `http://127.0.0.1:${port}` }).postEvent(payload, 't=1,v1=00'),
    ).rejects.toThrow(`webhook service: POST http://127.0.0.1:${port}/webhooks/stripe failed: connection refused`);
  });
});
