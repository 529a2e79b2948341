/** The report as one self-contained HTML page: tables and inline SVG charts, no script, no external file. */
import type { ReportJson } from '../../results.js';
import { svgChart } from './charts.js';
import { humanDuration } from '../../core/vocab/durations.js';
import { breakdown, chartsText, clampedText, ms, num, percent, shortTime, verdictText } from './format.js';

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;color:#0f172a;max-width:1040px;margin:2em auto;padding:0 1em}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #e2e8f0;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f1f5f9}
.passed{color:#15803d}.failed{color:#b91c1c}.no_data{color:#64748b}.verdict{font-size:1.1em;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px}.muted{color:#64748b}
.note{background:#fef9c3;border-left:4px solid #ca8a04;padding:.4em .8em}`;

export function toHtml(r: ReportJson): string {
  const t = r.testCases;
  const row = (cells: string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  const errorThreshold = t.find((c) => c.id === 'slo.error-rate.critical')?.threshold ?? undefined;
  const latencyThreshold = t.find((c) => c.id === 'slo.latency-p95.critical')?.threshold ?? undefined;
  const charts = [
    svgChart(r.requests.series, {
      id: 'chart-requests',
      title: 'Requests per second',
      unit: '/s',
      axisLabel: 'requests / s',
    }),
    svgChart(r.errors.series, {
      id: 'chart-errors',
      title: 'Error rate (%)',
      unit: '%',
      axisLabel: 'errors / requests',
      thresholdLabel: 'critical',
      ...(errorThreshold === undefined ? {} : { threshold: errorThreshold }),
    }),
    svgChart(r.latency.series, {
      id: 'chart-latency',
      title: 'p95 latency (ms)',
      unit: ' ms',
      axisLabel: 'p95 latency',
      thresholdLabel: 'critical',
      ...(latencyThreshold === undefined ? {} : { threshold: latencyThreshold }),
    }),
    svgChart(r.availability.series, {
      id: 'chart-availability',
      title: 'Webhook service up (%)',
      unit: '%',
      axisLabel: 'scrapes answered',
      minTop: 100,
    }),
  ];
  const body = [
    `<h1>wmon report: ${esc(r.project)} (${esc(r.environment)})</h1>`,
    `<p class="verdict ${r.verdict === 'passed' ? 'passed' : 'failed'}">${esc(verdictText(r))}</p>`,
    `<p class="muted">Last ${esc(r.window)}: ${esc(shortTime(r.from))} to ${esc(shortTime(r.to))}. Generated ${esc(shortTime(r.generatedAt))} from ${esc(r.prometheusUrl)}.</p>`,
    ...(r.charts.clamped ? [`<p class="note">${esc(clampedText(r))}</p>`] : []),
    '<h2>Key figures</h2><table>',
    row(['Availability', esc(percent(r.availability.webhookPercent))]),
    row([
      'Requests',
      esc(
        `${num(r.requests.total, 12)} (${breakdown(r.requests.byStatus) || 'none'}), ${num(r.requests.ratePerSecond)}/s`,
      ),
    ]),
    row([
      'Error rate',
      esc(
        `${percent(r.errors.ratePercent)}${r.errors.total ? ` (${r.errors.total} errors: ${breakdown(r.errors.byType)})` : ''}`,
      ),
    ]),
    row(['Latency p50 / p95 / p99', esc(`${ms(r.latency.p50Ms)} / ${ms(r.latency.p95Ms)} / ${ms(r.latency.p99Ms)}`)]),
    row([
      'Events received',
      esc(
        `${r.events.received}${breakdown(r.events.processed) ? ` (processed ${breakdown(r.events.processed)})` : ''}`,
      ),
    ]),
    row([
      'Signature failures',
      esc(
        `${r.signatureFailures.total}${r.signatureFailures.total ? ` (${breakdown(r.signatureFailures.byReason)})` : ''}`,
      ),
    ]),
    row([
      'Rate limited',
      esc(`${r.rateLimited.total}${r.rateLimited.total ? ` (${breakdown(r.rateLimited.byScope)})` : ''}`),
    ]),
    '</table>',
    '<h2>Charts</h2>',
    `<p class="muted">${esc(chartsText(r))}</p>`,
    `<div class="charts">${charts.join('')}</div>`,
    '<h2>Event types</h2>',
    r.events.byType.length === 0
      ? '<p class="muted">No event received in the window.</p>'
      : `<table>${row(['type', 'events'], 'th')}${r.events.byType.map((e) => row([`<code>${esc(e.type)}</code>`, String(e.count)])).join('')}</table>`,
    '<h2>Alerts that fired</h2>',
    r.alerts.length === 0
      ? '<p class="muted">None.</p>'
      : `<table>${row(['alert', 'severity', 'where', 'first', 'last', 'firing for', 'periods'], 'th')}${r.alerts
          .map((a) =>
            row([
              esc(a.name),
              esc(a.severity),
              esc(
                Object.entries(a.labels)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' '),
              ),
              esc(shortTime(a.firstFiringAt)),
              a.firingAtEnd ? 'still firing' : esc(shortTime(a.lastFiringAt)),
              esc(humanDuration(a.firingSeconds)),
              String(a.episodes),
            ]),
          )
          .join('')}</table>`,
    '<h2>SLOs and thresholds</h2>',
    `<table>${row(['result', 'check', 'detail'], 'th')}${t
      .map((c) =>
        row([
          `<span class="${c.status}">${c.status === 'no_data' ? 'no data' : c.status}</span>`,
          esc(c.name),
          esc(c.message),
        ]),
      )
      .join('')}</table>`,
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>wmon report: ${esc(r.project)}</title><style>${STYLE}</style></head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
