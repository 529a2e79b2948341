import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import { tempDir } from '../../support/tmp.js';
import { promTool } from '../../support/tools.js';

const CHANNELS = {
  email:
    '  email:\n    to: [oncall@example.com, lead@example.com]\n    from: wmon@example.com\n    smarthost: smtp.example.com:587\n    username: wmon\n    password: {env: SMTP_PASSWORD}\n',
  slack: "  slack:\n    webhookUrl: {env: SLACK_WEBHOOK_URL}\n    channel: '#alerts'\n",
  pagerduty: '  pagerduty:\n    routingKey: {file: /run/secrets/pd}\n',
  heartbeat: '  heartbeat:\n    url: {env: HEARTBEAT_URL}\n',
  webhook: '  webhook:\n    url: {file: /run/secrets/hook}\n',
  msteams: '  msteams:\n    webhookUrl: {env: TEAMS_WEBHOOK_URL}\n',
  opsgenie: '  opsgenie:\n    apiKey: {file: /run/secrets/opsgenie}\n',
} as const;
type Channel = keyof typeof CHANNELS;

function render(channels: readonly Channel[]) {
  const yaml = channels.length === 0 ? '' : `notifications:\n${channels.map((c) => CHANNELS[c]).join('')}`;
  const result = renderStack(parseConfigText(yaml, 'wmon.yaml'));
  const file = result.files.find((f) => f.path === 'alertmanager/alertmanager.yml')!;
  return { text: file.contents, config: parse(file.contents), warnings: result.warnings };
}

async function amtoolCheck(text: string) {
  const dir = await tempDir('wmon-am-');
  const file = path.join(dir, 'alertmanager.yml');
  await writeFile(file, text);
  return execa(promTool('amtool'), ['check-config', file], { reject: false });
}

/** The receiver a severity routes to, and the integrations it has. */
function integrations(
  config: {
    route: { routes: Array<{ receiver: string; matchers: string[] }> };
    receivers: Array<Record<string, unknown>>;
  },
  severity: string,
): string[] {
  const route = config.route.routes.find((r) => r.matchers.includes(`severity="${severity}"`));
  const receiver = config.receivers.find((r) => r.name === (route?.receiver ?? 'default'))!;
  return Object.keys(receiver)
    .filter((k) => k.endsWith('_configs'))
    .sort();
}

const ALL = ['email', 'slack', 'pagerduty', 'webhook', 'msteams', 'opsgenie', 'heartbeat'] as const;
/** Nothing, everything, and each receiver alone. */
const cases: Array<readonly Channel[]> = [[], ALL, ...ALL.map((c) => [c])];

describe('alertmanager.yml', () => {
  it.each(cases)('passes amtool check-config with channels [%s]', async (...channels) => {
    const { text } = render(channels);
    const r = await amtoolCheck(text);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  it('routes critical to email, Slack and PagerDuty; warning to email and Slack; info to Slack', () => {
    const { config, warnings } = render(['email', 'slack', 'pagerduty', 'heartbeat']);
    expect(integrations(config, 'critical')).toEqual(['email_configs', 'pagerduty_configs', 'slack_configs']);
    expect(integrations(config, 'warning')).toEqual(['email_configs', 'slack_configs']);
    expect(integrations(config, 'info')).toEqual(['slack_configs']);
    expect(warnings).toEqual([]);
  });

  it('routes every severity to the generic webhook and Teams, and only critical to Opsgenie', () => {
    const { config } = render(ALL);
    expect(integrations(config, 'critical')).toEqual([
      'email_configs',
      'msteamsv2_configs',
      'opsgenie_configs',
      'pagerduty_configs',
      'slack_configs',
      'webhook_configs',
    ]);
    expect(integrations(config, 'warning')).toEqual([
      'email_configs',
      'msteamsv2_configs',
      'slack_configs',
      'webhook_configs',
    ]);
    expect(integrations(config, 'info')).toEqual(['msteamsv2_configs', 'slack_configs', 'webhook_configs']);
    const { config: opsgenieOnly, warnings } = render(['opsgenie']);
    expect(integrations(opsgenieOnly, 'critical')).toEqual(['opsgenie_configs']);
    expect(integrations(opsgenieOnly, 'warning')).toEqual([]);
    // The optional receivers are not missed when absent: only SPEC.md's three (and the heartbeat) are.
    expect(warnings.some((w) => /webhook|msteams|opsgenie/.test(w))).toBe(false);
  });

  it('reads secrets from files, never inline', () => {
    const { config, text } = render(ALL);
    const critical = config.receivers.find((r: { name: string }) => r.name === 'critical');
    expect(critical.email_configs[0]).toMatchObject({
      to: 'oncall@example.com, lead@example.com',
      auth_username: 'wmon',
      auth_password_file: '/run/secrets/wmon/smtp_password',
    });
    expect(critical.slack_configs[0]).toMatchObject({
      api_url_file: '/run/secrets/wmon/slack_webhook_url',
      channel: '#alerts',
    });
    expect(critical.pagerduty_configs[0].routing_key_file).toBe('/run/secrets/wmon/pagerduty_routing_key');
    expect(critical.webhook_configs[0].url_file).toBe('/run/secrets/wmon/webhook_url');
    expect(critical.msteamsv2_configs[0].webhook_url_file).toBe('/run/secrets/wmon/msteams_webhook_url');
    expect(critical.opsgenie_configs[0].api_key_file).toBe('/run/secrets/wmon/opsgenie_api_key');
    expect(text).not.toMatch(/\b(api_url|routing_key|auth_password|url|webhook_url|api_key):/);
  });

  it("sends Opsgenie alerts to the configured API (e.g. Opsgenie's EU instance), with a priority by severity", async () => {
    const yaml = 'notifications:\n  opsgenie:\n    apiKey: {env: OG}\n    apiUrl: https://api.eu.opsgenie.com/\n';
    const file = renderStack(parseConfigText(yaml, 'wmon.yaml')).files.find((f) => f.path.startsWith('alertmanager/'))!;
    const critical = parse(file.contents).receivers.find((r: { name: string }) => r.name === 'critical');
    expect(critical.opsgenie_configs[0]).toMatchObject({
      api_key_file: '/run/secrets/wmon/opsgenie_api_key',
      api_url: 'https://api.eu.opsgenie.com/',
      priority: '{{ if eq .CommonLabels.severity "critical" }}P1{{ else }}P3{{ end }}',
    });
    const r = await amtoolCheck(file.contents);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  it('with no channel, sends everything to a no-op default receiver and warns about each channel', () => {
    const { config, warnings } = render([]);
    expect(config.route.receiver).toBe('default');
    expect(config.route.routes).toEqual([
      {
        receiver: 'default',
        matchers: ['alertname="Watchdog"'],
        group_wait: '0s',
        group_interval: '5m',
        repeat_interval: '4h',
        continue: false,
      },
    ]);
    expect(config.receivers).toEqual([{ name: 'default' }]);
    expect(warnings).toEqual([
      'notifications.email is not configured: critical and warning alerts will not go to email.',
      'notifications.slack is not configured: critical, warning, and info alerts will not go to Slack.',
      'notifications.pagerduty is not configured: critical alerts will not go to PagerDuty.',
      "notifications.heartbeat is not configured: if Prometheus or Alertmanager dies, nothing tells you (set a dead man's switch URL).",
    ]);
  });

  it('with PagerDuty alone, routes only critical alerts', () => {
    const { config } = render(['pagerduty']);
    expect(integrations(config, 'critical')).toEqual(['pagerduty_configs']);
    expect(integrations(config, 'warning')).toEqual([]);
    expect(integrations(config, 'info')).toEqual([]);
  });

  it('routes Watchdog first and only to the heartbeat receiver, every repeatInterval, never inhibited', () => {
    const yaml = 'notifications:\n  heartbeat:\n    url: {file: /run/secrets/hb}\n    repeatInterval: 2m\n';
    const file = renderStack(parseConfigText(yaml, 'wmon.yaml')).files.find((f) => f.path.startsWith('alertmanager/'))!;
    const config = parse(file.contents);
    expect(config.route.routes[0]).toEqual({
      receiver: 'heartbeat',
      matchers: ['alertname="Watchdog"'],
      group_wait: '0s',
      group_interval: '2m',
      repeat_interval: '2m',
      continue: false,
    });
    expect(config.receivers).toContainEqual({
      name: 'heartbeat',
      webhook_configs: [{ url_file: '/run/secrets/wmon/heartbeat_url', send_resolved: false }],
    });
    // Watchdog has severity none, which no inhibit rule targets.
    for (const rule of config.inhibit_rules) expect(rule.target_matchers).toEqual(['severity="warning"']);
    expect(file.contents).not.toMatch(/\burl: /);
  });

  it('inhibits a warning while the critical alert of the same signal fires', () => {
    const { config } = render([]);
    expect(config.inhibit_rules).toEqual([
      {
        source_matchers: ['severity="critical"', 'signal=~".+"'],
        target_matchers: ['severity="warning"'],
        equal: ['signal', 'job'],
      },
    ]);
  });
});
