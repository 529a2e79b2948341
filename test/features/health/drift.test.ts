import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { parseConfigText } from '../../../src/core/config/load.js';
import {
  diffAlertmanagerConfig,
  diffPrometheusConfig,
  diffRules,
  promqlTokens,
  samePromql,
  subsetDiff,
} from '../../../src/features/health/drift.js';
import { renderStack } from '../../../src/core/render/index.js';
import type { RuleFile } from '../../../src/core/render/rules.js';
import { EXTRA_RULES } from '../../support/extensions.js';
import { loadedRuleGroups } from '../../support/loaded-rules.js';
import type { RuleGroup } from '../../../src/adapters/clients/index.js';

const config = parseConfigText('notifications:\n  slack: {webhookUrl: {env: SLACK_URL}}\n', 'wmon.yaml');
const files = renderStack(config).files;
const rendered = (p: string) => parse(files.find((f) => f.path === p)?.contents ?? '') as Record<string, unknown>;

describe('PromQL comparison', () => {
  it('ignores spacing, quoting and number or duration notation, as Prometheus prints its rules', () => {
    expect(samePromql('sum by (job) (rate(x{a="b"}[5m])) >= 0.1', 'sum by(job)(rate(x{a="b"}[5m]))>=1e-01')).toBe(true);
    expect(samePromql('rate(x[60m])', 'rate(x[1h])')).toBe(true);
    expect(samePromql("x{route!~'/metrics|/healthz'}", 'x{route!~"/metrics|/healthz"}')).toBe(true);
    expect(samePromql('a / ignoring(kind) (b > 0)', 'a / ignoring (kind) (b > 0)')).toBe(true);
  });

  it('tells real differences apart', () => {
    expect(samePromql('x >= 0.1', 'x >= 0.2')).toBe(false);
    expect(samePromql('rate(x[5m])', 'rate(x[10m])')).toBe(false);
    expect(samePromql('x{a="b"}', 'x{a="c"}')).toBe(false);
    expect(promqlTokens('up == 0')).toEqual(['up', '==', 'n:0']);
  });
});

describe('subsetDiff', () => {
  it('accepts defaults the running side adds, and equal durations written differently', () => {
    expect(subsetDiff({ a: '60s', b: [1, 2] }, { a: '1m', b: [1, 2], extra: true })).toEqual([]);
    expect(subsetDiff({ routes: [] }, {})).toEqual([]);
    expect(subsetDiff({ m: ['severity="critical"'] }, { m: ['severity = "critical"'] })).toEqual([]);
  });

  it('names each difference by its path, matching named lists by name', () => {
    expect(subsetDiff({ route: { group_wait: '30s' } }, { route: { group_wait: '45s' } })).toEqual([
      'route.group_wait: running has "45s", wmon.yaml renders "30s"',
    ]);
    expect(
      subsetDiff(
        { receivers: [{ name: 'default' }, { name: 'critical', x: 1 }] },
        { receivers: [{ name: 'default' }, { name: 'other' }] },
      ),
    ).toEqual([
      'receivers "critical": missing in the running configuration',
      'receivers "other": in the running configuration, but wmon.yaml does not render it',
    ]);
    expect(subsetDiff({ l: [1, 2] }, { l: [1] })).toEqual(['l: running has 1 item(s) [1], wmon.yaml renders 2 [1,2]']);
  });
});

describe('diffPrometheusConfig', () => {
  const want = rendered('prometheus/prometheus.yml');

  it('finds nothing when the running dump resolves rule files and adds defaults', () => {
    const running = structuredClone(want) as Record<string, unknown> & {
      scrape_configs: Array<Record<string, unknown>>;
    };
    running.rule_files = ['/etc/prometheus/rules/*.yml'];
    running.scrape_configs = running.scrape_configs.map((j) => ({
      ...j,
      metrics_path: j.metrics_path ?? '/metrics',
      scheme: 'http',
      scrape_interval: '15s',
    }));
    expect(diffPrometheusConfig(want, running)).toEqual([]);
  });

  it('reports a missing job, an extra job, other targets and another Alertmanager', () => {
    const running = structuredClone(want) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      alerting: unknown;
    };
    running.scrape_configs = running.scrape_configs.filter((j) => j.job_name !== 'loki');
    running.scrape_configs.push({ job_name: 'extra', static_configs: [{ targets: ['x:1'] }] });
    const webhook = running.scrape_configs.find((j) => j.job_name === 'webhook');
    if (webhook?.static_configs[0]) webhook.static_configs[0].targets = ['webhook:9999'];
    running.alerting = { alertmanagers: [{ static_configs: [{ targets: ['other:9093'] }] }] };
    expect(diffPrometheusConfig(want, running)).toEqual([
      'scrape_configs[webhook].static_configs[0].targets[0]: running has "webhook:9999", wmon.yaml renders "webhook:9464"',
      'scrape_configs "loki": missing in the running configuration',
      'scrape_configs "extra": in the running configuration, but wmon.yaml does not render it',
      'alerting: running sends alerts to other:9093, wmon.yaml renders alertmanager:9093',
    ]);
  });
});

describe('diffAlertmanagerConfig', () => {
  const want = rendered('alertmanager/alertmanager.yml');
  it("treats Alertmanager's `continue: false` as the default it is", () => {
    const running = structuredClone(want) as { route: { routes: Array<Record<string, unknown>> } };
    for (const r of running.route.routes) r.continue = false;
    expect(diffAlertmanagerConfig(want, running)).toEqual([]);
  });
  it('reports a receiver that differs', () => {
    const running = structuredClone(want) as {
      receivers: Array<{ name: string; slack_configs?: Array<Record<string, unknown>> }>;
    };
    const critical = running.receivers.find((r) => r.name === 'critical');
    if (critical?.slack_configs?.[0]) critical.slack_configs[0].api_url_file = '/elsewhere';
    expect(diffAlertmanagerConfig(want, running)).toEqual([
      'receivers[critical].slack_configs[0].api_url_file: running has "/elsewhere", wmon.yaml renders "/run/secrets/wmon/slack_webhook_url"',
    ]);
  });
});

describe('diffRules', () => {
  const file = rendered('prometheus/rules/webhook-alerts.yml') as unknown as RuleFile;
  const loaded = (): RuleGroup[] => loadedRuleGroups(file);

  it('finds nothing when Prometheus loaded what wmon renders', () => {
    expect(diffRules(file, loaded())).toEqual([]);
  });

  it('reports a changed expr, for and label, a missing alert and a foreign group', () => {
    const groups = loaded();
    const rules = groups[0]?.rules as unknown as Array<{
      name: string;
      query: string;
      durationSeconds: number;
      labels: Record<string, string>;
    }>;
    rules[0]!.query = rules[0]!.query.replace('>= 0.1', '>= 0.3');
    rules[1]!.durationSeconds = 60;
    rules[2]!.labels = { ...rules[2]!.labels, severity: 'warning' };
    rules.splice(3, 1);
    groups.push({ name: 'mine', file: '/etc/prometheus/rules/mine.yml', intervalSeconds: 15, rules: [] });
    expect(diffRules(file, groups)).toEqual([
      expect.stringMatching(
        /^alert WebhookHighErrorRate: expr differs: running .*>= 0\.3; wmon\.yaml renders .*>= 0\.1$/,
      ),
      'alert WebhookHighLatency: for differs: running 60s, wmon.yaml renders 5m',
      'alert WebhookDatabaseDown: labels differ (severity)',
      'alert WebhookCacheDown: not loaded',
      'rule group mine (/etc/prometheus/rules/mine.yml): loaded, but wmon.yaml does not render it',
    ]);
  });
});

describe('diffRules with your own rule files', () => {
  const mine = parse(EXTRA_RULES) as RuleFile;

  it('compares your recording and alerting rules too: a changed one is drift, as wmon’s are', () => {
    expect(diffRules(mine, loadedRuleGroups(mine))).toEqual([]);
    const groups = loadedRuleGroups(mine);
    const [record, alert] = groups[0]!.rules as unknown as Array<{ query: string; durationSeconds: number }>;
    record!.query = 'sum(up)';
    alert!.durationSeconds = 0;
    const withExtra = [
      { ...groups[0]!, rules: [...groups[0]!.rules, { ...groups[0]!.rules[0]!, name: 'orders:other' }] },
    ];
    expect(diffRules(mine, withExtra)).toEqual([
      'recording rule orders:up:sum: expr differs: running sum(up); wmon.yaml renders sum(up{job="orders-api"})',
      'alert OrdersApiDown: for differs: running 0s, wmon.yaml renders 1m',
      'recording rule orders:other: loaded in group orders-api, but wmon.yaml does not render it',
    ]);
  });
});
