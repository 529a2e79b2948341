/**
 * The fakes must take what the webhook service really sends: its logs go through pino-loki and its
 * spans through @opentelemetry/exporter-trace-otlp-http (the libraries and versions of service/). The
 * clients then see them as `wmon check` will: Loki has the service's logs, Jaeger knows the service.
 */
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import pino from 'pino';
import pinoLoki from 'pino-loki';
import { describe, expect, it } from 'vitest';
import { createJaegerClient, createLokiClient } from '../../../src/adapters/clients/index.js';
import { startFakeJaeger } from '../../support/fakes/jaeger.js';
import { startFakeLoki } from '../../support/fakes/loki.js';
import { eachTest } from '../../support/each-test.js';
import { eventually } from '../../support/wait.js';

/** The senders batch and retry in their own time; the fakes answer at once. */
const SENDER_WAIT = { timeoutMs: 10_000, intervalMs: 100 };

describe("the service's log sender (pino-loki) against the Loki fake", () => {
  const loki = eachTest(startFakeLoki);

  it('lands its lines where the Loki client finds them', async () => {
    const transport = pinoLoki({ host: loki().url, batching: false, labels: { service: 'webhook' } });
    const logger = pino({ base: { hostname: 'test' } }, transport);
    logger.info({ eventId: 'evt_123' }, 'event processed');

    const client = createLokiClient({ baseUrl: loki().url });
    await eventually(
      'the log line',
      async () => ((await client.hasRecentLogs('{service="webhook"}', 60_000)) ? true : undefined),
      SENDER_WAIT,
    );
    const result = await client.queryRange('{service="webhook", level="info"} |= "evt_123"', {
      start: new Date(Date.now() - 60_000),
    });
    expect(result.resultType).toBe('streams');
    const line = result.resultType === 'streams' ? result.result[0]?.entries[0]?.line : undefined;
    expect(JSON.parse(line ?? '{}')).toMatchObject({ msg: 'event processed', eventId: 'evt_123' });
    await expect(client.labelValues('service')).resolves.toEqual(['webhook']);
    transport.end();
  });
});

describe("the service's span exporter (OTLP/HTTP JSON) against the Jaeger fake", () => {
  const jaeger = eachTest(startFakeJaeger);

  it('makes the service known to Jaeger, with its operations and traces', async () => {
    const exporter = new OTLPTraceExporter({ url: `${jaeger().otlp.url}/v1/traces` });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'webhook-service' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('wmon-test');
    const parent = tracer.startSpan('POST /webhooks/stripe', { attributes: { 'http.route': '/webhooks/stripe' } });
    parent.end();
    await provider.forceFlush();

    const client = createJaegerClient({ baseUrl: jaeger().query.url });
    await eventually(
      'the service',
      async () => ((await client.services()).includes('webhook-service') ? true : undefined),
      SENDER_WAIT,
    );
    await expect(client.operations('webhook-service')).resolves.toEqual(['POST /webhooks/stripe']);
    const traces = await client.traces('webhook-service', { lookbackMs: 60_000 });
    expect(traces[0]?.spans[0]).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      operationName: 'POST /webhooks/stripe',
      serviceName: 'webhook-service',
      tags: { 'http.route': '/webhooks/stripe' },
    });
    expect(jaeger().otlp.requests[0]?.headers['content-type']).toMatch(/^application\/json/);
    await provider.shutdown();
  });
});
