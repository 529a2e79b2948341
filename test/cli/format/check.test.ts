import { describe, expect, it } from 'vitest';

import { chalk } from '../../../src/cli/colors.js';
import { formatCheck, formatCheckQuiet } from '../../../src/cli/format/check.js';
import type { CheckReportJson, CheckResultJson, CheckStatus } from '../../../src/results.js';
import { plainOutput } from '../../support/colour.js';

plainOutput();

const check = (
  component: string,
  name: string,
  status: CheckStatus,
  detail: string,
  differences: string[] = [],
): CheckResultJson => ({
  id: `${component}.${name}`,
  component,
  check: name,
  status,
  detail,
  differences,
  durationMs: 12,
});

function report(checks: CheckResultJson[], status: CheckStatus, summary: string): CheckReportJson {
  const counts = { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
  for (const c of checks) counts[c.status] += 1;
  return {
    status,
    exitCode: ({ OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const)[status],
    summary,
    project: 'demo',
    configFile: '/srv/demo/wmon.yaml',
    startedAt: '2026-12-01T10:00:00.000Z',
    durationMs: 1_234,
    counts,
    checks,
    alerts: [],
  };
}

const failing = report(
  [
    check('prometheus', 'ready', 'OK', 'ready in 12 ms'),
    check(
      'webhook',
      'target up',
      'CRITICAL',
      'target webhook:8080 (job webhook) is down: connection refused (last scrape 4 s ago)',
    ),
    check('alertmanager', 'config drift', 'WARNING', 'the running configuration differs from the rendered one', [
      'route.group_wait: 30s running, 10s rendered',
      'receivers: slack missing',
    ]),
  ],
  'CRITICAL',
  'WMON CRITICAL - 1 critical, 1 warning: webhook target down',
);

describe('wmon check, for people', () => {
  it('leads with the verdict, how many checks are not OK and the first problem, then a table with differences under their row', () => {
    expect(formatCheck(failing)).toBe(
      [
        'WMON CRITICAL - 1 critical, 1 warning (2 of 3 checks): webhook target up: target webhook:8080 (job webhook) is down: connection refused (last scrape 4 s ago) (+1 more below)',
        '',
        'COMPONENT     CHECK         STATUS    DETAIL',
        'prometheus    ready         OK        ready in 12 ms',
        'webhook       target up     CRITICAL  target webhook:8080 (job webhook) is down: connection refused (last scrape 4 s ago)',
        'alertmanager  config drift  WARNING   the running configuration differs from the rendered one',
        '                                      - route.group_wait: 30s running, 10s rendered',
        '                                      - receivers: slack missing',
        '',
        '3 checks in 1.2 s',
      ].join('\n'),
    );
  });

  it('is one verdict line when all is well', () => {
    const ok = report([check('prometheus', 'ready', 'OK', 'ready in 12 ms')], 'OK', 'WMON OK - 1 checks: all OK');
    expect(formatCheck(ok).split('\n')[0]).toBe('WMON OK - 1 checks');
  });

  it('colours each status on a terminal: CRITICAL red, WARNING yellow, OK green', () => {
    chalk.level = 1;
    const text = formatCheck(failing);
    expect(text).toContain(chalk.red.bold('CRITICAL'));
    expect(text).toContain(chalk.yellow('WARNING '));
    expect(text).toContain(chalk.green('OK      '));
  });
});

describe('wmon check --quiet (cron)', () => {
  it('prints nothing when every check is OK', () => {
    expect(formatCheckQuiet(report([check('prometheus', 'ready', 'OK', 'ready')], 'OK', 'WMON OK - 1 checks'))).toBe(
      '',
    );
  });

  it('prints the status line, complete on its own, then one line per problem, with its differences', () => {
    expect(formatCheckQuiet(failing)).toBe(
      [
        'WMON CRITICAL - 1 critical, 1 warning (2 of 3 checks): webhook target up: target webhook:8080 (job webhook) is down: connection refused (last scrape 4 s ago) (+1 more below)',
        'CRITICAL webhook target up: target webhook:8080 (job webhook) is down: connection refused (last scrape 4 s ago)',
        'WARNING alertmanager config drift: the running configuration differs from the rendered one',
        '  - route.group_wait: 30s running, 10s rendered',
        '  - receivers: slack missing',
      ].join('\n'),
    );
  });
});
