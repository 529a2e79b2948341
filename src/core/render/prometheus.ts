import { SECRETS_MOUNT_DIR, secretPath } from '@wmon/contract';

import { NO_EXTENSIONS, type Extensions } from '../config/extensions.js';
import { handlerOf, type HandlerConfig } from '../config/scrape.js';
import type { Config } from '../config/schema.js';
import type { BasicAuth as BasicAuthRef, SecretRef } from '../config/secret-ref.js';
import {
  prometheusSecretFile,
  remoteWriteName,
  type PrometheusSecretOwner,
  type RemoteWrite,
} from '../config/storage.js';
import { CONTAINER_PORTS, DNS_NAMES, isEnabled } from '../model/stack.js';
import { BLACKBOX_JOB, probeModule, probeTargets, type ProbeTarget } from './blackbox.js';
import { clientTlsConfig } from './web-config.js';

/** Folder (relative to prometheus.yml) holding the rendered rule files. */
export const RULES_DIR = 'rules';
export const ALERT_RULES_FILE = `${RULES_DIR}/webhook-alerts.yml`;

/** The scrape job of the webhook service (bundled, or your own handler: `handler`, service.scrapeTarget). */
export const WEBHOOK_JOB = 'webhook';
/** The scrape job of node exporter (the host alerts). */
export const NODE_EXPORTER_JOB = 'node-exporter';

interface ScrapeJob {
  job_name: string;
  metrics_path?: string;
  scheme?: 'http' | 'https';
  params?: Record<string, string[]>;
  basic_auth?: BasicAuth;
  tls_config?: { ca_file: string; server_name: string };
  static_configs: Array<{ targets: string[]; labels: { component: string; probe?: string } }>;
  relabel_configs?: Array<Record<string, unknown>>;
  metric_relabel_configs?: Array<Record<string, unknown>>;
}

interface BasicAuth {
  username: string;
  password_file: string;
}

/** Where Prometheus reads wmon.yaml's auth password (its secrets folder). */
export const AUTH_PASSWORD_FILE = secretPath('authPassword');

/** How Prometheus reaches the components that read a web configuration: basic auth, and HTTPS with `auth.tls`. */
interface WebClient {
  readonly basic_auth: BasicAuth;
  readonly scheme?: 'https';
  readonly tls_config?: { ca_file: string; server_name: string };
}

function job(name: string, target: string, component: string, auth?: WebClient): ScrapeJob {
  return {
    job_name: name,
    ...auth,
    static_configs: [{ targets: [target], labels: { component } }],
  };
}

/**
 * The blackbox exporter's multi-target pattern: each target is a URL, passed as `/probe?target=…&module=…`
 * to the exporter, and kept as the series' `instance`. `up` of this job says the exporter answers;
 * `probe_success` says the URL does.
 */
function probeJob(targets: readonly ProbeTarget[], module: string, exporter: string, auth?: WebClient): ScrapeJob {
  return {
    job_name: BLACKBOX_JOB,
    metrics_path: '/probe',
    params: { module: [module] },
    // The exporter serves wmon's web configuration like the other exporters: auth, and TLS with auth.tls.
    ...auth,
    static_configs: targets.map((t) => ({
      targets: [t.url],
      labels: { component: DNS_NAMES.blackboxExporter, probe: t.probe },
    })),
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: exporter },
    ],
  };
}

/**
 * The handler's names onto the contract's (what the rules and dashboards query), at scrape time: each
 * `metricNames` entry (with a histogram's `_bucket`, `_sum`, `_count`), then `metricsPrefix` → `webhook_`.
 * Prometheus anchors the regular expressions at both ends.
 */
export function handlerRenames(h: HandlerConfig): Array<Record<string, unknown>> {
  const renames: Array<Record<string, unknown>> = Object.entries(h.metricNames ?? {}).flatMap(([to, from]) =>
    from === undefined || from === to
      ? []
      : [
          {
            source_labels: ['__name__'],
            regex: `${from}(_bucket|_sum|_count)?`,
            target_label: '__name__',
            replacement: `${to}$1`,
          },
        ],
  );
  if (h.metricsPrefix !== undefined && h.metricsPrefix !== 'webhook_') {
    renames.push({
      source_labels: ['__name__'],
      regex: `${h.metricsPrefix}(.+)`,
      target_label: '__name__',
      replacement: 'webhook_$1',
    });
  }
  return renames;
}

function handlerJob(h: HandlerConfig): ScrapeJob {
  const renames = handlerRenames(h);
  return {
    job_name: WEBHOOK_JOB,
    ...(h.metricsPath === '/metrics' ? {} : { metrics_path: h.metricsPath }),
    ...(h.scheme === 'http' ? {} : { scheme: h.scheme }),
    static_configs: [{ targets: [...h.targets], labels: { component: 'webhook' } }],
    ...(renames.length > 0 ? { metric_relabel_configs: renames } : {}),
  };
}

/** prometheus.yml: scrapes itself and every enabled component that exports metrics; loads the rules. */
export function buildPrometheusConfig(config: Config, ext: Extensions = NO_EXTENSIONS): Record<string, unknown> {
  const on = (id: Parameters<typeof isEnabled>[1]) => isEnabled(config, id);
  const at = (id: keyof typeof DNS_NAMES) => `${DNS_NAMES[id]}:${CONTAINER_PORTS[id]}`;

  // With auth, Prometheus, Alertmanager and the node exporter want it from Prometheus too.
  const auth: WebClient | undefined = config.auth
    ? {
        basic_auth: { username: config.auth.username, password_file: AUTH_PASSWORD_FILE },
        ...(config.auth.tls ? { scheme: 'https' as const, ...clientTlsConfig(config) } : {}),
      }
    : undefined;
  const jobs: ScrapeJob[] = [job('prometheus', `localhost:${CONTAINER_PORTS.prometheus}`, 'prometheus', auth)];
  if (on('alertmanager')) jobs.push(job('alertmanager', at('alertmanager'), 'alertmanager', auth));
  if (on('nodeExporter')) jobs.push(job(NODE_EXPORTER_JOB, at('nodeExporter'), 'node-exporter', auth));
  // The service's internal listener: its public port (the one Stripe reaches) serves no metrics.
  if (on('webhook')) jobs.push(job(WEBHOOK_JOB, `${DNS_NAMES.webhook}:${CONTAINER_PORTS.webhookInternal}`, 'webhook'));
  const handler = handlerOf(config);
  if (handler) jobs.push(handlerJob(handler));
  if (on('grafana')) jobs.push(job('grafana', at('grafana'), 'grafana'));
  if (on('loki')) jobs.push(job('loki', at('loki'), 'loki'));
  // Jaeger 2 serves its own metrics (OpenTelemetry collector telemetry) on its metrics port.
  if (on('jaeger')) jobs.push(job('jaeger', `${DNS_NAMES.jaeger}:${CONTAINER_PORTS.jaegerMetrics}`, 'jaeger'));
  const probes = on('blackboxExporter') ? probeTargets(config) : [];
  if (probes.length > 0) jobs.push(probeJob(probes, probeModule(config), at('blackboxExporter'), auth));
  // The user's own jobs, as written (validated against Prometheus's fields by the schema), after wmon's; their
  // basicAuth and bearerToken become the files wmon writes into Prometheus's secrets folder.
  const extra = config.prometheus.extraScrapeConfigs.map(({ basicAuth, bearerToken, ...rest }, i) => ({
    ...rest,
    ...credentialFiles('scrape', i, { basicAuth, bearerToken }),
  }));
  const extraGlobal = ext.prometheus?.global ?? {};
  const { external_labels: extraLabels, ...otherGlobal } = extraGlobal;

  const p = config.prometheus;
  return {
    global: {
      scrape_interval: p.scrapeInterval,
      evaluation_interval: p.evaluationInterval,
      ...otherGlobal,
      external_labels: {
        ...extraLabels,
        project: config.project,
        environment: config.environment,
        ...p.externalLabels,
      },
    },
    // Relative to this file: the same config works in the container and with promtool on the host.
    rule_files: [`${RULES_DIR}/*.yml`],
    ...(on('alertmanager')
      ? {
          alerting: {
            // The replica label would make the replicas' copies of an alert two alerts to a clustered Alertmanager.
            ...(p.replicaLabel ? { alert_relabel_configs: [{ action: 'labeldrop', regex: p.replicaLabel }] } : {}),
            alertmanagers: [{ ...auth, static_configs: [{ targets: [at('alertmanager')] }] }],
          },
        }
      : {}),
    scrape_configs: [...jobs, ...extra],
    ...(p.remoteWrite.length > 0 ? { remote_write: p.remoteWrite.map(remoteWrite) } : {}),
  };
}

/** wmon.yaml's queue keys and Prometheus's queue_config names. */
const QUEUE_KEYS = {
  capacity: 'capacity',
  minShards: 'min_shards',
  maxShards: 'max_shards',
  maxSamplesPerSend: 'max_samples_per_send',
  batchSendDeadline: 'batch_send_deadline',
  minBackoff: 'min_backoff',
  maxBackoff: 'max_backoff',
} as const satisfies Record<keyof NonNullable<RemoteWrite['queue']>, string>;

/** One remote_write entry: credentials only as files in Prometheus's secrets folder, never their values. */
function remoteWrite(r: RemoteWrite, index: number): Record<string, unknown> {
  const queue = Object.entries(r.queue ?? {}).filter(([, v]) => v !== undefined);
  return {
    url: r.url,
    name: remoteWriteName(r, index),
    ...(Object.keys(r.headers).length > 0 ? { headers: r.headers } : {}),
    ...credentialFiles('remote_write', index, r),
    ...(queue.length > 0
      ? { queue_config: Object.fromEntries(queue.map(([k, v]) => [QUEUE_KEYS[k as keyof typeof QUEUE_KEYS], v])) }
      : {}),
    ...(r.writeRelabel.length > 0
      ? {
          write_relabel_configs: r.writeRelabel.map((w) => ({
            source_labels: w.sourceLabels,
            regex: w.regex,
            action: w.action,
          })),
        }
      : {}),
  };
}

/**
 * The basic_auth or authorization of a remote-write endpoint or scrape job whose password or bearer token
 * wmon.yaml references: the file wmon writes it to in Prometheus's secrets folder, never the value.
 */
function credentialFiles(
  owner: PrometheusSecretOwner,
  index: number,
  credentials: { readonly basicAuth?: BasicAuthRef | undefined; readonly bearerToken?: SecretRef | undefined },
): { basic_auth?: BasicAuth; authorization?: { type: 'Bearer'; credentials_file: string } } {
  const file = (kind: 'password' | 'bearerToken') => `${SECRETS_MOUNT_DIR}/${prometheusSecretFile(owner, index, kind)}`;
  if (credentials.basicAuth) {
    return { basic_auth: { username: credentials.basicAuth.username, password_file: file('password') } };
  }
  if (credentials.bearerToken) return { authorization: { type: 'Bearer', credentials_file: file('bearerToken') } };
  return {};
}
