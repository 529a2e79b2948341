import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_ALERTS, alertsSchema } from '../../../src/core/config/alerts.js';
import { knownSeriesNames, PROBE_SOURCE, seriesNamesWithLabel } from '@wmon/contract';
import { analyzePromql, checkPromql } from '../../../src/core/render/promql.js';
import { SEVERITIES, buildAlertRules } from '../../../src/core/render/rules.js';

const GRAFANA = 'http://127.0.0.1:3000';
const rulesOf = (file: ReturnType<typeof buildAlertRules>) => file.groups.flatMap((g) => g.rules);
const byName = (file: ReturnType<typeof buildAlertRules>, alert: string) => {
  const rule = rulesOf(file).find((r) => r.alert === alert);
  if (!rule) throw new Error(`no rule ${alert}`);
  return rule;
};

describe('buildAlertRules', () => {
  const rules = buildAlertRules({ alerts: DEFAULT_ALERTS, grafanaUrl: GRAFANA });

  it("has SPEC.md's alerts with their severities", () => {
    const severities = Object.fromEntries(rulesOf(rules).map((r) => [r.alert, r.labels.severity]));
    expect(severities).toEqual({
      WebhookHighErrorRate: 'critical',
      WebhookHighLatency: 'critical',
      WebhookDatabaseDown: 'critical',
      WebhookCacheDown: 'critical',
      WebhookErrorRateElevated: 'warning',
      WebhookLatencyElevated: 'warning',
      WebhookHighMemory: 'warning',
      WebhookHighCPU: 'warning',
      WebhookSignatureFailureSpike: 'warning',
      WebhookQueueBacklog: 'warning',
      WebhookDeadLetters: 'warning',
      WebhookRateLimiting: 'info',
      WebhookNoEventsReceived: 'warning',
      WebhookNoEventsAccepted: 'critical',
      HostDiskSpaceCritical: 'critical',
      HostDiskSpaceLow: 'warning',
      HostDiskFillingUp: 'warning',
      HostMemoryLow: 'warning',
      NodeExporterDown: 'warning',
      Watchdog: 'none',
      PrometheusRuleEvaluationFailures: 'critical',
      PrometheusNotificationsFailing: 'critical',
      PrometheusConfigReloadFailed: 'warning',
      PrometheusTSDBCompactionsFailing: 'warning',
      PrometheusTSDBWALCorruptions: 'warning',
      PrometheusTargetSampleLimitHit: 'warning',
      AlertmanagerNotificationsFailing: 'critical',
      TargetDown: 'critical',
      WebhookDeliveryLagHigh: 'warning',
      WebhookEndpointUnreachable: 'critical',
      // A rule per severity (critical under 3 days, warning under 14): the last one listed wins here.
      WebhookCertificateExpiringSoon: 'warning',
    });
    for (const r of rulesOf(rules)) {
      if (r.alert !== 'Watchdog') expect(SEVERITIES).toContain(r.labels.severity);
    }
  });

  it("uses SPEC.md's thresholds and durations by default, firing at the threshold (>=)", () => {
    expect(byName(rules, 'WebhookHighErrorRate')).toMatchObject({ for: '5m' });
    expect(byName(rules, 'WebhookHighErrorRate').expr).toMatch(/ >= 0\.1$/);
    expect(byName(rules, 'WebhookErrorRateElevated')).toMatchObject({ for: '15m' });
    expect(byName(rules, 'WebhookErrorRateElevated').expr).toMatch(/ >= 0\.05$/);
    expect(byName(rules, 'WebhookHighLatency').expr).toMatch(
      /^histogram_quantile\(0\.95, .*webhook_request_duration_seconds_bucket.* >= 1$/,
    );
    expect(byName(rules, 'WebhookLatencyElevated').expr).toMatch(/ >= 0\.5$/);
    expect(byName(rules, 'WebhookDatabaseDown')).toMatchObject({ expr: 'webhook_db_up == 0', for: '1m' });
    expect(byName(rules, 'WebhookCacheDown')).toMatchObject({ expr: 'webhook_cache_up == 0', for: '1m' });
    expect(byName(rules, 'WebhookHighMemory').expr).toMatch(/webhook_memory_limit_bytes.* >= 0\.85$/);
    expect(byName(rules, 'WebhookHighCPU').expr).toBe('webhook_cpu_usage_percent >= 75');
    expect(byName(rules, 'TargetDown')).toMatchObject({ expr: 'up == 0', for: '1m' });
  });

  it('keeps job (and instance where there is one) and a signal label shared by warning and critical pairs', () => {
    expect(byName(rules, 'WebhookHighErrorRate').labels.signal).toBe(
      byName(rules, 'WebhookErrorRateElevated').labels.signal,
    );
    expect(byName(rules, 'WebhookHighLatency').labels.signal).toBe(
      byName(rules, 'WebhookLatencyElevated').labels.signal,
    );
    const signals = new Set(rulesOf(rules).map((r) => r.labels.signal));
    expect(signals.size).toBe(27);
    for (const r of rulesOf(rules)) {
      // Aggregations keep `job`, so Alertmanager can match warnings to criticals of the same service.
      if (r.expr.includes('sum')) expect(r.expr).toMatch(/sum by \(job/);
    }
    // TargetDown keeps the `component` label of the scrape target instead of setting its own.
    expect(byName(rules, 'TargetDown').labels).toEqual({ severity: 'critical', signal: 'availability' });
  });

  it('annotates every rule with summary, description and dashboard link, and no runbook link by default', () => {
    for (const r of rulesOf(rules)) {
      expect(Object.keys(r)).toEqual(['alert', 'expr', 'for', 'labels', 'annotations']);
      expect(Object.keys(r.annotations)).toEqual(['summary', 'description', 'dashboard_url']);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(40);
      expect(r.annotations.dashboard_url).toMatch(
        /^http:\/\/127\.0\.0\.1:3000\/d\/wmon-(overview|performance|events)$/,
      );
    }
  });

  it('leaves out dashboard links when Grafana is off, and drops a trailing slash from its URL', () => {
    for (const r of rulesOf(buildAlertRules({ alerts: DEFAULT_ALERTS }))) {
      expect(r.annotations).not.toHaveProperty('dashboard_url');
    }
    const slash = buildAlertRules({ alerts: DEFAULT_ALERTS, grafanaUrl: 'https://grafana.example.com/' });
    expect(byName(slash, 'TargetDown').annotations.dashboard_url).toBe('https://grafana.example.com/d/wmon-overview');
  });

  it('follows thresholds and durations from the config', () => {
    const alerts = alertsSchema.parse({
      errorRatePercent: { critical: 20, warning: 7.5, warningFor: '30m' },
      latencyP95Ms: { critical: 2500, warning: 750 },
      memoryPercent: { warning: 90, for: '10m' },
      cpuPercent: { warning: 150 },
      databaseDownFor: '2m',
      queueBacklog: { warning: 500 },
      deadLetter: { warning: 5 },
      signatureFailuresPerSecond: { warning: 1 },
      rateLimitedPerSecond: { info: 0.5 },
    });
    const custom = buildAlertRules({ alerts });
    expect(byName(custom, 'WebhookHighErrorRate').expr).toMatch(/ >= 0\.2$/);
    expect(byName(custom, 'WebhookErrorRateElevated')).toMatchObject({ for: '30m' });
    expect(byName(custom, 'WebhookErrorRateElevated').expr).toMatch(/ >= 0\.075$/);
    expect(byName(custom, 'WebhookErrorRateElevated').annotations.description).toContain('threshold of 7.5% for 30m');
    expect(byName(custom, 'WebhookHighLatency').expr).toMatch(/ >= 2\.5$/);
    expect(byName(custom, 'WebhookHighLatency').annotations.description).toContain('threshold of 2.5s');
    expect(byName(custom, 'WebhookLatencyElevated').expr).toMatch(/ >= 0\.75$/);
    expect(byName(custom, 'WebhookHighMemory')).toMatchObject({ for: '10m' });
    expect(byName(custom, 'WebhookHighMemory').expr).toMatch(/ >= 0\.9$/);
    expect(byName(custom, 'WebhookHighCPU').expr).toBe('webhook_cpu_usage_percent >= 150');
    expect(byName(custom, 'WebhookDatabaseDown').for).toBe('2m');
    expect(byName(custom, 'WebhookQueueBacklog').expr).toContain('{state="pending"} >= 500 and');
    expect(byName(custom, 'WebhookDeadLetters').expr).toBe('webhook_queue_size{state="dead_letter"} >= 5');
    expect(byName(custom, 'WebhookSignatureFailureSpike').expr).toMatch(/ >= 1$/);
    expect(byName(custom, 'WebhookRateLimiting').expr).toMatch(/ >= 0\.5$/);
  });

  it('parses every expression and refers only to metrics the service, node exporter or Prometheus export', () => {
    const known = knownSeriesNames();
    for (const r of rulesOf(rules)) expect(checkPromql(r.expr, { knownNames: known }), r.alert).toEqual([]);
  });

  it('leaves wmon\'s probe out of every selector on a metric that counts it apart (source!="probe")', () => {
    const mustExclude = { names: seriesNamesWithLabel('source'), label: 'source', value: PROBE_SOURCE };
    const checked = rulesOf(rules).filter((r) =>
      analyzePromql(r.expr).selectors.some((s) => mustExclude.names.has(s.name)),
    );
    // Error rate, latency, silence and acceptance: each pair of rules reads requests or events.
    expect(checked.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'WebhookHighErrorRate',
        'WebhookHighLatency',
        'WebhookNoEventsReceived',
        'WebhookNoEventsAccepted',
      ]),
    );
    for (const r of checked) expect(checkPromql(r.expr, { mustExclude }), r.alert).toEqual([]);
    // The check itself catches a selector that does not.
    expect(checkPromql('sum(rate(webhook_events_by_type_total{type="x"}[5m]))', { mustExclude })).toEqual([
      'selector webhook_events_by_type_total{type="x"} does not leave out source="probe"',
    ]);
  });

  it('sets no optional rule feature (keep_firing_for, group limit or query_offset): groups have a name and rules only', () => {
    for (const g of rules.groups) expect(Object.keys(g)).toEqual(['name', 'rules']);
    for (const r of rulesOf(rules)) expect(Object.keys(r)).not.toContain('keep_firing_for');
  });

  it('watches silence: the window from alerts.silenceWindow, 0 switches it off, nothing without a webhook target', () => {
    expect(byName(rules, 'WebhookNoEventsReceived').expr).toContain('[6h]');
    expect(byName(rules, 'WebhookNoEventsReceived').expr).toContain('absent_over_time(');
    expect(byName(rules, 'WebhookNoEventsAccepted').expr).toContain('[10m]');
    const custom = buildAlertRules({ alerts: alertsSchema.parse({ silenceWindow: '2h', noEventsAcceptedFor: '5m' }) });
    expect(byName(custom, 'WebhookNoEventsReceived').expr).toContain('[2h]');
    expect(byName(custom, 'WebhookNoEventsAccepted').expr).toContain('[5m]');
    for (const off of [0, '0s']) {
      const names = rulesOf(buildAlertRules({ alerts: alertsSchema.parse({ silenceWindow: off }) })).map(
        (r) => r.alert,
      );
      expect(names).not.toContain('WebhookNoEventsReceived');
      expect(names).toContain('WebhookNoEventsAccepted');
    }
    const none = rulesOf(buildAlertRules({ alerts: DEFAULT_ALERTS, webhook: false })).map((r) => r.alert);
    expect(none).not.toContain('WebhookNoEventsReceived');
    expect(none).not.toContain('WebhookNoEventsAccepted');
    expect(() => alertsSchema.parse({ silenceWindow: 'soon' })).toThrow(/Prometheus duration/);
  });

  it('watches the host with thresholds from the config, and not at all without node exporter', () => {
    expect(byName(rules, 'HostDiskSpaceLow').expr).toMatch(/mountpoint="\/"} <= 0\.15$/);
    expect(byName(rules, 'HostDiskSpaceCritical').expr).toMatch(/ <= 0\.05$/);
    expect(byName(rules, 'HostDiskFillingUp').expr).toBe(
      'predict_linear(node_filesystem_avail_bytes{mountpoint="/"}[6h], 86400) < 0',
    );
    expect(byName(rules, 'HostMemoryLow').expr).toMatch(/ <= 0\.1$/);
    const alerts = alertsSchema.parse({
      diskUsedPercent: { warning: 70, critical: 90, for: '10m' },
      diskFillsWithin: { warning: '4h' },
      hostMemoryAvailablePercent: { warning: 5 },
    });
    const custom = buildAlertRules({ alerts });
    expect(byName(custom, 'HostDiskSpaceLow')).toMatchObject({ for: '10m' });
    expect(byName(custom, 'HostDiskSpaceLow').expr).toMatch(/ <= 0\.3$/);
    expect(byName(custom, 'HostDiskSpaceCritical').expr).toMatch(/ <= 0\.1$/);
    expect(byName(custom, 'HostDiskFillingUp').expr).toContain(', 14400) < 0');
    expect(byName(custom, 'HostMemoryLow').expr).toMatch(/ <= 0\.05$/);
    expect(() => alertsSchema.parse({ diskUsedPercent: { warning: 90, critical: 90 } })).toThrow(
      /must be greater than diskUsedPercent\.warning/,
    );
    const names = rulesOf(buildAlertRules({ alerts: DEFAULT_ALERTS, nodeExporter: false })).map((r) => r.alert);
    expect(names.filter((n) => n.startsWith('Host') || n === 'NodeExporterDown')).toEqual([]);
  });

  it('has an always-firing Watchdog and Alertmanager alerts only when Alertmanager runs', () => {
    expect(byName(rules, 'Watchdog')).toMatchObject({ expr: 'vector(1)', for: '0s' });
    const names = rulesOf(buildAlertRules({ alerts: DEFAULT_ALERTS, alertmanager: false })).map((r) => r.alert);
    expect(names).not.toContain('Watchdog');
    expect(names).not.toContain('AlertmanagerNotificationsFailing');
    expect(names).toContain('PrometheusRuleEvaluationFailures');
  });

  it('is deterministic', () => {
    const again = buildAlertRules({ alerts: alertsSchema.parse({}), grafanaUrl: GRAFANA });
    expect(stringify(again)).toBe(stringify(rules));
  });

  it('links each alert to <alerts.runbookBaseUrl>/<alert>.md when a base URL is set', () => {
    const alerts = alertsSchema.parse({ runbookBaseUrl: 'https://wiki.example.com/runbooks/' });
    for (const r of rulesOf(buildAlertRules({ alerts, grafanaUrl: GRAFANA }))) {
      expect(Object.keys(r.annotations)).toEqual(['summary', 'description', 'runbook_url', 'dashboard_url']);
      expect(r.annotations.runbook_url).toBe(`https://wiki.example.com/runbooks/${r.alert}.md`);
    }
  });
});
