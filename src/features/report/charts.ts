/** Small charts: Unicode sparklines for Markdown and terminals, inline SVG for HTML. */
import type { ChartPoint } from '../../results.js';

const BARS = '▁▂▃▄▅▆▇█';

/** `▁▂▄█▇ ▃`: one character per point, a space where there was no data; empty when there is none at all. */
export function sparkline(points: readonly ChartPoint[]): string {
  const values = points.map(([, v]) => v).filter((v): v is number => v !== null);
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return points
    .map(([, v]) => {
      if (v === null) return ' ';
      if (max === min) return max === 0 ? BARS[0] : BARS[3];
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - min) / (max - min)) * BARS.length))];
    })
    .join('');
}

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

/** The smallest of 1, 2, 2.5, 5 × 10^n at or above `v` (v > 0). */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= v * (1 - 1e-9)) return m * power;
  return 10 * power;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Time-axis tick spacings, shortest first: the first giving at most six ticks is used. */
const TICK_STEPS = [
  15,
  30,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  4 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Ticks of a time axis from `t0` to `t1` (Unix seconds): at whole multiples of a spacing matched to the span
 * (a 15-minute chart every 5 minutes, an hour every 10 or 15, a day every 4 hours), labelled in UTC as
 * `HH:MM`, `HH:MM:SS` below a minute, or `MM-DD` from a day on.
 */
export function timeTicks(t0: number, t1: number): { readonly time: number; readonly label: string }[] {
  const span = Math.max(1, t1 - t0);
  const step = TICK_STEPS.find((s) => span / s <= 6) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  const ticks: { time: number; label: string }[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const d = new Date(t * 1000);
    const label =
      step >= DAY
        ? `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`
        : step < MINUTE
          ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
          : `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
    ticks.push({ time: t, label });
  }
  return ticks;
}

export interface SvgChartOptions {
  /** Shown above the chart and read by screen readers. */
  readonly title: string;
  /** Appended to values: `%`, ` ms`, `/s`. */
  readonly unit: string;
  /** The value axis' title, e.g. `requests per second`. */
  readonly axisLabel?: string;
  /** A threshold drawn as a dashed red line when it is on the scale, else noted in the corner. */
  readonly threshold?: number;
  /** What the threshold is, e.g. `critical`. */
  readonly thresholdLabel?: string;
  /** Keeps the value axis from ending below this (e.g. 100 for an availability in percent). */
  readonly minTop?: number;
  /** A unique id in the page, for aria-labelledby. */
  readonly id?: string;
  readonly width?: number;
  readonly height?: number;
}

/**
 * A line chart as an inline SVG, titled and described for screen readers: a time axis in UTC with ticks
 * matched to the span, a value axis scaled to the data (0 to a round number above its maximum), gaps where
 * there is no data, and the threshold as a dashed red line when it is on that scale — a threshold far
 * above the data does not flatten it to the floor, it is noted in the corner instead.
 */
export function svgChart(points: readonly ChartPoint[], opts: SvgChartOptions): string {
  const width = opts.width ?? 500;
  const height = opts.height ?? 190;
  const pad = { left: 58, right: 14, top: 26, bottom: 40 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const values = points.map(([, v]) => v).filter((v): v is number => v !== null);
  const dataMax = values.length > 0 ? Math.max(...values) : 0;
  // A little headroom above the highest point; a fixed top (100 %) when the data stays below it.
  let top = opts.minTop !== undefined && dataMax <= opts.minTop ? opts.minTop : niceCeil(dataMax * 1.1);
  const threshold = opts.threshold;
  // A threshold near the data's scale widens it a little; one further above is noted instead of drawn, so
  // that it does not squash the data against the floor.
  const thresholdOnScale = threshold !== undefined && threshold > 0 && threshold <= top * 1.25;
  if (thresholdOnScale) top = Math.max(top, niceCeil(threshold));
  const t0 = points[0]?.[0] ?? 0;
  const t1 = points[points.length - 1]?.[0] ?? t0 + 1;
  const x = (t: number) => pad.left + ((t - t0) / Math.max(1, t1 - t0)) * plotW;
  const y = (v: number) => pad.top + (1 - Math.min(v, top) / top) * plotH;
  const fmt = (v: number) => `${Number(v.toPrecision(3)).toLocaleString('en-US')}${opts.unit}`;
  const font = 'font-family="system-ui,sans-serif"';
  const id = opts.id ?? `chart-${opts.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

  const segments: string[][] = [[]];
  for (const [t, v] of points) {
    if (v === null) {
      if ((segments[segments.length - 1] ?? []).length > 0) segments.push([]);
      continue;
    }
    segments[segments.length - 1]?.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
  }
  const lines = segments
    .filter((s) => s.length > 0)
    .map((s) => {
      if (s.length > 1) return `<polyline fill="none" stroke="#2563eb" stroke-width="2" points="${s.join(' ')}"/>`;
      const [cx, cy] = (s[0] ?? '0,0').split(',');
      return `<circle cx="${cx}" cy="${cy}" r="2.5" fill="#2563eb"/>`;
    });

  const grid = [0, top / 2, top].map((v) => {
    const yy = y(v).toFixed(1);
    return (
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${yy}" y2="${yy}" stroke="#e2e8f0"/>` +
      `<text x="${pad.left - 5}" y="${(y(v) + 3.5).toFixed(1)}" font-size="10" ${font} fill="#475569" text-anchor="end">${escapeXml(fmt(v))}</text>`
    );
  });
  const ticks = timeTicks(t0, t1).map(({ time, label }) => {
    const xx = x(time).toFixed(1);
    return (
      `<line x1="${xx}" x2="${xx}" y1="${pad.top + plotH}" y2="${pad.top + plotH + 4}" stroke="#64748b"/>` +
      `<text x="${xx}" y="${pad.top + plotH + 15}" font-size="10" ${font} fill="#475569" text-anchor="middle">${label}</text>`
    );
  });

  let thresholdMark = '';
  let thresholdText = '';
  if (threshold !== undefined) {
    const what = `${opts.thresholdLabel ?? 'threshold'} ${fmt(threshold)}`;
    if (thresholdOnScale) {
      const yy = y(threshold).toFixed(1);
      thresholdMark =
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${yy}" y2="${yy}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="5 3"/>` +
        `<text x="${width - pad.right - 3}" y="${(y(threshold) - 3).toFixed(1)}" font-size="10" ${font} fill="#b91c1c" text-anchor="end">${escapeXml(what)}</text>`;
      thresholdText = ` The ${what} threshold is the dashed red line.`;
    } else {
      // Above the plot, beside the title: inside it, the note would cover the data near the top.
      thresholdMark = `<text x="${width - pad.right}" y="15" font-size="11" font-weight="600" ${font} fill="#b91c1c" text-anchor="end">${escapeXml(`${what}: above the scale ↑`)}</text>`;
      thresholdText = ` The ${what} threshold is above the scale.`;
    }
  }

  const clock = (t: number) => new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const span = points.length > 0 ? ` from ${clock(t0)} to ${clock(t1)} UTC` : '';
  const description =
    values.length === 0
      ? `No data${span}.`
      : `${values.length} points${span}: lowest ${fmt(Math.min(...values))}, highest ${fmt(dataMax)}, last ${fmt(values[values.length - 1] ?? 0)}.` +
        thresholdText;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc">`,
    `<title id="${id}-title">${escapeXml(opts.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(description)}</desc>`,
    `<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="#f8fafc" stroke="#cbd5e1"/>`,
    `<text x="${pad.left}" y="15" font-size="12" font-weight="600" ${font} fill="#0f172a">${escapeXml(opts.title)}</text>`,
    ...grid,
    ...ticks,
    `<text x="${pad.left + plotW / 2}" y="${height - 4}" font-size="10" ${font} fill="#64748b" text-anchor="middle">time (UTC)</text>`,
    opts.axisLabel
      ? `<text transform="translate(11 ${pad.top + plotH / 2}) rotate(-90)" font-size="10" ${font} fill="#64748b" text-anchor="middle">${escapeXml(opts.axisLabel)}</text>`
      : '',
    thresholdMark,
    ...lines,
    values.length === 0
      ? `<text x="${pad.left + plotW / 2}" y="${pad.top + plotH / 2 + 4}" font-size="12" ${font} fill="#94a3b8" text-anchor="middle">no data</text>`
      : '',
    '</svg>',
  ]
    .filter((s) => s !== '')
    .join('');
}
