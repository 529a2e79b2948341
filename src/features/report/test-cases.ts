/**
 * The report's verdict: one test case per SLO or threshold (a JUnit test case each), and the exit code
 * `--fail-on` makes of them.
 *
 * - `slo`: the window's figures against wmon.yaml's thresholds — availability of the webhook service
 *   against the availability objective, the error rate and the p95 latency against their critical and
 *   warning thresholds (the figures use the alerts' own PromQL, over the whole window). A threshold is
 *   breached AT its value, as the alert rules fire at it.
 * - `alerts`: one case per alert rule wmon renders: it passes when the alert did not fire in the window,
 *   and fails with the rule's severity when it did (an `info` alert only notes it).
 */
import type { RuleFile } from '../../core/render/rules.js';
import type { FigureUnit, ReportAlertJson, ReportJson, ReportSeverity, ReportTestCaseJson } from '../../results.js';
import type { AlertThresholds } from '../../core/config/alerts.js';
import { humanDuration } from '../../core/vocab/durations.js';

export const FAIL_ON = ['critical', 'warning', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

interface Figures {
  readonly availabilityPercent: number | null;
  readonly errorRatePercent: number | null;
  readonly latencyP95Ms: number | null;
}

function fmt(value: number, unit: FigureUnit): string {
  const n = Number(value.toPrecision(4));
  return unit === 'percent' ? `${n} %` : unit === 'ms' ? `${n} ms` : String(n);
}

/** A case that fails when `value` is at or above `threshold` (or, `atLeast`, below it). */
function thresholdCase(
  id: string,
  name: string,
  severity: ReportSeverity,
  value: number | null,
  threshold: number,
  unit: FigureUnit,
  what: string,
  opts: { atLeast?: boolean; noData: string },
): ReportTestCaseJson {
  const base = { id, suite: 'slo' as const, name, severity, value, threshold, unit };
  if (value === null) return { ...base, status: 'no_data', message: opts.noData };
  const failed = opts.atLeast ? value < threshold : value >= threshold;
  return {
    ...base,
    status: failed ? 'failed' : 'passed',
    message: `${what} ${fmt(value, unit)} ${failed ? (opts.atLeast ? 'is below' : 'reached') : opts.atLeast ? 'meets' : 'stays below'} the ${severity} threshold of ${fmt(threshold, unit)}`,
  };
}

export function sloCases(f: Figures, a: AlertThresholds, availabilityObjective: number): ReportTestCaseJson[] {
  const noTraffic = 'no webhook traffic in the window';
  return [
    thresholdCase(
      'slo.availability',
      `Webhook service availability at least ${availabilityObjective} %`,
      'critical',
      f.availabilityPercent,
      availabilityObjective,
      'percent',
      'availability',
      {
        atLeast: true,
        noData: 'Prometheus has no scrape of the webhook service in the window',
      },
    ),
    thresholdCase(
      'slo.error-rate.critical',
      `Error rate below ${a.errorRatePercent.critical} % (critical)`,
      'critical',
      f.errorRatePercent,
      a.errorRatePercent.critical,
      'percent',
      'error rate',
      { noData: noTraffic },
    ),
    thresholdCase(
      'slo.error-rate.warning',
      `Error rate below ${a.errorRatePercent.warning} % (warning)`,
      'warning',
      f.errorRatePercent,
      a.errorRatePercent.warning,
      'percent',
      'error rate',
      { noData: noTraffic },
    ),
    thresholdCase(
      'slo.latency-p95.critical',
      `p95 latency below ${a.latencyP95Ms.critical} ms (critical)`,
      'critical',
      f.latencyP95Ms,
      a.latencyP95Ms.critical,
      'ms',
      'p95 latency',
      { noData: noTraffic },
    ),
    thresholdCase(
      'slo.latency-p95.warning',
      `p95 latency below ${a.latencyP95Ms.warning} ms (warning)`,
      'warning',
      f.latencyP95Ms,
      a.latencyP95Ms.warning,
      'ms',
      'p95 latency',
      { noData: noTraffic },
    ),
  ];
}

export function alertCases(rules: RuleFile, fired: readonly ReportAlertJson[]): ReportTestCaseJson[] {
  // An alert with a rule per severity (WebhookCertificateExpiringSoon) has a case per severity.
  const perSeverity = new Set(
    rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).filter((name, i, all) => all.indexOf(name) !== i),
  );
  return rules.groups.flatMap((g) =>
    // Watchdog (severity none) always fires: a heartbeat, not a verdict.
    g.rules
      .filter((rule) => rule.labels.severity !== 'none')
      .map((rule): ReportTestCaseJson => {
        const severity =
          (['critical', 'warning', 'info'] as const).find((s) => s === rule.labels.severity) ?? 'warning';
        const split = perSeverity.has(rule.alert);
        const mine = fired.filter((x) => x.name === rule.alert && (!split || x.severity === severity));
        const base = {
          id: split ? `alert.${rule.alert}.${severity}` : `alert.${rule.alert}`,
          suite: 'alerts' as const,
          name: `${rule.alert} did not fire (${severity})`,
          severity,
          value: mine.length,
          threshold: 0,
          unit: 'count' as const,
        };
        if (mine.length === 0) return { ...base, status: 'passed', message: `${rule.alert} did not fire` };
        const total = mine.reduce((s, x) => s + x.firingSeconds, 0);
        const where = mine
          .map((x) =>
            Object.entries(x.labels)
              .filter(([k]) => k === 'job' || k === 'instance' || k === 'scope')
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
          )
          .filter((s) => s !== '');
        const message =
          `${rule.alert} fired ${mine.reduce((s, x) => s + x.episodes, 0)} time(s), ${humanDuration(total)} in all` +
          `${where.length ? ` (${[...new Set(where)].join('; ')})` : ''}${mine.some((x) => x.firingAtEnd) ? ', still firing at the end of the window' : ''}`;
        return {
          ...base,
          status: severity === 'info' ? 'passed' : 'failed',
          message: severity === 'info' ? `${message} (info: noted, not a failure)` : message,
        };
      }),
  );
}

export function verdictOf(cases: readonly ReportTestCaseJson[]): ReportJson['verdict'] {
  const failed = cases.filter((c) => c.status === 'failed');
  if (failed.some((c) => c.severity === 'critical')) return 'critical';
  if (failed.some((c) => c.severity === 'warning')) return 'warning';
  return 'passed';
}

/** 0 when nothing at or above `failOn` failed; else 1 for a warning, 2 for a critical failure. */
export function reportExitCode(verdict: ReportJson['verdict'], failOn: FailOn): 0 | 1 | 2 {
  if (failOn === 'never' || verdict === 'passed') return 0;
  if (verdict === 'critical') return 2;
  return failOn === 'warning' ? 1 : 0;
}
