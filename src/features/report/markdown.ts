/** The report as GitHub-flavoured Markdown (the default format, and what goes to $GITHUB_STEP_SUMMARY). */
import type { ReportJson } from '../../results.js';
import { sparkline } from './charts.js';
import { humanDuration } from '../../core/vocab/durations.js';
import { breakdown, clampedText, ms, num, percent, shortTime, verdictText } from './format.js';

const ICON = { passed: '✅', failed: '❌', no_data: '➖' } as const;

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function spark(points: ReportJson['requests']['series']): string {
  const s = sparkline(points);
  return s.trim() === '' ? '' : `\`${s}\``;
}

export function toMarkdown(r: ReportJson): string {
  const out: string[] = [];
  const verdictIcon = r.verdict === 'passed' ? '✅' : r.verdict === 'warning' ? '⚠️' : '❌';
  out.push(`## wmon report: ${r.project} (${r.environment})`, '');
  out.push(`${verdictIcon} **${verdictText(r)}** · last ${r.window}, ${shortTime(r.from)} to ${shortTime(r.to)}`, '');
  if (r.charts.clamped) out.push(`> ${clampedText(r)}`, '');
  out.push('| | figure | trend |', '| --- | --- | --- |');
  out.push(`| Availability | ${percent(r.availability.webhookPercent)} | ${spark(r.availability.series)} |`);
  out.push(
    `| Requests | ${num(r.requests.total, 12)}${r.requests.total ? ` (${cell(breakdown(r.requests.byStatus))})` : ''}, ${num(r.requests.ratePerSecond)}/s | ${spark(r.requests.series)} |`,
  );
  out.push(
    `| Error rate | ${percent(r.errors.ratePercent)}${r.errors.total ? ` (${r.errors.total} errors: ${cell(breakdown(r.errors.byType))})` : ''} | ${spark(r.errors.series)} |`,
  );
  out.push(
    `| Latency p50 / p95 / p99 | ${ms(r.latency.p50Ms)} / ${ms(r.latency.p95Ms)} / ${ms(r.latency.p99Ms)} | ${spark(r.latency.series)} (p95) |`,
  );
  out.push(
    `| Events received | ${r.events.received}${breakdown(r.events.processed) ? ` (processed ${cell(breakdown(r.events.processed))})` : ''} | |`,
  );
  out.push(
    `| Signature failures | ${r.signatureFailures.total}${r.signatureFailures.total ? ` (${cell(breakdown(r.signatureFailures.byReason))})` : ''} | |`,
  );
  out.push(
    `| Rate limited | ${r.rateLimited.total}${r.rateLimited.total ? ` (${cell(breakdown(r.rateLimited.byScope))})` : ''} | |`,
  );
  out.push('');

  out.push('### Event types', '');
  if (r.events.byType.length === 0) out.push('No event received in the window.', '');
  else {
    out.push('| type | events |', '| --- | ---: |');
    for (const e of r.events.byType) out.push(`| \`${cell(e.type)}\` | ${e.count} |`);
    out.push('');
  }

  out.push('### Alerts that fired', '');
  if (r.alerts.length === 0) out.push('None.', '');
  else {
    out.push(
      '| alert | severity | where | first | last | firing for | periods |',
      '| --- | --- | --- | --- | --- | ---: | ---: |',
    );
    for (const a of r.alerts) {
      const where = Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      out.push(
        `| ${cell(a.name)} | ${a.severity} | ${cell(where)} | ${shortTime(a.firstFiringAt)} | ${a.firingAtEnd ? 'still firing' : shortTime(a.lastFiringAt)} | ${humanDuration(a.firingSeconds)} | ${a.episodes} |`,
      );
    }
    out.push('');
  }

  out.push('### SLOs and thresholds', '');
  out.push('| | check | result |', '| --- | --- | --- |');
  for (const c of r.testCases) out.push(`| ${ICON[c.status]} | ${cell(c.name)} | ${cell(c.message)} |`);
  out.push('');
  if (r.availability.targets.length > 0) {
    out.push('<details><summary>Scrape targets</summary>', '', '| job | instance | up |', '| --- | --- | ---: |');
    for (const t of r.availability.targets)
      out.push(`| ${cell(t.job)} | ${cell(t.instance)} | ${percent(t.percent)} |`);
    out.push('', '</details>', '');
  }
  return `${out.join('\n')}\n`;
}
