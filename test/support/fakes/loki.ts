/**
 * A contract fake of Loki 3.5's HTTP API (single binary, the configuration wmon renders), for tests that
 * cannot run Loki. It follows Loki 3.5's documentation:
 *   - the API reference, https://grafana.com/docs/loki/v3.5.x/reference/loki-http-api/
 *     (docs/sources/reference/loki-http-api.md in grafana/loki at v3.5.x):
 *     - `GET /ready`: 200 when ready (body `ready`), else 503 (Loki's `Ingester not ready: …`);
 *     - `POST /loki/api/v1/push`, JSON (`Content-Type: application/json`, optionally `Content-Encoding:
 *       gzip`): `{streams: [{stream: {labels}, values: [["<ns>", "line", {structured metadata}?]]}]}`; the
 *       timestamp must be a string ("otherwise the endpoint will return a 400 error"); the metadata a flat
 *       object of strings; 204 on success, 400 with plain text otherwise;
 *     - `GET /loki/api/v1/query` (instant; "only used for metric type LogQL queries and will return a 400
 *       (Bad Request) in case a log type query is provided") and `GET /loki/api/v1/query_range` (log
 *       queries → `streams`, metric queries → `matrix`): `{status: "success", data: {resultType, result,
 *       stats}}` with the documented statistics (all zero); `limit` (default 100), `direction` (default
 *       backward), `start` (inclusive, default one hour before `end`, or before now when `end` is in the
 *       future), `end` (exclusive, default now), `since`, `step` (default max(1, range/250) seconds);
 *       stream values newest first for backward, matrix values oldest first;
 *     - `GET /loki/api/v1/labels`, `GET /loki/api/v1/label/<name>/values` (`query` selector optional,
 *       default range 6 hours): `{status: "success", data: [...]}`;
 *   - the configuration reference (https://grafana.com/docs/loki/v3.5.x/configure/#limits_config), the
 *     defaults wmon's loki.yaml keeps: `discover_service_name` (a stream without `service_name` gets one
 *     from its first label of service, app, application, app_name, name, app_kubernetes_io_name,
 *     container, container_name, k8s_container_name, component, workload, job, k8s_job_name, else
 *     `unknown_service`) and `discover_log_levels` (each line gets structured metadata `detected_level`,
 *     taken as Loki does in pkg/distributor/field_detection.go: from a level label, else from the line);
 *   - https://grafana.com/docs/loki/v3.5.x/get-started/labels/structured-metadata/: "Structured metadata is
 *     extracted automatically for each returned log line and added to the labels returned for the query".
 * Where the pages are silent, Loki's source at v3.5.x: timestamps (pkg/loghttp/params.go: a number with a
 * dot is float seconds, an integer of at most 10 digits is seconds — the page says all epochs are
 * nanoseconds —, else nanoseconds, else RFC 3339; errors `could not parse 'start' parameter: …`), plain-text
 * errors (http.Error), and multi-tenancy: with `authEnabled` (Loki's `auth_enabled: true`), every API call
 * needs `X-Scope-OrgID`, else 401 `no org id` (dskit's tenant middleware); without it everything lives in
 * the tenant `fake`.
 * LogQL is the subset the clients need: stream selectors (`=`, `!=`, `=~`, `!~`, anchored regexps, at
 * least one matcher that cannot match empty), line filters (`|=`, `!=`, `|~`, `!~`), `count_over_time`,
 * `rate` and `bytes_over_time` over `[duration]`, and `sum`/`count`/`min`/`max` with `by`/`without`.
 * Anything else is answered 400 `parse error`, as Loki would answer a query it cannot parse.
 * Deviations: the push endpoint accepts JSON only (Loki also takes snappy protobuf); other bodies get 415.
 * `interval` and Parquet answers are not implemented (wmon uses neither).
 */
import { parseJson, startFakeServer, type FakeRequest, type FakeResponse, type FakeServerControl } from './http.js';

export interface FakeLokiOptions {
  /** Require `X-Scope-OrgID` (Loki's `auth_enabled: true`). */
  readonly authEnabled?: boolean;
}

export interface FakeLoki extends FakeServerControl {
  setReady(ready: boolean): void;
  /** The lines stored for a tenant (default `fake`), per stream (its index labels), oldest first. */
  streams(tenant?: string): { labels: Record<string, string>; lines: string[] }[];
}

interface Entry {
  ns: bigint;
  line: string;
  /** Structured metadata: what the push attached, plus `detected_level`. */
  metadata: Record<string, string>;
}
interface Stream {
  labels: Record<string, string>;
  entries: Entry[];
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** limits_config.discover_service_name's default (configuration reference, Loki 3.5). */
const SERVICE_NAME_SOURCES = [
  'service',
  'app',
  'application',
  'app_name',
  'name',
  'app_kubernetes_io_name',
  'container',
  'container_name',
  'k8s_container_name',
  'component',
  'workload',
  'job',
  'k8s_job_name',
];
/** limits_config.log_level_fields's default: where a level may be found. */
const LEVEL_FIELDS = [
  'level',
  'LEVEL',
  'Level',
  'Severity',
  'severity',
  'SEVERITY',
  'lvl',
  'LVL',
  'Lvl',
  'severity_text',
  'Severity_Text',
  'SEVERITY_TEXT',
];

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
    if (!ct.startsWith('application/json'))
      return text(415, `unsupported Content-Type ${JSON.stringify(ct)}: this fake takes JSON only`);
    const parsed = parseJson(req.body);
    if (!parsed.ok) return text(400, `loghttp.PushRequest.Streams: ReadArray: ${parsed.error}`);
    const body = parsed.value as { streams?: unknown };
    if (!body || !Array.isArray(body.streams)) return text(400, 'error parsing push request: streams must be an array');
    const accepted: Stream[] = [];
    for (const s of body.streams as unknown[]) {
      const stream = (s as { stream?: unknown }).stream;
      const values = (s as { values?: unknown }).values;
      if (typeof stream !== 'object' || stream === null || Object.keys(stream).length === 0) {
        return text(400, 'error at least one label pair is required per stream');
      }
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(stream)) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || typeof v !== 'string')
          return text(400, `error parsing labels: invalid label ${JSON.stringify(k)}`);
        labels[k] = v;
      }
      // discover_service_name: the label Loki adds when a stream has no service_name.
      if (labels.service_name === undefined) {
        const from = SERVICE_NAME_SOURCES.find((l) => labels[l] !== undefined);
        labels.service_name = from ? (labels[from] ?? '') : 'unknown_service';
      }
      if (!Array.isArray(values)) return text(400, 'error parsing push request: values must be an array');
      const entries: Entry[] = [];
      for (const v of values as unknown[]) {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3)
          return text(400, 'error parsing push request: each value must be [timestamp, line]');
        const [ts, line, meta] = v as unknown[];
        if (typeof ts !== 'string')
          return text(400, 'error parsing push request: the timestamp must be a string of nanoseconds, not a number');
        if (!/^\d+$/.test(ts)) return text(400, `error parsing push request: invalid timestamp ${JSON.stringify(ts)}`);
        if (typeof line !== 'string') return text(400, 'error parsing push request: the log line must be a string');
        const metadata: Record<string, string> = {};
        if (v.length === 3) {
          if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
            return text(400, 'error parsing push request: structured metadata must be a JSON object');
          }
          for (const [k, mv] of Object.entries(meta)) {
            if (typeof mv !== 'string')
              return text(400, `error parsing push request: structured metadata ${JSON.stringify(k)} must be a string`);
            metadata[k] = mv;
          }
        }
        // discover_log_levels (pkg/distributor/field_detection.go): kept if already there.
        if (metadata.detected_level === undefined) {
          const level = levelOf(labels) ?? levelOf(metadata) ?? levelFromLine(line);
          if (level) metadata.detected_level = level;
        }
        entries.push({ ns: BigInt(ts), line, metadata });
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

  /** `start` and `end` as pkg/loghttp/params.go reads them. */
  const bounds = (req: FakeRequest, defaultSince: bigint): { start: bigint; end: bigint } => {
    const nowNs = BigInt(Date.now()) * NS_PER_MS;
    const rawSince = req.query.get('since');
    let since = defaultSince;
    if (rawSince) {
      try {
        since = parseDuration(rawSince);
      } catch (error) {
        throw new Error(`could not parse 'since' parameter: ${(error as Error).message}`);
      }
    }
    const end = parseTime(req.query.get('end'), nowNs, 'end');
    const endOrNow = end > nowNs ? nowNs : end;
    return { start: parseTime(req.query.get('start'), endOrNow - since, 'start'), end };
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
    if (direction !== 'forward' && direction !== 'backward') return text(400, `invalid direction '${direction}'`);
    const streams = [...tenantStreams(tenant).values()];
    const nowNs = BigInt(Date.now()) * NS_PER_MS;

    if (!range) {
      if (expr.kind === 'log') {
        return text(
          400,
          'log queries are not supported as an instant query type, please change your query to a range query type',
        );
      }
      let at: bigint;
      try {
        at = parseTime(req.query.get('time'), nowNs, 'time');
      } catch (error) {
        return text(400, (error as Error).message);
      }
      const vector = evalMetric(expr, streams, at).map((s) => ({
        metric: s.labels,
        value: [nsToSeconds(at), formatValue(s.value)],
      }));
      return success({ resultType: 'vector', result: vector, stats: stats() });
    }

    let start: bigint;
    let end: bigint;
    try {
      ({ start, end } = bounds(req, 3600n * NS_PER_S));
    } catch (error) {
      return text(400, (error as Error).message);
    }
    if (end < start) return text(400, 'end timestamp must not be before or equal to start time');

    if (expr.kind === 'log') {
      const hits: { labels: Record<string, string>; entry: Entry }[] = [];
      for (const s of streams) {
        if (!matches(expr.selector, s.labels)) continue;
        for (const e of s.entries) {
          // Structured metadata is returned with the labels of each line.
          if (e.ns >= start && e.ns < end && passes(expr.filters, e.line))
            hits.push({ labels: { ...s.labels, ...e.metadata }, entry: e });
        }
      }
      hits.sort((a, b) => (a.entry.ns < b.entry.ns ? -1 : a.entry.ns > b.entry.ns ? 1 : 0));
      if (direction === 'backward') hits.reverse();
      const grouped = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
      for (const h of hits.slice(0, limit)) {
        const key = labelsKey(h.labels);
        let g = grouped.get(key);
        if (!g) grouped.set(key, (g = { stream: h.labels, values: [] }));
        g.values.push([h.entry.ns.toString(), h.entry.line]);
      }
      return success({ resultType: 'streams', result: [...grouped.values()], stats: stats() });
    }

    let step: bigint;
    try {
      const rawStep = req.query.get('step');
      const defaultStep =
        (end - start) / 250n / NS_PER_S > 1n ? ((end - start) / 250n / NS_PER_S) * NS_PER_S : NS_PER_S;
      step = rawStep ? parseDuration(rawStep) : defaultStep;
    } catch (error) {
      return text(400, (error as Error).message);
    }
    if (step <= 0n)
      return text(400, 'zero or negative query resolution step widths are not accepted. Try a positive integer');
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
    let start: bigint;
    let end: bigint;
    let selector: Matcher[] | undefined;
    try {
      ({ start, end } = bounds(req, 6n * 3600n * NS_PER_S));
      const q = req.query.get('query');
      if (q) {
        const parsed = parseLogQL(q);
        if (parsed.kind !== 'log' || parsed.filters.length > 0)
          throw new Error('parse error : only a stream selector is allowed here');
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
      return [...tenantStreams(tenant).values()].map((s) => ({
        labels: { ...s.labels },
        lines: s.entries.map((e) => e.line),
      }));
    },
  };
}

/** The statistics block of the API reference ("Statistics"), with nothing counted. */
function stats() {
  const ingester = [
    'compressedBytes',
    'decompressedBytes',
    'decompressedLines',
    'headChunkBytes',
    'headChunkLines',
    'totalBatches',
    'totalChunksMatched',
    'totalDuplicates',
    'totalLinesSent',
    'totalReached',
  ];
  const store = [
    'compressedBytes',
    'decompressedBytes',
    'decompressedLines',
    'chunksDownloadTime',
    'totalChunksRef',
    'totalChunksDownloaded',
    'totalDuplicates',
  ];
  const summary = [
    'bytesProcessedPerSecond',
    'execTime',
    'linesProcessedPerSecond',
    'queueTime',
    'totalBytesProcessed',
    'totalLinesProcessed',
  ];
  const zeros = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, 0]));
  return { ingester: zeros(ingester), store: zeros(store), summary: zeros(summary) };
}

/** A level from the first of log_level_fields present in labels or structured metadata, as is. */
function levelOf(labels: Record<string, string>): string | undefined {
  const field = LEVEL_FIELDS.find((f) => labels[f] !== undefined);
  return field === undefined ? undefined : labels[field];
}

/** extractLogLevelFromLogLine (pkg/distributor/field_detection.go): a JSON or logfmt level field, else words. */
function levelFromLine(line: string): string {
  let v: string | undefined;
  const trimmed = line.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    // A string field named like a level, looked for two levels deep.
    const find = (o: unknown, depth: number): string | undefined => {
      if (depth >= 2 || typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
      for (const [k, val] of Object.entries(o)) {
        if (typeof val === 'string' && LEVEL_FIELDS.includes(k)) return val;
        const inner = typeof val === 'object' ? find(val, depth + 1) : undefined;
        if (inner !== undefined) return inner;
      }
      return undefined;
    };
    try {
      v = find(JSON.parse(trimmed), 0);
    } catch {
      v = undefined;
    }
  } else if (line.includes('=')) {
    let best = LEVEL_FIELDS.length;
    for (const m of line.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      const i = LEVEL_FIELDS.findIndex((f) => f.toLowerCase() === (m[1] ?? '').toLowerCase());
      if (i >= 0 && i < best) {
        best = i;
        v = (m[2] ?? '').replace(/^"|"$/g, '');
      }
    }
  } else {
    return levelFromWords(line);
  }
  const known: Record<string, string> = {
    trace: 'trace',
    trc: 'trace',
    debug: 'debug',
    dbg: 'debug',
    info: 'info',
    inf: 'info',
    warn: 'warn',
    wrn: 'warn',
    warning: 'warn',
    error: 'error',
    err: 'error',
    critical: 'critical',
    fatal: 'fatal',
  };
  return known[(v ?? '').toLowerCase()] ?? levelFromWords(line);
}

/** detectLevelFromLogLine: the first level word found, in Loki's order; `unknown` when none. */
function levelFromWords(line: string): string {
  const has = (...words: string[]) => words.some((w) => line.includes(w));
  if (has('info:', 'INFO:', 'info', 'INFO')) return 'info';
  if (has('err:', 'ERR:', 'error', 'ERROR')) return 'error';
  if (has('warn:', 'WARN:', 'warning', 'WARNING')) return 'warn';
  if (has('CRITICAL:', 'critical:')) return 'critical';
  if (has('debug:', 'DEBUG:')) return 'debug';
  return 'unknown';
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

/**
 * parseTimestamp in pkg/loghttp/params.go: a number with a dot is float seconds (to the millisecond); an
 * integer of at most 10 digits is seconds, a longer one nanoseconds; else RFC 3339.
 */
function parseTime(raw: string | null, fallback: bigint, param: string): bigint {
  if (raw === null || raw === '') return fallback;
  if (raw.includes('.') && /^\d+\.\d*$/.test(raw)) return BigInt(Math.round(Number(raw) * 1000)) * NS_PER_MS;
  if (/^[+-]?\d+$/.test(raw)) return raw.replace(/^[+-]/, '').length <= 10 ? BigInt(raw) * NS_PER_S : BigInt(raw);
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw)
    ? Date.parse(raw)
    : Number.NaN;
  if (Number.isNaN(ms))
    throw new Error(
      `could not parse '${param}' parameter: strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`,
    );
  return BigInt(ms) * NS_PER_MS;
}

/** A Prometheus duration (`5m`, `1h30m`, `500ms`) or float seconds, in nanoseconds. */
function parseDuration(raw: string): bigint {
  if (/^\d+(\.\d+)?$/.test(raw)) return BigInt(Math.round(Number(raw) * 1000)) * NS_PER_MS;
  const units: Record<string, bigint> = {
    ms: NS_PER_MS,
    s: NS_PER_S,
    m: 60n * NS_PER_S,
    h: 3600n * NS_PER_S,
    d: 86400n * NS_PER_S,
    w: 7n * 86400n * NS_PER_S,
    y: 365n * 86400n * NS_PER_S,
  };
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
    if (t.v !== v)
      throw parseError(t.at, `syntax error: unexpected ${JSON.stringify(t.v)}, expecting ${JSON.stringify(v)}`);
  };

  const logExpr = (): LogExpr => {
    expect('{');
    const selector: Matcher[] = [];
    while (peek()?.v !== '}') {
      const name = next();
      if (name.t !== 'ident') throw parseError(name.at, 'syntax error: expected a label name');
      const op = next();
      if (op.t !== 'op' || !['=', '!=', '=~', '!~'].includes(op.v))
        throw parseError(op.at, 'syntax error: expected a label matcher');
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
    const seconds = Number(expr.rangeNs / NS_PER_MS) / 1000;
    // One series per stream and structured metadata: the metadata is among the labels of each line.
    const series = new Map<string, { labels: Record<string, string>; entries: Entry[] }>();
    for (const s of streams) {
      if (!matches(expr.log.selector, s.labels)) continue;
      for (const e of s.entries) {
        if (e.ns <= from || e.ns > at || !passes(expr.log.filters, e.line)) continue;
        const labels = { ...s.labels, ...e.metadata };
        const key = labelsKey(labels);
        let g = series.get(key);
        if (!g) series.set(key, (g = { labels, entries: [] }));
        g.entries.push(e);
      }
    }
    return [...series.values()].map(({ labels, entries }) => ({
      labels,
      value:
        expr.fn === 'count_over_time'
          ? entries.length
          : expr.fn === 'rate'
            ? entries.length / seconds
            : entries.reduce((n, e) => n + Buffer.byteLength(e.line), 0),
    }));
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
