/**
 * A parser for the Prometheus text exposition format 0.0.4 (what prom-client and the node exporter
 * serve): `# HELP`, `# TYPE`, and `name{label="value",...} value [timestamp]` lines, with the format's
 * escapes and `NaN`/`+Inf`/`-Inf` values. Samples are grouped into families, so a histogram's
 * `_bucket`, `_sum` and `_count` series sit under the histogram's name.
 *
 * Written here rather than taken from npm: parse-prometheus-text-format (the one parser of its kind
 * there) drops the labels, `_sum` and `_count` of labelled histograms, which is every histogram the
 * webhook service exports.
 */
import { parseSampleValue } from './sample-value.js';
import type { Labels } from './types.js';

export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ExposedSample {
  /** The series name, e.g. `webhook_request_duration_seconds_bucket`. */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  readonly timestampMs: number | undefined;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricKind;
  readonly samples: readonly ExposedSample[];
}

export class ExpositionParseError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'ExpositionParseError';
  }
}

const KINDS: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

interface MutableFamily {
  name: string;
  help: string;
  type: MetricKind;
  samples: ExposedSample[];
}

export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<string, MutableFamily>();
  const family = (name: string): MutableFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: '', type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const [, keyword, name = '', rest = ''] = m;
      if (keyword === 'HELP') {
        family(name).help = unescapeHelp(rest);
      } else {
        const kind = rest.trim();
        if (!KINDS.has(kind)) throw new ExpositionParseError(lineNo, `unknown metric type ${JSON.stringify(kind)}`);
        family(name).type = kind as MetricKind;
      }
      continue;
    }
    const sample = parseSampleLine(line.trim(), lineNo);
    family(familyName(sample.name, families)).samples.push(sample);
  }
  return [...families.values()].filter((f) => f.samples.length > 0 || f.help !== '' || f.type !== 'untyped');
}

/** The family a series belongs to: `x_bucket` → `x` when `x` is a declared histogram, and so on. */
function familyName(series: string, families: ReadonlyMap<string, MutableFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (!series.endsWith(suffix)) continue;
    const base = series.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base;
  }
  return series;
}

function parseSampleLine(line: string, lineNo: number): ExposedSample {
  const nameMatch = NAME.exec(line);
  if (!nameMatch) throw new ExpositionParseError(lineNo, `expected a metric name in ${JSON.stringify(line)}`);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};

  if (line[pos] === '{') {
    pos++;
    for (;;) {
      pos = skipSpaces(line, pos);
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(pos));
      if (!ln) throw new ExpositionParseError(lineNo, `expected a label name at column ${pos + 1}`);
      pos = skipSpaces(line, pos + ln[0].length);
      if (line[pos] !== '=') throw new ExpositionParseError(lineNo, `expected "=" after label ${ln[0]}`);
      pos = skipSpaces(line, pos + 1);
      if (line[pos] !== '"') throw new ExpositionParseError(lineNo, `expected a quoted value for label ${ln[0]}`);
      pos++;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new ExpositionParseError(lineNo, `unterminated value for label ${ln[0]}`);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos];
          pos++;
          value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e ?? ''}`;
        } else {
          value += c;
        }
      }
      labels[ln[0]] = value;
      pos = skipSpaces(line, pos);
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new ExpositionParseError(lineNo, `expected "," or "}" after label ${ln[0]}`);
    }
  }

  const rest = line.slice(pos).trim().split(/\s+/);
  const [rawValue, rawTimestamp, extra] = rest;
  if (!rawValue) throw new ExpositionParseError(lineNo, `no value for ${name}`);
  if (extra !== undefined)
    throw new ExpositionParseError(lineNo, `unexpected ${JSON.stringify(extra)} after the value of ${name}`);
  const value = parseSampleValue(rawValue);
  if (value === undefined) throw new ExpositionParseError(lineNo, `${JSON.stringify(rawValue)} is not a number`);
  let timestampMs: number | undefined;
  if (rawTimestamp !== undefined) {
    if (!/^-?\d+$/.test(rawTimestamp))
      throw new ExpositionParseError(lineNo, `${JSON.stringify(rawTimestamp)} is not a timestamp`);
    timestampMs = Number(rawTimestamp);
  }
  return { name, labels, value, timestampMs };
}

function skipSpaces(line: string, pos: number): number {
  while (line[pos] === ' ' || line[pos] === '\t') pos++;
  return pos;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * The samples of series `name` whose labels include `labels` (all families searched, so a histogram's
 * `_count` series is found by its series name).
 */
export function findSamples(families: readonly MetricFamily[], name: string, labels: Labels = {}): ExposedSample[] {
  const out: ExposedSample[] = [];
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) out.push(s);
    }
  }
  return out;
}
