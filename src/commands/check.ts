import { Flags } from '@oclif/core';

import { CHECK_EXIT_CODES } from '../errors.js';
import { CHECK_GROUPS, healthContextOptions, runCheck } from '../features/health/index.js';
import type { CheckReportJson } from '../results.js';
import { WmonCommand, type Failure } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { wordsFlag } from '../cli/flags.js';
import { formatCheck, formatCheckQuiet } from '../cli/format/check.js';

export default class Check extends WmonCommand {
  static override summary =
    'Check the whole stack: containers, readiness, scrape targets, rules, alerts, drift; Nagios exit codes.';

  static override description = `Runs every check in parallel, each with a deadline (--timeout): the container engine answers and each component's container runs; each component is ready; every Prometheus target is up; the alert rules are loaded and evaluate; Prometheus knows Alertmanager; the running Prometheus and Alertmanager configuration and rules are what wmon.yaml renders (drift: WARNING with each difference); Grafana has wmon's data sources and dashboards; Loki has the service's logs; Jaeger knows the service; firing alerts, each with its severity. With --probe it also sends one signed synthetic Stripe event to the webhook service and waits (up to two scrape intervals) until Prometheus has counted it: an end-to-end canary.

Exit codes (Nagios plugin convention): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. The overall state is the worst check, by CRITICAL > UNKNOWN > WARNING > OK. A check that cannot tell is UNKNOWN: Prometheus unreachable (the checks that read through it cannot tell; the engine's container check still says CRITICAL when its container is down), credentials refused, a deadline passed. When the check cannot run at all (wmon.yaml invalid, a bad flag), it exits 3 too: wmon check never exits with another code.`;

  static override examples = examples({
    'Check the stack of ./wmon.yaml': '',
    'From cron: silent when healthy, one line per problem otherwise': '--quiet',
    'Also send a signed synthetic event and confirm Prometheus counted it': '--probe',
    'On a host without access to the container engine': '--skip engine',
    'For monitoring systems': '--json',
  });

  /** Whatever keeps the check from running is UNKNOWN (exit 3), as a Nagios plugin must say. */
  static override failureExitCode = CHECK_EXIT_CODES.UNKNOWN;

  static override flags = {
    quiet: Flags.boolean({
      char: 'q',
      summary: 'Print only problems (nothing when everything is OK).',
      env: 'WMON_CHECK_QUIET',
      exclusive: ['json'],
    }),
    probe: Flags.boolean({
      summary:
        'Send a signed synthetic event to the webhook service and confirm through Prometheus that it was counted.',
      env: 'WMON_CHECK_PROBE',
    }),
    timeout: Flags.integer({
      summary: 'Deadline of each check, in seconds.',
      default: 5,
      min: 1,
      max: 300,
      env: 'WMON_CHECK_TIMEOUT',
    }),
    skip: wordsFlag(
      CHECK_GROUPS,
      'group',
    )({
      summary: `Leave out a group of checks (repeatable, or comma-separated): ${CHECK_GROUPS.join(', ')}.`,
      env: 'WMON_CHECK_SKIP',
    }),
  };

  async run(): Promise<CheckReportJson> {
    const { flags } = await this.parse(Check);
    const skip = (flags.skip ?? []).flat();
    const timeoutMs = flags.timeout * 1000;
    const ctx = await this.openStack(flags.config, healthContextOptions(timeoutMs));
    const report = await runCheck(ctx, { timeoutMs, skip, probe: flags.probe });
    process.exitCode = report.exitCode;
    if (!this.jsonEnabled()) {
      const text = flags.quiet ? formatCheckQuiet(report) : formatCheck(report);
      if (text) this.log(text);
    }
    return report;
  }

  /**
   * All on stdout, as a Nagios plugin's output: a status line complete on its own (`WMON UNKNOWN - <reason>`
   * with the first detail and how many more follow), then the details and next steps as long text.
   */
  protected override printFailure(failure: Failure): void {
    const [reason = '', ...rest] = failure.message.split('\n');
    const details = rest.map((l) => l.trim()).filter((l) => l !== '');
    const first = details[0];
    const more = details.length > 1 ? ` (+${details.length - 1} more below)` : '';
    const joined = first ? `${reason}${reason.endsWith(':') ? ' ' : ' - '}${first}${more}` : reason;
    this.log(`WMON UNKNOWN - ${joined}`);
    for (const line of [...rest, ...failure.suggestions.map((s) => `Try: ${s}`)]) this.log(line);
  }
}
