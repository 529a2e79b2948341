/**
 * Logs to Loki and traces over OTLP/HTTP: delivered when the targets answer, and harmless (no errors, no
 * added latency, a prompt shutdown) when they are absent or hang.
 */
import http from 'node:http';
import type net from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { lokiTarget } from '../src/observability/logging.js';
import { tracesUrl } from '../src/observability/tracing.js';
import { event, post, SECRET, tempDir, waitFor } from './helpers/service.js';

interface Fake {
  readonly url: string;
  readonly requests: { path: string; body: string; contentType: string | undefined }[];
  close(): Promise<void>;
}

/** An HTTP server that records what it is sent (mode 'ok'), or accepts connections and never answers ('hang'). */
async function fakeServer(mode: 'ok' | 'hang'): Promise<Fake> {
  const requests: Fake['requests'] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        contentType: req.headers['content-type'],
      });
      if (mode === 'ok') {
        res.writeHead(req.url?.startsWith('/loki') ? 204 : 200, { 'content-type': 'application/json' });
        res.end(req.url?.startsWith('/loki') ? undefined : '{}');
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let service: Service | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await service?.stop();
  service = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function start(env: Record<string, string>): Promise<string> {
  const dir = tempDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({
    STRIPE_WEBHOOK_SECRET: SECRET,
    DATABASE_URL: `sqlite:${join(dir, 'w.db')}`,
    PORT: '0',
    METRICS_PORT: '0',
    RATE_LIMIT_PER_CLIENT: '0',
    RATE_LIMIT_GLOBAL: '0',
    LOG_LEVEL: 'info',
    ...env,
  });
  // The logger comes from the configuration here (stdout + Loki), as in production.
  service = createService(config, { healthIntervalMs: 500 });
  return service.start();
}

describe('Loki and OTLP', () => {
  it('pushes JSON logs to Loki with service labels, and spans to the OTLP endpoint', async () => {
    const loki = await fakeServer('ok');
    const otlp = await fakeServer('ok');
    cleanups.push(
      () => loki.close(),
      () => otlp.close(),
    );
    const url = await start({
      LOKI_URL: loki.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: 'webhook-under-test',
    });
    expect((await post(`${url}/webhooks/stripe`, event('charge.succeeded'))).status).toBe(200);
    expect((await post(`${url}/webhooks/stripe`, event('charge.succeeded'), { secret: 'whsec_wrong' })).status).toBe(
      400,
    );

    const push = await waitFor(
      () => loki.requests.find((r) => r.path === '/loki/api/v1/push' && r.body.includes('webhook rejected')),
      (r) => r !== undefined,
      'a Loki push with the rejection',
    );
    const streams = (
      JSON.parse(push!.body) as { streams: { stream: Record<string, string>; values: [string, string][] }[] }
    ).streams;
    const line = streams
      .flatMap((s) => s.values.map((v) => ({ labels: s.stream, line: JSON.parse(v[1]) as Record<string, unknown> })))
      .find((l) => l.line.msg === 'webhook rejected: bad signature');
    expect(line?.labels).toMatchObject({ service: 'webhook-under-test', job: 'wmon-webhook', level: 'warning' });
    expect(line?.line).toMatchObject({ reason: 'signature_mismatch', service: 'webhook-under-test' });

    const spans = await waitFor(
      () =>
        otlp.requests
          .filter((r) => r.path === '/v1/traces')
          .map((r) => r.body)
          .join('\n'),
      (text) => text.includes('POST /webhooks/stripe') && text.includes('process charge.succeeded'),
      'the request and processing spans',
    );
    expect(spans).toContain('webhook-under-test');
  });

  it('is harmless when Loki and the collector are down or hang: no errors, no added latency, prompt shutdown', async () => {
    const hangingLoki = await fakeServer('hang');
    const hangingOtlp = await fakeServer('hang');
    cleanups.push(
      () => hangingLoki.close(),
      () => hangingOtlp.close(),
    );
    for (const [loki, otlp] of [
      ['http://127.0.0.1:9', 'http://127.0.0.1:9'], // nothing listens on the discard port
      [hangingLoki.url, hangingOtlp.url],
    ] as const) {
      const url = await start({ LOKI_URL: loki, OTEL_EXPORTER_OTLP_ENDPOINT: otlp });
      const latencies: number[] = [];
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          Array.from({ length: 40 }, async () => {
            const t = performance.now();
            const r = await post(`${url}/webhooks/stripe`, event('invoice.paid'));
            latencies.push(performance.now() - t);
            return r.status;
          }),
        );
        expect(results.every((s) => s === 200)).toBe(true);
        await new Promise((r) => setTimeout(r, 300)); // let the exporters try (and fail) in between
      }
      latencies.sort((a, b) => a - b);
      expect(latencies[Math.floor(latencies.length * 0.99)]).toBeLessThan(1000);
      const t = performance.now();
      await service!.stop();
      service = undefined;
      expect(performance.now() - t).toBeLessThan(8000);
    }
    expect(hangingLoki.requests.length + hangingOtlp.requests.length).toBeGreaterThan(0); // they were tried
  });
});

describe('endpoint URLs', () => {
  it('derives the Loki push URL and the OTLP traces URL', () => {
    expect(lokiTarget('http://loki:3100')).toEqual({ host: 'http://loki:3100/', endpoint: 'loki/api/v1/push' });
    expect(lokiTarget('http://gw/loki/')).toEqual({ host: 'http://gw/loki/', endpoint: 'loki/api/v1/push' });
    expect(lokiTarget('http://loki:3100/loki/api/v1/push')).toEqual({
      host: 'http://loki:3100/',
      endpoint: 'loki/api/v1/push',
    });
    expect(tracesUrl('http://jaeger:4318')).toBe('http://jaeger:4318/v1/traces');
    expect(tracesUrl('http://jaeger:4318/')).toBe('http://jaeger:4318/v1/traces');
  });
});
