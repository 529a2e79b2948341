/**
 * A contract fake of Loki's HTTP API, for tests that cannot run Loki. It follows the API reference,
 * https://grafana.com/docs/loki/latest/reference/loki-http-api/ (docs/sources/reference/loki-http-api.md
 * in grafana/loki):
 *   - `GET /ready`: 200 `ready`, 503 while not ready;
 *   - `POST /loki/api/v1/push` with a JSON body `{streams: [{stream: {labels}, values: [["<ns>", "line"]]}]}`:
 *     204; a number instead of the timestamp string, a stream without labels or bad JSON: 400 (plain text);
 *   - `GET /loki/api/v1/query` (instant; metric queries only, a log query is a 400 as in Loki 3) and
 *     `GET /loki/api/v1/query_range` (log queries → `streams`, metric queries → `matrix`): the envelope
 *     `{status: "success", data: {resultType, result, stats}}`; `start` inclusive, `end` exclusive,
 *     `limit` (default 100), `direction` (default backward), `since`, `step`; timestamps as nanosecond
 *     epochs, float seconds or RFC 3339;
 *   - `GET /loki/api/v1/labels`, `GET /loki/api/v1/label/<name>/values` (`query` selector optional):
 *     `{status: "success", data: [...]}`;
 *   - multi-tenancy: with `authEnabled`, every API call needs `X-Scope-OrgID`, else 401 `no org id`
 *     (dskit's tenant middleware); without it everything lives in the tenant `fake`, as in Loki.
 * LogQL is the subset the clients need: stream selectors (`=`, `!=`, `=~`, `!~`, anchored regexps, at
 * least one matcher that cannot match empty), line filters (`|=`, `!=`, `|~`, `!~`), `count_over_time`,
 * `rate` and `bytes_over_time` over `[duration]`, and `sum`/`count`/`min`/`max` with `by`/`without`.
 * Anything else is answered 400 `parse error`, as Loki would answer a query it cannot parse.
 * Deviation: the push endpoint accepts JSON only (Loki also takes snappy protobuf); other bodies get 415.
 */
import { parseJson, startFakeServer, type FakeRequest, type FakeResponse, type FakeServerControl } from './http.js';

export interface FakeLokiOptions {
  /** Require `X-Scope-OrgID` (Loki's `auth_enabled: true`). */
  readonly authEnabled?: boolean;
}

export interface FakeLoki extends FakeServerControl {
  setReady(ready: boolean): void;
  /** The lines stored for a tenant (default `fake`), per stream, oldest first. */
  streams(tenant?: string): { labels: Record<string, string>; lines: string[] }[];
}

interface Entry {
  ns: bigint;
  line: string;
}
interface Stream {
  labels: Record<string, string>;
  entries: Entry[];
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

export async function startFakeLoki(options: FakeLokiOptions = {}): Promise<FakeLoki> {
  let ready = true;
  const tenants = new Map<string, Map<string, Stream>>();
  const tenantStreams = (tenant: string) => {
    let t = tenants.get(tenant);
    if (!t) tenants.set(tenant, (t = new Map()));
    return t;
  };

  const text = (status: number, body: string): FakeResponse => ({ status, text: `${body}\n` });
  const success = (data: unknown): FakeResponse => ({ status: 200, json: { status: 'success', data } });

  const push = (req: FakeRequest, tenant: string): FakeResponse => {
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/json')) return text(415, `unsupported Content-Type ${JSON.stringify(ct)}: this fake takes JSON only`);
    const parsed = parseJson(req.body);
    if (!parsed.ok) return text(400, `loghttp.PushRequest.Streams: ReadArray: ${parsed.error}`);
    const body = parsed.value as { streams?: unknown };
    if (!body || !Array.isArray(body.streams)) return text(400, 'error parsing push request: streams must be an array');
    const accepted: { labels: Record<string, string>; entries: Entry[] }[] = [];
    for (const s of body.streams as unknown[]) {
      const stream = (s as { stream?: unknown }).stream;
      const values = (s as { values?: unknown }).values;
      if (typeof stream !== 'object' || stream === null || Object.keys(stream).length === 0) {
        return text(400, 'error at least one label pair is required per stream');
      }
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(stream)) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || typeof v !== 'string') return text(400, `error parsing labels: invalid label ${JSON.stringify(k)}`);
        labels[k] = v;
      }
      if (!Array.isArray(values)) return text(400, 'error parsing push request: values must be an array');
      const entries: Entry[] = [];
      for (const v of values as unknown[]) {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3) return text(400, 'error parsing push request: each value must be [timestamp, line]');
        const [ts, line] = v as unknown[];
        if (typeof ts !== 'string') return text(400, 'error parsing push request: the timestamp must be a string of nanoseconds, not a number');
        if (!/^\d+$/.test(ts)) return text(400, `error parsing push request: invalid timestamp ${JSON.stringify(ts)}`);
        if (typeof line !== 'string') return text(400, 'error parsing push request: the log line must be a string');
        entries.push({ ns: BigInt(ts), line });
      }
      accepted.push({ labels, entries });
    }
    const store = tenantStreams(tenant);
    for (const a of accepted) {
      const key = labelsKey(a.labels);
      let s = store.get(key);
      if (!s) store.set(key, (s = { labels: a.labels, entries: [] }));
      s.entries.push(...a.entries);
      s.entries.sort((x, y) => (x.ns < y.ns ? -1 : x.ns > y.ns ? 1 : 0));
    }
    return { status: 204 };
  };

  const query = (req: FakeRequest, tenant: string, range: boolean): FakeResponse => {
    const q = req.query.get('query');
    if (!q) return text(400, 'query parameter is required');
    let expr: Expr;
    try {
      expr = parseLogQL(q);
    } catch (error) {
      return text(400, error instanceof Error ? error.message : String(error));
    }
    const limit = Number(req.query.get('limit') ?? 100);
    const direction = req.query.get('direction') ?? 'backward';
    if (direction !== 'forward' && direction !== 'backward') return text(400, `invalid direction ${JSON.stringify(direction)}`);
    const streams = [...tenantStreams(tenant).values()];
    const nowNs = BigInt(Date.now()) * NS_PER_MS;

    if (!range) {
      if (expr.kind === 'log') {
        return text(400, 'log queries are not supported as an instant query type, please change your query to a range query type');
      }
      let at: bigint;
      try {
        at = parseTime(req.query.get('time'), nowNs);
      } catch (error) {
        return text(400, (error as Error).message);
      }
      const vector = evalMetric(expr, streams, at).map((s) => ({ metric: s.labels, value: [nsToSeconds(at), formatValue(s.value)] }));
      return success({ resultType: 'vector', result: vector, stats: stats() });
    }

    let start: bigint;
    let end: bigint;
    try {
      end = parseTime(req.query.get('end'), nowNs);
      const since = req.query.get('since');
      start = parseTime(req.query.get('start'), end - (since ? parseDuration(since) : 3600n * NS_PER_S));
    } catch (error) {
      return text(400, (error as Error).message);
    }
    if (end < start) return text(400, 'end timestamp must not be before or equal to start time');

    if (expr.kind === 'log') {
      const hits: { stream: Stream; entry: Entry }[] = [];
      for (const s of streams) {
        if (!matches(expr.selector, s.labels)) continue;
        for (const e of s.entries) if (e.ns >= start && e.ns < end && passes(expr.filters, e.line)) hits.push({ stream: s, entry: e });
      }
      hits.sort((a, b) => (a.entry.ns < b.entry.ns ? -1 : a.entry.ns > b.entry.ns ? 1 : 0));
      if (direction === 'backward') hits.reverse();
      const kept = hits.slice(0, limit);
      const grouped = new Map<Stream, [string, string][]>();
      for (const h of kept) {
        let values = grouped.get(h.stream);
        if (!values) grouped.set(h.stream, (values = []));
        values.push([h.entry.ns.toString(), h.entry.line]);
      }
      const result = [...grouped].map(([s, values]) => ({ stream: s.labels, values }));
      return success({ resultType: 'streams', result, stats: stats() });
    }

    let step: bigint;
    try {
      const rawStep = req.query.get('step');
      const defaultStep = (end - start) / 250n / NS_PER_S > 1n ? ((end - start) / 250n / NS_PER_S) * NS_PER_S : NS_PER_S;
      step = rawStep ? parseDuration(rawStep) : defaultStep;
    } catch (error) {
      return text(400, (error as Error).message);
    }
    if (step <= 0n) return text(400, 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    const series = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
    for (let t = start; t <= end; t += step) {
      for (const s of evalMetric(expr, streams, t)) {
        const key = labelsKey(s.labels);
        let entry = series.get(key);
        if (!entry) series.set(key, (entry = { metric: s.labels, values: [] }));
        entry.values.push([nsToSeconds(t), formatValue(s.value)]);
      }
    }
    return success({ resultType: 'matrix', result: [...series.values()], stats: stats() });
  };

  const labelQuery = (req: FakeRequest, tenant: string, name: string | undefined): FakeResponse => {
    const nowNs = BigInt(Date.now()) * NS_PER_MS;
    let start: bigint;
    let end: bigint;
    let selector: Matcher[] | undefined;
    try {
      end = parseTime(req.query.get('end'), nowNs);
      const since = req.query.get('since');
      start = parseTime(req.query.get('start'), end - (since ? parseDuration(since) : 6n * 3600n * NS_PER_S));
      const q = req.query.get('query');
      if (q) {
        const parsed = parseLogQL(q);
        if (parsed.kind !== 'log' || parsed.filters.length > 0) throw new Error('parse error : only a stream selector is allowed here');
        selector = parsed.selector;
      }
    } catch (error) {
      return text(400, (error as Error).message);
    }
    const found = new Set<string>();
    for (const s of tenantStreams(tenant).values()) {
      if (selector && !matches(selector, s.labels)) continue;
      if (!s.entries.some((e) => e.ns >= start && e.ns <= end)) continue;
      if (name === undefined) Object.keys(s.labels).forEach((k) => found.add(k));
      else if (s.labels[name] !== undefined) found.add(s.labels[name]);
    }
    return success([...found].sort());
  };

  const server = await startFakeServer((req) => {
    if (req.method === 'GET' && req.path === '/ready') {
      return ready ? text(200, 'ready') : text(503, 'Ingester not ready: waiting for 15s after being ready');
    }
    if (!req.path.startsWith('/loki/api/v1/')) return text(404, '404 page not found');
    let tenant = 'fake';
    if (options.authEnabled) {
      const org = req.headers['x-scope-orgid'];
      if (typeof org !== 'string' || org === '') return text(401, 'no org id');
      tenant = org;
    }
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && req.path === '/loki/api/v1/push') return push(req, tenant);
    if (req.method === 'GET' && req.path === '/loki/api/v1/query') return query(req, tenant, false);
    if (req.method === 'GET' && req.path === '/loki/api/v1/query_range') return query(req, tenant, true);
    if (req.method === 'GET' && req.path === '/loki/api/v1/labels') return labelQuery(req, tenant, undefined);
    if (req.method === 'GET' && (m = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(req.path))) {
      return labelQuery(req, tenant, decodeURIComponent(m[1] ?? ''));
    }
    return text(404, '404 page not found');
  });

  return {
    ...server,
    setReady(r) {
      ready = r;
    },
    streams(tenant = 'fake') {
      return [...tenantStreams(tenant).values()].map((s) => ({ labels: { ...s.labels }, lines: s.entries.map((e) => e.line) }));
    },
  };
}

function stats() {
  return { summary: { bytesProcessedPerSecond: 0, linesProcessedPerSecond: 0, totalBytesProcessed: 0, totalLinesProcessed: 0, execTime: 0, queueTime: 0 } };
}

function labelsKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function nsToSeconds(ns: bigint): number {
  return Number(ns / NS_PER_MS) / 1000;
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)));
}

/** Loki's timestamp parameter: float seconds, an integer (≤ 10 digits: seconds, else nanoseconds), or RFC 3339. */
function parseTime(raw: string | null, fallback: bigint): bigint {
  if (raw === null || raw === '') return fallback;
  if (raw.includes('.') && /^\d+\.\d*$/.test(raw)) return BigInt(Math.round(Number(raw) * 1000)) * NS_PER_MS;
  if (/^\d+$/.test(raw)) return raw.length <= 10 ? BigInt(raw) * NS_PER_S : BigInt(raw);
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new Error(`cannot parse "${raw}" to a valid timestamp`);
  return BigInt(ms) * NS_PER_MS;
}

/** A Prometheus duration (`5m`, `1h30m`, `500ms`) or float seconds, in nanoseconds. */
function parseDuration(raw: string): bigint {
  if (/^\d+(\.\d+)?$/.test(raw)) return BigInt(Math.round(Number(raw) * 1000)) * NS_PER_MS;
  const units: Record<string, bigint> = { ms: NS_PER_MS, s: NS_PER_S, m: 60n * NS_PER_S, h: 3600n * NS_PER_S, d: 86400n * NS_PER_S, w: 7n * 86400n * NS_PER_S, y: 365n * 86400n * NS_PER_S };
  const re = /(\d+)(ms|s|m|h|d|w|y)/y;
  let total = 0n;
  let pos = 0;
  while (pos < raw.length) {
    re.lastIndex = pos;
    const m = re.exec(raw);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(raw)}`);
    total += BigInt(m[1] ?? '0') * (units[m[2] ?? 's'] ?? NS_PER_S);
    pos = re.lastIndex;
  }
  if (raw === '') throw new Error('invalid duration ""');
  return total;
}

// ---- LogQL subset ------------------------------------------------------------------------------

interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}
interface LineFilter {
  op: '|=' | '!=' | '|~' | '!~';
  value: string;
}
interface LogExpr {
  kind: 'log';
  selector: Matcher[];
  filters: LineFilter[];
}
interface RangeExpr {
  kind: 'range';
  fn: 'count_over_time' | 'rate' | 'bytes_over_time';
  log: LogExpr;
  rangeNs: bigint;
}
interface AggExpr {
  kind: 'agg';
  op: 'sum' | 'count' | 'min' | 'max';
  grouping: { mode: 'by' | 'without'; labels: string[] } | undefined;
  inner: MetricExpr;
}
type MetricExpr = RangeExpr | AggExpr;
type Expr = LogExpr | MetricExpr;

type Token = { t: 'ident' | 'string' | 'op' | 'punct' | 'duration'; v: string; at: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i + 1;
    const two = src.slice(i, i + 2);
    if (['|=', '!=', '|~', '!~', '=~'].includes(two)) {
      tokens.push({ t: 'op', v: two, at });
      i += 2;
    } else if (c === '=') {
      tokens.push({ t: 'op', v: '=', at });
      i++;
    } else if ('{}(),'.includes(c)) {
      tokens.push({ t: 'punct', v: c, at });
      i++;
    } else if (c === '[') {
      const close = src.indexOf(']', i);
      if (close < 0) throw parseError(at, 'unclosed [');
      tokens.push({ t: 'duration', v: src.slice(i + 1, close).trim(), at });
      i = close + 1;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const d = src[j];
        if (d === undefined) throw parseError(at, 'unterminated string');
        j++;
        if (d === '"') break;
        if (d === '\\') {
          const e = src[j] ?? '';
          j++;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        } else value += d;
      }
      tokens.push({ t: 'string', v: value, at });
      i = j;
    } else if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close < 0) throw parseError(at, 'unterminated raw string');
      tokens.push({ t: 'string', v: src.slice(i + 1, close), at });
      i = close + 1;
    } else if (/[a-zA-Z_]/.test(c)) {
      const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(src.slice(i));
      tokens.push({ t: 'ident', v: m?.[0] ?? c, at });
      i += m?.[0].length ?? 1;
    } else {
      throw parseError(at, `syntax error: unexpected ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

function parseError(col: number, detail: string): Error {
  return new Error(`parse error at line 1, col ${col}: ${detail}`);
}

function parseLogQL(src: string): Expr {
  const tokens = tokenize(src);
  let p = 0;
  const peek = () => tokens[p];
  const next = () => {
    const t = tokens[p++];
    if (!t) throw parseError(src.length + 1, 'syntax error: unexpected end of query');
    return t;
  };
  const expect = (v: string) => {
    const t = next();
    if (t.v !== v) throw parseError(t.at, `syntax error: unexpected ${JSON.stringify(t.v)}, expecting ${JSON.stringify(v)}`);
  };

  const logExpr = (): LogExpr => {
    expect('{');
    const selector: Matcher[] = [];
    while (peek()?.v !== '}') {
      const name = next();
      if (name.t !== 'ident') throw parseError(name.at, 'syntax error: expected a label name');
      const op = next();
      if (op.t !== 'op' || !['=', '!=', '=~', '!~'].includes(op.v)) throw parseError(op.at, 'syntax error: expected a label matcher');
      const value = next();
      if (value.t !== 'string') throw parseError(value.at, 'syntax error: expected a string');
      if (op.v === '=~' || op.v === '!~') checkRegex(value.v, value.at);
      selector.push({ name: name.v, op: op.v as Matcher['op'], value: value.v });
      if (peek()?.v === ',') p++;
    }
    expect('}');
    if (!selector.some((m) => !matchValue(m, ''))) {
      throw new Error(
        'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
      );
    }
    const filters: LineFilter[] = [];
    while (peek()?.t === 'op' && ['|=', '!=', '|~', '!~'].includes(peek()?.v ?? '')) {
      const op = next().v as LineFilter['op'];
      const value = next();
      if (value.t !== 'string') throw parseError(value.at, 'syntax error: expected a string after a line filter');
      if (op === '|~' || op === '!~') checkRegex(value.v, value.at);
      filters.push({ op, value: value.v });
    }
    return { kind: 'log', selector, filters };
  };

  const grouping = (): AggExpr['grouping'] => {
    const mode = next().v as 'by' | 'without';
    expect('(');
    const labels: string[] = [];
    while (peek()?.v !== ')') {
      const l = next();
      if (l.t !== 'ident') throw parseError(l.at, 'syntax error: expected a label name');
      labels.push(l.v);
      if (peek()?.v === ',') p++;
    }
    expect(')');
    return { mode, labels };
  };

  const metricExpr = (): MetricExpr => {
    const head = next();
    if (head.t !== 'ident') throw parseError(head.at, `syntax error: unexpected ${JSON.stringify(head.v)}`);
    if (head.v === 'count_over_time' || head.v === 'rate' || head.v === 'bytes_over_time') {
      expect('(');
      const log = logExpr();
      const d = next();
      if (d.t !== 'duration') throw parseError(d.at, 'syntax error: expected a [range]');
      const rangeNs = parseDuration(d.v);
      expect(')');
      return { kind: 'range', fn: head.v, log, rangeNs };
    }
    if (head.v === 'sum' || head.v === 'count' || head.v === 'min' || head.v === 'max') {
      let g = peek()?.v === 'by' || peek()?.v === 'without' ? grouping() : undefined;
      expect('(');
      const inner = metricExpr();
      expect(')');
      if (!g && (peek()?.v === 'by' || peek()?.v === 'without')) g = grouping();
      return { kind: 'agg', op: head.v, grouping: g, inner };
    }
    throw parseError(head.at, `syntax error: unexpected IDENTIFIER ${JSON.stringify(head.v)}`);
  };

  const expr: Expr = peek()?.v === '{' ? logExpr() : metricExpr();
  const rest = peek();
  if (rest) throw parseError(rest.at, `syntax error: unexpected ${JSON.stringify(rest.v)}`);
  return expr;
}

function checkRegex(re: string, at: number): void {
  try {
    new RegExp(re);
  } catch {
    throw parseError(at, `invalid regular expression ${JSON.stringify(re)}`);
  }
}

function matchValue(m: Matcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(value);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(value);
  }
}

function matches(selector: Matcher[], labels: Record<string, string>): boolean {
  return selector.every((m) => matchValue(m, labels[m.name] ?? ''));
}

function passes(filters: LineFilter[], line: string): boolean {
  return filters.every((f) => {
    switch (f.op) {
      case '|=':
        return line.includes(f.value);
      case '!=':
        return !line.includes(f.value);
      case '|~':
        return new RegExp(f.value).test(line);
      case '!~':
        return !new RegExp(f.value).test(line);
    }
  });
}

interface Point {
  labels: Record<string, string>;
  value: number;
}

function evalMetric(expr: MetricExpr, streams: Stream[], at: bigint): Point[] {
  if (expr.kind === 'range') {
    const from = at - expr.rangeNs;
    const out: Point[] = [];
    for (const s of streams) {
      if (!matches(expr.log.selector, s.labels)) continue;
      const inWindow = s.entries.filter((e) => e.ns > from && e.ns <= at && passes(expr.log.filters, e.line));
      if (inWindow.length === 0) continue;
      const seconds = Number(expr.rangeNs / NS_PER_MS) / 1000;
      const value =
        expr.fn === 'count_over_time'
          ? inWindow.length
          : expr.fn === 'rate'
            ? inWindow.length / seconds
            : inWindow.reduce((n, e) => n + Buffer.byteLength(e.line), 0);
      out.push({ labels: { ...s.labels }, value });
    }
    return out;
  }
  const groups = new Map<string, { labels: Record<string, string>; values: number[] }>();
  for (const point of evalMetric(expr.inner, streams, at)) {
    let labels: Record<string, string> = {};
    if (expr.grouping?.mode === 'by') {
      for (const l of expr.grouping.labels) if (point.labels[l] !== undefined) labels[l] = point.labels[l];
    } else if (expr.grouping?.mode === 'without') {
      labels = Object.fromEntries(Object.entries(point.labels).filter(([k]) => !expr.grouping?.labels.includes(k)));
    }
    const key = labelsKey(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, values: [] }));
    g.values.push(point.value);
  }
  return [...groups.values()].map((g) => ({
    labels: g.labels,
    value:
      expr.op === 'sum'
        ? g.values.reduce((a, b) => a + b, 0)
        : expr.op === 'count'
          ? g.values.length
          : expr.op === 'min'
            ? Math.min(...g.values)
            : Math.max(...g.values),
  }));
}
