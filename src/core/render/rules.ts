/**
 * Prometheus alerting rules for the webhook service and the scrape targets (SPEC.md "Alerts").
 *
 * Returns plain data in a fixed key order; the render orchestrator serialises it to YAML. Every rule
 * compares with `>=` (or `== 0` for up/down gauges): an alert fires AT its configured threshold, which is
 * what the promtool suite in test/promtool/ shows on both sides of each boundary, run with the promtool of
 * the oldest Prometheus wmon supports (src/core/model/versions.ts). No optional rule feature is set
 * (keep_firing_for, group limit, query_offset).
 */
import type { AlertThresholds } from '../config/alerts.js';
import { DASHBOARD_UIDS, type DashboardKey } from './dashboards/uids.js';
import { durationSeconds } from '../vocab/durations.js';
import {
  METRIC,
  NOT_PROBE_MATCH,
  errorRatio,
  histogramQuantile,
  memoryRatio,
  nodeMetric,
  requestLatencyQuantile,
  series,
} from '../vocab/webhook-queries.js';
import { NODE_EXPORTER_JOB, WEBHOOK_JOB } from './prometheus.js';
import { BLACKBOX_JOB, type ProbeKind } from './blackbox.js';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Labels every alert carries besides `severity`. `signal` names what is measured (errors, latency, …):
 * the warning and the critical alert of one signal share it, so Alertmanager can inhibit the warning while
 * the critical one fires with `equal: [signal, job]` (every alert keeps its `job` label).
 */
export const ALERT_INHIBIT_EQUAL = ['signal', 'job'] as const;

export interface AlertLabels {
  /** `none` only for Watchdog, which always fires and goes to the heartbeat receiver alone. */
  readonly severity: Severity | 'none';
  /**
   * The part of the system the alert is about: webhook, database, cache or queue. TargetDown sets none, so
   * the `component` label that prometheus.yml gives each scrape target (alertmanager, loki, …) says which
   * component is down.
   */
  readonly component?: string;
  readonly signal: string;
}

export interface AlertAnnotations {
  readonly summary: string;
  readonly description: string;
  /** Only when `alerts.runbookBaseUrl` is set: `<base>/<alert>.md`. */
  readonly runbook_url?: string;
  /** Only when Grafana is on (a `grafanaUrl` was given). */
  readonly dashboard_url?: string;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: AlertLabels;
  readonly annotations: AlertAnnotations;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertingRule[];
}

export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

export interface RulesOptions {
  readonly alerts: AlertThresholds;
  /** Whether Prometheus scrapes a webhook service (bundled, or service.scrapeTarget); default true. */
  readonly webhook?: boolean;
  /** Whether node exporter runs (the host alerts); default true. */
  readonly nodeExporter?: boolean;
  /** Whether Alertmanager runs (Watchdog, its failed notifications); default true. */
  readonly alertmanager?: boolean;
  /** Grafana's external base URL for the dashboard links; leave out when Grafana is off. */
  readonly grafanaUrl?: string;
  /**
   * What the blackbox exporter probes (WebhookEndpointUnreachable needs `public`, the certificate alerts any
   * probe); default both. Empty when the exporter is off.
   */
  readonly probes?: readonly ProbeKind[];
}

/** What one alert is, before the URLs are attached. */
interface AlertDefinition {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: AlertLabels;
  readonly summary: string;
  readonly description: string;
  readonly dashboard: DashboardKey;
}

/** Window of the rates and quantiles the alerts compare (SPEC.md's figures are over 5 minutes). */
const RATE_WINDOW = '5m';
/** Window over which a backlog must not have shrunk for WebhookQueueBacklog to fire. */
const BACKLOG_WINDOW = '10m';

const ratio = (percent: number): number => percent / 100;
const seconds = (ms: number): number => ms / 1000;
const percentText = (percent: number): string => `${percent}%`;
const durationText = (ms: number): string => (ms < 1000 ? `${ms}ms` : `${ms / 1000}s`);

/** The file name of an alert's runbook, in the package's runbooks/ folder and under `alerts.runbookBaseUrl`. */
export function runbookFile(alert: string): string {
  return `${alert}.md`;
}

function webhookAlerts(a: AlertThresholds): AlertDefinition[] {
  /** The service cannot reach its database or cache: readiness fails, with `effect` on the events. */
  const dependencyDown = (
    what: 'database' | 'cache',
    metric: string,
    duration: string,
    effect: string,
  ): AlertDefinition => ({
    alert: what === 'database' ? 'WebhookDatabaseDown' : 'WebhookCacheDown',
    expr: `${metric} == 0`,
    for: duration,
    labels: { severity: 'critical', component: what, signal: what },
    summary: `Webhook service {{ $labels.instance }} cannot reach its ${what}`,
    description: `${metric} has been 0 on {{ $labels.instance }} (job {{ $labels.job }}) for ${duration}: readiness fails and ${effect}`,
    dashboard: 'performance',
  });
  const errors = (level: 'critical' | 'warning'): AlertDefinition => {
    const threshold = a.errorRatePercent[level];
    const duration = level === 'critical' ? a.errorRatePercent.criticalFor : a.errorRatePercent.warningFor;
    return {
      alert: level === 'critical' ? 'WebhookHighErrorRate' : 'WebhookErrorRateElevated',
      expr: `${errorRatio(RATE_WINDOW, ['job'])} >= ${ratio(threshold)}`,
      for: duration,
      labels: { severity: level, component: 'webhook', signal: 'errors' },
      summary:
        level === 'critical'
          ? 'Webhook error rate is {{ $value | humanizePercentage }} on {{ $labels.job }}'
          : 'Webhook error rate is elevated at {{ $value | humanizePercentage }} on {{ $labels.job }}',
      description:
        `Errors per webhook request on {{ $labels.job }} have been at or above the ${level} threshold of ` +
        `${percentText(threshold)} for ${duration} (now {{ $value | humanizePercentage }} over ${RATE_WINDOW}). ` +
        'Stripe retries failed deliveries, so events are delayed until the cause is fixed.',
      dashboard: 'overview',
    };
  };
  const latency = (level: 'critical' | 'warning'): AlertDefinition => {
    const threshold = a.latencyP95Ms[level];
    const duration = level === 'critical' ? a.latencyP95Ms.criticalFor : a.latencyP95Ms.warningFor;
    return {
      alert: level === 'critical' ? 'WebhookHighLatency' : 'WebhookLatencyElevated',
      expr: `${requestLatencyQuantile(0.95, RATE_WINDOW, ['job'])} >= ${seconds(threshold)}`,
      for: duration,
      labels: { severity: level, component: 'webhook', signal: 'latency' },
      summary:
        level === 'critical'
          ? 'Webhook p95 latency is {{ $value | humanizeDuration }} on {{ $labels.job }}'
          : 'Webhook p95 latency is elevated at {{ $value | humanizeDuration }} on {{ $labels.job }}',
      description:
        `The 95th percentile of webhook request durations on {{ $labels.job }} has been at or above the ${level} ` +
        `threshold of ${durationText(threshold)} for ${duration} (now {{ $value | humanizeDuration }} over ` +
        `${RATE_WINDOW}). Slow answers risk Stripe's delivery timeout, and timed-out deliveries are retried.`,
      dashboard: 'performance',
    };
  };

  return [
    errors('critical'),
    latency('critical'),
    dependencyDown(
      'database',
      METRIC.dbUp,
      a.databaseDownFor,
      'incoming events cannot be stored, so Stripe deliveries fail and are retried later.',
    ),
    dependencyDown(
      'cache',
      METRIC.cacheUp,
      a.cacheDownFor,
      'lookups that need the cache (duplicate detection, customer records) fail or slow down.',
    ),
    errors('warning'),
    latency('warning'),
    {
      alert: 'WebhookHighMemory',
      expr: `${memoryRatio()} >= ${ratio(a.memoryPercent.warning)}`,
      for: a.memoryPercent.for,
      labels: { severity: 'warning', component: 'webhook', signal: 'memory' },
      summary: 'Webhook service {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory limit',
      description:
        `Resident memory of {{ $labels.instance }} has been at or above ${percentText(a.memoryPercent.warning)} ` +
        `of the memory available to it (cgroup limit or host memory) for ${a.memoryPercent.for}. ` +
        'At the limit the process is killed and in-flight requests fail.',
      dashboard: 'performance',
    },
    {
      alert: 'WebhookHighCPU',
      expr: `${METRIC.cpuUsage} >= ${a.cpuPercent.warning}`,
      for: a.cpuPercent.for,
      labels: { severity: 'warning', component: 'webhook', signal: 'cpu' },
      summary: 'Webhook service {{ $labels.instance }} uses {{ $value | humanize }}% CPU',
      description:
        `CPU usage of {{ $labels.instance }} (percent of one core) has been at or above ` +
        `${percentText(a.cpuPercent.warning)} for ${a.cpuPercent.for}; requests and event processing slow ` +
        'down as it saturates.',
      dashboard: 'performance',
    },
    {
      alert: 'WebhookSignatureFailureSpike',
      expr:
        `sum by (job) (rate(${METRIC.signatureFailures}[${RATE_WINDOW}])) >= ` +
        `${a.signatureFailuresPerSecond.warning}`,
      for: a.signatureFailuresPerSecond.for,
      labels: { severity: 'warning', component: 'webhook', signal: 'signatures' },
      summary: 'Webhook signature failures at {{ $value | printf "%.3g" }}/s on {{ $labels.job }}',
      description:
        `Requests to {{ $labels.job }} have failed Stripe signature verification at or above ` +
        `${a.signatureFailuresPerSecond.warning}/s for ${a.signatureFailuresPerSecond.for} ` +
        '(now {{ $value | printf "%.3g" }}/s): a wrong or rotated webhook secret (then every delivery fails), ' +
        'clock skew beyond the tolerance, or someone probing the endpoint.',
      dashboard: 'events',
    },
    {
      alert: 'WebhookQueueBacklog',
      expr:
        `${series('queueSize', { state: 'pending' })} >= ${a.queueBacklog.warning}` +
        ` and delta(${series('queueSize', { state: 'pending' })}[${BACKLOG_WINDOW}]) >= 0`,
      for: a.queueBacklog.for,
      labels: { severity: 'warning', component: 'queue', signal: 'backlog' },
      summary: 'Webhook queue backlog of {{ $value | printf "%.0f" }} pending events on {{ $labels.instance }}',
      description:
        `The number of events waiting for processing on {{ $labels.instance }} has been at or above ` +
        `${a.queueBacklog.warning} for ${a.queueBacklog.for} and has not shrunk over the last ${BACKLOG_WINDOW}: ` +
        'the workers are stuck, failing, or too few for the incoming volume.',
      dashboard: 'events',
    },
    {
      alert: 'WebhookDeadLetters',
      expr: `${series('queueSize', { state: 'dead_letter' })} >= ${a.deadLetter.warning}`,
      for: a.deadLetter.for,
      labels: { severity: 'warning', component: 'queue', signal: 'dead-letters' },
      summary: 'Webhook queue holds {{ $value | printf "%.0f" }} dead-lettered event(s) on {{ $labels.instance }}',
      description:
        `The number of dead-lettered events on {{ $labels.instance }} has been at or above ${a.deadLetter.warning} ` +
        `for ${a.deadLetter.for}: events that failed every processing attempt stay unprocessed until the cause ` +
        'is fixed and they are replayed.',
      dashboard: 'events',
    },
    {
      alert: 'WebhookRateLimiting',
      expr: `sum by (job, scope) (rate(${METRIC.rateLimited}[${RATE_WINDOW}])) >= ` + `${a.rateLimitedPerSecond.info}`,
      for: a.rateLimitedPerSecond.for,
      labels: { severity: 'info', component: 'webhook', signal: 'rate-limiting' },
      summary: 'Webhook {{ $labels.scope }} rate limit active at {{ $value | printf "%.3g" }}/s on {{ $labels.job }}',
      description:
        `{{ $labels.job }} has answered 429 to at least ${a.rateLimitedPerSecond.info} requests/s ` +
        `(scope {{ $labels.scope }}) for ${a.rateLimitedPerSecond.for}. Stripe retries them later; a global ` +
        'limit that is hit by real traffic is set too low, a client limit means one sender is very busy.',
      dashboard: 'overview',
    },
    {
      alert: 'WebhookDeliveryLagHigh',
      expr: `${histogramQuantile('eventDeliveryLag', 0.95, RATE_WINDOW, ['job'])} >= ${a.deliveryLagP95Seconds.warning}`,
      for: a.deliveryLagP95Seconds.for,
      labels: { severity: 'warning', component: 'webhook', signal: 'delivery-lag' },
      summary: 'Stripe events reach {{ $labels.job }} {{ $value | humanizeDuration }} late (p95)',
      description:
        `The 95th percentile of the time from an event's creation at Stripe to its acceptance by {{ $labels.job }} ` +
        `has been at or above ${a.deliveryLagP95Seconds.warning}s for ${a.deliveryLagP95Seconds.for} (now ` +
        `{{ $value | humanizeDuration }} over ${RATE_WINDOW}): Stripe is retrying deliveries that failed earlier ` +
        '(the endpoint was unreachable, answered errors or timed out), so events arrive late.',
      dashboard: 'events',
    },
  ];
}

/** Answers 2xx to Stripe's deliveries: events the endpoint accepted (new or duplicate). */
const ACCEPTED = series('requestsTotal', { route: '/webhooks/stripe', ...NOT_PROBE_MATCH }).replace(
  /}$/,
  ', status=~"2.."}',
);
/** Stripe's deliveries: wmon's probe is left out, so a cron job probing every few minutes hides no silence. */
const DELIVERIES = series('requestsTotal', { route: '/webhooks/stripe', ...NOT_PROBE_MATCH });

/**
 * Per job, a value when an accepted-events series was born inside `window`: increase() misses the first
 * increment of a counter that appears at its first event (after a restart, the service exports no 2xx
 * series until it answers one), so a series present in the window but not at its start counts as traffic.
 */
function bornWithin(window: string): string {
  return `count by (job) (last_over_time(${ACCEPTED}[${window}]) unless ${ACCEPTED} offset ${window})`;
}

/** Silence: the error-rate alerts divide by traffic, so none of them fires when events stop arriving. */
function silenceAlerts(a: AlertThresholds): AlertDefinition[] {
  const alerts: AlertDefinition[] = [];
  const w = a.silenceWindow;
  if (w !== 0 && (durationSeconds(w) ?? 0) > 0) {
    alerts.push({
      alert: 'WebhookNoEventsReceived',
      expr:
        `(sum by (job) (increase(${ACCEPTED}[${w}])) == 0 unless on (job) ${bornWithin(w)})` +
        // No such series in the whole window, though the service was scraped at its start: a new stack
        // fires only after a full window.
        ` or (sum by (job) (absent_over_time(${ACCEPTED.replace('{', `{job="${WEBHOOK_JOB}", `)}[${w}]))` +
        ` and on (job) max by (job) (up{job="${WEBHOOK_JOB}"} offset ${w}))`,
      for: '0s',
      labels: { severity: 'warning', component: 'webhook', signal: 'silence' },
      summary: 'No Stripe event accepted by {{ $labels.job }} for ' + w,
      description:
        `{{ $labels.job }} has answered no Stripe delivery with 2xx for ${w} (or has no such series at all, ` +
        'e.g. after a restart). Either nothing is sent (the endpoint is disabled or deleted in Stripe, or no ' +
        'event happened), or deliveries do not reach the service (DNS, TLS, ingress, firewall).',
      dashboard: 'overview',
    });
  }
  alerts.push({
    alert: 'WebhookNoEventsAccepted',
    expr:
      `sum by (job) (increase(${DELIVERIES}[${a.noEventsAcceptedFor}])) > 0` +
      ` unless on (job) (sum by (job) (increase(${ACCEPTED}[${a.noEventsAcceptedFor}])) > 0)` +
      ` unless on (job) ${bornWithin(a.noEventsAcceptedFor)}`,
    for: '0s',
    labels: { severity: 'critical', component: 'webhook', signal: 'acceptance' },
    summary: 'Stripe deliveries reach {{ $labels.job }} but none was accepted for ' + a.noEventsAcceptedFor,
    description:
      `Requests to the webhook route of {{ $labels.job }} arrived over the last ${a.noEventsAcceptedFor}, and ` +
      'not one was answered 2xx: a rotated or wrong signing secret, a broken deploy, or the database down. ' +
      'Stripe retries, then disables the endpoint after days of failures.',
    dashboard: 'events',
  });
  return alerts;
}

/** Reachability from outside: the blackbox exporter's probes of the webhook service. */
function probeAlerts(a: AlertThresholds, probes: readonly ProbeKind[]): AlertDefinition[] {
  const alerts: AlertDefinition[] = [];
  if (probes.includes('public')) {
    alerts.push({
      alert: 'WebhookEndpointUnreachable',
      expr: `probe_success{job="${BLACKBOX_JOB}", probe="public"} == 0`,
      for: a.endpointUnreachableFor,
      labels: { severity: 'critical', component: 'webhook', signal: 'reachability' },
      summary: 'Stripe cannot reach the webhook endpoint {{ $labels.instance }}',
      description:
        `The probe of the public webhook URL {{ $labels.instance }} has failed for ${a.endpointUnreachableFor}: ` +
        'what Stripe calls does not answer (DNS, TLS, proxy or ingress, firewall, or the service down). Stripe ' +
        'retries, and disables the endpoint after days of failed deliveries.',
      dashboard: 'overview',
    });
  }
  if (probes.length > 0) {
    const c = a.certificateExpiryDays;
    const daysLeft = `(probe_ssl_earliest_cert_expiry{job="${BLACKBOX_JOB}"} - time()) / 86400`;
    for (const level of ['critical', 'warning'] as const) {
      alerts.push({
        alert: 'WebhookCertificateExpiringSoon',
        expr: `${daysLeft} <= ${c[level]}`,
        for: c.for,
        labels: { severity: level, component: 'webhook', signal: 'certificate' },
        summary: 'The TLS certificate of {{ $labels.instance }} expires in {{ $value | printf "%.1f" }} days',
        description:
          `The earliest-expiring certificate that {{ $labels.instance }} presents has ${c[level]} days or fewer ` +
          'left (now {{ $value | printf "%.1f" }} days): when it expires, Stripe refuses the TLS connection and ' +
          'every delivery fails. Renew it (or fix the renewal that did not run).',
        dashboard: 'overview',
      });
    }
  }
  return alerts;
}

/** The filesystem node exporter sees as / : in its container, the engine's storage, where the volumes live. */
const ROOT_FS = '{mountpoint="/"}';

/** How far back HostDiskFillingUp fits its line. */
const DISK_TREND_WINDOW = '6h';

function hostAlerts(a: AlertThresholds): AlertDefinition[] {
  const avail = `${nodeMetric('node_filesystem_avail_bytes')}${ROOT_FS}`;
  const freeRatio = `${avail} / ${nodeMetric('node_filesystem_size_bytes')}${ROOT_FS}`;
  const disk = (level: 'critical' | 'warning'): AlertDefinition => {
    const used = a.diskUsedPercent[level];
    return {
      alert: level === 'critical' ? 'HostDiskSpaceCritical' : 'HostDiskSpaceLow',
      expr: `${freeRatio} <= ${(100 - used) / 100}`,
      for: a.diskUsedPercent.for,
      labels: { severity: level, component: 'host', signal: 'disk' },
      summary: 'Disk {{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} free',
      description:
        `The filesystem holding the containers' volumes (Prometheus's data among them) has been at least ` +
        `${percentText(used)} full for ${a.diskUsedPercent.for} (free now {{ $value | humanizePercentage }}). ` +
        "When it is full, Prometheus stops writing samples and the service's database fails.",
      dashboard: 'performance',
    };
  };
  const horizon = durationSeconds(a.diskFillsWithin.warning) ?? 86_400;
  return [
    disk('critical'),
    disk('warning'),
    {
      alert: 'HostDiskFillingUp',
      expr: `predict_linear(${avail}[${DISK_TREND_WINDOW}], ${horizon}) < 0`,
      for: a.diskFillsWithin.for,
      labels: { severity: 'warning', component: 'host', signal: 'disk-trend' },
      summary: 'Disk {{ $labels.mountpoint }} on {{ $labels.instance }} fills up within ' + a.diskFillsWithin.warning,
      description:
        `At the rate of the last ${DISK_TREND_WINDOW}, the filesystem holding the containers' volumes ` +
        `(Prometheus's data among them) runs out of space within ${a.diskFillsWithin.warning}; the trend has held ` +
        `for ${a.diskFillsWithin.for}.`,
      dashboard: 'performance',
    },
    {
      alert: 'HostMemoryLow',
      expr:
        `${nodeMetric('node_memory_MemAvailable_bytes')} / ${nodeMetric('node_memory_MemTotal_bytes')} <= ` +
        `${ratio(a.hostMemoryAvailablePercent.warning)}`,
      for: a.hostMemoryAvailablePercent.for,
      labels: { severity: 'warning', component: 'host', signal: 'host-memory' },
      summary: 'Host {{ $labels.instance }} has {{ $value | humanizePercentage }} of its memory available',
      description:
        `Memory available on the host has been at or under ${percentText(a.hostMemoryAvailablePercent.warning)} ` +
        `for ${a.hostMemoryAvailablePercent.for}: the kernel is about to kill processes (OOM), containers of the ` +
        'stack or the webhook service among them.',
      dashboard: 'performance',
    },
    {
      alert: 'NodeExporterDown',
      expr: `absent(up{job="${NODE_EXPORTER_JOB}"}) or up{job="${NODE_EXPORTER_JOB}"} == 0`,
      for: a.nodeExporterDownFor,
      labels: { severity: 'warning', component: 'host', signal: 'availability' },
      summary: 'Node exporter is down: no host metrics (disk, memory) are collected',
      description:
        `Prometheus has had no host metrics from node exporter for ${a.nodeExporterDownFor}: the host alerts ` +
        '(disk full or filling up, memory low) cannot fire until it is back.',
      dashboard: 'performance',
    },
  ];
}

/** The Watchdog alert's name: always firing, routed to the heartbeat receiver alone (alertmanager.ts). */
export const WATCHDOG_ALERT = 'Watchdog';

/** Monitor the monitor: a heartbeat, and Prometheus's and Alertmanager's own failures. */
function monitoringAlerts(withAlertmanager: boolean): AlertDefinition[] {
  const perInstance = (expr: string) => `sum by (job, instance) (${expr})`;
  const prometheus = (
    alert: string,
    expr: string,
    severity: Severity,
    forDuration: string,
    signal: string,
    summary: string,
    description: string,
  ): AlertDefinition => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity, component: 'prometheus', signal },
    summary,
    description,
    dashboard: 'overview',
  });
  const alerts: AlertDefinition[] = [];
  if (withAlertmanager) {
    alerts.push({
      alert: WATCHDOG_ALERT,
      expr: 'vector(1)',
      for: '0s',
      labels: { severity: 'none', component: 'monitoring', signal: 'heartbeat' },
      summary: 'Watchdog: Prometheus evaluates rules and Alertmanager delivers them',
      description:
        'This alert always fires, on purpose. Alertmanager sends it to the heartbeat receiver ' +
        '(notifications.heartbeat) every minute; when it stops arriving there, Prometheus or Alertmanager is down, ' +
        "and the dead man's switch on the other side raises the alarm.",
      dashboard: 'overview',
    });
  }
  alerts.push(
    prometheus(
      'PrometheusRuleEvaluationFailures',
      `${perInstance('increase(prometheus_rule_evaluation_failures_total[5m])')} > 0`,
      'critical',
      '5m',
      'rule-evaluation',
      'Prometheus {{ $labels.instance }} fails to evaluate alert rules',
      'Rule evaluations have failed on {{ $labels.instance }} for 5m ({{ $value | printf "%.0f" }} in the last 5m): ' +
        'the alerts of the failing rules cannot fire.',
    ),
    prometheus(
      'PrometheusNotificationsFailing',
      `${perInstance('increase(prometheus_notifications_errors_total[5m])')} > 0` +
        ` or ${perInstance('increase(prometheus_notifications_dropped_total[5m])')} > 0`,
      'critical',
      '5m',
      'notifications',
      'Prometheus {{ $labels.instance }} fails to send alerts to Alertmanager',
      'Alerts sent from {{ $labels.instance }} to Alertmanager have failed or been dropped for 5m: ' +
        'alerts do not reach any receiver.',
    ),
    prometheus(
      'PrometheusConfigReloadFailed',
      'max_over_time(prometheus_config_last_reload_successful[5m]) == 0',
      'warning',
      '10m',
      'config-reload',
      'Prometheus {{ $labels.instance }} failed to load its configuration',
      'The last configuration reload of {{ $labels.instance }} failed 10m ago or more: Prometheus runs an older ' +
        'configuration than the one rendered (run `wmon render` and `promtool check config`).',
    ),
    prometheus(
      'PrometheusTSDBCompactionsFailing',
      `${perInstance('increase(prometheus_tsdb_compactions_failed_total[3h])')} > 0`,
      'warning',
      '0s',
      'tsdb-compaction',
      'Prometheus {{ $labels.instance }} failed to compact its storage',
      'Prometheus on {{ $labels.instance }} had {{ $value | printf "%.0f" }} failed TSDB compaction(s) in the last 3h: ' +
        'its data grows on disk and queries slow down; a full or failing disk is the usual cause.',
    ),
    prometheus(
      'PrometheusTSDBWALCorruptions',
      `${perInstance('increase(prometheus_tsdb_wal_corruptions_total[3h])')} > 0`,
      'warning',
      '0s',
      'tsdb-wal',
      'Prometheus {{ $labels.instance }} found its write-ahead log corrupted',
      'Prometheus on {{ $labels.instance }} found {{ $value | printf "%.0f" }} corruption(s) of its write-ahead log in ' +
        'the last 3h: recent samples may be lost (an unclean shutdown, a full or failing disk).',
    ),
    prometheus(
      'PrometheusTargetSampleLimitHit',
      `sum by (job, instance) (increase(prometheus_target_scrapes_exceeded_sample_limit_total[5m])) > 0`,
      'warning',
      '5m',
      'sample-limit',
      'Prometheus {{ $labels.instance }} drops scrapes over their sample limit',
      "Scrapes on {{ $labels.instance }} have exceeded their target's sample_limit for 5m and were dropped whole: " +
        "that target's metrics are missing (a new high-cardinality metric?).",
    ),
  );
  if (withAlertmanager) {
    alerts.push({
      alert: 'AlertmanagerNotificationsFailing',
      expr: 'sum by (job, instance, integration) (increase(alertmanager_notifications_failed_total[5m])) > 0',
      for: '5m',
      labels: { severity: 'critical', component: 'alertmanager', signal: 'delivery' },
      summary: 'Alertmanager fails to deliver notifications to {{ $labels.integration }}',
      description:
        'Alertmanager on {{ $labels.instance }} has failed to deliver {{ $value | printf "%.0f" }} notification(s) ' +
        'to {{ $labels.integration }} in the last 5m, for 5m: people are not told about alerts (a wrong or ' +
        'revoked secret, the receiver down, no network).',
      dashboard: 'overview',
    });
  }
  return alerts;
}

function targetAlerts(a: AlertThresholds): AlertDefinition[] {
  return [
    {
      alert: 'TargetDown',
      expr: 'up == 0',
      for: a.targetDownFor,
      labels: { severity: 'critical', signal: 'availability' },
      summary: 'Scrape target {{ $labels.job }} at {{ $labels.instance }} is down',
      description:
        `Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for ${a.targetDownFor}: ` +
        'the component is down or unreachable, and alerts that need its metrics cannot fire until it is back.',
      dashboard: 'overview',
    },
  ];
}

function toRule(def: AlertDefinition, opts: RulesOptions): AlertingRule {
  const grafana = opts.grafanaUrl?.replace(/\/+$/, '');
  const runbooks = opts.alerts.runbookBaseUrl?.replace(/\/+$/, '');
  return {
    alert: def.alert,
    expr: def.expr,
    for: def.for,
    labels: {
      severity: def.labels.severity,
      ...(def.labels.component ? { component: def.labels.component } : {}),
      signal: def.labels.signal,
    },
    annotations: {
      summary: def.summary,
      description: def.description,
      ...(runbooks ? { runbook_url: `${runbooks}/${runbookFile(def.alert)}` } : {}),
      ...(grafana ? { dashboard_url: `${grafana}/d/${DASHBOARD_UIDS[def.dashboard]}` } : {}),
    },
  };
}

/** The alerting rules, thresholds and durations taken from wmon.yaml's `alerts:` section. */
export function buildAlertRules(opts: RulesOptions): RuleFile {
  return {
    groups: [
      { name: 'wmon-webhook', rules: webhookAlerts(opts.alerts).map((def) => toRule(def, opts)) },
      ...(opts.webhook === false
        ? []
        : [{ name: 'wmon-silence', rules: silenceAlerts(opts.alerts).map((def) => toRule(def, opts)) }]),
      ...(opts.nodeExporter === false
        ? []
        : [{ name: 'wmon-host', rules: hostAlerts(opts.alerts).map((def) => toRule(def, opts)) }]),
      {
        name: 'wmon-monitoring',
        rules: monitoringAlerts(opts.alertmanager !== false).map((def) => toRule(def, opts)),
      },
      { name: 'wmon-targets', rules: targetAlerts(opts.alerts).map((def) => toRule(def, opts)) },
      ...((opts.probes ?? ['public', 'internal']).length === 0
        ? []
        : [
            {
              name: 'wmon-probes',
              rules: probeAlerts(opts.alerts, opts.probes ?? ['public', 'internal']).map((def) => toRule(def, opts)),
            },
          ]),
    ],
  };
}
