import type { Config } from '../config/schema.js';
import { CONTAINER_PORTS, DNS_NAMES, isEnabled } from '../model/stack.js';

/** Folder (relative to prometheus.yml) holding the rendered rule files. */
export const RULES_DIR = 'rules';
export const ALERT_RULES_FILE = `${RULES_DIR}/webhook-alerts.yml`;

/** The scrape job of the webhook service (bundled, or service.scrapeTarget). */
export const WEBHOOK_JOB = 'webhook';
/** The scrape job of node exporter (the host alerts). */
export const NODE_EXPORTER_JOB = 'node-exporter';

interface ScrapeJob {
  job_name: string;
  metrics_path?: string;
  static_configs: Array<{ targets: string[]; labels: { component: string } }>;
}

function job(name: string, target: string, component: string): ScrapeJob {
  return { job_name: name, static_configs: [{ targets: [target], labels: { component } }] };
}

/** prometheus.yml: scrapes itself and every enabled component that exports metrics; loads the rules. */
export function buildPrometheusConfig(config: Config): Record<string, unknown> {
  const on = (id: Parameters<typeof isEnabled>[1]) => isEnabled(config, id);
  const at = (id: keyof typeof DNS_NAMES) => `${DNS_NAMES[id]}:${CONTAINER_PORTS[id]}`;

  const jobs: ScrapeJob[] = [job('prometheus', `localhost:${CONTAINER_PORTS.prometheus}`, 'prometheus')];
  if (on('alertmanager')) jobs.push(job('alertmanager', at('alertmanager'), 'alertmanager'));
  if (on('nodeExporter')) jobs.push(job(NODE_EXPORTER_JOB, at('nodeExporter'), 'node-exporter'));
  if (on('webhook')) jobs.push(job(WEBHOOK_JOB, at('webhook'), 'webhook'));
  else if (config.service.scrapeTarget) jobs.push(job(WEBHOOK_JOB, config.service.scrapeTarget, 'webhook'));
  if (on('grafana')) jobs.push(job('grafana', at('grafana'), 'grafana'));
  if (on('loki')) jobs.push(job('loki', at('loki'), 'loki'));

  return {
    global: {
      scrape_interval: config.prometheus.scrapeInterval,
      evaluation_interval: config.prometheus.evaluationInterval,
      external_labels: { project: config.project, environment: config.environment },
    },
    // Relative to this file: the same config works in the container and with promtool on the host.
    rule_files: [`${RULES_DIR}/*.yml`],
    ...(on('alertmanager')
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [at('alertmanager')] }] }] } }
      : {}),
    scrape_configs: jobs,
  };
}
