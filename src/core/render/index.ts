import { createHash } from 'node:crypto';

import { NO_EXTENSIONS, type Extensions } from '../config/extensions.js';
import { handlerOf } from '../config/scrape.js';
import type { ComponentId, Config } from '../config/schema.js';
import { grafanaUrl, isEnabled, JAEGER_CONFIG_FILE } from '../model/stack.js';
import { buildAlertmanagerConfig } from './alertmanager.js';
import { BLACKBOX_CONFIG_FILE, buildBlackboxConfig, probeTargets } from './blackbox.js';
import { buildDashboards } from './dashboards/index.js';
import { buildDashboardProvider, buildDatasources, EXTRA_DASHBOARDS_DIR } from './grafana.js';
import { buildJaegerConfig } from './jaeger.js';
import { buildLokiConfig } from './loki.js';
import { ALERT_RULES_FILE, buildPrometheusConfig, RULES_DIR } from './prometheus.js';
import { buildAlertRules, type RuleFile } from './rules.js';
import { toJson, toYaml } from './yaml.js';

/** One generated file, relative to the stack directory (POSIX separators). */
export interface RenderedFile {
  readonly path: string;
  readonly component: ComponentId;
  readonly contents: string;
}

export interface RenderResult {
  readonly files: readonly RenderedFile[];
  /** Things the user should know (e.g. a notification channel that is not configured). */
  readonly warnings: readonly string[];
}

/**
 * Render every configuration file of the stack. A pure function of Config and the files it extends the stack
 * with (read beforehand by loadExtensions): the same input gives byte-identical output, and a component
 * switched off leaves no file and no reference behind.
 */
export function renderStack(config: Config, ext: Extensions = NO_EXTENSIONS): RenderResult {
  const files: RenderedFile[] = [];
  const warnings: string[] = [];
  const on = (id: ComponentId) => isEnabled(config, id);
  const add = (component: ComponentId, p: string, contents: string) => files.push({ path: p, component, contents });
  const grafana = on('grafana') ? grafanaUrl(config) : undefined;

  if (on('prometheus')) {
    add('prometheus', 'prometheus/prometheus.yml', toYaml(buildPrometheusConfig(config, ext)));
    add('prometheus', `prometheus/${ALERT_RULES_FILE}`, toYaml(alertRules(config)));
    // The user's rule files, copied as they are (Prometheus loads rules/*.yml).
    for (const r of ext.ruleFiles) add('prometheus', `prometheus/${r.fileName}`, r.text);
  }
  if (on('alertmanager')) {
    const am = buildAlertmanagerConfig(config, grafana, ext.alertmanager);
    warnings.push(...am.warnings);
    add('alertmanager', 'alertmanager/alertmanager.yml', toYaml(am.config));
  }
  if (on('grafana')) {
    add('grafana', 'grafana/provisioning/datasources/wmon.yaml', toYaml(buildDatasources(config)));
    add(
      'grafana',
      'grafana/provisioning/dashboards/wmon.yaml',
      toYaml(buildDashboardProvider(ext.dashboards.length > 0)),
    );
    for (const d of stackDashboards(config)) add('grafana', `grafana/dashboards/${d.fileName}`, toJson(d.dashboard));
    for (const d of ext.dashboards) add('grafana', `${EXTRA_DASHBOARDS_DIR}/${d.fileName}`, d.text);
  }
  if (on('loki')) add('loki', 'loki/loki.yaml', toYaml(buildLokiConfig(config)));
  if (on('jaeger')) add('jaeger', JAEGER_CONFIG_FILE, toYaml(buildJaegerConfig()));
  if (on('blackboxExporter')) {
    add('blackboxExporter', BLACKBOX_CONFIG_FILE, toYaml(buildBlackboxConfig(config)));
    if (probeTargets(config).length === 0) {
      warnings.push(
        'components.blackboxExporter has nothing to probe (the bundled service is off and service.publicUrl is not ' +
          'set): set service.publicUrl to the URL Stripe calls, or switch the blackbox exporter off.',
      );
    }
  }

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, warnings };
}

/** The alerting rules of the stack wmon.yaml describes (the local rule file; the Kubernetes PrometheusRule). */
export function alertRules(config: Config): RuleFile {
  const on = (id: ComponentId) => isEnabled(config, id);
  const grafana = on('grafana') ? grafanaUrl(config) : undefined;
  return buildAlertRules({
    alerts: config.alerts,
    webhook: on('webhook') || handlerOf(config) !== undefined,
    nodeExporter: on('nodeExporter'),
    alertmanager: on('alertmanager'),
    probes: on('blackboxExporter') ? probeTargets(config).map((t) => t.probe) : [],
    ...(grafana ? { grafanaUrl: grafana } : {}),
    reconcileInterval: on('webhook') && config.service.stripeApiKey ? config.service.reconcile.interval : false,
  });
}

/** Grafana's dashboards for the components wmon.yaml switches on. */
export function stackDashboards(
  config: Config,
  without: { readonly loki?: false; readonly jaeger?: false } = {},
): ReturnType<typeof buildDashboards> {
  const on = (id: ComponentId) => isEnabled(config, id);
  return buildDashboards({
    loki: without.loki ?? on('loki'),
    jaeger: without.jaeger ?? on('jaeger'),
    nodeExporter: on('nodeExporter'),
    blackbox: on('blackboxExporter') && probeTargets(config).length > 0,
    alerts: config.alerts,
  });
}

/** Every rule file under prometheus/rules/ (wmon's and the user's), each with its path. */
export function renderedRuleFiles(files: readonly RenderedFile[]): RenderedFile[] {
  return files.filter((f) => f.path.startsWith(`prometheus/${RULES_DIR}/`));
}

/** sha256 over a component's rendered files (path and contents), for change detection. */
export function filesHash(files: readonly RenderedFile[], component: ComponentId): string {
  const hash = createHash('sha256');
  for (const f of files) {
    if (f.component !== component) continue;
    hash.update(f.path).update('\0').update(f.contents).update('\0');
  }
  return hash.digest('hex');
}
