import { Flags } from '@oclif/core';

import {
  FAIL_ON,
  REPORT_FORMATS,
  appendStepSummary,
  buildReport,
  formatReport,
  writeReportFile,
} from '../features/report/index.js';
import type { ReportJson } from '../results.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { percentFlag, queryTimeoutFlag, windowFlag } from '../cli/flags.js';

export default class Report extends WmonCommand {
  static override summary =
    'A report over a window for CI: availability, traffic, errors, latency, events, alerts; Markdown, JSON, HTML or JUnit.';

  static override description = `Reads from Prometheus over --window (default 24h): availability of the webhook service (the share of scrapes it answered), request volume by status, error rate (the alerts' formula), latency p50/p95/p99, events by type and outcome, signature failures, rate limiting, and the alerts that fired (from Prometheus's ALERTS series), with small charts (sparklines in Markdown, SVG in HTML). Counts are exact.

The verdict comes from one test case per SLO or threshold: availability against --slo-availability; the window's error rate and p95 latency against wmon.yaml's critical and warning thresholds; and, per alert rule, that it did not fire (failing with the rule's severity). --format junit writes them as JUnit XML for CI test reporters.

When $GITHUB_STEP_SUMMARY is set (GitHub Actions), the Markdown report is appended to it, whatever --format says.

Exit codes: 0 when nothing at or above --fail-on failed; 1 when a warning threshold failed (with --fail-on warning); 2 when a critical one failed (with --fail-on critical or warning); 69 when Prometheus cannot be reached; 78 when wmon.yaml is invalid.`;

  static override examples = examples({
    'The last 24 hours as Markdown': '',
    'JUnit XML for the CI test report; fail the job on warnings too':
      '--format junit --output reports/wmon.xml --fail-on warning',
    'An HTML page with charts for the last week': '--window 7d --format html --output wmon-report.html',
    'Machine-readable, never failing the job': '--format json --fail-on never',
  });

  static override flags = {
    window: windowFlag({
      char: 'w',
      summary: 'How far back the report looks (a Prometheus duration).',
      default: '24h',
      env: 'WMON_WINDOW',
    }),
    format: Flags.option({
      char: 'f',
      summary: 'Output format.',
      options: REPORT_FORMATS,
      default: 'markdown',
      env: 'WMON_REPORT_FORMAT',
    })(),
    output: Flags.string({
      char: 'o',
      summary: 'Write the report to this file instead of stdout.',
      env: 'WMON_REPORT_OUTPUT',
    }),
    'fail-on': Flags.option({
      summary: 'The lowest severity of a failed check that makes the exit code non-zero.',
      options: FAIL_ON,
      default: 'critical',
      env: 'WMON_FAIL_ON',
    })(),
    'slo-availability': percentFlag({
      summary: 'Availability objective of the webhook service, in percent.',
      default: 99.9,
      env: 'WMON_SLO_AVAILABILITY',
    }),
    timeout: queryTimeoutFlag(30),
  };

  async run(): Promise<ReportJson> {
    const { flags } = await this.parse(Report);
    const ctx = await this.openStack(flags.config);
    const report = await buildReport(ctx, {
      window: flags.window,
      failOn: flags['fail-on'],
      availabilityObjective: flags['slo-availability'],
      timeoutMs: flags.timeout * 1000,
    });
    const { format } = flags;
    const text = formatReport(report, format);
    if (flags.output) {
      const file = await writeReportFile(flags.output, text);
      if (!this.jsonEnabled())
        this.log(
          `Wrote the ${format} report to ${file}: ${report.verdict} (exit ${report.exitCode} with --fail-on ${report.failOn}).`,
        );
    } else if (!this.jsonEnabled()) {
      this.log(text.trimEnd());
    }
    const summary = process.env.GITHUB_STEP_SUMMARY;
    if (summary) await appendStepSummary(summary, report);
    process.exitCode = report.exitCode;
    return report;
  }
}
