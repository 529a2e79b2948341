/**
 * Drift: does the running Prometheus / Alertmanager use what wmon.yaml renders? Both dump their loaded
 * configuration as normalised YAML with every default filled in, so the comparison is semantic and covers
 * the parts wmon sets: every value wmon renders must be there with the same meaning (durations compared in
 * seconds, matchers and PromQL by their tokens); lists must have the same length; named things (scrape
 * jobs, receivers, rule groups, alerts) must be the same set. Extra keys in the dump are defaults.
 * Each difference is one line a person can act on.
 */
import { parse } from 'yaml';

import type { RuleGroup as LoadedRuleGroup } from '../../adapters/clients/index.js';
import { renderedRuleFiles, type RenderedFile } from '../../core/render/index.js';
import { durationSeconds } from '../../core/vocab/durations.js';

/** A rule as a rule file has it: wmon's alerts, or the user's (alerting or recording, optional parts). */
export interface FileRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  /** Label and annotation names to values (wmon's typed interfaces, or a file's mappings). */
  readonly labels?: object;
  readonly annotations?: object;
}

const asRecord = (o: object | undefined) => (o ?? {}) as Readonly<Record<string, string>>;

/** Rule groups as rule files have them. */
export interface RuleFile {
  readonly groups: ReadonlyArray<{ readonly name: string; readonly rules: readonly FileRule[] }>;
}

/** Every rendered rule file's groups together (wmon's and the user's): what Prometheus should have loaded. */
export function mergedRules(files: readonly RenderedFile[]): RuleFile {
  return { groups: renderedRuleFiles(files).flatMap((f) => (parse(f.contents) as RuleFile | null)?.groups ?? []) };
}

type Json = unknown;

/** Lists whose items are matched by a name rather than by position. */
const KEYED_LISTS: Readonly<Record<string, string>> = { scrape_configs: 'job_name', receivers: 'name' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:\\.|[^"\\])*)"|(\S*))\s*$/;

/** A value as it means: durations in seconds, matchers without quoting differences, trimmed text. */
export function normaliseScalar(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  const seconds = durationSeconds(t);
  if (seconds !== undefined) return `${seconds}s`;
  const m = MATCHER.exec(t);
  if (m) return `${m[1]}${m[2]}${JSON.stringify(m[3] ?? m[4] ?? '')}`;
  return t;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/** How Prometheus and Alertmanager show a secret in their dumps. */
const SECRET_MASK = '<secret>';

/** What `want` (rendered) sets that `have` (running) lacks or sets otherwise. */
export function subsetDiff(want: Json, have: Json, path = '', out: string[] = []): string[] {
  const last =
    path
      .split('.')
      .pop()
      ?.replace(/\[\d+\]$/, '') ?? '';
  if (Array.isArray(want)) {
    // An empty list and no list mean the same (dumps leave empty lists out).
    if (want.length === 0 && (have === undefined || have === null)) return out;
    if (!Array.isArray(have)) {
      out.push(`${path}: running has ${show(have)}, wmon.yaml renders ${want.length} item(s)`);
      return out;
    }
    const key = KEYED_LISTS[last];
    if (key) {
      const name = (x: unknown) => (isObject(x) ? String(x[key]) : String(x));
      const haveByName = new Map(have.map((h) => [name(h), h]));
      const wantNames = new Set(want.map(name));
      for (const w of want) {
        const h = haveByName.get(name(w));
        if (h === undefined) out.push(`${path} ${JSON.stringify(name(w))}: missing in the running configuration`);
        else subsetDiff(w, h, `${path}[${name(w)}]`, out);
      }
      for (const h of have) {
        if (!wantNames.has(name(h)))
          out.push(
            `${path} ${JSON.stringify(name(h))}: in the running configuration, but wmon.yaml does not render it`,
          );
      }
      return out;
    }
    if (want.length !== have.length) {
      out.push(
        `${path}: running has ${have.length} item(s) ${show(have)}, wmon.yaml renders ${want.length} ${show(want)}`,
      );
      return out;
    }
    want.forEach((w, i) => subsetDiff(w, have[i], join(path, i), out));
    return out;
  }
  if (isObject(want)) {
    if (!isObject(have)) {
      out.push(`${path || '(root)'}: missing in the running configuration`);
      return out;
    }
    for (const [k, w] of Object.entries(want)) subsetDiff(w, have[k], join(path, k), out);
    return out;
  }
  // Prometheus and Alertmanager print a secret they were given inline (a URL in a fragment's receiver) masked.
  if (have === SECRET_MASK && typeof want === 'string' && want !== '') return out;
  const a = normaliseScalar(want);
  const b = normaliseScalar(have);
  if (a !== b) out.push(`${path}: running has ${show(have)}, wmon.yaml renders ${show(want)}`);
  return out;
}

function alertmanagerTargets(config: unknown): string[] {
  const alerting = isObject(config) ? config.alerting : undefined;
  const ams = isObject(alerting) && Array.isArray(alerting.alertmanagers) ? alerting.alertmanagers : [];
  const targets: string[] = [];
  for (const am of ams) {
    const statics = isObject(am) && Array.isArray(am.static_configs) ? am.static_configs : [];
    for (const sc of statics) if (isObject(sc) && Array.isArray(sc.targets)) targets.push(...sc.targets.map(String));
  }
  return targets.sort();
}

/** Rendered prometheus.yml (parsed) against `/api/v1/status/config` (parsed). */
export function diffPrometheusConfig(rendered: Record<string, unknown>, running: unknown): string[] {
  const out: string[] = [];
  if (!isObject(running)) return ['the running configuration is empty'];
  const { alerting: _alerting, rule_files: ruleFiles, ...rest } = rendered;
  subsetDiff(rest, running, '', out);

  // Prometheus resolves rule files against its configuration file's folder: compare the tails.
  const want = Array.isArray(ruleFiles) ? ruleFiles.map(String) : [];
  const have = Array.isArray(running.rule_files) ? running.rule_files.map(String) : [];
  const same = want.length === have.length && want.every((w, i) => have[i] === w || (have[i] ?? '').endsWith(`/${w}`));
  if (!same) out.push(`rule_files: running has ${show(have)}, wmon.yaml renders ${show(want)}`);

  const wantAm = alertmanagerTargets(rendered);
  const haveAm = alertmanagerTargets(running);
  if (wantAm.join(',') !== haveAm.join(',')) {
    out.push(
      `alerting: running sends alerts to ${haveAm.length ? haveAm.join(', ') : 'no Alertmanager'}, wmon.yaml renders ${wantAm.length ? wantAm.join(', ') : 'none'}`,
    );
  }
  return out;
}

/** Rendered alertmanager.yml (parsed) against `/api/v2/status`'s `config.original` (parsed). */
export function diffAlertmanagerConfig(rendered: Record<string, unknown>, running: unknown): string[] {
  if (!isObject(running)) return ['the running configuration is empty'];
  const out = subsetDiff(normaliseRoute(rendered), normaliseRoute(running));
  return out;
}

/** `continue: false` is Alertmanager's default and appears in its dump: drop it on both sides. */
function normaliseRoute(config: Record<string, unknown>): Record<string, unknown> {
  const strip = (route: unknown): unknown => {
    if (!isObject(route)) return route;
    const { continue: cont, routes, ...rest } = route;
    return {
      ...rest,
      ...(cont === true ? { continue: true } : {}),
      ...(Array.isArray(routes) ? { routes: routes.map(strip) } : {}),
    };
  };
  return { ...config, ...(config.route === undefined ? {} : { route: strip(config.route) }) };
}

const PROMQL_TOKEN =
  /\s+|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`|(?:\d+(?:ms|s|m|h|d|w|y))+(?![\w.])|0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z_:][\w:]*|==|!=|>=|<=|=~|!~|[-+*/%^<>=(){}[\],@:]|./g;

/** PromQL as a list of tokens that mean the same whatever the spacing, quoting or number notation. */
export function promqlTokens(expr: string): string[] {
  const tokens: string[] = [];
  for (const m of expr.matchAll(PROMQL_TOKEN)) {
    const t = m[0];
    if (/^\s+$/.test(t)) continue;
    if (/^["'`]/.test(t)) {
      const body = t.slice(1, -1);
      tokens.push(`s:${t[0] === '`' ? body : body.replace(/\\(.)/g, '$1')}`);
    } else if (/^(\d+(ms|s|m|h|d|w|y))+$/.test(t)) {
      tokens.push(`d:${durationSeconds(t)}`);
    } else if (/^(0x|\d|\.\d)/.test(t)) {
      tokens.push(`n:${Number(t)}`);
    } else {
      tokens.push(t);
    }
  }
  return tokens;
}

export function samePromql(a: string, b: string): boolean {
  return promqlTokens(a).join(' ') === promqlTokens(b).join(' ');
}

/** On one line, at most `max` characters: a longer one keeps its start and its end (a threshold is at the end). */
function oneLine(s: string, max = 200): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const head = Math.floor((max - 1) / 2);
  return `${t.slice(0, head)}…${t.slice(t.length - (max - 1 - head))}`;
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => (a[k] ?? '').trim() !== (b[k] ?? '').trim());
}

/** The rendered rule files (merged) against the groups Prometheus loaded (`/api/v1/rules`). */
export function diffRules(rendered: RuleFile, loaded: readonly LoadedRuleGroup[]): string[] {
  const out: string[] = [];
  const loadedByName = new Map(loaded.map((g) => [g.name, g]));
  const renderedNames = new Set(rendered.groups.map((g) => g.name));
  for (const group of rendered.groups) {
    const running = loadedByName.get(group.name);
    if (!running) {
      out.push(`rule group ${group.name}: not loaded`);
      continue;
    }
    // An alert may have a rule per severity (WebhookCertificateExpiringSoon): match by name, then severity.
    const runningAlerts = new Map<string, Array<(typeof running.rules)[number] & { type: 'alerting' }>>();
    const runningRecords = new Map<string, Array<(typeof running.rules)[number] & { type: 'recording' }>>();
    for (const r of running.rules) {
      if (r.type === 'alerting') runningAlerts.set(r.name, [...(runningAlerts.get(r.name) ?? []), r]);
      else runningRecords.set(r.name, [...(runningRecords.get(r.name) ?? []), r]);
    }
    for (const rule of group.rules) {
      const labels = asRecord(rule.labels);
      if (rule.record !== undefined) {
        const candidates = runningRecords.get(rule.record) ?? [];
        const r = candidates.shift();
        if (!r) {
          out.push(`recording rule ${rule.record}: not loaded`);
          continue;
        }
        if (candidates.length === 0) runningRecords.delete(rule.record);
        if (!samePromql(rule.expr, r.query))
          out.push(
            `recording rule ${rule.record}: expr differs: running ${oneLine(r.query)}; wmon.yaml renders ${oneLine(rule.expr)}`,
          );
        continue;
      }
      const name = rule.alert ?? '';
      const candidates = runningAlerts.get(name) ?? [];
      const same = candidates.findIndex((c) => c.labels.severity === labels.severity);
      const r = candidates.splice(same === -1 ? 0 : same, 1)[0];
      if (!r) {
        out.push(`alert ${name}: not loaded`);
        continue;
      }
      if (candidates.length === 0) runningAlerts.delete(name);
      if (!samePromql(rule.expr, r.query))
        out.push(`alert ${name}: expr differs: running ${oneLine(r.query)}; wmon.yaml renders ${oneLine(rule.expr)}`);
      const wantFor = durationSeconds(rule.for ?? '0s') ?? 0;
      if (Math.abs(wantFor - r.durationSeconds) > 0.001)
        out.push(`alert ${name}: for differs: running ${r.durationSeconds}s, wmon.yaml renders ${rule.for ?? '0s'}`);
      const labelDiff = sameRecord(labels, r.labels);
      if (labelDiff.length > 0) out.push(`alert ${name}: labels differ (${labelDiff.join(', ')})`);
      const annotations = sameRecord(asRecord(rule.annotations), r.annotations);
      if (annotations.length > 0) out.push(`alert ${name}: annotations differ (${annotations.join(', ')})`);
    }
    for (const extra of runningAlerts.keys())
      out.push(`alert ${extra}: loaded in group ${group.name}, but wmon.yaml does not render it`);
    for (const extra of runningRecords.keys())
      out.push(`recording rule ${extra}: loaded in group ${group.name}, but wmon.yaml does not render it`);
  }
  for (const g of loaded) {
    if (!renderedNames.has(g.name))
      out.push(`rule group ${g.name} (${g.file}): loaded, but wmon.yaml does not render it`);
  }
  return out;
}
