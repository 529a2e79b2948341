/**
 * The report's model, from Prometheus over a window: availability (share of scrapes the webhook service
 * answered), request volume, error rate, latency percentiles, event types, the alerts that fired (from
 * the ALERTS series), charts, and the test cases that make the verdict.
 */
import { parse } from 'yaml';

import type { StackContext } from '../../context.js';
import { queryCounts, queryFigures } from '../metrics/figures.js';
import { prometheusFor, singleValue, withPrometheus } from '../metrics/prometheus.js';
import { durationSeconds, parseWindow } from '../../core/vocab/durations.js';
import { renderStack } from '../../core/render/index.js';
import { ALERT_RULES_FILE } from '../../core/render/prometheus.js';
import type { RuleFile } from '../../core/render/rules.js';
import { errorRatio, requestLatencyQuantile, requestRate } from '../../core/vocab/webhook-queries.js';
import type { ReportJson } from '../../results.js';
import { chartGrid, chartSeries, chartWindow, firingPeriods, firstSampleExpr } from './series.js';
import { alertCases, reportExitCode, sloCases, verdictOf, type FailOn } from './test-cases.js';

export interface ReportOptions {
  readonly window: string;
  readonly failOn: FailOn;
  /** Availability objective of the webhook service, percent. */
  readonly availabilityObjective: number;
  /** Per query. */
  readonly timeoutMs: number;
  readonly at?: Date;
}

/** The scrape job of the webhook service in the rendered prometheus.yml. */
const WEBHOOK_JOB = 'webhook';

export async function buildReport(ctx: StackContext, opts: ReportOptions): Promise<ReportJson> {
  const { config } = ctx;
  const scrape = durationSeconds(config.prometheus.scrapeInterval) ?? 15;
  const evaluation = durationSeconds(config.prometheus.evaluationInterval) ?? 15;
  const window = parseWindow(opts.window, scrape);
  const prometheus = prometheusFor(ctx, 'report', opts.timeoutMs);
  const prom = prometheus.client;
  const end = (opts.at ?? new Date()).getTime() / 1000;
  const w = `${window.seconds}s`;
  const rulesFile = renderStack(config).files.find((f) => f.path === `prometheus/${ALERT_RULES_FILE}`);
  const rules: RuleFile = rulesFile ? (parse(rulesFile.contents) as RuleFile) : { groups: [] };

  return withPrometheus(prometheus, 'report', async () => {
    const charts = chartWindow(
      end,
      window.seconds,
      singleValue(await prom.query(firstSampleExpr(window.seconds, scrape), { time: end })),
      scrape,
    );
    const grid = chartGrid(end, charts.seconds, scrape);
    const [
      figures,
      counts,
      availability,
      targets,
      alertsRaw,
      requestSeries,
      errorSeries,
      latencySeries,
      availabilitySeries,
    ] = await Promise.all([
      // Over the part of the window that has data: a rate over 24 h of a 3-hour-old stack would be an eighth of it.
      queryFigures(prom, config.alerts, charts.seconds, end, [
        'requestRate',
        'errorRate',
        'latencyP50',
        'latencyP95',
        'latencyP99',
      ]),
      queryCounts(prom, window.seconds, end),
      prom.query(`avg(avg_over_time(up{job="${WEBHOOK_JOB}"}[${w}]))`, { time: end }),
      prom.query(`avg_over_time(up[${w}])`, { time: end }),
      prom.query(`ALERTS{alertstate="firing"}[${w}]`, { time: end }),
      chartSeries(prom, requestRate(grid.rateWindow), grid),
      chartSeries(prom, errorRatio(grid.rateWindow), grid, 100),
      chartSeries(prom, requestLatencyQuantile(0.95, grid.rateWindow), grid, 1000),
      chartSeries(prom, `avg(avg_over_time(up{job="${WEBHOOK_JOB}"}[${grid.rateWindow}]))`, grid, 100),
    ]);
    const webhookPercent =
      availability.resultType === 'vector' && availability.result[0] ? pct(availability.result[0].sample.value) : null;
    const alerts = alertsRaw.resultType === 'matrix' ? firingPeriods(alertsRaw.result, end, evaluation) : [];
    const testCases = [
      ...sloCases(
        {
          availabilityPercent: webhookPercent,
          errorRatePercent: figures.errorRate.value,
          latencyP95Ms: figures.latencyP95.value,
        },
        config.alerts,
        opts.availabilityObjective,
      ),
      ...alertCases(rules, alerts),
    ];
    const verdict = verdictOf(testCases);
    return {
      project: config.project,
      environment: config.environment,
      generatedAt: new Date().toISOString(),
      window: window.text,
      windowSeconds: window.seconds,
      from: new Date((end - window.seconds) * 1000).toISOString(),
      to: new Date(end * 1000).toISOString(),
      prometheusUrl: prometheus.url,
      charts: {
        from: new Date(charts.start * 1000).toISOString(),
        seconds: charts.seconds,
        stepSeconds: grid.step,
        clamped: charts.clamped,
      },
      verdict,
      failOn: opts.failOn,
      exitCode: reportExitCode(verdict, opts.failOn),
      availability: {
        webhookPercent,
        targets:
          targets.resultType === 'vector'
            ? targets.result
                .map((t) => ({
                  job: t.metric.job ?? '',
                  instance: t.metric.instance ?? '',
                  percent: pct(t.sample.value) ?? 0,
                }))
                .sort((a, b) => a.job.localeCompare(b.job) || a.instance.localeCompare(b.instance))
            : [],
        series: availabilitySeries,
      },
      requests: {
        total: counts.requests.total,
        ratePerSecond: figures.requestRate.value,
        byStatus: counts.requests.byStatus,
        series: requestSeries,
      },
      errors: {
        ratePercent: figures.errorRate.value,
        total: counts.errors.total,
        byType: counts.errors.byType,
        series: errorSeries,
      },
      latency: {
        p50Ms: figures.latencyP50.value,
        p95Ms: figures.latencyP95.value,
        p99Ms: figures.latencyP99.value,
        series: latencySeries,
      },
      events: {
        received: counts.events.received,
        byType: Object.entries(counts.events.byType)
          .filter(([, n]) => n > 0)
          .map(([type, count]) => ({ type, count }))
          .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
        processed: counts.events.processed,
      },
      signatureFailures: counts.signatureFailures,
      rateLimited: counts.rateLimited,
      alerts,
      testCases,
    };
  });
}

function pct(ratio: number): number | null {
  return Number.isFinite(ratio) ? Number((ratio * 100).toPrecision(6)) : null;
}
