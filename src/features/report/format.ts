/** Shared wording of the report's figures. */
import { humanDuration } from '../../core/vocab/durations.js';
import type { ReportJson } from '../../results.js';

export function num(v: number | null, digits = 3): string {
  if (v === null) return '–';
  return Number(v.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function percent(v: number | null): string {
  return v === null ? '–' : `${num(v, v >= 99 && v < 100 ? 5 : 3)} %`;
}

export function ms(v: number | null): string {
  if (v === null) return '–';
  return v >= 1000 ? `${num(v / 1000)} s` : `${num(v)} ms`;
}

export function breakdown(by: Readonly<Record<string, number>>): string {
  const parts = Object.entries(by)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}: ${n}`);
  return parts.join(', ');
}

export function verdictText(r: ReportJson): string {
  const failed = r.testCases.filter((c) => c.status === 'failed').length;
  if (r.verdict === 'passed') return `passed (${r.testCases.length} checks)`;
  return `${r.verdict}: ${failed} of ${r.testCases.length} checks failed`;
}

export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/(:\d\d)\.\d+Z$/, '$1Z');
}

/** When the data starts inside the window: since when, and that the charts show that part only. */
export function clampedText(r: ReportJson): string {
  return (
    `The stack's data starts at ${shortTime(r.charts.from)} (${humanDuration(r.charts.seconds)} before the end ` +
    `of the window): the charts and the rates, ratios and percentiles show those ${humanDuration(r.charts.seconds)}, ` +
    `not ${r.window}; the counts are the whole window's, which has nothing older.`
  );
}

/** What the charts cover, and how often they have a point. */
export function chartsText(r: ReportJson): string {
  return (
    `${shortTime(r.charts.from)} to ${shortTime(r.to)} (${humanDuration(r.charts.seconds)}), one point every ` +
    `${humanDuration(r.charts.stepSeconds)}; times in UTC. A gap is a time without data.`
  );
}
