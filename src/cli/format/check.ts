import type { CheckReportJson, CheckResultJson, CheckStatus } from '../../results.js';
import { chalk } from '../colors.js';

const COLOR: Record<CheckStatus, (s: string) => string> = {
  OK: (s) => chalk.green(s),
  WARNING: (s) => chalk.yellow(s),
  CRITICAL: (s) => chalk.red.bold(s),
  UNKNOWN: (s) => chalk.magenta(s),
};

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - s.length));
}

/** The status line, then a table: component, check, status, detail (drift differences below their row). */
export function formatCheck(r: CheckReportJson): string {
  const lines = [statusHeadline(r), ''];
  const head = { component: 'COMPONENT', check: 'CHECK', status: 'STATUS' };
  const w = {
    component: Math.max(head.component.length, ...r.checks.map((c) => c.component.length)),
    check: Math.max(head.check.length, ...r.checks.map((c) => c.check.length)),
    status: Math.max(head.status.length, ...r.checks.map((c) => c.status.length)),
  };
  const indent = w.component + w.check + w.status + 6;
  lines.push(
    chalk.dim(
      `${pad(head.component, w.component)}  ${pad(head.check, w.check)}  ${pad(head.status, w.status)}  DETAIL`,
    ),
  );
  for (const c of r.checks) {
    lines.push(
      `${pad(c.component, w.component)}  ${pad(c.check, w.check)}  ${COLOR[c.status](pad(c.status, w.status))}  ${c.detail}`,
    );
    for (const d of c.differences) lines.push(`${' '.repeat(indent)}${chalk.dim('-')} ${d}`);
  }
  lines.push('', chalk.dim(`${r.checks.length} checks in ${(r.durationMs / 1000).toFixed(1)} s`));
  return lines.join('\n');
}

function problemCount(r: CheckReportJson): number {
  return r.checks.filter((c) => c.status !== 'OK').length;
}

/**
 * The first line, complete on its own as a Nagios plugin's status line must be (monitoring systems keep only
 * it): the verdict, how many checks are not OK, and the first (worst) problem; the details follow below.
 */
export function statusHeadline(r: CheckReportJson): string {
  const verdict = COLOR[r.status](r.summary.split(': ')[0] ?? r.summary);
  const problems = r.checks.filter((c) => c.status !== 'OK');
  const first = problems[0];
  if (!first) return verdict;
  const more = problems.length > 1 ? ` (+${problems.length - 1} more below)` : '';
  return `${verdict} (${problemCount(r)} of ${r.checks.length} checks): ${first.component} ${first.check}: ${first.detail}${more}`;
}

/** `--quiet`: nothing when all is well; else the status line, then one line per problem, for cron mail. */
export function formatCheckQuiet(r: CheckReportJson): string {
  const problems: CheckResultJson[] = r.checks.filter((c) => c.status !== 'OK');
  if (problems.length === 0) return '';
  const lines: string[] = [statusHeadline(r)];
  for (const p of problems) {
    lines.push(`${COLOR[p.status](p.status)} ${p.component} ${p.check}: ${p.detail}`);
    for (const d of p.differences) lines.push(`  - ${d}`);
  }
  return lines.join('\n');
}
