import { describe, expect, it } from 'vitest';
import { knownSeriesNames } from '@wmon/contract';
import { analyzePromql, checkPromql, substituteGrafanaVariables } from '../../../src/core/render/promql.js';

const known = knownSeriesNames();

describe('analyzePromql', () => {
  it('parses a valid expression and lists the metric names it selects', () => {
    const a = analyzePromql(
      'sum by (job) (rate(webhook_errors_total[5m])) / (sum by (job) (rate(webhook_requests_total{route!~"/metrics"}[5m])) > 0) >= 0.1',
    );
    expect(a.errors).toEqual([]);
    expect(a.metricNames).toEqual(['webhook_errors_total', 'webhook_requests_total']);
    expect(a.unresolvedSelectors).toEqual([]);
  });

  it('finds names given as __name__ matchers and as quoted names', () => {
    expect(analyzePromql('{__name__="up", job="webhook"}').metricNames).toEqual(['up']);
    expect(analyzePromql(`{'__name__'="node_load1"}`).metricNames).toEqual(['node_load1']);
    expect(analyzePromql('{"webhook_db_up"} == 0').metricNames).toEqual(['webhook_db_up']);
    expect(analyzePromql('count(up == 0) or vector(0)').metricNames).toEqual(['up']);
  });

  it('reports selectors whose name is not one exact name', () => {
    expect(analyzePromql('{__name__=~"webhook_.*"}').unresolvedSelectors).toEqual(['{__name__=~"webhook_.*"}']);
    expect(analyzePromql('{job="webhook"}').unresolvedSelectors).toEqual(['{job="webhook"}']);
  });

  it('rejects a metric name given twice', () => {
    expect(analyzePromql('up{__name__="webhook_db_up"}').errors).toHaveLength(1);
  });

  it.each([
    ['an unclosed call', 'sum(rate(webhook_requests_total[5m])'],
    ['an unclosed selector', 'webhook_requests_total{status="500"'],
    ['a missing operand', 'webhook_db_up =='],
    ['a stray brace', 'up}'],
    ['an unknown function', 'rated(webhook_requests_total[5m])'],
    ['a bad duration', 'rate(webhook_requests_total[5 minutes])'],
    ['an empty expression', '   '],
  ])('catches %s', (_what, expr) => {
    const a = analyzePromql(expr);
    expect(a.errors.length).toBeGreaterThan(0);
    for (const e of a.errors) expect(e.message).toMatch(/unexpected|empty/);
  });
});

describe('substituteGrafanaVariables', () => {
  it('turns interval variables into durations and range counters into numbers', () => {
    expect(substituteGrafanaVariables('rate(x[$__rate_interval]) + rate(x[${__interval}]) * $__range_s')).toBe(
      'rate(x[5m]) + rate(x[5m]) * 300',
    );
  });

  it('turns other variables (any syntax) into a plain word that keeps strings and label lists valid', () => {
    const expr = 'sum by ($group) (up{job=~"$job", instance="${instance:regex}", env="[[env]]"})';
    const out = substituteGrafanaVariables(expr);
    expect(out).not.toMatch(/\$|\[\[/);
    expect(analyzePromql(out).errors).toEqual([]);
  });

  it('is needed: a raw Grafana query does not parse', () => {
    const expr = 'sum(rate(webhook_requests_total[$__rate_interval]))';
    expect(analyzePromql(expr).errors.length).toBeGreaterThan(0);
    expect(analyzePromql(expr, { grafana: true }).errors).toEqual([]);
  });
});

describe('checkPromql', () => {
  it('accepts an expression over known names', () => {
    expect(
      checkPromql('histogram_quantile(0.95, sum by (le) (rate(webhook_request_duration_seconds_bucket[5m])))', {
        knownNames: known,
      }),
    ).toEqual([]);
  });

  it('reports a metric the service does not export', () => {
    const problems = checkPromql('rate(webhook_request_total[5m])', { knownNames: known });
    expect(problems).toEqual(['unknown metric "webhook_request_total" in "rate(webhook_request_total[5m])"']);
  });

  it('reports the base name of a histogram, which is not a series', () => {
    expect(checkPromql('webhook_request_duration_seconds', { knownNames: known })).toHaveLength(1);
  });

  it('reports syntax errors and unresolved selectors', () => {
    expect(checkPromql('sum(up', { knownNames: known })[0]).toMatch(/^syntax error: /);
    expect(checkPromql('{__name__=~"webhook_.+"}', { knownNames: known })[0]).toMatch(/no exact metric name/);
  });

  it('checks syntax only when no list of names is given', () => {
    expect(checkPromql('rate(anything_total[5m])')).toEqual([]);
  });
});
