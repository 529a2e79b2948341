/**
 * The plumbing the contract fakes share: a node:http server on 127.0.0.1 and a random port, the
 * requests it saw, injected latency (for timeout tests) and injected failures (an HTTP status, or a
 * connection reset). Each fake (grafana.ts, loki.ts, jaeger.ts) supplies only the documented API.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface FakeResponse {
  readonly status: number;
  /** Serialized as JSON with `Content-Type: application/json`. */
  readonly json?: unknown;
  /** Sent as is (`Content-Type: text/plain; charset=utf-8` unless `contentType` says otherwise). */
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** An injected failure: answer with this instead, or drop the connection without an answer. */
export type InjectedFailure = FakeResponse | { readonly reset: true };

export interface FakeServerControl {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every request seen, oldest first. */
  readonly requests: FakeRequest[];
  /** Wait this long before answering each request (0 to stop). */
  setLatency(ms: number): void;
  /** Answer the next `times` requests (default: all, until cleared) with `failure`. */
  failWith(failure: InjectedFailure | undefined, times?: number): void;
  close(): Promise<void>;
}

export async function startFakeServer(handler: Handler): Promise<FakeServerControl> {
  let latencyMs = 0;
  let failure: InjectedFailure | undefined;
  let failuresLeft = Number.POSITIVE_INFINITY;
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip' && body.length > 0) body = gunzipSync(body);
        const fakeReq: FakeRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
        };
        requests.push(fakeReq);
        if (latencyMs > 0) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              timers.delete(t);
              resolve();
            }, latencyMs);
            timers.add(t);
          });
        }
        if (res.destroyed) return;
        let answer: FakeResponse | { reset: true };
        if (failure && failuresLeft > 0) {
          answer = failure;
          failuresLeft--;
          if (failuresLeft === 0) failure = undefined;
        } else {
          try {
            answer = await handler(fakeReq);
          } catch (error) {
            answer = { status: 500, text: `fake server bug: ${error instanceof Error ? error.stack : String(error)}` };
          }
        }
        if ('reset' in answer) {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = { ...answer.headers };
        let payload = '';
        if (answer.json !== undefined) {
          headers['Content-Type'] = answer.contentType ?? 'application/json';
          payload = JSON.stringify(answer.json);
        } else if (answer.text !== undefined) {
          headers['Content-Type'] = answer.contentType ?? 'text/plain; charset=utf-8';
          payload = answer.text;
        }
        res.writeHead(answer.status, headers);
        res.end(payload);
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setLatency(ms) {
      latencyMs = ms;
    },
    failWith(f, times) {
      failure = f;
      failuresLeft = times ?? Number.POSITIVE_INFINITY;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The Authorization header, decoded. */
export function readAuthorization(
  headers: IncomingHttpHeaders,
):
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'malformed' } {
  const h = headers.authorization;
  if (!h) return { kind: 'none' };
  const [scheme, value = ''] = h.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value) return { kind: 'bearer', token: value };
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { kind: 'malformed' };
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { kind: 'malformed' };
}

/** A port on 127.0.0.1 where nothing listens (for connection-refused tests). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
