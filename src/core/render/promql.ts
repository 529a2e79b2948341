/**
 * PromQL checks for the expressions wmon renders into alert rules and dashboards.
 *
 * Parsing uses Prometheus's own Lezer grammar (`@prometheus-io/lezer-promql`, the one its web UI uses), so
 * an expression that has an error node here is one Prometheus would reject too. The grammar does not check
 * types (e.g. `rate()` of an instant vector); promtool does that for the rules, and the tests also feed the
 * dashboards' expressions to promtool.
 */
import { parser } from '@prometheus-io/lezer-promql';

/** A syntax problem, with character offsets into the expression that was parsed. */
export interface PromqlSyntaxError {
  readonly from: number;
  readonly to: number;
  readonly message: string;
}

export interface PromqlAnalysis {
  /** The expression that was parsed (after Grafana variables were substituted, if asked). */
  readonly expr: string;
  readonly errors: readonly PromqlSyntaxError[];
  /** Exact metric names the expression selects (`name{…}`, `{__name__="name"}`, `{"name"}`), sorted, unique. */
  readonly metricNames: readonly string[];
  /** Selectors whose metric name is not a single exact name (e.g. `{__name__=~"webhook_.*"}`), as written. */
  readonly unresolvedSelectors: readonly string[];
  /** Every selector with one exact name: the name, its label matchers (other than the name) and its text. */
  readonly selectors: readonly PromqlSelector[];
}

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface PromqlSelector {
  readonly name: string;
  readonly matchers: readonly { readonly label: string; readonly op: MatchOperator; readonly value: string }[];
  readonly text: string;
}

/** A label value that selectors of some metrics must leave out (e.g. wmon's probe, `source!="probe"`). */
export interface RequiredExclusion {
  /** The metric names (histograms with their `_bucket`, `_sum`, `_count` names) it applies to. */
  readonly names: ReadonlySet<string>;
  readonly label: string;
  readonly value: string;
}

export interface PromqlCheckOptions {
  /** Names the expression may refer to; unknown names and unresolved selectors become problems. */
  readonly knownNames?: ReadonlySet<string>;
  /** Substitute Grafana's variables (`$__rate_interval`, `${job}`, …) with placeholders before parsing. */
  readonly grafana?: boolean;
  /**
   * Selectors of these metrics must leave this label value out: `label!="value"`, or `label="other"` for
   * another value. Anything else (no matcher, a regex) is a problem.
   */
  readonly mustExclude?: RequiredExclusion;
}

/** Placeholder a Grafana variable is replaced with, by the role the variable plays in a query. */
const GRAFANA_DURATION_VARIABLES = new Set(['__rate_interval', '__interval', '__range', '__auto']);
const GRAFANA_NUMBER_VARIABLES = new Set(['__interval_ms', '__range_s', '__range_ms', '__rate_interval_ms']);
const DURATION_PLACEHOLDER = '5m';
const NUMBER_PLACEHOLDER = '300';
/** Any other variable: inside a string it is a label value; outside, most often a label name or a selector. */
const VALUE_PLACEHOLDER = 'wmon_grafana_variable';

/** `$name`, `${name}`, `${name:format}` and the deprecated `[[name]]` / `[[name:format]]`. */
const GRAFANA_VARIABLE = /\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]/g;

/**
 * Replace Grafana's template variables with values that keep the query valid PromQL: durations for
 * interval variables, numbers for `_ms`/`_s` variables, a plain word for everything else. The replacement
 * changes offsets, so report errors against the returned string.
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(GRAFANA_VARIABLE, (_match, braced?: string, bare?: string, legacy?: string) => {
    const name = braced ?? bare ?? legacy ?? '';
    if (GRAFANA_DURATION_VARIABLES.has(name)) return DURATION_PLACEHOLDER;
    if (GRAFANA_NUMBER_VARIABLES.has(name)) return NUMBER_PLACEHOLDER;
    return VALUE_PLACEHOLDER;
  });
}

/** The value of a PromQL string literal (Go syntax: "…" and '…' with escapes, `…` raw). */
function unquote(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_m, esc: string) => {
    switch (esc[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'x':
      case 'u':
      case 'U':
        return String.fromCodePoint(Number.parseInt(esc.slice(1), 16));
      default:
        return /^[0-7]{3}$/.test(esc) ? String.fromCodePoint(Number.parseInt(esc, 8)) : esc;
    }
  });
}

function describeError(expr: string, from: number, to: number): string {
  const column = from + 1;
  if (from >= expr.length) {
    return expr.trim() === '' ? 'empty expression' : `unexpected end of expression at column ${column}`;
  }
  const text = expr.slice(from, Math.max(to, from + 1));
  return `unexpected ${JSON.stringify(text)} at column ${column}`;
}

/** Parse one PromQL expression; report syntax errors and the metric names it selects. */
export function analyzePromql(input: string, options: Pick<PromqlCheckOptions, 'grafana'> = {}): PromqlAnalysis {
  const expr = options.grafana ? substituteGrafanaVariables(input) : input;
  const tree = parser.parse(expr);
  const errors: PromqlSyntaxError[] = [];
  const names = new Set<string>();
  const unresolved: string[] = [];
  const selectors: PromqlSelector[] = [];

  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      errors.push({ from: cursor.from, to: cursor.to, message: describeError(expr, cursor.from, cursor.to) });
      continue;
    }
    if (cursor.name !== 'VectorSelector') continue;

    const selector = cursor.node;
    const exact: string[] = [];
    let inexact = false;
    const identifier = selector.getChild('Identifier');
    if (identifier) exact.push(expr.slice(identifier.from, identifier.to));
    const matchers = selector.getChild('LabelMatchers');
    const labelMatchers = matchers
      ? [...matchers.getChildren('UnquotedLabelMatcher'), ...matchers.getChildren('QuotedLabelMatcher')]
      : [];
    const others: PromqlSelector['matchers'][number][] = [];
    for (const matcher of labelMatchers) {
      const label = matcher.getChild('LabelName') ?? matcher.getChild('QuotedLabelName')?.getChild('StringLiteral');
      if (!label) continue;
      const labelText = expr.slice(label.from, label.to);
      const labelName = label.name === 'LabelName' ? labelText : unquote(labelText);
      // Only the value after the operator: a quoted label name holds a string literal of its own.
      const value = matcher.getChild('StringLiteral', 'MatchOp');
      if (labelName !== '__name__') {
        const op = matchOperator(matcher.getChild('MatchOp'));
        if (op && value) others.push({ label: labelName, op, value: unquote(expr.slice(value.from, value.to)) });
        continue;
      }
      if (matcher.getChild('MatchOp')?.getChild('EqlSingle') && value) {
        exact.push(unquote(expr.slice(value.from, value.to)));
      } else {
        inexact = true;
      }
    }
    // `{"metric.name", …}`: a quoted name alone among the matchers is the metric name (Prometheus 3).
    for (const quoted of matchers ? matchers.getChildren('QuotedLabelName') : []) {
      const literal = quoted.getChild('StringLiteral');
      if (literal) exact.push(unquote(expr.slice(literal.from, literal.to)));
    }

    const text = expr.slice(selector.from, selector.to);
    if (exact.length > 1) {
      errors.push({
        from: selector.from,
        to: selector.to,
        message: `metric name set more than once in ${text}`,
      });
    }
    if (exact.length === 0 || inexact) unresolved.push(text);
    for (const name of exact) names.add(name);
    if (exact.length === 1 && !inexact) selectors.push({ name: exact[0] ?? '', matchers: others, text });
  } while (cursor.next());

  return { expr, errors, metricNames: [...names].sort(), unresolvedSelectors: unresolved, selectors };
}

function matchOperator(node: { getChild(name: string): unknown } | null): MatchOperator | undefined {
  if (!node) return undefined;
  if (node.getChild('EqlSingle')) return '=';
  if (node.getChild('Neq')) return '!=';
  if (node.getChild('EqlRegex')) return '=~';
  if (node.getChild('NeqRegex')) return '!~';
  return undefined;
}

/**
 * Every problem with an expression, as a line a person can act on: syntax errors, and — when `knownNames`
 * is given — metric names outside that list and selectors whose name cannot be checked. Empty means fine.
 */
export function checkPromql(expr: string, options: PromqlCheckOptions = {}): string[] {
  const analysis = analyzePromql(expr, options);
  const problems = analysis.errors.map((e) => `syntax error: ${e.message} in ${JSON.stringify(analysis.expr)}`);
  if (options.knownNames) {
    const known = options.knownNames;
    for (const name of analysis.metricNames) {
      if (!known.has(name)) problems.push(`unknown metric ${JSON.stringify(name)} in ${JSON.stringify(analysis.expr)}`);
    }
    for (const selector of analysis.unresolvedSelectors) {
      problems.push(`selector ${selector} has no exact metric name, so it cannot be checked`);
    }
  }
  const exclusion = options.mustExclude;
  if (exclusion) {
    for (const s of analysis.selectors) {
      if (!exclusion.names.has(s.name)) continue;
      const excludes = s.matchers.some(
        (m) =>
          m.label === exclusion.label &&
          ((m.op === '!=' && m.value === exclusion.value) || (m.op === '=' && m.value !== exclusion.value)),
      );
      if (!excludes) {
        problems.push(`selector ${s.text} does not leave out ${exclusion.label}="${exclusion.value}"`);
      }
    }
  }
  return problems;
}
