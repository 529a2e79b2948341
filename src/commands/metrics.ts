import { Flags } from '@oclif/core';

import { collectMetrics } from '../features/metrics/index.js';
import type { MetricsResultJson } from '../results.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { queryTimeoutFlag, windowFlag } from '../cli/flags.js';
import { formatMetrics } from '../cli/format/metrics.js';

export default class Metrics extends WmonCommand {
  static override summary = "The webhook service's key figures over a window, coloured against the alert thresholds.";

  static override description = `Reads from Prometheus: request rate, error rate (errors / requests, the alerts' own formula), latency p50/p95/p99, requests in flight, event processing time, the queue by state, memory against its limit, CPU, database connections and query p95, cache hit ratio, signature failures and rate limiting — each coloured against the thresholds in wmon.yaml's alerts: section (the value now, without the alert's \`for\` duration). Counts (requests by status, errors by type, events by type and outcome, signature failures, rate-limited requests) are exact, computed from the raw samples rather than extrapolated.

Fails with exit 69 and a clear message when Prometheus cannot be reached.`;

  static override examples = examples({
    'The last 5 minutes': '',
    'The last hour, as JSON': '--window 1h --json',
    'Refresh in place every 5 seconds (Ctrl-C to stop)': '--watch',
  });

  static override flags = {
    window: windowFlag({
      char: 'w',
      summary: 'How far back the rates, ratios and counts look (a Prometheus duration).',
      default: '5m',
      env: 'WMON_WINDOW',
    }),
    watch: Flags.boolean({
      summary: 'Refresh in place until interrupted.',
      exclusive: ['json'],
    }),
    interval: Flags.integer({
      summary: 'Seconds between refreshes with --watch.',
      default: 5,
      min: 1,
      env: 'WMON_WATCH_INTERVAL',
    }),
    timeout: queryTimeoutFlag(10),
  };

  async run(): Promise<MetricsResultJson> {
    const { flags } = await this.parse(Metrics);
    const ctx = await this.openStack(flags.config);
    const collect = () => collectMetrics(ctx, { window: flags.window, timeoutMs: flags.timeout * 1000 });
    if (!flags.watch) {
      const result = await collect();
      if (!this.jsonEnabled()) this.log(formatMetrics(result));
      return result;
    }
    const tty = process.stdout.isTTY === true;
    let stop = false;
    process.once('SIGINT', () => {
      stop = true;
    });
    let last: MetricsResultJson | undefined;
    while (!stop) {
      last = await collect();
      const text = `${formatMetrics(last)}\n\nRefreshing every ${flags.interval} s; Ctrl-C to stop.`;
      // On a terminal: home the cursor and clear, so the figures stay in place; in a pipe: one block each.
      process.stdout.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
      const until = Date.now() + flags.interval * 1000;
      while (!stop && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    }
    return last as MetricsResultJson;
  }
}
