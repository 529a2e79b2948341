/**
 * A local server for Stripe's List Events and Retrieve Event API, as Stripe documents them, for tests that
 * point the official `stripe` library at it (its `host`, `port` and `protocol` options):
 *
 * - `GET /v1/events`: `created[gte|gt|lte|lt]` (or `created=<ts>`), `type` (with a `*` wildcard) or
 *   `types[]` (up to 20), `delivery_success`, `limit` (1–100, default 10), `starting_after` /
 *   `ending_before`; newest first; `{object: "list", data, has_more, url}`.
 * - `GET /v1/events/:id`: the event, or 404 `resource_missing`.
 * - Bearer (or Basic) API key: a missing or unknown key answers 401 with Stripe's error body, the key
 *   masked (`Invalid API Key provided: rk_test_****abcd`).
 * - `rateLimit(n, retryAfter)`: the next n requests answer 429 with `Retry-After` and Stripe's body.
 *
 * Only node:http: the tests import it, and the CLI's e2e test starts it on a port the containers reach.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StripeTestEvent {
  readonly id: string;
  readonly object?: 'event';
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly data: { readonly object: Record<string, unknown> };
  readonly [key: string]: unknown;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly status: number;
}

export interface StripeApiServer {
  /** http://host:port, for STRIPE_API_BASE. */
  readonly url: string;
  readonly port: number;
  /** Requests answered, in order. */
  readonly requests: RecordedRequest[];
  /** Add events (`deliverySuccess` false: Stripe's webhooks for it failed or are pending). */
  add(events: readonly StripeTestEvent[], options?: { deliverySuccess?: boolean }): void;
  /** After `afterRequests` more requests, the next `count` answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(count: number, retryAfterSeconds: number, afterRequests?: number): void;
  /** Called before a Retrieve Event answers (a test delivers the same event by webhook meanwhile). */
  onRetrieve: ((id: string) => Promise<void> | void) | undefined;
  close(): Promise<void>;
}

const ERROR_DOCS = 'https://stripe.com/docs/error-codes';

function mask(key: string): string {
  const m = /^((?:sk|rk|pk)_(?:test|live)_)/.exec(key);
  return `${m ? m[1] : ''}****${key.slice(-4)}`;
}

function stripeError(
  res: ServerResponse,
  status: number,
  error: { message: string; type: string; code?: string; param?: string },
  headers: Record<string, string> = {},
): number {
  const body = JSON.stringify({
    error: {
      ...(error.code ? { code: error.code, doc_url: `${ERROR_DOCS}/${error.code.replace(/_/g, '-')}` } : {}),
      ...error,
    },
  });
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_test${Date.now()}`, ...headers });
  res.end(body);
  return status;
}

/** The API key of a request: `Authorization: Bearer <key>`, or Basic with the key as user name. */
function apiKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  if (auth.startsWith('Bearer ')) return auth.slice(7).trim();
  if (auth.startsWith('Basic ')) return Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0];
  return undefined;
}

/** Start the server on `port` (0: a free one) at `host`, accepting only `key`. */
export async function startStripeApi(
  key: string,
  options: { host?: string; port?: number } = {},
): Promise<StripeApiServer> {
  const events: { event: StripeTestEvent; deliverySuccess: boolean }[] = [];
  const requests: RecordedRequest[] = [];
  let limited = { count: 0, retryAfter: 1, after: 0 };
  const api = { onRetrieve: undefined as StripeApiServer['onRetrieve'] };

  const sorted = () =>
    [...events].sort((a, b) => b.event.created - a.event.created || (a.event.id < b.event.id ? 1 : -1));

  async function answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<number> {
    if (limited.count > 0 && limited.after > 0) limited.after--;
    else if (limited.count > 0) {
      limited.count--;
      return stripeError(
        res,
        429,
        {
          message:
            'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
          type: 'invalid_request_error',
          code: 'rate_limit',
        },
        { 'retry-after': String(limited.retryAfter) },
      );
    }
    const given = apiKey(req);
    if (given === undefined) {
      return stripeError(res, 401, {
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        type: 'invalid_request_error',
      });
    }
    if (given !== key) {
      return stripeError(res, 401, {
        message: `Invalid API Key provided: ${mask(given)}`,
        type: 'invalid_request_error',
      });
    }
    if (req.method !== 'GET') {
      return stripeError(res, 405, {
        message: `Unrecognized request URL (${req.method}: ${url.pathname}).`,
        type: 'invalid_request_error',
      });
    }
    const one = /^\/v1\/events\/([^/]+)$/.exec(url.pathname);
    if (one) {
      const id = decodeURIComponent(one[1]!);
      await api.onRetrieve?.(id);
      const found = events.find((e) => e.event.id === id);
      if (!found) {
        return stripeError(res, 404, {
          message: `No such event: '${id}'`,
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'id',
        });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(found.event));
      return 200;
    }
    if (url.pathname !== '/v1/events') {
      return stripeError(res, 404, {
        message: `Unrecognized request URL (GET: ${url.pathname}).`,
        type: 'invalid_request_error',
      });
    }
    const q = url.searchParams;
    const invalid = (param: string, message: string) =>
      stripeError(res, 400, { message, type: 'invalid_request_error', code: 'parameter_invalid_integer', param });
    const limitText = q.get('limit') ?? '10';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 100)
      return invalid('limit', 'This value must be greater than or equal to 1 and less than or equal to 100.');
    const bounds: [string, (c: number, v: number) => boolean][] = [
      ['gte', (c, v) => c >= v],
      ['gt', (c, v) => c > v],
      ['lte', (c, v) => c <= v],
      ['lt', (c, v) => c < v],
    ];
    const filters: ((e: StripeTestEvent) => boolean)[] = [];
    for (const [op, test] of bounds) {
      const v = q.get(`created[${op}]`);
      if (v === null) continue;
      if (!/^\d+$/.test(v)) return invalid(`created[${op}]`, 'Invalid integer: ' + v);
      filters.push((e) => test(e.created, Number(v)));
    }
    const exact = q.get('created');
    if (exact !== null) filters.push((e) => e.created === Number(exact));
    const types = [...q.entries()].filter(([k]) => /^types\[\d*\]$/.test(k)).map(([, v]) => v);
    const type = q.get('type');
    if (types.length > 0 && type !== null)
      return stripeError(res, 400, {
        message: 'You may pass either `type` or `types`, but not both.',
        type: 'invalid_request_error',
      });
    if (types.length > 20)
      return stripeError(res, 400, {
        message: 'You may pass at most 20 types.',
        type: 'invalid_request_error',
        param: 'types',
      });
    if (types.length > 0) filters.push((e) => types.includes(e.type));
    if (type !== null) {
      const re = new RegExp(`^${type.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
      filters.push((e) => re.test(e.type));
    }
    const delivery = q.get('delivery_success');
    const all = sorted().filter(
      (x) => filters.every((f) => f(x.event)) && (delivery === null || x.deliverySuccess === (delivery === 'true')),
    );
    let list = all;
    const after = q.get('starting_after');
    const before = q.get('ending_before');
    for (const [param, id] of [
      ['starting_after', after],
      ['ending_before', before],
    ] as const) {
      if (id !== null && !events.some((e) => e.event.id === id)) {
        return stripeError(res, 400, {
          message: `No such event: '${id}'`,
          type: 'invalid_request_error',
          code: 'resource_missing',
          param,
        });
      }
    }
    if (after !== null) {
      const at = list.findIndex((x) => x.event.id === after);
      list = at === -1 ? [] : list.slice(at + 1);
    } else if (before !== null) {
      const at = list.findIndex((x) => x.event.id === before);
      list = at === -1 ? [] : list.slice(Math.max(0, at - limit), at);
    }
    const page = list.slice(0, limit);
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_test${Date.now()}` });
    res.end(
      JSON.stringify({
        object: 'list',
        data: page.map((x) => x.event),
        has_more: list.length > page.length,
        url: '/v1/events',
      }),
    );
    return 200;
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stripe.test');
    answer(req, res, url).then(
      (status) => requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, status }),
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err), type: 'api_error' } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${addr.port}`,
    port: addr.port,
    requests,
    add(list, opts = {}) {
      for (const event of list)
        events.push({ event: { object: 'event', ...event }, deliverySuccess: opts.deliverySuccess ?? false });
    },
    rateLimit(count, retryAfterSeconds, afterRequests = 0) {
      limited = { count, retryAfter: retryAfterSeconds, after: afterRequests };
    },
    get onRetrieve() {
      return api.onRetrieve;
    },
    set onRetrieve(fn) {
      api.onRetrieve = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
