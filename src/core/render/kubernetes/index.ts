import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { AlertmanagerConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';

import type { ComponentId, Config } from '../../config/schema.js';
import { buildStack, grafanaUrl, isEnabled } from '../../model/stack.js';
import { WmonError } from '../../../errors.js';
import { buildAlertmanagerConfig } from '../alertmanager.js';
import { DATASOURCE_UIDS } from '../dashboards/uids.js';
import { alertRules, stackDashboards, type RenderedFile, type RenderResult } from '../index.js';
import { toJson, toManifestYaml } from '../yaml.js';
import { toAlertmanagerConfigSpec } from './alertmanager-config.js';
import { serviceObjects } from './workload.js';

/**
 * `wmon render --target kubernetes`: the stack for a cluster that runs the Prometheus Operator and Grafana's
 * dashboard sidecar (kube-prometheus-stack). Built from the same descriptions as the local stack (the rules,
 * alertmanager.yml's routing, the dashboards, the service's container), as typed objects validated against
 * their schemas, one object per file, and a kustomization.yaml listing them all (`kubectl apply -k DIR`).
 */

/** One rendered manifest: its path in the output folder, what it belongs to (`kustomize` too), and its kind. */
export interface ManifestFile extends Omit<RenderedFile, 'component'> {
  readonly component: ComponentId | 'kustomize';
  /** The Kubernetes kind (`Kustomization` for kustomization.yaml). */
  readonly kind: string;
}

export type KubernetesRender = Omit<RenderResult, 'files'> & { readonly files: readonly ManifestFile[] };

/** Labels Grafana's sidecar looks for (kube-prometheus-stack's defaults). */
export const GRAFANA_SIDECAR_LABELS = { dashboard: 'grafana_dashboard', datasource: 'grafana_datasource' } as const;
/** The most a ConfigMap may hold (the API server refuses more than 1 MiB). */
const CONFIGMAP_MAX_BYTES = 1024 * 1024;

interface Model {
  validate(): void;
  toJSON(): unknown;
  kind: string;
}

/** The Secret names the manifests refer to; `kubectl create secret generic` makes them (README). */
export function secretNames(config: Config): { readonly service: string; readonly alertmanager: string } {
  return { service: `${config.project}-webhook`, alertmanager: `${config.project}-alertmanager` };
}

export function renderKubernetes(config: Config): KubernetesRender {
  const k = config.kubernetes;
  const namespace = k.namespace;
  const files: ManifestFile[] = [];
  const warnings: string[] = [];
  const common = { 'app.kubernetes.io/part-of': config.project, 'app.kubernetes.io/managed-by': 'wmon' };
  const meta = (name: string, labels: Record<string, string> = {}) => ({
    name,
    namespace,
    labels: { ...common, ...labels },
  });
  const add = (path: string, component: ComponentId, object: Model) => {
    object.validate();
    files.push({ path, component, kind: object.kind, contents: toManifestYaml(object.toJSON()) });
  };
  const secrets = secretNames(config);

  if (isEnabled(config, 'prometheus')) {
    add(
      'prometheusrule.yaml',
      'prometheus',
      new PrometheusRule({
        metadata: meta(`${config.project}-alerts`, k.operatorLabels),
        // The very groups of the local rule file (render/index.ts alertRules): one description of the alerts.
        spec: {
          groups: alertRules(config).groups.map((g) => ({
            name: g.name,
            rules: g.rules.map((r) => ({
              ...r,
              labels: { ...r.labels } as Record<string, string>,
              annotations: { ...r.annotations } as Record<string, string>,
            })),
          })),
        },
      }),
    );
  }

  if (isEnabled(config, 'alertmanager')) {
    const am = buildAlertmanagerConfig(config, isEnabled(config, 'grafana') ? grafanaUrl(config) : undefined);
    warnings.push(...am.warnings);
    add(
      'alertmanagerconfig.yaml',
      'alertmanager',
      new AlertmanagerConfig({
        metadata: meta(config.project, k.operatorLabels),
        spec: toAlertmanagerConfigSpec(am.config, secrets.alertmanager),
      }),
    );
  }

  if (isEnabled(config, 'grafana')) {
    // The dashboards' panels query the data source by uid: one for the operator's Prometheus, for the sidecar.
    add(
      'grafana/datasource.yaml',
      'grafana',
      new ConfigMap({
        metadata: meta(`${config.project}-datasource`, { [GRAFANA_SIDECAR_LABELS.datasource]: '1' }),
        data: {
          'wmon-datasource.yaml': toManifestYaml({
            apiVersion: 1,
            datasources: [
              {
                name: 'wmon Prometheus',
                uid: DATASOURCE_UIDS.prometheus,
                type: 'prometheus',
                access: 'proxy',
                url: k.prometheusUrl,
                editable: false,
                jsonData: { timeInterval: config.prometheus.scrapeInterval, httpMethod: 'POST' },
              },
            ],
          }),
        },
      }),
    );
    // Loki and Jaeger are the local stack's: on a cluster the dashboards show what Prometheus has.
    for (const d of stackDashboards(config, { loki: false, jaeger: false })) {
      const json = toJson(d.dashboard);
      if (Buffer.byteLength(json) > CONFIGMAP_MAX_BYTES) {
        throw new WmonError(`The dashboard ${d.fileName} is larger than a ConfigMap may be (1 MiB).`, {
          code: 'RENDER_TARGET_UNSUPPORTED',
        });
      }
      const name = d.fileName.replace(/\.json$/, '');
      add(
        `grafana/dashboard-${name}.yaml`,
        'grafana',
        new ConfigMap({
          metadata: {
            ...meta(`${config.project}-dashboard-${name}`, { [GRAFANA_SIDECAR_LABELS.dashboard]: '1' }),
            // The folder the sidecar puts it in, when its folderAnnotation is grafana_folder (kube-prometheus-stack).
            annotations: { grafana_folder: 'wmon' },
          },
          data: { [d.fileName]: json },
        }),
      );
    }
  }

  const model = buildStack(config).components.find((c) => c.id === 'webhook');
  if (model) {
    const name = `${config.project}-webhook`;
    const objects = serviceObjects(
      config,
      model,
      {
        name,
        namespace,
        secretName: secrets.service,
        labels: { ...common, 'app.kubernetes.io/name': 'webhook', 'app.kubernetes.io/instance': config.project },
        selector: { 'app.kubernetes.io/name': 'webhook', 'app.kubernetes.io/instance': config.project },
      },
      k.image ?? config.components.webhook.image,
    );
    add('webhook/deployment.yaml', 'webhook', objects.deployment);
    add('webhook/service.yaml', 'webhook', objects.service);
    add('webhook/poddisruptionbudget.yaml', 'webhook', objects.pdb);
    if (objects.hpa) add('webhook/horizontalpodautoscaler.yaml', 'webhook', objects.hpa);
    add('webhook/servicemonitor.yaml', 'webhook', objects.serviceMonitor);
    if (!k.image) {
      warnings.push(
        `kubernetes.image is not set: the Deployment runs ${config.components.webhook.image}, which a cluster can pull only from a registry (push the service image and set kubernetes.image).`,
      );
    }
  }

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: files.map((f) => f.path),
  };
  files.push({
    path: 'kustomization.yaml',
    component: 'kustomize',
    kind: 'Kustomization',
    contents: toManifestYaml(kustomization),
  });
  return { files, warnings };
}
