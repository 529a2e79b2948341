import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A user's rule file: an alert on their own job, a recording rule, in a group of their own. */
export const EXTRA_RULES = `groups:
  - name: orders-api
    rules:
      - record: orders:up:sum
        expr: sum(up{job="orders-api"})
      - alert: OrdersApiDown
        expr: up{job="orders-api"} == 0
        for: 1m
        labels: {severity: warning, team: orders}
        annotations: {summary: "orders-api {{ $labels.instance }} is down"}
`;

/** A dashboard of the user's, exported from Grafana. */
export const extraDashboard = (uid: string, title = 'Orders') =>
  `${JSON.stringify({ uid, title, schemaVersion: 41, panels: [], tags: ['orders'] }, null, 2)}\n`;

/** Alertmanager additions: a receiver, a route to it, an inhibit rule. */
export const ALERTMANAGER_FRAGMENT = (url: string) => `receivers:
  - name: orders-team
    webhook_configs:
      - url: ${url}
        send_resolved: false
route:
  routes:
    - receiver: orders-team
      matchers: ['team="orders"']
      group_wait: 1s
      continue: true
inhibit_rules:
  - source_matchers: ['alertname="OrdersApiDown"']
    target_matchers: ['alertname="OrdersApiSlow"']
    equal: [instance]
`;

export const PROMETHEUS_FRAGMENT = `global:
  scrape_timeout: 2s
  external_labels: {region: eu-west-1}
`;

/** The wmon.yaml lines that use the extension files: inside `prometheus:`, and the other top-level sections. */
export interface ExtensionYaml {
  /** Lines of the `prometheus:` section (indented two spaces), for a wmon.yaml that has its own. */
  readonly prometheusLines: string;
  /** `alerts:`, `grafana:` and `notifications:` sections. */
  readonly sections: string;
  /** Both, for a wmon.yaml without those sections. */
  readonly all: string;
}

/**
 * Write every extension file into `dir` (rules/, dashboards/, fragments) and return the wmon.yaml lines that
 * use them, with an extra scrape job `orders-api` of `extraTargets`.
 */
export async function writeExtensions(
  dir: string,
  opts: { readonly extraTargets: readonly string[]; readonly receiverUrl: string },
): Promise<ExtensionYaml> {
  await mkdir(path.join(dir, 'rules'), { recursive: true });
  await mkdir(path.join(dir, 'dashboards'), { recursive: true });
  await writeFile(path.join(dir, 'rules/orders.rules.yml'), EXTRA_RULES);
  await writeFile(path.join(dir, 'dashboards/orders.json'), extraDashboard('orders-main'));
  await writeFile(path.join(dir, 'am-fragment.yml'), ALERTMANAGER_FRAGMENT(opts.receiverUrl));
  await writeFile(path.join(dir, 'prom-fragment.yml'), PROMETHEUS_FRAGMENT);
  const prometheusLines = `  configFragment: prom-fragment.yml
  extraScrapeConfigs:
    - job_name: orders-api
      metrics_path: /metrics
      scheme: http
      static_configs:
        - targets: [${opts.extraTargets.join(', ')}]
          labels: {team: orders}
      relabel_configs:
        - source_labels: [__address__]
          regex: '([^:]+):\\d+'
          target_label: host
          replacement: '$1'
`;
  const sections = `alerts:
  extraRuleFiles: [rules/orders.rules.yml]
grafana:
  extraDashboards: dashboards
notifications:
  configFragment: am-fragment.yml
`;
  return { prometheusLines, sections, all: `prometheus:\n${prometheusLines}${sections}` };
}
