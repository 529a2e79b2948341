import { ROUTES, SECRET_FILES, SERVICE_SECRET_ENV, type ServiceSecretKey } from '@wmon/contract';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';

import type { Config } from '../../config/schema.js';
import { CONTAINER_PORTS, type ComponentModel } from '../../model/stack.js';
import { WEBHOOK_JOB } from '../prometheus.js';

/** The uid of the image's `node` user (service/Dockerfile): Kubernetes checks runAsNonRoot against a number. */
export const SERVICE_UID = 1000;

/** What names the service's objects and selects its pods. */
export interface WorkloadNames {
  readonly name: string;
  readonly namespace: string;
  /** The Secret holding the service's secrets (keys named like its secret files). */
  readonly secretName: string;
  /** Labels of every object (wmon's own, and wmon.yaml's kubernetes.operatorLabels where the operator selects). */
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
}

/** Environment variables of the local container that point at the local stack (its network's DNS names). */
const STACK_ONLY_ENV = new Set(['LOKI_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']);

/** `512m` → `512Mi`, `1g` → `1Gi`; `0` (no limit) → undefined. */
export function k8sMemory(text: string): string | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([kmg]?)$/i.exec(text);
  if (!m || Number(m[1]) === 0) return undefined;
  const unit = { '': '', k: 'Ki', m: 'Mi', g: 'Gi' }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return `${m[1]}${unit}`;
}

/** 1 → `1`, 0.25 → `250m`. */
export function k8sCpu(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.round(cpus * 1000)}m`;
}

/**
 * The service's environment on the cluster: the local container's, with secrets taken from the Secret's keys
 * instead of files (values are never rendered) and without the addresses of the local stack's Loki and Jaeger.
 * DATABASE_URL is required (the replicas share one PostgreSQL); REDIS_URL is used when the Secret has it.
 */
function serviceEnv(model: ComponentModel, config: Config, secretName: string): IEnvVar[] {
  const secretVars = new Set<string>(Object.values(SERVICE_SECRET_ENV).flatMap((e) => [e.value, e.file]));
  const plain = Object.entries(model.env)
    .filter(([k]) => !secretVars.has(k) && !STACK_ONLY_ENV.has(k))
    .map(([name, value]) => ({ name, value }));
  const fromSecret = (key: ServiceSecretKey, optional = false): IEnvVar => ({
    name: SERVICE_SECRET_ENV[key].value,
    valueFrom: { secretKeyRef: { name: secretName, key: secretKey(key), ...(optional ? { optional: true } : {}) } },
  });
  return [
    ...plain,
    fromSecret('stripeWebhookSecret'),
    fromSecret('databaseUrl'),
    fromSecret('redisUrl', true),
    ...(config.service.stripeApiKey ? [fromSecret('stripeApiKey')] : []),
  ];
}

/** The key of a service secret in the Secret: the name of its file in the stack directory (`database_url`). */
function secretKey(key: ServiceSecretKey): string {
  return SECRET_FILES[key];
}

/** Deployment, Service, PodDisruptionBudget, optional HorizontalPodAutoscaler, and the ServiceMonitor. */
export function serviceObjects(config: Config, model: ComponentModel, n: WorkloadNames, image: string) {
  const k = config.kubernetes;
  const meta = { name: n.name, namespace: n.namespace, labels: { ...n.labels } };
  const memory = k8sMemory(model.memory ?? '0');
  // Guaranteed QoS: requests equal limits, the same limits the local container gets.
  const quantities = { cpu: k8sCpu(model.cpus ?? 1), ...(memory ? { memory } : {}) };
  const resources: IResourceRequirements = { requests: { ...quantities }, limits: { ...quantities } };
  // The local container's tmpfs mounts (a small /tmp on a read-only root) as memory-backed emptyDirs.
  const scratch = Object.entries(model.tmpfs ?? {}).map(([target, options], i) => {
    const size = /(?:^|,)size=([0-9]+[kmg]?)/i.exec(options)?.[1];
    const sizeLimit = size ? k8sMemory(size) : undefined;
    return { name: `scratch-${i}`, target, sizeLimit };
  });
  const probe = (path: string) => ({
    httpGet: { path, port: 'metrics' },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold: 3,
  });

  const deployment = new Deployment({
    metadata: meta,
    spec: {
      // With an autoscaler, it owns the replica count (apply must not reset it).
      ...(k.autoscaling ? {} : { replicas: k.replicas }),
      selector: { matchLabels: { ...n.selector } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...n.labels, ...n.selector } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: SERVICE_UID,
            runAsGroup: SERVICE_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'webhook',
              image,
              ports: [
                { name: 'http', containerPort: CONTAINER_PORTS.webhook, protocol: 'TCP' },
                { name: 'metrics', containerPort: CONTAINER_PORTS.webhookInternal, protocol: 'TCP' },
              ],
              env: serviceEnv(model, config, n.secretName),
              // Ready when its database and cache answer; alive while the process answers at all.
              readinessProbe: probe(ROUTES.ready),
              livenessProbe: { ...probe(ROUTES.health), initialDelaySeconds: 10 },
              resources,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: scratch.map((s) => ({ name: s.name, mountPath: s.target })),
            },
          ],
          volumes: scratch.map((s) => ({
            name: s.name,
            emptyDir: { medium: 'Memory', ...(s.sizeLimit ? { sizeLimit: s.sizeLimit } : {}) },
          })),
        },
      },
    },
  });

  const service = new Service({
    metadata: meta,
    spec: {
      type: 'ClusterIP',
      selector: { ...n.selector },
      ports: [
        { name: 'http', port: CONTAINER_PORTS.webhook, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: CONTAINER_PORTS.webhookInternal, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  });

  const pdb = new PodDisruptionBudget({
    metadata: meta,
    spec: { minAvailable: k.minAvailable, selector: { matchLabels: { ...n.selector } } },
  });

  const hpa = k.autoscaling
    ? new HorizontalPodAutoscaler({
        metadata: meta,
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: n.name },
          minReplicas: k.autoscaling.minReplicas,
          maxReplicas: k.autoscaling.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                target: { type: 'Utilization', averageUtilization: k.autoscaling.cpuPercent },
              },
            },
          ],
        },
      })
    : undefined;

  // The same series names the local stack's rules and dashboards use: job and component as prometheus.yml sets them.
  const serviceMonitor = new ServiceMonitor({
    metadata: { ...meta, labels: { ...n.labels, ...k.operatorLabels } },
    spec: {
      selector: { matchLabels: { ...n.selector } },
      namespaceSelector: { matchNames: [n.namespace] },
      endpoints: [
        {
          port: 'metrics',
          path: ROUTES.metrics,
          interval: config.prometheus.scrapeInterval,
          relabelings: [
            { action: 'replace', targetLabel: 'job', replacement: WEBHOOK_JOB },
            { action: 'replace', targetLabel: 'component', replacement: 'webhook' },
          ],
        },
      ],
    },
  });

  return { deployment, service, pdb, hpa, serviceMonitor };
}
