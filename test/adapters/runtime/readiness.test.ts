import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadinessError, readinessUrl, waitForHttp } from '../../../src/adapters/runtime/readiness.js';
import type { ContainerSpec } from '../../../src/core/model/container-types.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(r);
        }),
    ),
  );
});

/** A server whose handler sees the request number (1-based). */
async function serve(
  handler: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; count: () => number }> {
  let n = 0;
  const server = http.createServer((req, res) => handler(++n, req, res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/-/ready`, count: () => n };
}

async function rejection(promise: Promise<unknown>): Promise<ReadinessError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ReadinessError)) throw new Error(`expected a ReadinessError, got ${String(error)}`);
  return error;
}

describe('waitForHttp', () => {
  it('waits until the server answers 200, then returns the answer', async () => {
    const server = await serve((n, _req, res) => {
      if (n <= 3) res.writeHead(503).end('Service Unavailable');
      else res.end('Prometheus Server is Ready.');
    });
    const seen: string[] = [];
    const ready = await waitForHttp({
      url: server.url,
      timeoutMs: 10_000,
      intervalMs: 10,
      onAttempt: (a) => seen.push(a.last),
    });
    expect(ready).toMatchObject({ status: 200, body: 'Prometheus Server is Ready.', attempts: 4 });
    expect(seen).toEqual(Array(3).fill('HTTP 503 "Service Unavailable"'));
    expect(server.count()).toBe(4);
  });

  it('fails at the deadline naming the URL, the time waited and the last answer', async () => {
    const server = await serve((_n, _req, res) => res.writeHead(503).end('  warming\n up  '));
    const started = Date.now();
    const error = await rejection(waitForHttp({ url: server.url, name: 'prometheus', timeoutMs: 600, intervalMs: 50 }));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(600);
    expect(waited).toBeLessThan(2500);
    expect(error.exit).toBe(75);
    expect(error.code).toBe('NOT_READY');
    expect(error.url).toBe(server.url);
    expect(error.lastAnswer).toBe('HTTP 503 "warming up"');
    expect(error.message).toMatch(
      new RegExp(
        `^prometheus \\(${server.url.replace(/[.]/g, '\\.')}\\) did not become ready: no acceptable answer after 0\\.[6-9] s and \\d+ attempts; last answer: HTTP 503 "warming up"$`,
      ),
    );
  });

  it('reports a refused connection', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((r) => probe.close(r));
    const error = await rejection(
      waitForHttp({ url: `http://127.0.0.1:${port}/ready`, timeoutMs: 300, intervalMs: 50 }),
    );
    expect(error.lastAnswer).toBe('connection refused');
  });

  it('bounds each attempt by its own timeout', async () => {
    const server = await serve(() => {
      /* never answers */
    });
    const error = await rejection(
      waitForHttp({ url: server.url, timeoutMs: 500, attemptTimeoutMs: 150, intervalMs: 10 }),
    );
    expect(error.lastAnswer).toBe('no answer within the attempt timeout');
    expect(error.attempts).toBeGreaterThanOrEqual(2);
  });

  it('checks the body when asked (Grafana answers 200 before its database is ok)', async () => {
    const server = await serve((n, _req, res) => res.end(JSON.stringify({ database: n < 3 ? 'failing' : 'ok' })));
    const ready = await waitForHttp({
      url: server.url,
      bodyIncludes: '"database":"ok"',
      timeoutMs: 5000,
      intervalMs: 10,
    });
    expect(ready.attempts).toBe(3);
    const never = await serve((_n, _req, res) => res.end('{"database":"failing"}'));
    const error = await rejection(
      waitForHttp({ url: never.url, bodyIncludes: '"database":"ok"', timeoutMs: 200, intervalMs: 20 }),
    );
    expect(error.lastAnswer).toBe(
      'HTTP 200 "{\\"database\\":\\"failing\\"}" (expected it to contain "\\"database\\":\\"ok\\"")',
    );
  });

  it('gives up early when told to, with the diagnosis in the message', async () => {
    const server = await serve((_n, _req, res) => res.writeHead(502).end());
    let checks = 0;
    const started = Date.now();
    const error = await rejection(
      waitForHttp({
        url: server.url,
        name: 'alertmanager',
        timeoutMs: 30_000,
        intervalMs: 10,
        giveUpIf: async () => (++checks >= 2 ? 'container exited with code 1' : undefined),
        diagnose: async () => 'last log lines:\n  level=error msg="Loading configuration file failed"',
      }),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toContain('did not become ready: gave up: container exited with code 1 after');
    expect(error.message).toContain(
      'last answer: HTTP 502 (empty body)\nlast log lines:\n  level=error msg="Loading configuration file failed"',
    );
  });

  it('stops when the caller aborts', async () => {
    const server = await serve((_n, _req, res) => res.writeHead(503).end());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(
      waitForHttp({ url: server.url, timeoutMs: 30_000, intervalMs: 20, signal: controller.signal }),
    );
    expect(error.message).toContain('waiting was cancelled');
  });
});

describe('readinessUrl', () => {
  const spec = (hostIp: string): ContainerSpec => ({
    name: 'wmon-demo-prometheus',
    component: 'prometheus',
    image: 'docker.io/prom/prometheus:v3.5.0',
    ports: [{ containerPort: 9090, hostPort: 19090, hostIp }],
    volumes: [],
    binds: [],
    aliases: [],
    labels: {},
    restartPolicy: 'unless-stopped',
    readiness: { path: '/-/ready', containerPort: 9090 },
    dependsOn: [],
  });

  it('reaches the probe through the host binding', () => {
    expect(readinessUrl(spec('127.0.0.1'))).toBe('http://127.0.0.1:19090/-/ready');
    expect(readinessUrl(spec('0.0.0.0'))).toBe('http://127.0.0.1:19090/-/ready');
    expect(readinessUrl(spec('::'))).toBe('http://[::1]:19090/-/ready');
    expect(readinessUrl({ ...spec('127.0.0.1'), readiness: undefined })).toBeUndefined();
  });
});
