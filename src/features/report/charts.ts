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

/**
 * A line chart as an inline SVG: the series (gaps where there is no data), its maximum on the axis, and an
 * optional threshold as a dashed red line.
 */
export function svgChart(
  points: readonly ChartPoint[],
  opts: { title: string; unit: string; threshold?: number; width?: number; height?: number },
): string {
  const width = opts.width ?? 480;
  const height = opts.height ?? 120;
  const pad = { left: 48, right: 8, top: 18, bottom: 18 };
  const values = points.map(([, v]) => v).filter((v): v is number => v !== null);
  const max = Math.max(1e-9, ...values, opts.threshold ?? 0);
  const t0 = points[0]?.[0] ?? 0;
  const t1 = points[points.length - 1]?.[0] ?? t0 + 1;
  const x = (t: number) => pad.left + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
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
    .map((s) =>
      s.length === 1
        ? `<circle cx="${s[0]?.split(',')[0]}" cy="${s[0]?.split(',')[1]}" r="2" fill="#2563eb"/>`
        : `<polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="${s.join(' ')}"/>`,
    );
  const threshold =
    opts.threshold === undefined
      ? ''
      : `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(opts.threshold).toFixed(1)}" y2="${y(opts.threshold).toFixed(1)}" stroke="#dc2626" stroke-dasharray="4 3"/>`;
  const label = (v: number) => `${Number(v.toPrecision(3))}${opts.unit}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(opts.title)}">`,
    `<title>${escapeXml(opts.title)}</title>`,
    `<rect x="${pad.left}" y="${pad.top}" width="${width - pad.left - pad.right}" height="${height - pad.top - pad.bottom}" fill="#f8fafc" stroke="#e2e8f0"/>`,
    `<text x="${pad.left}" y="12" font-size="11" font-family="sans-serif" fill="#334155">${escapeXml(opts.title)}</text>`,
    `<text x="${pad.left - 4}" y="${pad.top + 8}" font-size="10" font-family="sans-serif" fill="#64748b" text-anchor="end">${escapeXml(label(max))}</text>`,
    `<text x="${pad.left - 4}" y="${height - pad.bottom}" font-size="10" font-family="sans-serif" fill="#64748b" text-anchor="end">0</text>`,
    threshold,
    ...lines,
    values.length === 0
      ? `<text x="${width / 2}" y="${height / 2 + 4}" font-size="11" font-family="sans-serif" fill="#94a3b8" text-anchor="middle">no data</text>`
      : '',
    '</svg>',
  ]
    .filter((s) => s !== '')
    .join('');
}
