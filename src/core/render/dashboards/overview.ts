/** Overview: request rate and errors; response time percentiles; queue size and processing time; resource gauges. */
import {
  METRIC,
  QUEUE_BY_STATE,
  WEBHOOK_TRAFFIC_MATCH,
  errorRatio,
  histogramQuantile,
  memoryRatio,
  requestLatencyQuantile,
  requestRate,
  series,
} from '../../vocab/webhook-queries.js';
import { dashboard, dashboardInputs, hostGauges, type DashboardOptions } from './common.js';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { BLACKBOX_METRICS } from '@wmon/contract';
import {
  RATE_INTERVAL,
  UP_DOWN,
  evenWidths,
  gauge,
  layout,
  logs,
  stat,
  steps,
  timeseries,
  traces,
  type Section,
} from './panels.js';
import { DASHBOARD_UIDS } from './uids.js';
import { BLACKBOX_JOB } from '../blackbox.js';

/** The blackbox exporter's series these panels read (BLACKBOX_METRICS in the contract). */
const BLACKBOX = {
  success: 'probe_success',
  duration: 'probe_duration_seconds',
  certExpiry: 'probe_ssl_earliest_cert_expiry',
} as const satisfies Record<string, (typeof BLACKBOX_METRICS)[number]>;

export function overviewDashboard(opts: DashboardOptions): Dashboard {
  const { a, service, errorSteps, latencySteps } = dashboardInputs(opts);
  const statWidths = evenWidths(8);
  const sw = (i: number): number => statWidths[i] ?? 3;

  const sections: Section[] = [
    {
      title: 'Requests and errors',
      panels: [
        stat({
          title: 'Request rate',
          description: 'Webhook requests per second (health probes and scrapes left out).',
          unit: 'reqps',
          query: { expr: requestRate(RATE_INTERVAL) },
          w: sw(0),
          h: 4,
        }),
        stat({
          title: 'Error rate',
          description: 'Errors per webhook request. Orange and red where the warning and critical alerts fire.',
          unit: 'percentunit',
          query: { expr: errorRatio(RATE_INTERVAL) },
          thresholds: errorSteps,
          w: sw(1),
          h: 4,
        }),
        stat({
          title: 'p95 latency',
          description: '95th percentile of webhook request durations. Orange and red at the alert thresholds.',
          unit: 's',
          query: { expr: requestLatencyQuantile(0.95, RATE_INTERVAL) },
          thresholds: latencySteps,
          w: sw(2),
          h: 4,
        }),
        stat({
          title: 'In flight',
          description: 'Requests being handled right now.',
          unit: 'short',
          query: { expr: `sum(${METRIC.concurrentRequests})` },
          w: sw(3),
          h: 4,
        }),
        stat({
          title: 'Database',
          description: 'Whether the service reaches its database (the lowest over all instances).',
          unit: 'none',
          query: { expr: `min(${METRIC.dbUp})` },
          mappings: [UP_DOWN],
          thresholds: steps('red', [1, 'green']),
          w: sw(4),
          h: 4,
        }),
        stat({
          title: 'Cache',
          description: 'Whether the service reaches its cache (the lowest over all instances).',
          unit: 'none',
          query: { expr: `min(${METRIC.cacheUp})` },
          mappings: [UP_DOWN],
          thresholds: steps('red', [1, 'green']),
          w: sw(5),
          h: 4,
        }),
        stat({
          title: 'Targets down',
          description: 'Scrape targets Prometheus cannot reach.',
          unit: 'none',
          query: { expr: 'count(up == 0) or vector(0)' },
          thresholds: steps('green', [1, 'red']),
          w: sw(6),
          h: 4,
        }),
        stat({
          title: 'Firing alerts',
          description: 'Alerts firing now, of every severity.',
          unit: 'none',
          query: { expr: 'count(ALERTS{alertstate="firing"}) or vector(0)' },
          thresholds: steps('green', [1, 'orange']),
          w: sw(7),
          h: 4,
        }),
        timeseries({
          title: 'Requests by status',
          description: 'Webhook requests per second, by HTTP status.',
          unit: 'reqps',
          stack: true,
          queries: [
            {
              expr: `sum by (status) (rate(${series('requestsTotal', WEBHOOK_TRAFFIC_MATCH)}[${RATE_INTERVAL}]))`,
              legend: '{{status}}',
            },
          ],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'Errors by type',
          description: 'Errors per second, by type (signature, payload, processing, database, cache, internal).',
          unit: 'ops',
          stack: true,
          queries: [{ expr: `sum by (type) (rate(${METRIC.errorsTotal}[${RATE_INTERVAL}]))`, legend: '{{type}}' }],
          w: 8,
          h: 8,
        }),
        timeseries({
          title: 'Error rate',
          description: 'Errors per webhook request; dashed lines where the warning and critical alerts fire.',
          unit: 'percentunit',
          thresholds: errorSteps,
          queries: [{ expr: errorRatio(RATE_INTERVAL), legend: 'error rate' }],
          w: 8,
          h: 8,
        }),
      ],
    },
    {
      title: 'Response time',
      panels: [
        timeseries({
          title: 'Response time percentiles',
          description: 'p50, p95 and p99 of webhook request durations; dashed lines at the p95 alert thresholds.',
          unit: 's',
          thresholds: latencySteps,
          queries: [0.5, 0.95, 0.99].map((q) => ({
            expr: requestLatencyQuantile(q, RATE_INTERVAL),
            legend: `p${Math.round(q * 100)}`,
          })),
          w: 24,
          h: 8,
        }),
      ],
    },
    {
      title: 'Queue and processing',
      panels: [
        timeseries({
          title: 'Queue size',
          description: 'Events in the queue, by state. Dashed line: the backlog alert threshold.',
          unit: 'short',
          thresholds: steps('green', [a.queueBacklog.warning, 'orange']),
          queries: [{ expr: QUEUE_BY_STATE, legend: '{{state}}' }],
          w: 12,
          h: 8,
        }),
        timeseries({
          title: 'Event processing time',
          description: 'p50 and p95 of the time spent processing one event.',
          unit: 's',
          queries: [0.5, 0.95].map((q) => ({
            expr: histogramQuantile('eventProcessingDuration', q, RATE_INTERVAL),
            legend: `p${Math.round(q * 100)}`,
          })),
          w: 12,
          h: 8,
        }),
      ],
    },
    {
      title: 'Resource usage',
      panels: (() => {
        const widths = evenWidths(opts.nodeExporter ? 5 : 2);
        const h = 6;
        return [
          gauge({
            title: 'Memory',
            description: 'Resident memory of each instance, as a share of the memory available to it.',
            unit: 'percentunit',
            query: { expr: memoryRatio(), legend: '{{instance}}' },
            min: 0,
            max: 1,
            thresholds: steps('green', [a.memoryPercent.warning / 100, 'orange']),
            w: widths[0] ?? 12,
            h,
          }),
          gauge({
            title: 'CPU',
            description: 'CPU usage of each instance, in percent of one core.',
            unit: 'percent',
            query: { expr: METRIC.cpuUsage, legend: '{{instance}}' },
            min: 0,
            max: 100,
            thresholds: steps('green', [a.cpuPercent.warning, 'orange']),
            w: widths[1] ?? 12,
            h,
          }),
          ...(opts.nodeExporter ? hostGauges(widths.slice(2), h) : []),
        ];
      })(),
    },
    {
      title: 'Logs',
      panels: opts.loki
        ? [
            logs({
              title: 'Service logs',
              description: `Log lines of the webhook service (Loki, service="${service}"), newest first.`,
              expr: `{service=${JSON.stringify(service)}}`,
              w: 24,
              h: 10,
            }),
          ]
        : [],
    },
    {
      title: 'Traces',
      panels: opts.jaeger
        ? [
            traces({
              title: 'Recent traces',
              description: `The latest traces of ${service} in Jaeger; open one by its trace id.`,
              service,
              w: 24,
              h: 8,
            }),
          ]
        : [],
    },
    {
      title: 'Reachability',
      panels: opts.blackbox
        ? [
            timeseries({
              title: 'Probe duration',
              description:
                "How long the blackbox exporter's probe of the webhook service's reachability route takes, per " +
                'probed URL (public: service.publicUrl, as Stripe reaches it; internal: inside the stack). No ' +
                'line: the probe failed.',
              unit: 's',
              queries: [
                {
                  expr: `${BLACKBOX.duration}{job="${BLACKBOX_JOB}"} and on (instance) ${BLACKBOX.success}{job="${BLACKBOX_JOB}"} == 1`,
                  legend: '{{probe}} {{instance}}',
                },
              ],
              w: 16,
              h: 8,
            }),
            stat({
              title: 'Certificate expiry',
              description:
                'Time left on the earliest-expiring TLS certificate each https URL presents. Orange and red at ' +
                'the WebhookCertificateExpiringSoon thresholds.',
              unit: 's',
              query: { expr: `${BLACKBOX.certExpiry}{job="${BLACKBOX_JOB}"} - time()`, legend: '{{instance}}' },
              thresholds: steps(
                'red',
                [a.certificateExpiryDays.critical * 86_400, 'orange'],
                [a.certificateExpiryDays.warning * 86_400, 'green'],
              ),
              w: 8,
              h: 8,
            }),
          ]
        : [],
    },
  ];

  return dashboard(
    DASHBOARD_UIDS.overview,
    'Webhook Overview',
    'Traffic, errors, latency, queue and resources of the Stripe webhook service at a glance.',
    layout(sections),
  );
}
