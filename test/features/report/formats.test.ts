import { XMLValidator } from 'fast-xml-parser';
import { parse as parseJunit } from 'junit2json';
import { describe, expect, it } from 'vitest';

import { DEFAULT_ALERTS } from '../../../src/core/config/alerts.js';
import { niceCeil, svgChart, sparkline, timeTicks } from '../../../src/features/report/charts.js';
import { toHtml } from '../../../src/features/report/html.js';
import { toJunit } from '../../../src/features/report/junit.js';
import { toMarkdown } from '../../../src/features/report/markdown.js';
import { chartWindow, firingPeriods, firstSampleExpr } from '../../../src/features/report/series.js';
import { alertCases, reportExitCode, sloCases, verdictOf } from '../../../src/features/report/test-cases.js';
import { buildAlertRules } from '../../../src/core/render/rules.js';
import type { ChartPoint, ReportJson } from '../../../src/results.js';

const END = 1_800_000_000;

function report(over: Partial<ReportJson> = {}): ReportJson {
  const alerts = firingPeriods(
    [
      {
        metric: {
          __name__: 'ALERTS',
          alertname: 'TargetDown',
          alertstate: 'firing',
          severity: 'critical',
          job: 'webhook',
          instance: 'webhook:8080',
        },
        samples: [0, 15, 30, 300, 315].map((t) => ({ time: END - 600 + t, value: 1 })),
      },
      {
        metric: {
          __name__: 'ALERTS',
          alertname: 'WebhookRateLimiting',
          alertstate: 'firing',
          severity: 'info',
          scope: 'client',
        },
        samples: [{ time: END - 10, value: 1 }],
      },
    ],
    END,
    15,
  );
  const testCases = [
    ...sloCases({ availabilityPercent: 99.5, errorRatePercent: 7, latencyP95Ms: null }, DEFAULT_ALERTS, 99.9),
    ...alertCases(buildAlertRules({ alerts: DEFAULT_ALERTS }), alerts),
  ];
  const verdict = verdictOf(testCases);
  return {
    project: 'demo',
    environment: 'ci & <test>',
    generatedAt: new Date(END * 1000).toISOString(),
    window: '24h',
    windowSeconds: 86_400,
    from: new Date((END - 86_400) * 1000).toISOString(),
    to: new Date(END * 1000).toISOString(),
    prometheusUrl: 'http://127.0.0.1:9090',
    charts: { from: new Date((END - 86_400) * 1000).toISOString(), seconds: 86_400, stepSeconds: 1800, clamped: false },
    verdict,
    failOn: 'critical',
    exitCode: reportExitCode(verdict, 'critical'),
    availability: {
      webhookPercent: 99.5,
      targets: [{ job: 'webhook', instance: 'webhook:8080', percent: 99.5 }],
      series: [
        [END - 60, 100],
        [END, 99],
      ],
    },
    requests: {
      total: 1234,
      ratePerSecond: 0.5,
      byStatus: { '200': 1200, '400': 34 },
      series: [
        [END - 60, 1],
        [END - 30, null],
        [END, 2],
      ],
    },
    errors: {
      ratePercent: 7,
      total: 34,
      byType: { signature: 34 },
      series: [
        [END - 60, 5],
        [END, 9],
      ],
    },
    latency: {
      p50Ms: 5,
      p95Ms: 40,
      p99Ms: 90,
      series: [
        [END - 60, 30],
        [END, 50],
      ],
    },
    events: {
      received: 1200,
      byType: [
        { type: 'invoice.paid', count: 1000 },
        { type: 'charge.succeeded', count: 200 },
      ],
      processed: { success: 1200, duplicate: 3 },
    },
    signatureFailures: { total: 34, byReason: { signature_mismatch: 34 } },
    rateLimited: { total: 0, byScope: {} },
    alerts,
    testCases,
    ...over,
  };
}

describe('firing periods from the ALERTS series', () => {
  it('splits on gaps longer than 2.5 evaluations and knows what still fires', () => {
    const r = report();
    expect(r.alerts.map((a) => [a.name, a.episodes, a.firingSeconds, a.firingAtEnd])).toEqual([
      ['TargetDown', 2, 45 + 30, false],
      ['WebhookRateLimiting', 1, 15, true],
    ]);
    expect(r.alerts[0]?.labels).toEqual({ instance: 'webhook:8080', job: 'webhook' });
  });

  it('says how long an alert fired the same way in the alerts table and in its test case', () => {
    const r = report();
    const total = '1 min 15 s'; // TargetDown: 45 s and 30 s
    expect(r.testCases.find((c) => c.id === 'alert.TargetDown')?.message).toContain(`${total} in all`);
    expect(toMarkdown(r)).toMatch(new RegExp(`\\| TargetDown \\|.*\\| ${total} \\| 2 \\|`));
    expect(toHtml(r)).toContain(`<td>${total}</td>`);
  });
});

describe('test cases and the exit code', () => {
  it('judges SLOs at their thresholds and alert rules by whether they fired', () => {
    const r = report();
    const status = Object.fromEntries(r.testCases.map((c) => [c.id, c.status]));
    expect(status).toMatchObject({
      'slo.availability': 'failed',
      'slo.error-rate.critical': 'passed',
      'slo.error-rate.warning': 'failed',
      'slo.latency-p95.critical': 'no_data',
      'alert.TargetDown': 'failed',
      'alert.WebhookRateLimiting': 'passed',
      'alert.WebhookHighCPU': 'passed',
    });
    expect(r.testCases.find((c) => c.id === 'alert.TargetDown')?.message).toBe(
      'TargetDown fired 2 time(s), 1 min 15 s in all (instance=webhook:8080 job=webhook)',
    );
    expect(r.verdict).toBe('critical');
  });

  it('judges an alert with a rule per severity once per severity, by the severity that fired', () => {
    const fired = [
      {
        name: 'WebhookCertificateExpiringSoon',
        severity: 'warning',
        labels: { instance: 'https://hooks.example.com/webhooks/stripe/reachability', job: 'blackbox-exporter' },
        firstFiringAt: '2027-01-15T07:00:00Z',
        lastFiringAt: '2027-01-15T08:00:00Z',
        firingAtEnd: true,
        episodes: 1,
        firingSeconds: 3600,
      },
    ];
    const cases = alertCases(buildAlertRules({ alerts: DEFAULT_ALERTS }), fired);
    const own = cases.filter((c) => c.id.startsWith('alert.WebhookCertificateExpiringSoon'));
    expect(own.map((c) => [c.id, c.severity, c.status])).toEqual([
      ['alert.WebhookCertificateExpiringSoon.critical', 'critical', 'passed'],
      ['alert.WebhookCertificateExpiringSoon.warning', 'warning', 'failed'],
    ]);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('maps --fail-on to 0, 1 or 2', () => {
    expect(reportExitCode('critical', 'critical')).toBe(2);
    expect(reportExitCode('warning', 'critical')).toBe(0);
    expect(reportExitCode('warning', 'warning')).toBe(1);
    expect(reportExitCode('critical', 'warning')).toBe(2);
    expect(reportExitCode('critical', 'never')).toBe(0);
    expect(reportExitCode('passed', 'warning')).toBe(0);
  });
});

describe('formats', () => {
  it('writes JUnit XML that parses, with a failure per breach and skipped for no data, escaped', async () => {
    const r = report();
    const xml = toJunit(r);
    expect(XMLValidator.validate(xml)).toBe(true);
    const j = (await parseJunit(xml)) as {
      tests?: number;
      failures?: number;
      skipped?: number;
      testsuite?: Array<{
        name?: string;
        testcase?: Array<{ name?: string; skipped?: unknown[]; failure?: Array<{ type?: string; message?: string }> }>;
        properties?: Array<{ name?: string; value?: string }>;
      }>;
    };
    expect(j.tests).toBe(r.testCases.length);
    expect(j.failures).toBe(3);
    expect(j.skipped).toBe(2);
    const slo = j.testsuite?.[0];
    expect(slo?.properties).toContainEqual({ name: 'environment', value: 'ci & <test>' });
    expect(slo?.testcase?.find((c) => c.name?.startsWith('Webhook service availability'))?.failure?.[0]).toMatchObject({
      type: 'critical',
      message: 'availability 99.5 % is below the critical threshold of 99.9 %',
    });
    expect(slo?.testcase?.find((c) => c.name === 'p95 latency below 1000 ms (critical)')?.skipped).toHaveLength(1);
  });

  it('draws sparklines and SVG charts, with gaps where there is no data', () => {
    expect(
      sparkline([
        [0, 0],
        [1, 5],
        [2, null],
        [3, 10],
      ]),
    ).toBe('▁▅ █');
    expect(sparkline([[0, null]])).toBe('');
    const svg = svgChart(
      [
        [0, 1],
        [1, 2],
        [2, null],
        [3, 4],
        [4, 5],
      ],
      { title: 'Error rate <%>', unit: '%', threshold: 3 },
    );
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('Error rate &lt;%&gt;');
  });

  it('labels the time axis in UTC at a spacing matched to the span', () => {
    const at = Date.UTC(2026, 0, 5, 12, 0, 0) / 1000;
    const labels = (span: number) => timeTicks(at - span, at).map((t) => t.label);
    expect(labels(15 * 60)).toEqual(['11:45', '11:50', '11:55', '12:00']);
    expect(labels(3600)).toEqual(['11:00', '11:10', '11:20', '11:30', '11:40', '11:50', '12:00']);
    expect(labels(86_400)).toEqual(['12:00', '16:00', '20:00', '00:00', '04:00', '08:00', '12:00']);
    expect(labels(7 * 86_400)).toEqual(['12-30', '01-01', '01-03', '01-05']);
    expect(labels(60)).toEqual(['11:59:00', '11:59:15', '11:59:30', '11:59:45', '12:00:00']);
    expect([0.3, 1, 1.2, 2.4, 3, 7, 45, 1000].map(niceCeil)).toEqual([0.5, 1, 2, 2.5, 5, 10, 50, 1000]);
  });

  it('scales a chart to its data: a threshold near it is a dashed line, one far above is noted', () => {
    const points = (v: number): ChartPoint[] => [0, 60, 120, 180].map((t) => [t, v + t / 60]);
    const far = svgChart(points(40), {
      title: 'p95 latency (ms)',
      unit: ' ms',
      threshold: 1000,
      thresholdLabel: 'critical',
    });
    expect(XMLValidator.validate(far)).toBe(true);
    expect(far).not.toContain('stroke-dasharray');
    expect(far).toContain('critical 1,000 ms: above the scale ↑');
    expect(far).toContain('>50 ms</text>');
    expect(far).toContain('The critical 1,000 ms threshold is above the scale.');
    const near = svgChart(points(800), {
      title: 'p95 latency (ms)',
      unit: ' ms',
      threshold: 1000,
      thresholdLabel: 'critical',
    });
    expect(near).toContain('stroke-dasharray');
    expect(near).toContain('>1,000 ms</text>');
    expect(near).not.toContain('above the scale');
    // An availability in percent keeps 100 % as its top.
    expect(svgChart(points(96), { title: 'up', unit: '%', minTop: 100 })).toContain('>100%</text>');
    const empty = svgChart([[0, null]], { title: 'Nothing', unit: '' });
    expect(empty).toContain('>no data</text>');
    expect(empty).toContain('<desc id="chart-nothing-desc">No data');
  });

  it('clamps the charts to the first sample when the data starts inside the window', () => {
    const end = 1_800_000_000;
    expect(chartWindow(end, 86_400, end - 600, 15)).toEqual({ start: end - 600, seconds: 600, clamped: true });
    expect(chartWindow(end, 86_400, end - 90_000, 15)).toEqual({
      start: end - 86_400,
      seconds: 86_400,
      clamped: false,
    });
    expect(chartWindow(end, 86_400, null, 15)).toEqual({ start: end - 86_400, seconds: 86_400, clamped: false });
    // A stack seconds old still gets two scrapes.
    expect(chartWindow(end, 3600, end - 5, 15)).toEqual({ start: end - 30, seconds: 30, clamped: true });
    expect(firstSampleExpr(86_400, 15)).toBe('min(min_over_time(timestamp(up)[86400s:15s]))');
    expect(firstSampleExpr(31 * 86_400, 15)).toBe('min(min_over_time(timestamp(up)[2678400s:244s]))');

    const r = report({
      charts: { from: new Date((END - 600) * 1000).toISOString(), seconds: 600, stepSeconds: 15, clamped: true },
    });
    const note = "The stack's data starts at 2027-01-15 07:50:00Z (10 min before the end of the window)";
    expect(toHtml(r)).toContain(`<p class="note">${note}`);
    expect(toMarkdown(r)).toContain(`> ${note}`);
    expect(toHtml(report())).not.toContain('class="note"');
  });

  it('writes Markdown and a self-contained HTML page', () => {
    const r = report();
    const md = toMarkdown(r);
    expect(md).toContain('❌ **critical: 3 of 36 checks failed**');
    expect(md).toContain('| TargetDown | critical | instance=webhook:8080 job=webhook |');
    expect(md).toContain('| `invoice.paid` | 1000 |');
    const html = toHtml(r);
    expect(html).toContain('ci &amp; &lt;test&gt;');
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org|127\.0\.0\.1)/);
  });
});
