import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ComponentRequestError,
  createLokiClient,
  dateToNs,
  type LokiClient,
} from '../../../src/adapters/clients/index.js';
import { closedPort } from '../../support/fakes/http.js';
import { startFakeLoki, type FakeLoki } from '../../support/fakes/loki.js';
import { failure } from '../../support/failures.js';

let loki: FakeLoki;
let client: LokiClient;

beforeEach(async () => {
  loki = await startFakeLoki();
  client = createLokiClient({ baseUrl: loki.url, timeoutMs: 2000 });
});

afterEach(async () => {
  await loki.close();
});

const SERVICE = { service: 'webhook', level: 'info' };
/** The stream as Loki 3.5 indexes it: discover_service_name adds service_name from the service label. */
const INDEXED = { ...SERVICE, service_name: 'webhook' };
/** A line's labels in query results: the stream's, plus structured metadata (detected_level, from the level label). */
const RETURNED = { ...INDEXED, detected_level: 'info' };

describe('Loki client against the contract fake', () => {
  it('reads readiness: 200 ready, 503 starting', async () => {
    await expect(client.ready()).resolves.toBe(true);
    loki.setReady(false);
    await expect(client.ready()).resolves.toBe(false);
  });

  it('pushes JSON streams with nanosecond string timestamps (204)', async () => {
    const t = new Date('2026-01-02T03:04:05.678Z');
    await client.push([
      {
        labels: SERVICE,
        entries: [
          { time: t, line: 'hello' },
          { time: 1767323045678000001n, line: 'precise' },
        ],
      },
    ]);
    const req = loki.requests.at(-1);
    expect(req?.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req?.body.toString() ?? '')).toEqual({
      streams: [
        {
          stream: SERVICE,
          values: [
            ['1767323045678000000', 'hello'],
            ['1767323045678000001', 'precise'],
          ],
        },
      ],
    });
    expect(loki.streams()).toEqual([{ labels: INDEXED, lines: ['hello', 'precise'] }]);
  });

  it('queries what was pushed over a range, newest first, with limit and line filters', async () => {
    const now = Date.now();
    await client.push([
      {
        labels: SERVICE,
        entries: [
          { time: new Date(now - 3000), line: 'event evt_1 processed' },
          { time: new Date(now - 2000), line: 'event evt_2 failed' },
          { time: new Date(now - 1000), line: 'event evt_3 processed' },
        ],
      },
      { labels: { service: 'other', level: 'info' }, entries: [{ time: new Date(now - 1500), line: 'not ours' }] },
    ]);
    const start = new Date(now - 60_000);
    const all = await client.queryRange('{service="webhook"}', { start, end: new Date(now + 1000) });
    expect(all.resultType).toBe('streams');
    if (all.resultType !== 'streams') return;
    expect(all.result).toHaveLength(1);
    expect(all.result[0]?.labels).toEqual(RETURNED);
    expect(all.result[0]?.entries.map((e) => e.line)).toEqual([
      'event evt_3 processed',
      'event evt_2 failed',
      'event evt_1 processed',
    ]);
    expect(all.result[0]?.entries[0]?.timestampNs).toBe(dateToNs(new Date(now - 1000)));
    expect(all.result[0]?.entries[0]?.time.getTime()).toBe(now - 1000);

    const filtered = await client.queryRange('{service=~"web.*"} |= "processed"', {
      start,
      limit: 1,
      direction: 'forward',
    });
    expect(filtered.resultType === 'streams' && filtered.result.flatMap((s) => s.entries.map((e) => e.line))).toEqual([
      'event evt_1 processed',
    ]);
  });

  it('runs metric queries: instant vector and range matrix', async () => {
    const now = Date.now();
    await client.push([
      { labels: SERVICE, entries: [1, 2, 3].map((i) => ({ time: new Date(now - i * 1000), line: `line ${i}` })) },
    ]);
    const instant = await client.query('sum by (service) (count_over_time({service="webhook"}[1m]))');
    expect(instant).toEqual({
      resultType: 'vector',
      result: [{ metric: { service: 'webhook' }, sample: { time: expect.any(Number), value: 3 } }],
    });

    const range = await client.queryRange('count_over_time({service="webhook"}[1m])', {
      start: new Date(now - 10_000),
      end: new Date(now),
      step: 5,
    });
    expect(range.resultType).toBe('matrix');
    if (range.resultType === 'matrix') expect(range.result[0]?.samples.at(-1)?.value).toBe(3);
  });

  it("passes on Loki's own error text for a bad query (400) and for a log query sent as instant", async () => {
    const e1 = await failure(
      client.queryRange('{service="webhook"', { start: new Date(Date.now() - 60_000) }),
      ComponentRequestError,
    );
    expect(e1.status).toBe(400);
    expect(e1.message).toContain('Loki');
    expect(e1.message).toContain('parse error');

    const e2 = await failure(client.query('{service="webhook"}'), ComponentRequestError);
    expect(e2.message).toContain('log queries are not supported as an instant query type');
  });

  it('lists labels and label values, optionally for a selector', async () => {
    await client.push([
      { labels: SERVICE, entries: [{ time: new Date(), line: 'a' }] },
      { labels: { service: 'webhook', level: 'error' }, entries: [{ time: new Date(), line: 'b' }] },
      { labels: { job: 'other' }, entries: [{ time: new Date(), line: 'c' }] },
    ]);
    await expect(client.labels()).resolves.toEqual(['job', 'level', 'service', 'service_name']);
    await expect(client.labelValues('service_name')).resolves.toEqual(['other', 'webhook']);
    await expect(client.labelValues('level')).resolves.toEqual(['error', 'info']);
    await expect(client.labelValues('job', { selector: '{service="webhook"}' })).resolves.toEqual([]);
  });

  it('knows whether a selector has recent logs', async () => {
    await expect(client.hasRecentLogs('{service="webhook"}', 60_000)).resolves.toBe(false);
    await client.push([{ labels: SERVICE, entries: [{ time: new Date(Date.now() - 120_000), line: 'old' }] }]);
    await expect(client.hasRecentLogs('{service="webhook"}', 60_000)).resolves.toBe(false);
    await client.push([{ labels: SERVICE, entries: [{ time: new Date(), line: 'fresh' }] }]);
    await expect(client.hasRecentLogs('{service="webhook"}', 60_000)).resolves.toBe(true);
  });

  it('sends the tenant in X-Scope-OrgID, which a multi-tenant Loki requires', async () => {
    const mt = await startFakeLoki({ authEnabled: true });
    try {
      const anonymous = createLokiClient({ baseUrl: mt.url });
      const error = await failure(anonymous.labels(), ComponentRequestError);
      expect(error.status).toBe(401);
      expect(error.message).toContain('no org id');
      expect(error.message).toContain('check credentials');

      const tenant = createLokiClient({ baseUrl: mt.url, tenant: 'wmon' });
      await tenant.push([{ labels: SERVICE, entries: [{ time: new Date(), line: 'x' }] }]);
      expect(mt.requests.at(-1)?.headers['x-scope-orgid']).toBe('wmon');
      expect(mt.streams('wmon')).toHaveLength(1);
      await expect(tenant.hasRecentLogs('{service="webhook"}', 60_000)).resolves.toBe(true);
    } finally {
      await mt.close();
    }
  });

  it('times out with the time waited, and says connection refused when Loki is down', async () => {
    loki.setLatency(600);
    const slow = createLokiClient({ baseUrl: loki.url, timeoutMs: 150 });
    const e1 = await failure(slow.ready(), ComponentRequestError);
    expect(e1.message).toBe(`Loki: GET ${loki.url}/ready failed: timeout after 150 ms`);

    const port = await closedPort();
    const e2 = await failure(
      createLokiClient({ baseUrl: `http://127.0.0.1:${port}` }).push([
        { labels: SERVICE, entries: [{ time: new Date(), line: 'x' }] },
      ]),
      ComponentRequestError,
    );
    expect(e2.failure).toBe('connection-refused');
    expect(e2.message).toContain(`POST http://127.0.0.1:${port}/loki/api/v1/push failed: connection refused`);
  });
});

describe('the Loki fake answers as Loki 3.5 documents (fakes/loki.ts names the pages)', () => {
  const push = (streams: unknown) =>
    fetch(`${loki.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ streams }),
    });
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);

  it('names a stream without service_name from its labels, or unknown_service (discover_service_name)', async () => {
    expect(
      (
        await push([
          { stream: { app: 'shop' }, values: [[ns(Date.now()), 'a']] },
          { stream: { env: 'dev' }, values: [[ns(Date.now()), 'b']] },
        ])
      ).status,
    ).toBe(204);
    expect(loki.streams().map((s) => s.labels)).toEqual([
      { app: 'shop', service_name: 'shop' },
      { env: 'dev', service_name: 'unknown_service' },
    ]);
  });

  it('returns structured metadata and detected_level with the labels of each line', async () => {
    const now = Date.now();
    const res = await push([
      {
        stream: { service: 'svc' },
        values: [
          [ns(now - 2000), '{"level":"warning","msg":"slow"}', { trace_id: 'abc' }],
          [ns(now - 1000), 'plain text without a level'],
        ],
      },
    ]);
    expect(res.status).toBe(204);
    const result = await client.queryRange('{service="svc"}', { start: new Date(now - 60_000), end: new Date(now) });
    expect(
      result.resultType === 'streams' && result.result.map((s) => [s.labels, s.entries.map((e) => e.line)]),
    ).toEqual([
      [{ service: 'svc', service_name: 'svc', detected_level: 'unknown' }, ['plain text without a level']],
      [
        { service: 'svc', service_name: 'svc', detected_level: 'warn', trace_id: 'abc' },
        ['{"level":"warning","msg":"slow"}'],
      ],
    ]);
  });

  it('refuses a number as timestamp and structured metadata that is not an object of strings (400)', async () => {
    expect((await push([{ stream: { a: 'b' }, values: [[Date.now(), 'x']] }])).status).toBe(400);
    expect((await push([{ stream: { a: 'b' }, values: [[ns(Date.now()), 'x', { n: 1 }]] }])).status).toBe(400);
    expect((await push([{ stream: { a: 'b' }, values: [[ns(Date.now()), 'x', 'meta']] }])).status).toBe(400);
    expect(loki.streams()).toEqual([]);
  });

  it('reads start before now when end is in the future, and reports a bad timestamp as Loki does', async () => {
    const now = Date.now();
    await push([{ stream: { service: 'svc' }, values: [[ns(now - 30_000), 'half a minute ago']] }]);
    const future = ns(now + 3_600_000);
    const res = await fetch(
      `${loki.url}/loki/api/v1/query_range?query=${encodeURIComponent('{service="svc"}')}&end=${future}&since=1m`,
    );
    const body = (await res.json()) as { data: { result: unknown[]; stats: Record<string, unknown> } };
    expect(body.data.result).toHaveLength(1);
    expect(Object.keys(body.data.stats)).toEqual(['ingester', 'store', 'summary']);
    const bad = await fetch(
      `${loki.url}/loki/api/v1/query_range?query=${encodeURIComponent('{service="svc"}')}&start=yesterday`,
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe(
      `could not parse 'start' parameter: strconv.ParseInt: parsing "yesterday": invalid syntax\n`,
    );
  });
});
