/**
 * Exact counts over a window, from raw samples: what `increase()` would say without its extrapolation
 * (which turns 10 events into 10.8). For each series, the increase is the sum of its rises from a baseline,
 * a drop being a counter reset (the process restarted and counts again from zero). The baseline is the last
 * sample in the hour before the window; a series with none was born inside the window (the service started,
 * or first saw that label value) and counts from zero, as Prometheus 3 does with created timestamps.
 */
import type { Labels, PrometheusClient, Sample } from '../../adapters/clients/index.js';

/** How far before the window a baseline sample is looked for. */
const BASELINE_LOOKBACK_SECONDS = 3600;

/** The increase of one series from `baseline` through `samples`, counting drops as resets. */
export function exactIncrease(baseline: number | undefined, samples: readonly Sample[]): number {
  let previous = baseline ?? 0;
  let total = 0;
  for (const { value } of samples) {
    if (!Number.isFinite(value)) continue;
    total += value >= previous ? value - previous : value;
    previous = value;
  }
  return total;
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== '__name__')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export interface CounterTotals {
  readonly total: number;
  /** By the value of the `by` label (`''` when the label is absent). */
  readonly by: Readonly<Record<string, number>>;
}

/**
 * Exact increase of the counter series matching `selector` (e.g. `webhook_requests_total{route!~"…"}`)
 * over the `windowSeconds` ending at `end` (Unix seconds), in total and by one label.
 */
export async function counterTotals(
  prometheus: PrometheusClient,
  selector: string,
  windowSeconds: number,
  end: number,
  by?: string,
): Promise<CounterTotals> {
  const [raw, base] = await Promise.all([
    prometheus.query(`${selector}[${windowSeconds}s]`, { time: end }),
    prometheus.query(`last_over_time(${selector}[${BASELINE_LOOKBACK_SECONDS}s])`, { time: end - windowSeconds }),
  ]);
  const baselines = new Map<string, number>();
  if (base.resultType === 'vector') for (const s of base.result) baselines.set(seriesKey(s.metric), s.sample.value);
  const totals: Record<string, number> = {};
  let total = 0;
  if (raw.resultType === 'matrix') {
    for (const series of raw.result) {
      // A sample exactly at the window's start belongs to the baseline query too: start after it.
      const inWindow = series.samples.filter((s) => s.time > end - windowSeconds);
      const increase = exactIncrease(baselines.get(seriesKey(series.metric)), inWindow);
      total += increase;
      if (by !== undefined) {
        const key = series.metric[by] ?? '';
        totals[key] = (totals[key] ?? 0) + increase;
      }
    }
  }
  const by_ = Object.entries(totals)
    .map(([k, v]): [string, number] => [k, round(v)])
    .sort((x, y) => (x[0] < y[0] ? -1 : 1));
  return { total: round(total), by: Object.fromEntries(by_) };
}

/** Counters hold integers here; keep float noise out of the output. */
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
