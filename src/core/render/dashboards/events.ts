/** Events: event type distribution; processing success rate; event volume trends; queue metrics. */
import {
  METRIC,
  NOT_PROBE_MATCH,
  histogramQuantile,
  processingSuccessRatio,
  QUEUE_BY_STATE,
  queueBacklog,
  series,
} from '../../vocab/webhook-queries.js';
import { dashboard, dashboardInputs, type DashboardOptions } from './common.js';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { RANGE, RATE_INTERVAL, layout, logs, pieChart, stat, steps, timeseries, type Section } from './panels.js';
import { DASHBOARD_UIDS } from './uids.js';

export function eventsDashboard(opts: DashboardOptions): Dashboard {
  const { a, service, successSteps } = dashboardInputs(opts);
  // wmon's probe events are left out of every panel (NOT_PROBE_MATCH).
  const processed = series('eventsProcessed', NOT_PROBE_MATCH);
  const byType = series('eventsByType', NOT_PROBE_MATCH);

  const sections: Section[] = [
    {
      title: 'Event types',
      panels: [
        pieChart({
          title: 'Event type distribution',
          description: 'Stripe events accepted over the selected time range, by event type.',
          unit: 'short',
          query: { expr: `sum by (type) (increase(${byType}[${RANGE}]))`, legend: '{{type}}' },
          w: 8,
          h: 9,
        }),
        timeseries({
          title: 'Event volume by type',
          description: 'Stripe events accepted per second, by event type (stacked).',
          unit: 'ops',
          stack: true,
          queries: [{ expr: `sum by (type) (rate(${byType}[${RATE_INTERVAL}]))`, legend: '{{type}}' }],
          w: 16,
          h: 9,
        }),
      ],
    },
    {
      title: 'Processing',
      panels: [
        stat({
          title: 'Processing success rate',
          description:
            'Processing attempts that succeeded over the selected range, as a share of all attempts (a failed ' +
            'attempt is retried; duplicates are not processed). Colours follow the error-rate alert thresholds.',
          unit: 'percentunit',
          query: { expr: processingSuccessRatio(RANGE) },
          instant: true,
          decimals: 2,
          thresholds: successSteps,
          w: 6,
          h: 8,
        }),
        timeseries({
          title: 'Success rate',
          description: 'Share of processing attempts that succeeded, over time.',
          unit: 'percentunit',
          max: 1,
          thresholds: successSteps,
          queries: [{ expr: processingSuccessRatio(RATE_INTERVAL), legend: 'success' }],
          w: 9,
          h: 8,
        }),
        timeseries({
          title: 'Outcomes',
          description:
            'Events handled per second, by outcome: success, failure (an attempt that will be retried), ' +
            'dead_letter (the last attempt failed) and duplicate (a repeated delivery, not processed again).',
          unit: 'ops',
          stack: true,
          queries: [{ expr: `sum by (outcome) (rate(${processed}[${RATE_INTERVAL}]))`, legend: '{{outcome}}' }],
          w: 9,
          h: 8,
        }),
      ],
    },
    {
      title: 'Event volume trends',
      panels: [
        timeseries({
          title: 'Accepted and finished',
          description:
            'New events accepted, events whose processing finished (success or dead letter) and duplicate ' +
            'deliveries, per second. Accepted above finished for long means the queue is growing.',
          unit: 'ops',
          queries: [
            { expr: `sum(rate(${byType}[${RATE_INTERVAL}]))`, legend: 'accepted' },
            {
              expr: `sum(rate(${series('eventsProcessed', { outcome: ['success', 'dead_letter'], ...NOT_PROBE_MATCH })}[${RATE_INTERVAL}]))`,
              legend: 'finished',
            },
            {
              expr: `sum(rate(${series('eventsProcessed', { outcome: 'duplicate', ...NOT_PROBE_MATCH })}[${RATE_INTERVAL}]))`,
              legend: 'duplicates',
            },
          ],
          w: 12,
          h: 8,
        }),
        timeseries({
          title: 'Processing time (p95) by type',
          description: '95th percentile of the time spent processing one event, per event type.',
          unit: 's',
          queries: [
            {
              expr: histogramQuantile('eventProcessingDuration', 0.95, RATE_INTERVAL, ['type']),
              legend: '{{type}}',
            },
          ],
          w: 12,
          h: 8,
        }),
      ],
    },
    {
      title: 'Queue',
      panels: [
        stat({
          title: 'Pending',
          description: 'Events waiting for a worker. Orange at the backlog alert threshold.',
          unit: 'short',
          query: { expr: queueBacklog('pending') },
          thresholds: steps('green', [a.queueBacklog.warning, 'orange']),
          w: 4,
          h: 8,
        }),
        stat({
          title: 'Processing',
          description: 'Events a worker is processing now.',
          unit: 'short',
          query: { expr: `sum(${series('queueSize', { state: 'processing' })})` },
          w: 4,
          h: 8,
        }),
        stat({
          title: 'Dead letters',
          description: 'Events that failed every attempt. Orange at the dead-letter alert threshold.',
          unit: 'short',
          query: { expr: queueBacklog('dead_letter') },
          thresholds: steps('green', [a.deadLetter.warning, 'orange']),
          w: 4,
          h: 8,
        }),
        timeseries({
          title: 'Queue size by state',
          description: 'Events in the queue over time, by state.',
          unit: 'short',
          queries: [{ expr: QUEUE_BY_STATE, legend: '{{state}}' }],
          w: 12,
          h: 8,
        }),
      ],
    },
    {
      title: 'Rejected deliveries',
      panels: [
        timeseries({
          title: 'Signature failures by reason',
          description:
            'Requests rejected by the Stripe signature check per second; dashed line at the alert threshold.',
          unit: 'reqps',
          stack: true,
          thresholds: steps('green', [a.signatureFailuresPerSecond.warning, 'orange']),
          queries: [
            {
              expr: `sum by (reason) (rate(${METRIC.signatureFailures}[${RATE_INTERVAL}]))`,
              legend: '{{reason}}',
            },
          ],
          w: 12,
          h: 8,
        }),
        timeseries({
          title: 'Rate-limited requests by scope',
          description: 'Requests answered 429 per second, by limit (client, global).',
          unit: 'reqps',
          stack: true,
          queries: [{ expr: `sum by (scope) (rate(${METRIC.rateLimited}[${RATE_INTERVAL}]))`, legend: '{{scope}}' }],
          w: 12,
          h: 8,
        }),
      ],
    },
    {
      title: 'Logs',
      panels: opts.loki
        ? [
            logs({
              title: 'Warnings and errors',
              description: `Log lines of ${service} at level warning or above (Loki), newest first.`,
              // pino-loki's level label: pino's warn, error and fatal become warning, error and critical.
              expr: `{service=${JSON.stringify(service)}, level=~"warning|error|critical"}`,
              w: 24,
              h: 10,
            }),
          ]
        : [],
    },
    {
      title: 'Delivery lag',
      panels: [
        timeseries({
          title: 'Delivery lag',
          description:
            "Time from an event's creation at Stripe to its acceptance (p50, p95). Minutes or hours mean Stripe " +
            'is retrying deliveries that failed earlier; dashed line at the WebhookDeliveryLagHigh threshold.',
          unit: 's',
          thresholds: steps('green', [a.deliveryLagP95Seconds.warning, 'orange']),
          queries: [
            { expr: histogramQuantile('eventDeliveryLag', 0.5, RATE_INTERVAL), legend: 'p50' },
            { expr: histogramQuantile('eventDeliveryLag', 0.95, RATE_INTERVAL), legend: 'p95' },
          ],
          w: 24,
          h: 8,
        }),
      ],
    },
    {
      title: 'Reconcile with Stripe',
      panels: [
        stat({
          title: 'Missing at last reconcile',
          description:
            "Events Stripe's List Events API returned that the service had not stored, found by the last " +
            'reconcile (WebhookEventsMissed fires above 0). `wmon reconcile` lists them; --replay recovers them.',
          unit: 'short',
          query: { expr: `max(${METRIC.reconcileMissing})` },
          thresholds: steps('green', [1, 'orange']),
          w: 6,
          h: 8,
        }),
        stat({
          title: 'Since last successful reconcile',
          description:
            'Time since the service last completed a reconcile with Stripe (no data: never, or no API key ' +
            'configured). WebhookReconcileStale fires after three intervals without one.',
          unit: 's',
          query: { expr: `time() - max(${METRIC.reconcileLastSuccess}) and max(${METRIC.reconcileLastSuccess}) > 0` },
          w: 6,
          h: 8,
        }),
        timeseries({
          title: 'Recovered events and reconcile errors',
          description:
            'Events recovered from Stripe (stored because their webhook never arrived), and failed reconciles by ' +
            'reason, per interval.',
          unit: 'short',
          queries: [
            { expr: `sum(increase(${METRIC.reconcileRecovered}[${RATE_INTERVAL}]))`, legend: 'recovered' },
            {
              expr: `sum by (reason) (increase(${METRIC.reconcileErrors}[${RATE_INTERVAL}])) > 0`,
              legend: 'error: {{reason}}',
            },
          ],
          w: 12,
          h: 8,
        }),
      ],
    },
  ];

  return dashboard(
    DASHBOARD_UIDS.events,
    'Webhook Events',
    'What the Stripe webhook service receives and how its processing goes: event types, outcomes, queue.',
    layout(sections),
  );
}
