/**
 * `wmon metrics`: the webhook service's key figures over a window, from Prometheus, coloured against
 * wmon.yaml's alert thresholds.
 */
import type { StackContext } from '../../context.js';
import type { MetricsResultJson } from '../../results.js';
import { queryCounts, queryFigures, worstFigureStatus } from './figures.js';
import { prometheusFor, withPrometheus } from './prometheus.js';
import { durationSeconds, parseWindow } from '../../core/vocab/durations.js';

export interface MetricsOptions {
  /** A Prometheus duration, e.g. `5m`. */
  readonly window: string;
  /** Per query. */
  readonly timeoutMs: number;
  /** Evaluation time; default now. */
  readonly at?: Date;
}

export async function collectMetrics(ctx: StackContext, opts: MetricsOptions): Promise<MetricsResultJson> {
  const { config } = ctx;
  const window = parseWindow(opts.window, durationSeconds(config.prometheus.scrapeInterval) ?? 15);
  const prometheus = prometheusFor(ctx, 'metrics', opts.timeoutMs);
  const at = (opts.at ?? new Date()).getTime() / 1000;
  return withPrometheus(prometheus, 'metrics', async () => {
    const [figures, counts] = await Promise.all([
      queryFigures(prometheus.client, config.alerts, window.seconds, at),
      queryCounts(prometheus.client, window.seconds, at),
    ]);
    return {
      project: config.project,
      prometheusUrl: prometheus.url,
      window: window.text,
      windowSeconds: window.seconds,
      at: new Date(at * 1000).toISOString(),
      status: worstFigureStatus(Object.values(figures).map((f) => f.status)),
      figures,
      counts,
    };
  });
}

export { parseWindow, durationSeconds, formatDuration, humanDuration } from '../../core/vocab/durations.js';
