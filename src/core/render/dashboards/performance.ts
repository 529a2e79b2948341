/** Performance: latency heatmap; resource usage trends; database performance; cache effectiveness. */
import {
  METRIC,
  WEBHOOK_TRAFFIC_MATCH,
  cacheHitRatio,
  histogramQuantile,
  requestLatencyQuantile,
  series,
} from '../../vocab/webhook-queries.js';
import { dashboard, dashboardInputs, hostTrends, type DashboardOptions } from './common.js';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { RATE_INTERVAL, heatmap, layout, steps, timeseries, traces, type Section } from './panels.js';
import { DASHBOARD_UIDS } from './uids.js';

export function performanceDashboard(opts: DashboardOptions): Dashboard {
  const { a, service, latencySteps } = dashboardInputs(opts);

  const sections: Section[] = [
    {
      title: 'Latency',
      panels: [
        heatmap({
          title: 'Request latency distribution',
          description: 'Webhook requests per duration bucket over time (darker: more requests).',
          unit: 's',
          expr: `sum by (le) (increase(${series('requestDuration', WEBHOOK_TRAFFIC_MATCH, '_bucket')}[${RATE_INTERVAL}]))`,
          w: 12,
          h: 9,
        }),
        timeseries({
          title: 'p95 latency by route',
          description: '95th percentile of request durations per route; dashed lines at the p95 alert thresholds.',
          unit: 's',
          thresholds: latencySteps,
          queries: [{ expr: requestLatencyQuantile(0.95, RATE_INTERVAL, ['route']), legend: '{{route}}' }],
          w: 12,
          h: 9,
        }),
        ...(opts.jaeger
          ? [
              traces({
                title: `Slow requests (over ${a.latencyP95Ms.warning} ms)`,
                description:
                  `Traces of ${service} in Jaeger that took at least the p95 warning threshold; ` +
                  'open one to see where the time went.',
                service,
                minDuration: `${a.latencyP95Ms.warning}ms`,
                w: 24,
                h: 8,
              }),
            ]
          : []),
      ],
    },
    {
      title: 'Resource usage trends',
      panels: [
        timeseries({
          title: 'Memory',
          description: 'Process memory by kind, and the limit the memory alert measures resident memory against.',
          unit: 'bytes',
          queries: [
            { expr: `sum by (kind) (${METRIC.memoryUsage})`, legend: '{{kind}}' },
            { expr: `max(${METRIC.memoryLimit})`, legend: 'limit' },
          ],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'CPU',
          description: 'CPU usage in percent of one core; dashed line at the CPU alert threshold.',
          unit: 'percent',
          thresholds: steps('green', [a.cpuPercent.warning, 'orange']),
          queries: [{ expr: METRIC.cpuUsage, legend: '{{instance}}' }],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'Concurrent requests',
          description: 'Requests being handled at the same time.',
          unit: 'short',
          queries: [{ expr: `sum(${METRIC.concurrentRequests})`, legend: 'in flight' }],
          w: 8,
          h: 8,
        }),
        ...(opts.nodeExporter ? hostTrends(8) : []),
      ],
    },
    {
      title: 'Database',
      panels: [
        timeseries({
          title: 'Query duration (p95) by operation',
          description: '95th percentile of database query durations, per operation.',
          unit: 's',
          queries: [
            { expr: histogramQuantile('dbQueryDuration', 0.95, RATE_INTERVAL, ['operation']), legend: '{{operation}}' },
          ],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'Queries by operation',
          description: 'Database queries per second, per operation.',
          unit: 'ops',
          stack: true,
          queries: [
            {
              expr: `sum by (operation) (rate(${METRIC.dbQueryDuration}_count[${RATE_INTERVAL}]))`,
              legend: '{{operation}}',
            },
          ],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'Connections',
          description: 'Database connections by state (active, idle), stacked: the height is the pool size in use.',
          unit: 'short',
          stack: true,
          queries: [{ expr: `sum by (state) (${METRIC.dbConnections})`, legend: '{{state}}' }],
          w: 8,
          h: 8,
        }),
      ],
    },
    {
      title: 'Cache',
      panels: [
        timeseries({
          title: 'Hit ratio by cache',
          description: 'Share of cache lookups that found a value.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [{ expr: cacheHitRatio(RATE_INTERVAL, ['cache']), legend: '{{cache}}' }],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'Hits and misses',
          description: 'Cache lookups per second that found a value (hits) and that did not (misses).',
          unit: 'ops',
          queries: [
            { expr: `sum by (cache) (rate(${METRIC.cacheHits}[${RATE_INTERVAL}]))`, legend: '{{cache}} hits' },
            { expr: `sum by (cache) (rate(${METRIC.cacheMisses}[${RATE_INTERVAL}]))`, legend: '{{cache}} misses' },
          ],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'Operation duration (p95)',
          description: '95th percentile of cache operation durations, per operation.',
          unit: 's',
          queries: [
            {
              expr: histogramQuantile('cacheOperationDuration', 0.95, RATE_INTERVAL, ['operation']),
              legend: '{{operation}}',
            },
          ],
          w: 8,
          h: 8,
        }),
      ],
    },
  ];

  return dashboard(
    DASHBOARD_UIDS.performance,
    'Webhook Performance',
    'Where the time and resources of the Stripe webhook service go: latency, process and host, database, cache.',
    layout(sections),
  );
}
