/**
 * wmon.yaml's extensions rendered: your own handler, extra scrape jobs, rule files, dashboards and fragments.
 * promtool and amtool (the versions CI runs) accept what is rendered; a bad file is refused naming it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { writeRenderedFiles } from '../../../src/adapters/stack-dir/files.js';
import { loadExtensions } from '../../../src/core/config/extensions.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import { WmonError } from '../../../src/errors.js';
import { EXTRA_RULES, extraDashboard, writeExtensions } from '../../support/extensions.js';
import { tempDir } from '../../support/tmp.js';
import { promTool } from '../../support/tools.js';

const HANDLER = `components:
  webhook: {enabled: false}
handler:
  targets: ['host.containers.internal:3001', 'host.containers.internal:3002']
  metricsPrefix: payments_
  metricNames: {webhook_request_duration_seconds: http_request_duration_seconds}
  publicUrl: https://hooks.example.com/stripe
`;

async function extended(yaml = HANDLER) {
  const dir = await tempDir('wmon-ext-');
  const more = await writeExtensions(dir, {
    extraTargets: ['orders.internal:9100', '10.0.0.7:9100'],
    receiverUrl: 'http://orders.internal:9000/alerts',
  });
  const config = parseConfigText(yaml + more.all, path.join(dir, 'wmon.yaml'));
  return { dir, config, result: renderStack(config, loadExtensions(config, dir)) };
}

const file = (r: { files: readonly { path: string; contents: string }[] }, p: string) => {
  const f = r.files.find((x) => x.path === p);
  if (!f) throw new Error(`no ${p} in ${r.files.map((x) => x.path).join(', ')}`);
  return f.contents;
};

function refusal(fn: () => unknown): WmonError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WmonError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('extending the stack', () => {
  it('renders every extension, and promtool checks prometheus.yml with its rule files (wmon’s and yours)', async () => {
    const { dir, result } = await extended();
    const out = await tempDir('wmon-ext-out-');
    await writeRenderedFiles(out, result.files);
    const r = await execa(promTool('promtool'), ['check', 'config', path.join(out, 'prometheus/prometheus.yml')], {
      reject: false,
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 2 rule files found/);
    expect(r.stdout).toContain('rules/extra-orders-rules.yml');

    // Copied as it is; the dashboard too, under its own provider and folder.
    expect(file(result, 'prometheus/rules/extra-orders-rules.yml')).toBe(EXTRA_RULES);
    expect(file(result, 'grafana/dashboards-extra/orders.json')).toBe(extraDashboard('orders-main'));
    const providers = (
      parse(file(result, 'grafana/provisioning/dashboards/wmon.yaml')) as {
        providers: Array<{ folder: string; folderUid: string; options: { path: string } }>;
      }
    ).providers;
    expect(providers.map((p) => [p.folder, p.folderUid, p.options.path])).toEqual([
      ['Webhook', 'wmon-webhook', '/etc/grafana/wmon/dashboards'],
      ['Extra dashboards', 'wmon-extra', '/etc/grafana/wmon/dashboards-extra'],
    ]);

    const prom = parse(file(result, 'prometheus/prometheus.yml')) as {
      global: Record<string, unknown>;
      scrape_configs: Array<Record<string, unknown> & { job_name: string }>;
    };
    // The fragment's global settings beside wmon's; its labels cannot replace project and environment.
    expect(prom.global).toMatchObject({
      scrape_interval: '15s',
      scrape_timeout: '2s',
      external_labels: { region: 'eu-west-1', project: 'wmon', environment: 'development' },
    });
    const jobs = new Map(prom.scrape_configs.map((j) => [j.job_name, j]));
    expect(jobs.get('orders-api')).toMatchObject({
      static_configs: [{ targets: ['orders.internal:9100', '10.0.0.7:9100'], labels: { team: 'orders' } }],
    });
    // The handler is the webhook job: its names renamed onto the contract's at scrape time.
    expect(jobs.get('webhook')).toEqual({
      job_name: 'webhook',
      static_configs: [
        {
          targets: ['host.containers.internal:3001', 'host.containers.internal:3002'],
          labels: { component: 'webhook' },
        },
      ],
      metric_relabel_configs: [
        {
          source_labels: ['__name__'],
          regex: 'http_request_duration_seconds(_bucket|_sum|_count)?',
          target_label: '__name__',
          replacement: 'webhook_request_duration_seconds$1',
        },
        { source_labels: ['__name__'], regex: 'payments_(.+)', target_label: '__name__', replacement: 'webhook_$1' },
      ],
    });
    // Its public URL probed as it is, by a module that takes any answer but a server error.
    const blackbox = jobs.get('blackbox-exporter')!;
    expect(blackbox.params).toEqual({ module: ['handler_reachability'] });
    expect(blackbox.static_configs).toEqual([
      { targets: ['https://hooks.example.com/stripe'], labels: { component: 'blackbox-exporter', probe: 'public' } },
    ]);
    expect(Object.keys((parse(file(result, 'blackbox-exporter/blackbox.yml')) as { modules: object }).modules)).toEqual(
      ['handler_reachability', 'webhook_reachability'],
    );
    // The webhook alerts are rendered for it, as for the bundled service.
    const rules = parse(file(result, 'prometheus/rules/webhook-alerts.yml')) as { groups: Array<{ name: string }> };
    expect(rules.groups.map((g) => g.name)).toContain('wmon-silence');
    expect(dir).toBeTruthy();
  });

  it('merges the Alertmanager fragment into what wmon renders, and amtool accepts the result', async () => {
    const { result } = await extended();
    const text = file(result, 'alertmanager/alertmanager.yml');
    const out = await tempDir('wmon-ext-am-');
    await writeFile(path.join(out, 'alertmanager.yml'), text);
    const r = await execa(promTool('amtool'), ['check-config', path.join(out, 'alertmanager.yml')], { reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const am = parse(text) as {
      route: { routes: Array<{ receiver: string; matchers: string[] }> };
      receivers: Array<{ name: string }>;
      inhibit_rules: unknown[];
    };
    // After Watchdog's route, before the severities'.
    expect(am.route.routes.map((x) => x.receiver).slice(0, 2)).toEqual(['default', 'orders-team']);
    expect(am.route.routes[0]!.matchers).toEqual(['alertname="Watchdog"']);
    expect(am.receivers.map((x) => x.name)).toEqual(['default', 'orders-team']);
    expect(am.inhibit_rules).toHaveLength(2);
  });

  it('keeps service.scrapeTarget working, as the short form of handler', () => {
    const config = parseConfigText(
      'components:\n  webhook: {enabled: false}\nservice:\n  scrapeTarget: host.containers.internal:8080\n',
      'wmon.yaml',
    );
    const prom = parse(file(renderStack(config), 'prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string }>;
    };
    expect(prom.scrape_configs.find((j) => j.job_name === 'webhook')).toEqual({
      job_name: 'webhook',
      static_configs: [{ targets: ['host.containers.internal:8080'], labels: { component: 'webhook' } }],
    });
  });

  it.each([
    ['handler with the bundled service on', 'handler: {targets: ["h:1"]}\n', 'handler: monitors your own handler'],
    [
      'handler and service.scrapeTarget',
      'components: {webhook: {enabled: false}}\nservice: {scrapeTarget: "h:1"}\nhandler: {targets: ["h:2"]}\n',
      'service.scrapeTarget: is the older form of handler.targets',
    ],
    [
      'a job wmon renders',
      'prometheus:\n  extraScrapeConfigs: [{job_name: webhook, static_configs: [{targets: ["h:1"]}]}]\n',
      'prometheus.extraScrapeConfigs[0].job_name: is a job wmon renders itself',
    ],
    [
      'a field Prometheus does not have',
      'prometheus:\n  extraScrapeConfigs: [{job_name: a, static_configs: [{targets: ["h:1"]}], scrape_intervall: 5s}]\n',
      'prometheus.extraScrapeConfigs[0].scrape_intervall: unknown key; did you mean "scrape_interval"?',
    ],
    [
      'a password in wmon.yaml',
      'prometheus:\n  extraScrapeConfigs: [{job_name: a, static_configs: [{targets: ["h:1"]}], basic_auth: {username: u, password: p}}]\n',
      'basic_auth.password: unknown key',
    ],
    [
      'a scrape timeout longer than the interval',
      'prometheus:\n  extraScrapeConfigs: [{job_name: a, static_configs: [{targets: ["h:1"]}], scrape_interval: 5s, scrape_timeout: 10s}]\n',
      "prometheus.extraScrapeConfigs[0].scrape_timeout: is longer than the job's scrape interval (5s)",
    ],
    [
      'a metric name the contract does not have',
      'components: {webhook: {enabled: false}}\nhandler: {targets: ["h:1"], metricNames: {webhook_requests: reqs}}\n',
      'handler.metricNames.webhook_requests',
    ],
  ])('refuses %s in wmon.yaml', (_what, yaml, message) => {
    const e = refusal(() => parseConfigText(yaml, 'wmon.yaml'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(message);
  });

  it('refuses a bad rule file, naming it', async () => {
    const dir = await tempDir('wmon-ext-bad-');
    const bad = path.join(dir, 'bad.yml');
    await writeFile(bad, 'groups:\n  - name: mine\n    rules:\n      - alert: Broken\n        expr: rate(up[5m]\n');
    const config = parseConfigText('alerts:\n  extraRuleFiles: [bad.yml]\n', path.join(dir, 'wmon.yaml'));
    const e = refusal(() => loadExtensions(config, dir));
    expect(e.code).toBe('EXTENSION_INVALID');
    expect(e.exit).toBe(78);
    expect(e.message).toContain(
      `alerts.extraRuleFiles: ${bad} is invalid: .groups[0].rules[0].expr: is not valid PromQL`,
    );

    await writeFile(bad, 'groups:\n  - name: wmon-webhook\n    rules: []\n');
    expect(refusal(() => loadExtensions(config, dir)).message).toContain('must not start with wmon-');
    const missing = parseConfigText('alerts:\n  extraRuleFiles: [nope.yml]\n', path.join(dir, 'wmon.yaml'));
    expect(refusal(() => loadExtensions(missing, dir)).message).toBe(
      `alerts.extraRuleFiles: ${path.join(dir, 'nope.yml')} cannot be used: does not exist`,
    );
    await writeFile(bad, Buffer.alloc(1024 * 1024 + 1, 0x20));
    expect(refusal(() => loadExtensions(config, dir)).message).toMatch(
      /cannot be used: is 1048577 bytes; it may have at most 1048576 bytes/,
    );
  });

  it('refuses a dashboard whose uid another one has, naming both paths', async () => {
    const dir = await tempDir('wmon-ext-uid-');
    const config = parseConfigText('grafana:\n  extraDashboards: dash\n', path.join(dir, 'wmon.yaml'));
    await writeExtensions(dir, { extraTargets: ['a:1'], receiverUrl: 'http://a:1/' });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'dash'));
    await writeFile(path.join(dir, 'dash/a.json'), extraDashboard('same-uid', 'A'));
    await writeFile(path.join(dir, 'dash/b.json'), extraDashboard('same-uid', 'B'));
    const e = refusal(() => loadExtensions(config, dir));
    expect(e.code).toBe('EXTENSION_INVALID');
    expect(e.message).toBe(
      `grafana.extraDashboards: ${path.join(dir, 'dash/b.json')} has uid same-uid, which ${path.join(dir, 'dash/a.json')} has too: Grafana would keep only one of them`,
    );
    await writeFile(path.join(dir, 'dash/b.json'), extraDashboard('wmon-overview', 'B'));
    expect(refusal(() => loadExtensions(config, dir)).message).toBe(
      `grafana.extraDashboards: ${path.join(dir, 'dash/b.json')} has uid wmon-overview, which wmon's own dashboard grafana/dashboards/overview.json has too: Grafana would keep only one of them`,
    );
  });

  it('refuses a fragment that routes to a receiver it does not define, or replaces one of wmon’s', async () => {
    const dir = await tempDir('wmon-ext-am-bad-');
    const config = parseConfigText('notifications:\n  configFragment: f.yml\n', path.join(dir, 'wmon.yaml'));
    await writeFile(path.join(dir, 'f.yml'), 'route:\n  routes: [{receiver: nobody}]\n');
    expect(refusal(() => loadExtensions(config, dir)).message).toContain(
      'routes to receiver nobody, which it does not define (it defines default)',
    );
    await writeFile(path.join(dir, 'f.yml'), 'receivers: [{name: critical, webhook_configs: [{url: "http://a/"}]}]\n');
    expect(refusal(() => loadExtensions(config, dir)).message).toContain('is a receiver wmon renders');
    const prom = parseConfigText('prometheus:\n  configFragment: p.yml\n', path.join(dir, 'wmon.yaml'));
    await writeFile(path.join(dir, 'p.yml'), 'global: {scrape_interval: 1s}\n');
    expect(refusal(() => loadExtensions(prom, dir)).message).toContain('.global: Unrecognized key: "scrape_interval"');
    await writeFile(path.join(dir, 'p.yml'), 'global: {scrape_timeout: 20s}\n');
    expect(refusal(() => loadExtensions(prom, dir)).message).toBe(
      `prometheus.configFragment: ${path.join(dir, 'p.yml')} sets scrape_timeout 20s, longer than prometheus.scrapeInterval (15s): Prometheus refuses that`,
    );
  });
});
