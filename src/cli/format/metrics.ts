import type { FigureStatus, FigureUnit, MetricFigureJson, MetricFigureKey, MetricsResultJson } from '../../results.js';
import { chalk } from '../colors.js';

const COLOR: Record<FigureStatus, (s: string) => string> = {
  ok: (s) => chalk.green(s),
  info: (s) => chalk.cyan(s),
  warning: (s) => chalk.yellow(s),
  critical: (s) => chalk.red.bold(s),
  no_data: (s) => chalk.dim(s),
};

/** A value in its unit, for people: `2.41/s`, `1.2 %`, `87 ms`, `1.3 s`, `212 MiB`, `up`. */
export function formatValue(value: number | null, unit: FigureUnit): string {
  if (value === null) return '–';
  switch (unit) {
    case 'per_second':
      return `${trim(value, value < 10 ? 3 : 1)}/s`;
    case 'percent':
      return `${trim(value, value < 10 ? 2 : 1)} %`;
    case 'ms':
      return value >= 1000 ? `${trim(value / 1000, 2)} s` : `${trim(value, value < 10 ? 2 : 0)} ms`;
    case 'bytes':
      return value >= 1024 ** 3 ? `${trim(value / 1024 ** 3, 2)} GiB` : `${trim(value / 1024 ** 2, 1)} MiB`;
    case 'boolean':
      return value >= 1 ? 'up' : 'down';
    default:
      return trim(value, 2);
  }
}

function trim(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)));
}

function thresholdText(f: MetricFigureJson): string {
  const parts: string[] = [];
  if (f.thresholds.info !== undefined) parts.push(`info ≥ ${formatValue(f.thresholds.info, f.unit)}`);
  if (f.thresholds.warning !== undefined) parts.push(`warning ≥ ${formatValue(f.thresholds.warning, f.unit)}`);
  if (f.thresholds.critical !== undefined) parts.push(`critical ≥ ${formatValue(f.thresholds.critical, f.unit)}`);
  if (f.unit === 'boolean') parts.push('critical when down');
  return parts.join(', ');
}

const SECTIONS: ReadonlyArray<readonly [string, readonly MetricFigureKey[]]> = [
  ['Traffic', ['requestRate', 'errorRate', 'latencyP50', 'latencyP95', 'latencyP99', 'concurrency', 'concurrencyPeak']],
  ['Events and queue', ['eventProcessingP95', 'queuePending', 'queueProcessing', 'queueDeadLetter']],
  ['Resources', ['memoryRss', 'memoryLimit', 'memoryPercent', 'cpuPercent']],
  [
    'Database and cache',
    ['dbUp', 'dbConnectionsActive', 'dbConnectionsIdle', 'dbQueryP95', 'cacheUp', 'cacheHitRatio'],
  ],
  ['Security and limits', ['signatureFailureRate', 'rateLimitedRate']],
];

function breakdown(by: Readonly<Record<string, number>>): string {
  const entries = Object.entries(by).filter(([, n]) => n > 0);
  return entries.length ? ` (${entries.map(([k, n]) => `${k || 'none'}: ${n}`).join(', ')})` : '';
}

export function formatMetrics(r: MetricsResultJson): string {
  const label = Math.max(...Object.values(r.figures).map((f) => f.label.length));
  const lines = [
    `${chalk.bold(r.project)}: the webhook service over the last ${r.window}, at ${r.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} — ${COLOR[r.status](r.status.toUpperCase())}`,
  ];
  for (const [title, keys] of SECTIONS) {
    lines.push('', chalk.bold(title));
    for (const key of keys) {
      const f = r.figures[key];
      const value = formatValue(f.value, f.unit);
      const t = thresholdText(f);
      lines.push(`  ${f.label.padEnd(label)}  ${COLOR[f.status](value.padStart(10))}${t ? chalk.dim(`   ${t}`) : ''}`);
    }
  }
  const c = r.counts;
  lines.push(
    '',
    chalk.bold(`Counts over ${r.window} (exact)`),
    `  requests            ${c.requests.total}${breakdown(c.requests.byStatus)}`,
    `  errors              ${c.errors.total}${breakdown(c.errors.byType)}`,
    `  events received     ${c.events.received}${breakdown(c.events.byType)}`,
    `  events processed    ${Object.values(c.events.processed).reduce((a, b) => a + b, 0)}${breakdown(c.events.processed)}`,
    `  signature failures  ${c.signatureFailures.total}${breakdown(c.signatureFailures.byReason)}`,
    `  rate limited        ${c.rateLimited.total}${breakdown(c.rateLimited.byScope)}`,
  );
  return lines.join('\n');
}
