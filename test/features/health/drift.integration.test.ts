/**
 * Drift against what the real Prometheus and Alertmanager (the versions CI runs, scripts/versions.env)
 * print as their loaded configuration: every default filled in (Prometheus 3 adds metric-name validation
 * and escaping schemes, scrape protocols, histogram conversions, …), so the comparison must cover what wmon
 * sets and nothing else.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import {
  createAlertmanagerClient,
  createPrometheusClient,
  type PrometheusClient,
} from '../../../src/adapters/clients/index.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import type { RuleFile } from '../../../src/core/render/rules.js';
import { diffAlertmanagerConfig, diffPrometheusConfig, diffRules } from '../../../src/features/health/drift.js';
import { startRenderedDaemons, type Daemon } from '../../support/debian-daemons.js';

// Every channel, so every receiver and route is rendered.
const config = parseConfigText(
  `notifications:
  email: {to: [oncall@example.com], from: wmon@example.com, smarthost: 'smtp.example.com:587', username: wmon, password: {env: SMTP_PASSWORD}}
  slack: {webhookUrl: {env: SLACK_WEBHOOK_URL}, channel: '#alerts'}
  pagerduty: {routingKey: {env: PAGERDUTY_ROUTING_KEY}}
`,
  'wmon.yaml',
);
const files = renderStack(config).files;
const text = (p: string) => files.find((f) => f.path === p)!.contents;
const prometheusYml = text('prometheus/prometheus.yml');
const rulesPath = files.find((f) => f.path.startsWith('prometheus/rules/'))!.path;

let prometheus: Daemon | undefined;
let alertmanager: Daemon | undefined;
let prom: PrometheusClient;

beforeAll(async () => {
  ({ prometheus, alertmanager } = await startRenderedDaemons(files, prometheusYml));
  prom = createPrometheusClient({ baseUrl: prometheus.url, timeoutMs: 5000 });
});

afterAll(async () => {
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
});

describe('drift against the real dumps', () => {
  it('finds none when Prometheus loaded what wmon renders, though its dump adds its own defaults', async () => {
    const running = parse(await prom.statusConfig()) as {
      global: Record<string, unknown>;
      scrape_configs: Array<Record<string, unknown>>;
    };
    // Defaults wmon does not set, printed by the running Prometheus: not differences.
    expect(Object.keys(running.global)).toEqual(expect.arrayContaining(['scrape_timeout', 'scrape_protocols']));
    expect(Object.keys(running.scrape_configs[0]!)).toEqual(
      expect.arrayContaining(['metrics_path', 'scheme', 'scrape_protocols']),
    );
    expect(diffPrometheusConfig(parse(prometheusYml) as Record<string, unknown>, running)).toEqual([]);
    expect(diffRules(parse(text(rulesPath)) as RuleFile, await prom.rules())).toEqual([]);
  });

  it('names what wmon sets when it differs: an interval, a target, a label, an extra job', async () => {
    const changed = parse(prometheusYml) as {
      global: Record<string, unknown>;
      scrape_configs: Array<{
        job_name: string;
        static_configs: Array<{ targets: string[]; labels: Record<string, string> }>;
      }>;
    };
    changed.global.scrape_interval = '30s';
    const webhook = changed.scrape_configs.find((j) => j.job_name === 'webhook')!;
    webhook.static_configs[0]!.targets = ['webhook:9999'];
    webhook.static_configs[0]!.labels.component = 'other';
    changed.scrape_configs.push({ job_name: 'extra', static_configs: [{ targets: ['extra:1'], labels: {} }] });
    await writeFile(join(prometheus!.dir, 'prometheus.yml'), stringify(changed));
    await prom.reload();
    try {
      const running = parse(await prom.statusConfig()) as unknown;
      expect(diffPrometheusConfig(parse(prometheusYml) as Record<string, unknown>, running)).toEqual([
        'global.scrape_interval: running has "30s", wmon.yaml renders "15s"',
        'scrape_configs[webhook].static_configs[0].targets[0]: running has "webhook:9999", wmon.yaml renders "webhook:9464"',
        'scrape_configs[webhook].static_configs[0].labels.component: running has "other", wmon.yaml renders "webhook"',
        'scrape_configs "extra": in the running configuration, but wmon.yaml does not render it',
      ]);
    } finally {
      await writeFile(join(prometheus!.dir, 'prometheus.yml'), prometheusYml);
      await prom.reload();
    }
  });

  it('finds none when Alertmanager loaded what wmon renders, every channel included', async () => {
    const status = await createAlertmanagerClient({ baseUrl: alertmanager!.url, timeoutMs: 5000 }).status();
    expect(
      diffAlertmanagerConfig(
        parse(text('alertmanager/alertmanager.yml')) as Record<string, unknown>,
        parse(status.configYaml),
      ),
    ).toEqual([]);
  });
});
