/** Range queries as evenly spaced chart points, and the raw ALERTS series as firing periods. */
import type { MatrixSeries, PrometheusClient } from '../../adapters/clients/index.js';
import type { ChartPoint, ReportAlertJson } from '../../results.js';

/** Points per chart: enough for a trend, few enough for a sparkline. */
export const CHART_POINTS = 48;

export interface ChartGrid {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  /** The window of each point's rate: a step, but at least four scrapes. */
  readonly rateWindow: string;
}

export function chartGrid(end: number, windowSeconds: number, scrapeSeconds: number): ChartGrid {
  const step = Math.max(scrapeSeconds, Math.ceil(windowSeconds / CHART_POINTS));
  const start = end - windowSeconds + step;
  return { start, end, step, rateWindow: `${Math.max(step, 4 * scrapeSeconds)}s` };
}

/** Subquery steps at most: a 24 h window is looked at every scrape, 31 days every few minutes. */
const FIRST_SAMPLE_STEPS = 11_000;

/**
 * PromQL for the time (Unix seconds) of the stack's first sample in the last `windowSeconds`: the earliest
 * `up` of any target (Prometheus records one per scrape), to the subquery's resolution. Up to a lookback
 * before the window when there is data from before it.
 */
export function firstSampleExpr(windowSeconds: number, scrapeSeconds: number): string {
  const resolution = Math.max(scrapeSeconds, Math.ceil(windowSeconds / FIRST_SAMPLE_STEPS));
  return `min(min_over_time(timestamp(up)[${windowSeconds}s:${resolution}s]))`;
}

export interface ChartWindow {
  /** Unix seconds. */
  readonly start: number;
  readonly seconds: number;
  /** Whether the data starts inside the window, so the charts start at the first sample instead. */
  readonly clamped: boolean;
}

/**
 * The part of the window the charts cover: all of it, or from the stack's first sample when that is later
 * (a 24 h window on a stack started ten minutes ago charts those ten minutes, not one dot at the right
 * edge). At least two scrape intervals; no data at all keeps the whole window.
 */
export function chartWindow(
  end: number,
  windowSeconds: number,
  firstSample: number | null,
  scrapeSeconds: number,
): ChartWindow {
  const windowStart = end - windowSeconds;
  if (firstSample === null || !Number.isFinite(firstSample) || firstSample <= windowStart + scrapeSeconds) {
    return { start: windowStart, seconds: windowSeconds, clamped: false };
  }
  const seconds = Math.max(2 * scrapeSeconds, Math.ceil(end - firstSample));
  return seconds >= windowSeconds
    ? { start: windowStart, seconds: windowSeconds, clamped: false }
    : { start: end - seconds, seconds, clamped: true };
}

/** One chart line: the first series of a range query (the queries aggregate to one), null where empty. */
export async function chartSeries(
  prometheus: PrometheusClient,
  expr: string,
  grid: ChartGrid,
  scale = 1,
): Promise<ChartPoint[]> {
  const matrix = await prometheus.queryRange(expr, { start: grid.start, end: grid.end, step: grid.step });
  const values = new Map<number, number>();
  for (const s of matrix.slice(0, 1)) {
    for (const p of s.samples) if (Number.isFinite(p.value)) values.set(Math.round(p.time), p.value * scale);
  }
  const points: ChartPoint[] = [];
  for (let t = grid.start; t <= grid.end + 0.001; t += grid.step) {
    const v = values.get(Math.round(t));
    points.push([Math.round(t), v === undefined ? null : Number(v.toPrecision(6))]);
  }
  return points;
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1, info: 2 };
const HIDDEN_LABELS = new Set(['__name__', 'alertname', 'alertstate', 'severity']);

/**
 * Firing periods from `ALERTS{alertstate="firing"}[window]`'s raw samples (one per rule evaluation): a gap
 * longer than 2.5 evaluation intervals ends a period.
 */
export function firingPeriods(
  matrix: readonly MatrixSeries[],
  end: number,
  evaluationSeconds: number,
): ReportAlertJson[] {
  const gap = 2.5 * evaluationSeconds;
  const alerts = matrix
    // Watchdog (severity none) fires all the time on purpose: it is a heartbeat, not something that happened.
    .filter((s) => s.samples.length > 0 && s.metric.severity !== 'none')
    .map((s): ReportAlertJson => {
      const times = s.samples.map((p) => p.time).sort((a, b) => a - b);
      let episodes = 1;
      let firing = 0;
      let from = times[0] ?? 0;
      for (let i = 1; i < times.length; i++) {
        const t = times[i] ?? 0;
        const prev = times[i - 1] ?? 0;
        if (t - prev > gap) {
          firing += prev - from + evaluationSeconds;
          episodes++;
          from = t;
        }
      }
      const last = times[times.length - 1] ?? 0;
      firing += last - from + evaluationSeconds;
      const labels = Object.fromEntries(
        Object.entries(s.metric)
          .filter(([k]) => !HIDDEN_LABELS.has(k))
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      );
      return {
        name: s.metric.alertname ?? '',
        severity: s.metric.severity ?? 'none',
        labels,
        firstFiringAt: new Date((times[0] ?? 0) * 1000).toISOString(),
        lastFiringAt: new Date(last * 1000).toISOString(),
        firingAtEnd: end - last <= gap,
        episodes,
        firingSeconds: Math.round(firing),
      };
    });
  return alerts.sort(
    (a, b) =>
      (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) ||
      a.firstFiringAt.localeCompare(b.firstFiringAt) ||
      a.name.localeCompare(b.name),
  );
}
