/**
 * Nagios states and how they combine. A check that cannot tell (Prometheus unreachable, credentials
 * refused, a deadline passed) is UNKNOWN; the overall state is the worst by CRITICAL > UNKNOWN > WARNING >
 * OK: a known outage outranks "could not tell", which outranks a warning (an UNKNOWN may hide a CRITICAL).
 */
import { CHECK_EXIT_CODES } from '../../errors.js';
import type { CheckResultJson, CheckStatus } from '../../results.js';

export const STATUS_PRECEDENCE: readonly CheckStatus[] = ['CRITICAL', 'UNKNOWN', 'WARNING', 'OK'];

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'OK';
  for (const s of statuses) if (STATUS_PRECEDENCE.indexOf(s) < STATUS_PRECEDENCE.indexOf(worst)) worst = s;
  return worst;
}

export function exitCodeFor(status: CheckStatus): 0 | 1 | 2 | 3 {
  return CHECK_EXIT_CODES[status];
}

/** Problems first (worst first), then the rest in their original order. */
export function sortChecks(checks: readonly CheckResultJson[]): CheckResultJson[] {
  return checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => STATUS_PRECEDENCE.indexOf(a.c.status) - STATUS_PRECEDENCE.indexOf(b.c.status) || a.i - b.i)
    .map(({ c }) => c);
}

/**
 * The Nagios status line: `WMON OK - 24 checks passed`, or the state and each problem, e.g.
 * `WMON CRITICAL - 1 critical, 1 warning: webhook target up: down (…); prometheus config drift: …`.
 */
export function statusLine(status: CheckStatus, checks: readonly CheckResultJson[]): string {
  const problems = sortChecks(checks).filter((c) => c.status !== 'OK');
  if (problems.length === 0) return `WMON OK - ${checks.length} check${checks.length === 1 ? '' : 's'} passed`;
  const counts = (['CRITICAL', 'UNKNOWN', 'WARNING'] as const)
    .map((s) => [s, problems.filter((p) => p.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s.toLowerCase()}${s === 'WARNING' && n > 1 ? 's' : ''}`);
  const list = problems.map((p) => `${p.component} ${p.check}: ${p.detail}`).join('; ');
  return `WMON ${status} - ${counts.join(', ')}: ${list}`;
}
