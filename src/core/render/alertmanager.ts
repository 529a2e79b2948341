import { secretPath } from '@wmon/contract';

import type { AlertmanagerFragment } from '../config/extensions.js';
import type { Config } from '../config/schema.js';
import { ALERT_INHIBIT_EQUAL, WATCHDOG_ALERT } from './rules.js';

export type Severity = 'critical' | 'warning' | 'info';
export const CHANNELS = ['email', 'slack', 'pagerduty', 'webhook', 'msteams', 'opsgenie'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * SPEC.md's routing: which channels each severity goes to. Opsgenie pages like PagerDuty; Teams informs
 * like Slack; the generic webhook gets everything (the receiving side filters).
 */
export const ROUTING: Record<Severity, readonly Channel[]> = {
  critical: ['email', 'slack', 'pagerduty', 'webhook', 'msteams', 'opsgenie'],
  warning: ['email', 'slack', 'webhook', 'msteams'],
  info: ['slack', 'webhook', 'msteams'],
};

/** The channels whose absence is worth a warning (SPEC.md's three); the others are opt-in extras. */
const EXPECTED_CHANNELS = ['email', 'slack', 'pagerduty'] as const satisfies readonly Channel[];

/** Secret files Alertmanager reads (inside its container), by secret name. */
export const ALERTMANAGER_SECRET_FILES = {
  smtpPassword: secretPath('smtpPassword'),
  slackWebhookUrl: secretPath('slackWebhookUrl'),
  pagerdutyRoutingKey: secretPath('pagerdutyRoutingKey'),
  genericWebhookUrl: secretPath('genericWebhookUrl'),
  msteamsWebhookUrl: secretPath('msteamsWebhookUrl'),
  opsgenieApiKey: secretPath('opsgenieApiKey'),
  heartbeatUrl: secretPath('heartbeatUrl'),
} as const;

/** The receiver of the Watchdog alert alone (notifications.heartbeat). */
export const HEARTBEAT_RECEIVER = 'heartbeat';

export interface AlertmanagerRender {
  readonly config: Record<string, unknown>;
  /** Human warnings, e.g. a channel that is not configured. */
  readonly warnings: readonly string[];
}

export function configuredChannels(config: Config): Channel[] {
  const n = config.notifications;
  return CHANNELS.filter((c) => n[c] !== undefined);
}

/**
 * alertmanager.yml: routes by severity (critical → email + Slack + PagerDuty, warning → email + Slack,
 * info → Slack), leaves out channels that are not configured (with a warning), always has a no-op default
 * receiver, and inhibits a warning while the critical alert of the same signal fires.
 */
export function buildAlertmanagerConfig(
  config: Config,
  grafanaUrl?: string,
  fragment?: AlertmanagerFragment,
): AlertmanagerRender {
  const n = config.notifications;
  const channels = configuredChannels(config);
  const warnings: string[] = [];
  for (const c of EXPECTED_CHANNELS) {
    if (!channels.includes(c)) {
      const severities = (Object.keys(ROUTING) as Severity[]).filter((s) => ROUTING[s].includes(c));
      warnings.push(
        `notifications.${c} is not configured: ${new Intl.ListFormat('en', { type: 'conjunction' }).format(severities)} alerts will not go to ${c === 'pagerduty' ? 'PagerDuty' : c === 'slack' ? 'Slack' : 'email'}.`,
      );
    }
  }

  const emailConfig = (): Record<string, unknown> => ({
    to: n.email!.to.join(', '),
    from: n.email!.from,
    smarthost: n.email!.smarthost,
    ...(n.email!.username ? { auth_username: n.email!.username } : {}),
    ...(n.email!.password ? { auth_password_file: ALERTMANAGER_SECRET_FILES.smtpPassword } : {}),
    require_tls: n.email!.requireTls,
    send_resolved: true,
    headers: { Subject: '[{{ .Status | toUpper }}] {{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }}' },
  });
  const slackConfig = (): Record<string, unknown> => ({
    api_url_file: ALERTMANAGER_SECRET_FILES.slackWebhookUrl,
    ...(n.slack!.channel ? { channel: n.slack!.channel } : {}),
    send_resolved: true,
    title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})',
    text: [
      '{{ range .Alerts }}*{{ .Annotations.summary }}*',
      '{{ .Annotations.description }}',
      '{{ if .Annotations.runbook_url }}Runbook: {{ .Annotations.runbook_url }}{{ end }}',
      '{{ if .Annotations.dashboard_url }}Dashboard: {{ .Annotations.dashboard_url }}{{ end }}',
      '{{ end }}',
    ].join('\n'),
  });
  const pagerdutyConfig = (): Record<string, unknown> => ({
    routing_key_file: ALERTMANAGER_SECRET_FILES.pagerdutyRoutingKey,
    send_resolved: true,
    severity: '{{ .CommonLabels.severity }}',
    description: '{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}',
    ...(grafanaUrl ? { client: 'wmon', client_url: grafanaUrl } : {}),
  });
  const webhookConfig = (): Record<string, unknown> => ({
    url_file: ALERTMANAGER_SECRET_FILES.genericWebhookUrl,
    send_resolved: true,
  });
  const msteamsConfig = (): Record<string, unknown> => ({
    webhook_url_file: ALERTMANAGER_SECRET_FILES.msteamsWebhookUrl,
    send_resolved: true,
    title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})',
    text: [
      '{{ range .Alerts }}**{{ .Annotations.summary }}**',
      '{{ .Annotations.description }}',
      '{{ if .Annotations.runbook_url }}Runbook: {{ .Annotations.runbook_url }}{{ end }}',
      '{{ if .Annotations.dashboard_url }}Dashboard: {{ .Annotations.dashboard_url }}{{ end }}',
      '{{ end }}',
    ].join('\n\n'),
  });
  const opsgenieConfig = (): Record<string, unknown> => ({
    api_key_file: ALERTMANAGER_SECRET_FILES.opsgenieApiKey,
    ...(n.opsgenie!.apiUrl ? { api_url: n.opsgenie!.apiUrl } : {}),
    send_resolved: true,
    message: '{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}',
    description: '{{ range .Alerts }}{{ .Annotations.description }}\n{{ end }}',
    priority: '{{ if eq .CommonLabels.severity "critical" }}P1{{ else }}P3{{ end }}',
    tags: 'wmon,{{ .CommonLabels.severity }}',
  });
  const builders: Record<Channel, { key: string; build: () => Record<string, unknown> }> = {
    email: { key: 'email_configs', build: emailConfig },
    slack: { key: 'slack_configs', build: slackConfig },
    pagerduty: { key: 'pagerduty_configs', build: pagerdutyConfig },
    webhook: { key: 'webhook_configs', build: webhookConfig },
    msteams: { key: 'msteamsv2_configs', build: msteamsConfig },
    opsgenie: { key: 'opsgenie_configs', build: opsgenieConfig },
  };

  const receivers: Array<Record<string, unknown>> = [{ name: 'default' }];
  // Watchdog first, and nowhere else (continue: false): it always fires, so it reaches the heartbeat
  // receiver every repeat_interval while Prometheus and Alertmanager work. It has severity none, which no
  // inhibit rule targets. Without a heartbeat it ends at the no-op default receiver.
  const routes: Array<Record<string, unknown>> = [
    {
      receiver: n.heartbeat ? HEARTBEAT_RECEIVER : 'default',
      matchers: [`alertname="${WATCHDOG_ALERT}"`],
      group_wait: '0s',
      group_interval: n.heartbeat?.repeatInterval ?? '5m',
      repeat_interval: n.heartbeat?.repeatInterval ?? '4h',
      continue: false,
    },
  ];
  if (n.heartbeat) {
    receivers.push({
      name: HEARTBEAT_RECEIVER,
      webhook_configs: [{ url_file: ALERTMANAGER_SECRET_FILES.heartbeatUrl, send_resolved: false }],
    });
  } else {
    warnings.push(
      "notifications.heartbeat is not configured: if Prometheus or Alertmanager dies, nothing tells you (set a dead man's switch URL).",
    );
  }
  for (const severity of Object.keys(ROUTING) as Severity[]) {
    const used = ROUTING[severity].filter((c) => channels.includes(c));
    if (used.length === 0) continue; // falls through to the no-op default receiver
    const receiver: Record<string, unknown> = { name: severity };
    for (const c of used) receiver[builders[c].key] = [builders[c].build()];
    receivers.push(receiver);
    routes.push({
      receiver: severity,
      matchers: [`severity="${severity}"`],
      ...(severity === 'critical' ? { group_wait: '10s', repeat_interval: '1h' } : {}),
    });
  }

  // notifications.configFragment: its routes after Watchdog's and before the severities' (so a route of yours
  // without `continue: true` takes what it matches), its receivers, inhibit rules and time intervals after wmon's.
  routes.splice(1, 0, ...((fragment?.route?.routes ?? []) as Array<Record<string, unknown>>));
  receivers.push(...((fragment?.receivers ?? []) as Array<Record<string, unknown>>));
  const global: Record<string, unknown> = { resolve_timeout: '5m' };
  return {
    warnings,
    config: {
      global,
      route: {
        receiver: 'default',
        group_by: ['alertname', 'severity'],
        group_wait: '30s',
        group_interval: '5m',
        repeat_interval: '4h',
        routes,
      },
      inhibit_rules: [
        {
          // The signal must be set on the source: Alertmanager treats two missing labels as equal, which
          // would let any critical alert silence every unrelated warning.
          source_matchers: ['severity="critical"', 'signal=~".+"'],
          target_matchers: ['severity="warning"'],
          equal: [...ALERT_INHIBIT_EQUAL],
        },
        ...((fragment?.inhibit_rules ?? []) as Array<Record<string, unknown>>),
      ],
      receivers,
      ...(fragment?.time_intervals ? { time_intervals: fragment.time_intervals } : {}),
    },
  };
}
