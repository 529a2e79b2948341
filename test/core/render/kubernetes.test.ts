/**
 * `wmon render --target kubernetes`: every manifest validates against the schemas of kubernetes-models and
 * @kubernetes-models/prometheus-operator (as written, parsed back from its YAML), the PrometheusRule holds the
 * local rule file's groups, the AlertmanagerConfig routes as alertmanager.yml does, the service runs as the
 * issue asks, no secret value is ever written, and a snapshot keeps the output stable.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

import { SECRET_FILES } from '@wmon/contract';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { AlertmanagerConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { parse } from 'yaml';
import { describe, expect, it, vi } from 'vitest';

import { ConfigError, WmonError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import { toAlertmanagerConfigSpec } from '../../../src/core/render/kubernetes/alertmanager-config.js';
import { renderKubernetes, type ManifestFile } from '../../../src/core/render/kubernetes/index.js';

/** Parsed YAML, read field by field as the assertions go. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every kind the target writes, and the model that validates it. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1alpha1/AlertmanagerConfig': AlertmanagerConfig,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

/** Secret values set in the environment the configuration names: none may appear in any manifest. */
const SECRET_VALUES = ['smtp-pass-0000', 'https://hooks.slack.example/T000', 'pd-routing-key-0000'];

const FULL = `project: shop
service:
  publicUrl: https://hooks.example.com/webhooks/stripe
  stripeApiKey: {env: STRIPE_API_KEY}
  databaseUrl: {env: DATABASE_URL}
  redisUrl: {env: REDIS_URL}
notifications:
  email:
    to: [oncall@example.com, lead@example.com]
    from: wmon@example.com
    smarthost: smtp.example.com:587
    username: wmon
    password: {env: SMTP_PASSWORD}
  slack: {webhookUrl: {env: SLACK_WEBHOOK_URL}, channel: '#alerts'}
  pagerduty: {routingKey: {env: PD_KEY}}
  webhook: {url: {file: /run/secrets/hook}}
  msteams: {webhookUrl: {env: TEAMS_WEBHOOK_URL}}
  opsgenie: {apiKey: {file: /run/secrets/opsgenie}, apiUrl: https://api.eu.opsgenie.com/}
  heartbeat: {url: {env: HEARTBEAT_URL}}
kubernetes:
  namespace: payments
  image: registry.example.com/shop/webhook:1.4.2
  replicas: 3
  autoscaling: {minReplicas: 3, maxReplicas: 12, cpuPercent: 60}
  operatorLabels: {release: kube-prometheus-stack}
`;

const full = () => parseConfigText(FULL, 'wmon.yaml');
const file = (files: readonly ManifestFile[], p: string) => {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`${p} was not rendered (${files.map((x) => x.path).join(', ')})`);
  return f;
};
const objectOf = (f: ManifestFile) => parse(f.contents) as Json;

function validateAsWritten(f: ManifestFile): void {
  const object = objectOf(f);
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`${f.path}: no model for ${object.apiVersion} ${object.kind}`);
  new Model(object as never).validate();
}

describe('wmon render --target kubernetes', () => {
  it('writes one validated object per file, of the kinds the issue names, and a kustomization listing them all', () => {
    for (const config of [full(), parseConfigText('', 'wmon.yaml')]) {
      const { files } = renderKubernetes(config);
      const manifests = files.filter((f) => f.kind !== 'Kustomization');
      for (const f of manifests) {
        expect(() => validateAsWritten(f), f.path).not.toThrow();
        expect(objectOf(f).kind).toBe(f.kind);
        expect(objectOf(f).metadata.namespace).toBe(config.kubernetes.namespace);
      }
      const kustomization = objectOf(file(files, 'kustomization.yaml'));
      expect(kustomization).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' });
      expect(kustomization.resources).toEqual(manifests.map((f) => f.path));
    }
    const kinds = renderKubernetes(full()).files.map((f) => f.kind);
    expect(new Set(kinds)).toEqual(
      new Set([
        'PrometheusRule',
        'ServiceMonitor',
        'AlertmanagerConfig',
        'ConfigMap',
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'HorizontalPodAutoscaler',
        'Kustomization',
      ]),
    );
    // Without kubernetes.autoscaling there is no autoscaler, and the Deployment sets the replicas itself.
    const plain = renderKubernetes(parseConfigText('kubernetes: {replicas: 4}', 'wmon.yaml')).files;
    expect(plain.some((f) => f.kind === 'HorizontalPodAutoscaler')).toBe(false);
    expect(objectOf(file(plain, 'webhook/deployment.yaml')).spec.replicas).toBe(4);
    expect(objectOf(file(renderKubernetes(full()).files, 'webhook/deployment.yaml')).spec.replicas).toBeUndefined();
  });

  it('the schema check catches a broken object (the validation above can fail)', () => {
    const deployment = objectOf(file(renderKubernetes(full()).files, 'webhook/deployment.yaml'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(deployment as never).validate()).toThrow(/containerPort/);
    const rule = objectOf(file(renderKubernetes(full()).files, 'prometheusrule.yaml'));
    delete rule.spec.groups[0].name;
    expect(() => new PrometheusRule(rule as never).validate()).toThrow(/name/);
  });

  it('puts exactly the local rule groups into the PrometheusRule, selected by the operator labels', () => {
    const config = full();
    const local = parse(
      renderStack(config).files.find((f) => f.path === 'prometheus/rules/webhook-alerts.yml')!.contents,
    );
    const rule = objectOf(file(renderKubernetes(config).files, 'prometheusrule.yaml'));
    expect(rule.spec).toEqual(local);
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  it('routes in the AlertmanagerConfig exactly as alertmanager.yml does, with the same receivers and Secret keys', () => {
    const config = full();
    const local = parse(renderStack(config).files.find((f) => f.path === 'alertmanager/alertmanager.yml')!.contents);
    const crd = objectOf(file(renderKubernetes(config).files, 'alertmanagerconfig.yaml'));

    // The CRD's route tree, read back into alertmanager.yml's words: it must be the local routing, field for field.
    const back = (r: Json): Record<string, unknown> => ({
      ...(r.receiver !== undefined ? { receiver: r.receiver } : {}),
      ...(r.groupBy ? { group_by: r.groupBy } : {}),
      ...(r.groupWait ? { group_wait: r.groupWait } : {}),
      ...(r.groupInterval ? { group_interval: r.groupInterval } : {}),
      ...(r.repeatInterval ? { repeat_interval: r.repeatInterval } : {}),
      ...(r.matchers
        ? { matchers: r.matchers.map((m: Json) => `${m.name}${m.matchType}${JSON.stringify(m.value)}`) }
        : {}),
      ...(r.continue !== undefined ? { continue: r.continue } : {}),
      ...(r.routes ? { routes: r.routes.map(back) } : {}),
    });
    expect(back(crd.spec.route)).toEqual(local.route);
    expect(local.route.routes.length).toBe(4); // Watchdog, critical, warning, info

    // Receivers: the same names, and per receiver the same integrations, each reading the same secret.
    const crdKey: Record<string, string> = {
      email_configs: 'emailConfigs',
      slack_configs: 'slackConfigs',
      pagerduty_configs: 'pagerdutyConfigs',
      webhook_configs: 'webhookConfigs',
      msteamsv2_configs: 'msteamsv2Configs',
      opsgenie_configs: 'opsgenieConfigs',
    };
    const secretField: Record<string, [string, string]> = {
      email_configs: ['auth_password_file', 'authPassword'],
      slack_configs: ['api_url_file', 'apiURL'],
      pagerduty_configs: ['routing_key_file', 'routingKey'],
      webhook_configs: ['url_file', 'urlSecret'],
      msteamsv2_configs: ['webhook_url_file', 'webhookURL'],
      opsgenie_configs: ['api_key_file', 'apiKey'],
    };
    expect(crd.spec.receivers.map((r: { name: string }) => r.name)).toEqual(
      local.receivers.map((r: { name: string }) => r.name),
    );
    const secretKeys = new Set<string>(Object.values(SECRET_FILES));
    for (const [i, receiver] of (local.receivers as Array<Record<string, unknown>>).entries()) {
      const mapped = crd.spec.receivers[i];
      const types = Object.keys(receiver).filter((k) => k !== 'name');
      expect(Object.keys(mapped).filter((k) => k !== 'name')).toEqual(types.map((t) => crdKey[t]));
      for (const t of types) {
        const [from, to] = secretField[t]!;
        const configs = receiver[t] as Array<Record<string, unknown>>;
        for (const [j, c] of configs.entries()) {
          const ref = mapped[crdKey[t]!][j][to];
          expect(ref, `${String(receiver.name)} ${t}`).toEqual({
            name: 'shop-alertmanager',
            key: path.posix.basename(String(c[from])),
          });
          expect(secretKeys.has(ref.key), ref.key).toBe(true);
        }
      }
    }
    const critical = crd.spec.receivers.find((r: { name: string }) => r.name === 'critical');
    expect(critical.emailConfigs[0]).toMatchObject({
      to: 'oncall@example.com, lead@example.com',
      smarthost: 'smtp.example.com:587',
      authUsername: 'wmon',
      requireTLS: true,
    });
    expect(critical.slackConfigs[0].channel).toBe('#alerts');
    expect(critical.opsgenieConfigs[0]).toMatchObject({
      apiURL: 'https://api.eu.opsgenie.com/',
      tags: 'wmon,{{ .CommonLabels.severity }}',
    });
    // The inhibition: the same matchers and equal labels.
    expect(crd.spec.inhibitRules).toEqual([
      {
        sourceMatch: [
          { name: 'severity', matchType: '=', value: 'critical' },
          { name: 'signal', matchType: '=~', value: '.+' },
        ],
        targetMatch: [{ name: 'severity', matchType: '=', value: 'warning' }],
        equal: local.inhibit_rules[0].equal,
      },
    ]);
  });

  it('runs the service as the issue asks: replicas, probes on its endpoints, limits, non-root, read-only, secrets by reference', () => {
    // The secrets wmon.yaml names have values here: none may reach a manifest.
    vi.stubEnv('SMTP_PASSWORD', SECRET_VALUES[0]!);
    vi.stubEnv('SLACK_WEBHOOK_URL', SECRET_VALUES[1]!);
    vi.stubEnv('PD_KEY', SECRET_VALUES[2]!);
    const files = renderKubernetes(full()).files;
    vi.unstubAllEnvs();
    const deployment = objectOf(file(files, 'webhook/deployment.yaml'));
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(container.image).toBe('registry.example.com/shop/webhook:1.4.2');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.resources).toEqual({
      requests: { cpu: '1', memory: '512Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
    const env = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));
    for (const [name, key, optional] of [
      ['DATABASE_URL', 'database_url', undefined],
      ['REDIS_URL', 'redis_url', true],
      ['STRIPE_WEBHOOK_SECRET', 'stripe_webhook_secret', undefined],
      ['STRIPE_API_KEY', 'stripe_api_key', undefined],
    ] as const) {
      expect(env[name], name).toEqual({
        name,
        valueFrom: { secretKeyRef: { name: 'shop-webhook', key, ...(optional ? { optional } : {}) } },
      });
    }
    // No file variables, no SQLite, no addresses of the local stack's Loki and Jaeger.
    expect(
      Object.keys(env).filter((n) => n.endsWith('_FILE') || n === 'LOKI_URL' || n.startsWith('OTEL_EXPORTER')),
    ).toEqual([]);
    expect(objectOf(file(files, 'webhook/poddisruptionbudget.yaml')).spec.minAvailable).toBe(1);
    expect(objectOf(file(files, 'webhook/horizontalpodautoscaler.yaml')).spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 12,
      scaleTargetRef: { kind: 'Deployment', name: 'shop-webhook' },
    });
    const monitor = objectOf(file(files, 'webhook/servicemonitor.yaml'));
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    expect(monitor.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    for (const f of files) for (const secret of SECRET_VALUES) expect(f.contents, f.path).not.toContain(secret);
  });

  it('labels the dashboards for Grafana’s sidecar, with their data source', () => {
    const files = renderKubernetes(full()).files;
    const dashboards = files.filter((f) => f.path.startsWith('grafana/dashboard-'));
    expect(dashboards.length).toBe(3);
    for (const f of dashboards) {
      const cm = objectOf(f);
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      const [name, json] = Object.entries(cm.data as Record<string, string>)[0]!;
      expect(name).toMatch(/\.json$/);
      expect(JSON.parse(json).uid).toMatch(/^wmon-/);
    }
    const ds = objectOf(file(files, 'grafana/datasource.yaml'));
    expect(ds.metadata.labels.grafana_datasource).toBe('1');
    expect(parse(ds.data['wmon-datasource.yaml']).datasources[0]).toMatchObject({
      uid: 'wmon-prometheus',
      url: 'http://prometheus-operated.monitoring.svc:9090',
    });
  });

  it('refuses what an AlertmanagerConfig cannot express instead of dropping it', () => {
    const local = parse(renderStack(full()).files.find((f) => f.path === 'alertmanager/alertmanager.yml')!.contents);
    const refusal = (changed: Record<string, unknown>) => {
      try {
        toAlertmanagerConfigSpec(changed, 'shop-alertmanager');
      } catch (error) {
        if (error instanceof WmonError) return `${error.code}: ${error.message}`;
        throw error;
      }
      return 'accepted';
    };
    expect(refusal(local)).toBe('accepted');
    expect(refusal({ ...local, receivers: [...local.receivers, { name: 'x', wechat_configs: [{}] }] })).toBe(
      'RENDER_TARGET_UNSUPPORTED: The alert routing has a receiver of type wechat_configs, which an AlertmanagerConfig cannot express.',
    );
    const [first, ...rest] = local.receivers.filter((r: Json) => r.slack_configs);
    const slack = { ...first, slack_configs: [{ ...first.slack_configs[0], icon_emoji: ':fire:' }] };
    expect(refusal({ ...local, receivers: [slack, ...rest] })).toMatch(/slack_configs field icon_emoji/);
    expect(refusal({ ...local, route: { ...local.route, mute_time_intervals: ['night'] } })).toMatch(
      /route field mute_time_intervals/,
    );
    expect(refusal({ ...local, templates: ['x.tmpl'] })).toMatch(/top-level setting templates/);
  });

  it('refuses a kubernetes block that makes no sense, naming the key', () => {
    const bad = (yaml: string) => {
      try {
        parseConfigText(yaml, 'wmon.yaml');
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      throw new Error('accepted');
    };
    expect(bad('kubernetes: {namespace: Payments}')).toMatch(/kubernetes\.namespace: must be a Kubernetes namespace/);
    expect(bad('kubernetes: {replicas: 1, minAvailable: 1}')).toMatch(
      /kubernetes\.minAvailable: must be less than replicas/,
    );
    expect(bad('kubernetes: {autoscaling: {minReplicas: 5, maxReplicas: 2}}')).toMatch(
      /kubernetes\.autoscaling\.maxReplicas/,
    );
    expect(bad('kubernetes: {operatorLabels: {"bad key!": x}}')).toMatch(/kubernetes\.operatorLabels/);
    expect(bad('kubernetes: {replicas: 1000}')).toMatch(/kubernetes\.replicas/);
  });

  it('stays stable (snapshot: every manifest, the dashboards by checksum)', async () => {
    const files = renderKubernetes(full()).files;
    const listing = files.map((f) => `${f.path} ${f.kind} ${createHash('sha256').update(f.contents).digest('hex')}`);
    await expect(`${listing.join('\n')}\n`).toMatchFileSnapshot('__snapshots__/kubernetes/files.txt');
    for (const f of files.filter((x) => !x.path.startsWith('grafana/dashboard-'))) {
      await expect(f.contents).toMatchFileSnapshot(`__snapshots__/kubernetes/${f.path}`);
    }
  });
});
