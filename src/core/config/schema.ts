import { BlockList } from 'node:net';

import { z } from 'zod';
import { SERVICE_LISTENERS } from '@wmon/contract';

import { durationSeconds } from '../vocab/durations.js';
import { alertsSchema, promDuration } from './alerts.js';
import { secretRefSchema } from './secret-ref.js';
import { alertmanagerSchema, externalLabelsSchema, remoteWriteListSchema } from './storage.js';
import {
  handlerSchema,
  MAX_EXTRA_SCRAPE_CONFIGS,
  scrapeConfigSchema,
  type ExtraScrapeConfig,
  type HandlerConfig,
} from './scrape.js';

/**
 * wmon.yaml, as one zod schema: the single source of the Config type. Every field has a default, so an
 * empty file is a valid configuration. Objects are strict: unknown keys are errors (with a "did you mean"
 * hint added by load.ts).
 */

export const COMPONENT_IDS = [
  'prometheus',
  'alertmanager',
  'grafana',
  'loki',
  'jaeger',
  'nodeExporter',
  'webhook',
  'blackboxExporter',
] as const;
export type ComponentId = (typeof COMPONENT_IDS)[number];

const port = z
  .number({ error: 'must be a port number (an integer from 1 to 65535)' })
  .int('must be a port number (an integer from 1 to 65535)')
  .min(1, 'must be a port number (an integer from 1 to 65535)')
  .max(65_535, 'must be a port number (an integer from 1 to 65535)');

const bindAddress = z.union([z.ipv4(), z.ipv6()], {
  error: 'must be an IP address such as 127.0.0.1 (loopback, the default) or 0.0.0.0 (every interface)',
});

/** A full image reference: registry/name:tag or @digest. Short names resolve differently in Docker and Podman. */
const imageRef = z
  .string()
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/,
    'must be a full image reference with registry and tag, such as docker.io/prom/prometheus:v3.5.0',
  );

/** A memory size; a bare number (`0`: no limit) is read as its text. */
const memory = z.coerce.string().regex(/^[0-9]+(\.[0-9]+)?[kmg]?$/i, 'must be a size such as 512m or 1g (0: no limit)');

export { secretRefSchema, type SecretRef } from './secret-ref.js';

/**
 * Memory and CPU limits each component gets unless wmon.yaml says otherwise (`memory: 0` lifts the memory
 * limit). At most one CPU each, so that they fit any host (engines refuse more CPUs than the host has).
 */
export const DEFAULT_LIMITS = {
  prometheus: { memory: '1g', cpus: 1 },
  alertmanager: { memory: '256m', cpus: 0.5 },
  grafana: { memory: '512m', cpus: 1 },
  loki: { memory: '512m', cpus: 1 },
  jaeger: { memory: '512m', cpus: 1 },
  nodeExporter: { memory: '128m', cpus: 0.25 },
  webhook: { memory: '512m', cpus: 1 },
  blackboxExporter: { memory: '64m', cpus: 0.25 },
} as const satisfies Record<ComponentId, { memory: string; cpus: number }>;

function component(defaults: { image: string; port: number; enabled?: boolean; memory: string; cpus: number }) {
  return z
    .strictObject({
      enabled: z.boolean().default(defaults.enabled ?? true),
      image: imageRef.default(defaults.image),
      port: port.default(defaults.port),
      /** Overrides the top-level bindAddress for this component. */
      bindAddress: bindAddress.optional(),
      memory: memory.default(defaults.memory),
      cpus: z.number().gt(0, 'must be greater than 0').max(64).default(defaults.cpus),
    })
    .prefault({});
}

const TITLE_OF: Record<ComponentId, string> = {
  prometheus: 'Prometheus',
  alertmanager: 'Alertmanager',
  grafana: 'Grafana',
  loki: 'Loki',
  jaeger: 'Jaeger',
  nodeExporter: 'the node exporter',
  webhook: 'the webhook service',
  blackboxExporter: 'the blackbox exporter',
};

export const DEFAULT_IMAGES = {
  prometheus: 'docker.io/prom/prometheus:v3.5.0',
  alertmanager: 'docker.io/prom/alertmanager:v0.28.1',
  grafana: 'docker.io/grafana/grafana:12.1.0',
  loki: 'docker.io/grafana/loki:3.5.3',
  jaeger: 'docker.io/jaegertracing/jaeger:2.8.0',
  nodeExporter: 'docker.io/prom/node-exporter:v1.9.1',
  webhook: 'localhost/wmon/webhook:latest',
  blackboxExporter: 'docker.io/prom/blackbox-exporter:v0.27.0',
} as const satisfies Record<ComponentId, string>;

const componentsSchema = z
  .strictObject({
    prometheus: component({ image: DEFAULT_IMAGES.prometheus, port: 9090, ...DEFAULT_LIMITS.prometheus }),
    alertmanager: component({ image: DEFAULT_IMAGES.alertmanager, port: 9093, ...DEFAULT_LIMITS.alertmanager }),
    grafana: component({ image: DEFAULT_IMAGES.grafana, port: 3000, ...DEFAULT_LIMITS.grafana }),
    loki: component({ image: DEFAULT_IMAGES.loki, port: 3100, ...DEFAULT_LIMITS.loki }),
    jaeger: z
      .strictObject({
        ...component({ image: DEFAULT_IMAGES.jaeger, port: 16686, ...DEFAULT_LIMITS.jaeger }).unwrap().shape,
        /** Host port for OTLP over HTTP, so handlers outside the stack can send traces too. */
        otlpHttpPort: port.default(4318),
      })
      .prefault({}),
    nodeExporter: component({ image: DEFAULT_IMAGES.nodeExporter, port: 9100, ...DEFAULT_LIMITS.nodeExporter }),
    webhook: z
      .strictObject({
        ...component({
          image: DEFAULT_IMAGES.webhook,
          port: SERVICE_LISTENERS.public.port,
          ...DEFAULT_LIMITS.webhook,
        }).unwrap().shape,
        /**
         * Host port of the service's internal listener (metrics, readiness), for wmon's own checks. Always
         * published on loopback, whatever the bindAddress: only `port` is meant to be reached from outside.
         */
        metricsPort: port.default(SERVICE_LISTENERS.internal.port),
      })
      .prefault({}),
    /** Probes the webhook service's reachability route (service.publicUrl, and the service in the stack). */
    blackboxExporter: component({
      image: DEFAULT_IMAGES.blackboxExporter,
      port: 9115,
      ...DEFAULT_LIMITS.blackboxExporter,
    }),
  })
  .prefault({});

const emailSchema = z.strictObject({
  to: z.array(z.email({ error: 'must be an email address' })).min(1, 'list at least one recipient'),
  from: z.email({ error: 'must be an email address' }),
  smarthost: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port of an SMTP server, such as smtp.example.com:587'),
  username: z.string().min(1).optional(),
  password: secretRefSchema.optional(),
  requireTls: z.boolean().default(true),
});

const slackSchema = z.strictObject({
  webhookUrl: secretRefSchema,
  channel: z
    .string()
    .regex(/^[#@][\w.-]+$/, 'must be a channel such as #alerts or a user such as @oncall')
    .optional(),
});

const pagerdutySchema = z.strictObject({
  routingKey: secretRefSchema,
});

/** Any HTTP endpoint: Alertmanager POSTs its webhook JSON (every severity) there. */
const webhookSchema = z.strictObject({ url: secretRefSchema });

/** Microsoft Teams, through a Workflows (Power Automate) webhook URL: Alertmanager's msteamsv2 integration. */
const msteamsSchema = z.strictObject({ webhookUrl: secretRefSchema });

const opsgenieSchema = z.strictObject({
  apiKey: secretRefSchema,
  /** Opsgenie's API, e.g. https://api.eu.opsgenie.com/ for the EU instance; default Alertmanager's (US). */
  apiUrl: z.url({ error: 'must be an absolute URL such as https://api.eu.opsgenie.com/' }).optional(),
});

/** A dead man's switch: Alertmanager sends the always-firing Watchdog alert there, every repeatInterval. */
const heartbeatSchema = z.strictObject({
  /** An http(s) URL that expects a request every so often (healthchecks.io, Opsgenie heartbeat, …). */
  url: secretRefSchema,
  repeatInterval: promDuration.default('1m'),
});

const notificationsSchema = z
  .strictObject({
    email: emailSchema.optional(),
    slack: slackSchema.optional(),
    pagerduty: pagerdutySchema.optional(),
    webhook: webhookSchema.optional(),
    msteams: msteamsSchema.optional(),
    opsgenie: opsgenieSchema.optional(),
    heartbeat: heartbeatSchema.optional(),
    /** A YAML file (relative to wmon.yaml) of Alertmanager routes, receivers, inhibit rules merged into wmon's. */
    configFragment: z.string().min(1, 'must be a file path').optional(),
  })
  .prefault({});

/** A duration for the service (s, m, h or d, one unit) within [min, max] seconds. */
const reconcileDuration = (min: number, max: number, minText: string, maxText: string) =>
  z
    .string()
    .regex(/^[0-9]{1,7}[smhd]$/, 'must be a duration such as 10m, 72h or 2d (one unit: s, m, h or d)')
    .refine((d) => {
      const n = durationSeconds(d) ?? -1;
      return n >= min && n <= max;
    }, `must be from ${minText} to ${maxText}`);

const serviceSchema = z
  .strictObject({
    /** Stripe's signing secret(s). Generated (whsec_…) and kept in the stack directory when absent. */
    stripeWebhookSecret: secretRefSchema.optional(),
    /** postgres://… for PostgreSQL; absent means SQLite in the service's data volume. */
    databaseUrl: secretRefSchema.optional(),
    /** redis://… for Redis; absent means the in-memory cache. */
    redisUrl: secretRefSchema.optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    bodyLimitBytes: z.number().int().min(1024, 'must be at least 1024 bytes').default(1_048_576),
    signatureToleranceSeconds: z.number().int().min(1).default(300),
    rateLimit: z
      .strictObject({
        /** Requests per second per client address; 0 turns it off. */
        perClient: z.number().min(0).default(50),
        /** Requests per second for the whole service; 0 turns it off. */
        global: z.number().min(0).default(500),
      })
      .prefault({}),
    workers: z.number().int().min(1).max(64).default(4),
    maxAttempts: z.number().int().min(1).max(100).default(5),
    /** Image build of the bundled service. */
    build: z
      .strictObject({
        /** Runtime base of the service image. */
        baseImage: imageRef.default('docker.io/library/node:20-bookworm-slim'),
        /** Build stage (needs npm and a C++ toolchain for better-sqlite3 when no prebuilt binary can be fetched). */
        builderImage: imageRef.default('docker.io/library/node:20-bookworm'),
        /** Extra CA certificate (PEM) trusted while building, for TLS-intercepting proxies. */
        caCertFile: z.string().min(1).optional(),
      })
      .prefault({}),
    /**
     * host:port Prometheus scrapes for the webhook metrics when the bundled service is switched off
     * (your own handler exporting the same metrics), e.g. host.containers.internal:8080.
     */
    scrapeTarget: z
      .string()
      .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port, such as host.docker.internal:8080')
      .optional(),
    /**
     * The URL Stripe delivers to (the endpoint in Stripe's Dashboard), e.g. https://hooks.example.com/webhooks/stripe.
     * The blackbox exporter probes `<publicUrl>/reachability` from the stack (WebhookEndpointUnreachable, and
     * the certificate's expiry when it is https).
     */
    publicUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://hooks.example.com/webhooks/stripe' })
      .refine((u) => !/[?#]/.test(u), 'must have no query or fragment (Stripe calls the URL as it is)')
      .optional(),
    /**
     * A Stripe API key for the reconcile with Stripe (a restricted key with read access to events,
     * rk_live_…): the service compares Stripe's List Events with what it stored. Absent: no reconcile.
     */
    stripeApiKey: secretRefSchema.optional(),
    /** The reconcile with Stripe (with stripeApiKey). */
    reconcile: z
      .strictObject({
        /** How often the service reconciles (1m to 24h). */
        interval: reconcileDuration(60, 86_400, '1m', '24h').default('10m'),
        /** How far back each reconcile compares (1m to 30d: Stripe keeps events 30 days). */
        window: reconcileDuration(60, 30 * 86_400, '1m', '30d').default('72h'),
        /** Whether the service's own runs store and process what is missing (`wmon reconcile --replay` always can). */
        replay: z.boolean().default(true),
        /** The event types your Stripe endpoint receives (up to 20); empty: all. */
        eventTypes: z
          .array(z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, 'must be a Stripe event type such as charge.succeeded'))
          .max(20, 'at most 20 event types (the most the List Events API takes)')
          .default([]),
        /** Stripe's API base URL; only to point the service at a Stripe API test server. */
        apiBase: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional(),
      })
      .prefault({}),
  })
  .prefault({});

const prometheusSchema = z
  .strictObject({
    retention: z
      .strictObject({
        time: promDuration.default('15d'),
        size: z
          .string()
          .regex(/^[0-9]+(B|KB|MB|GB|TB|PB|EB)$/, 'must be a size such as 10GB')
          .optional(),
      })
      .prefault({}),
    scrapeInterval: promDuration.default('15s'),
    evaluationInterval: promDuration.default('15s'),
    /** Labels on every series sent away and every alert, e.g. cluster and replica (README: long-term storage). */
    externalLabels: externalLabelsSchema,
    /**
     * The one of externalLabels that differs between the replicas of an HA pair: dropped from alerts, so that
     * both replicas' alerts are the same alert to a clustered Alertmanager (one notification).
     */
    replicaLabel: z.string().min(1).optional(),
    /** Endpoints Prometheus sends every series to: Mimir, Thanos Receive, Cortex, VictoriaMetrics… */
    remoteWrite: remoteWriteListSchema,
    /** More scrape jobs, in Prometheus's own scrape_config fields (see scrape.ts). */
    extraScrapeConfigs: z
      .array(scrapeConfigSchema)
      .max(MAX_EXTRA_SCRAPE_CONFIGS, `at most ${MAX_EXTRA_SCRAPE_CONFIGS} extra scrape jobs`)
      .default([]),
    /** A YAML file (relative to wmon.yaml) with a `global:` section merged into prometheus.yml's. */
    configFragment: z.string().min(1, 'must be a file path').optional(),
  })
  .refine((p) => p.replicaLabel === undefined || p.replicaLabel in p.externalLabels, {
    message: 'must be one of the labels in prometheus.externalLabels (the one that differs between replicas)',
    path: ['replicaLabel'],
  })
  .prefault({});

const lokiSchema = z
  .strictObject({
    /**
     * How long Loki keeps the service's logs. At least 24h: Loki 3.5 documents that as the minimum
     * retention period (its compactor deletes by daily index table; operations/storage/retention).
     */
    retention: promDuration
      .refine((d) => (durationSeconds(d) ?? 0) >= 86_400, 'must be at least 24h (the shortest retention Loki supports)')
      .default('7d'),
  })
  .prefault({});

/**
 * Basic auth in front of Prometheus, Alertmanager and the node exporter (their native web configuration,
 * a bcrypt hash of the password), used by wmon's own clients, Prometheus's scrapes and alerts, and Grafana's
 * data source. Required when one of them binds to an address other than loopback.
 */
const authSchema = z.strictObject({
  username: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores, such as wmon')
    .default('wmon'),
  /** Generated (random) and stored with mode 0600 in the stack directory when absent. */
  password: secretRefSchema.optional(),
  /** HTTPS for the same three components; their clients (wmon, Prometheus, Grafana) trust it. */
  tls: z
    .strictObject({
      /** PEM certificate (intermediates may follow it), relative to wmon.yaml's folder. */
      certFile: z.string().min(1, 'must be a file path (a PEM certificate)'),
      /** PEM private key of that certificate, unencrypted. */
      keyFile: z.string().min(1, 'must be a file path (a PEM private key)'),
      /** PEM certificate(s) of the private CA that signed certFile; without it clients trust certFile itself. */
      caFile: z.string().min(1, 'must be a file path (a PEM CA certificate)').optional(),
      /** The name clients check the certificate against; it must be one of the certificate's names. */
      serverName: z
        .string()
        .regex(/^[A-Za-z0-9*]([A-Za-z0-9.:*-]{0,252})$/, 'must be a host name or IP address such as localhost')
        .default('localhost'),
    })
    .optional(),
});

/** Components that answer anyone without a password unless `auth` is set (they read a web configuration). */
export const WEB_AUTH_COMPONENTS = [
  'prometheus',
  'alertmanager',
  'nodeExporter',
  'blackboxExporter',
] as const satisfies ComponentId[];
/** Components with no authentication of their own at all: they are never published beyond loopback. */
export const LOOPBACK_ONLY_COMPONENTS = ['loki', 'jaeger'] as const satisfies ComponentId[];

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (and ::ffff:127.x.x.x): an address only this host reaches. */
export function isLoopback(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return LOOPBACK.check(mapped, 'ipv4');
  return LOOPBACK.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

const grafanaSchema = z
  .strictObject({
    adminUser: z.string().min(1).default('admin'),
    /** Generated (random) and stored with mode 0600 in the stack directory when absent. */
    adminPassword: secretRefSchema.optional(),
    /** The URL people open Grafana at (for dashboard links in alerts); defaults to http://bind:port. */
    externalUrl: z.url({ error: 'must be an absolute URL such as https://grafana.example.com' }).optional(),
    /** A folder (relative to wmon.yaml) of dashboard JSON files, provisioned into their own Grafana folder. */
    extraDashboards: z.string().min(1, 'must be a folder path').optional(),
  })
  .prefault({});

/** A Kubernetes label key (optional DNS prefix, then a name) and value, as the API server accepts them. */
const k8sLabelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be a Kubernetes label key such as release or app.kubernetes.io/part-of',
  )
  .max(253 + 1 + 63);
const k8sLabelValue = z
  .string()
  .regex(
    /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/,
    'must be a Kubernetes label value (at most 63 characters)',
  );

/** `wmon render --target kubernetes`: where and how the service and its monitoring objects run on a cluster. */
const kubernetesSchema = z
  .strictObject({
    /** Namespace of every object (the AlertmanagerConfig's Secret references resolve in it). */
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name such as monitoring')
      .default('wmon'),
    /** The service's image in a registry the cluster pulls from; default: components.webhook.image. */
    image: imageRef.optional(),
    /** Replicas of the service (on PostgreSQL: SQLite is one process only). */
    replicas: z.number().int().min(1).max(100).default(2),
    /** The PodDisruptionBudget: pods that must stay up during a voluntary disruption (a node drain). */
    minAvailable: z.number().int().min(0).max(100).default(1),
    /** A HorizontalPodAutoscaler on CPU; absent: a fixed number of replicas. */
    autoscaling: z
      .strictObject({
        minReplicas: z.number().int().min(1).max(100).default(2),
        maxReplicas: z.number().int().min(1).max(100).default(10),
        /** Average CPU use, in percent of the pods' request, the autoscaler keeps. */
        cpuPercent: z.number().int().min(10).max(100).default(70),
      })
      .refine((a) => a.maxReplicas >= a.minReplicas, {
        message: 'maxReplicas must be at least minReplicas',
        path: ['maxReplicas'],
      })
      .optional(),
    /**
     * Labels the Prometheus Operator selects rules, monitors and Alertmanager configurations by (up to 10), e.g.
     * kube-prometheus-stack's `release: <its Helm release name>`.
     */
    operatorLabels: z
      .record(k8sLabelKey, k8sLabelValue)
      .refine((r) => Object.keys(r).length <= 10, 'at most 10 labels')
      .default({}),
    /** The Prometheus Grafana's wmon data source queries (the dashboards' panels use it). */
    prometheusUrl: z
      .url({
        protocol: /^https?$/,
        error: 'must be an http(s) URL such as http://prometheus-operated.monitoring.svc:9090',
      })
      .default('http://prometheus-operated.monitoring.svc:9090'),
  })
  .superRefine((k, ctx) => {
    const fewest = k.autoscaling?.minReplicas ?? k.replicas;
    const key = k.autoscaling ? 'autoscaling.minReplicas' : 'replicas';
    if (k.minAvailable > 0 && k.minAvailable >= fewest) {
      ctx.addIssue({
        code: 'custom',
        path: ['minAvailable'],
        message: `must be less than ${key} (${fewest}), or a node drain could never evict a pod (0 with one replica)`,
      });
    }
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    version: z.literal(1, { error: 'must be 1 (the only wmon.yaml format so far)' }).default(1),
    project: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,30}$/,
        'must be lower-case letters, digits and dashes, starting with a letter (at most 31)',
      )
      .default('wmon'),
    environment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be lower-case letters, digits and dashes, such as production')
      .default('development'),
    /** Where rendered configuration, secrets and state live; relative to wmon.yaml's folder. */
    stackDir: z.string().min(1).default('.wmon'),
    /** Basic auth for Prometheus, Alertmanager and the node exporter; needed to bind them beyond loopback. */
    auth: authSchema.optional(),
    /** Host address every port binds to unless a component overrides it. */
    bindAddress: bindAddress.default('127.0.0.1'),
    /** missing: pull images that are not present; never: fail instead; always: pull every time. */
    pullPolicy: z.enum(['missing', 'never', 'always']).default('missing'),
    components: componentsSchema,
    prometheus: prometheusSchema,
    grafana: grafanaSchema,
    loki: lokiSchema,
    alerts: alertsSchema.prefault({}),
    notifications: notificationsSchema,
    service: serviceSchema,
    kubernetes: kubernetesSchema,
    alertmanager: alertmanagerSchema,
    /** Your own webhook handler, monitored like the bundled service (components.webhook off). */
    handler: handlerSchema.optional(),
  })
  .superRefine((config, ctx) => {
    // Two enabled components cannot share a host port on the same address.
    const seen = new Map<string, string>();
    for (const id of COMPONENT_IDS) {
      const c = config.components[id];
      if (!c.enabled) continue;
      const ports: Array<[string[], number]> = [[['components', id, 'port'], c.port]];
      if (id === 'jaeger') ports.push([['components', id, 'otlpHttpPort'], config.components.jaeger.otlpHttpPort]);
      if (id === 'webhook') ports.push([['components', id, 'metricsPort'], config.components.webhook.metricsPort]);
      // A clustered Alertmanager also publishes its gossip port, on the same address.
      if (id === 'alertmanager' && config.alertmanager.peers.length > 0) {
        ports.push([['alertmanager', 'clusterPort'], config.alertmanager.clusterPort]);
      }
      for (const [path, p] of ports) {
        const key = `${c.bindAddress ?? config.bindAddress}:${p}`;
        const other = seen.get(key);
        if (other) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `port ${p} is already used by ${other}; give each component its own port`,
          });
        } else {
          seen.set(key, path.join('.'));
        }
      }
    }
    // Nothing without a password of its own is published beyond this host: one issue per bindAddress key.
    const exposed = new Map<string, { bind: string; path: string[]; needAuth: ComponentId[]; noAuth: ComponentId[] }>();
    for (const id of COMPONENT_IDS) {
      const c = config.components[id];
      const bind = c.bindAddress ?? config.bindAddress;
      if (!c.enabled || isLoopback(bind)) continue;
      const path = c.bindAddress === undefined ? ['bindAddress'] : ['components', id, 'bindAddress'];
      const entry = exposed.get(path.join('.')) ?? { bind, path, needAuth: [], noAuth: [] };
      exposed.set(path.join('.'), entry);
      if ((LOOPBACK_ONLY_COMPONENTS as readonly ComponentId[]).includes(id)) entry.noAuth.push(id);
      else if ((WEB_AUTH_COMPONENTS as readonly ComponentId[]).includes(id) && config.auth === undefined) {
        entry.needAuth.push(id);
      }
    }
    const list = (ids: ComponentId[]) =>
      new Intl.ListFormat('en', { type: 'conjunction' }).format(ids.map((id) => TITLE_OF[id]));
    for (const { bind, path, needAuth, noAuth } of exposed.values()) {
      const problems: string[] = [];
      if (needAuth.length > 0) {
        problems.push(
          `${list(needAuth)} would answer anyone who reaches ${bind} without a password: add an auth section (auth: {username: wmon, password: {env: WMON_AUTH_PASSWORD}}) or bind ${needAuth.length === 1 ? 'it' : 'them'} to 127.0.0.1`,
        );
      }
      if (noAuth.length > 0) {
        const keys = noAuth.map((id) => `components.${id}.bindAddress: 127.0.0.1`).join(', ');
        problems.push(
          `${list(noAuth)} ${noAuth.length === 1 ? 'has' : 'have'} no authentication of ${noAuth.length === 1 ? 'its' : 'their'} own: bind ${noAuth.length === 1 ? 'it' : 'them'} to loopback (${keys}) or switch ${noAuth.length === 1 ? 'it' : 'them'} off`,
        );
      }
      if (problems.length > 0) {
        ctx.addIssue({ code: 'custom', path, message: `${bind} is not a loopback address. ${problems.join('; ')}` });
      }
    }
    if (config.components.grafana.enabled && !config.components.prometheus.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['components', 'grafana', 'enabled'],
        message:
          'Grafana needs Prometheus (its default datasource): enable components.prometheus or switch Grafana off',
      });
    }
    checkExtensions(config, ctx);
  });

/** The handler replaces the bundled service (and service.scrapeTarget); extra jobs have names of their own. */
function checkExtensions(
  config: {
    readonly handler?: HandlerConfig | undefined;
    readonly components: { readonly webhook: { readonly enabled: boolean } };
    readonly service: { readonly scrapeTarget?: string | undefined; readonly publicUrl?: string | undefined };
    readonly prometheus: { readonly extraScrapeConfigs: readonly ExtraScrapeConfig[]; readonly scrapeInterval: string };
  },
  ctx: z.RefinementCtx,
): void {
  if (config.handler) {
    if (config.components.webhook.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['handler'],
        message:
          'monitors your own handler instead of the bundled webhook service: set components.webhook.enabled: false',
      });
    }
    if (config.service.scrapeTarget !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['service', 'scrapeTarget'],
        message: 'is the older form of handler.targets: move it there (handler: {targets: [host:port]})',
      });
    }
    if (config.service.publicUrl !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['service', 'publicUrl'],
        message: "is the bundled service's public URL: with handler, set handler.publicUrl instead",
      });
    }
  }
  const seen = new Set<string>();
  const seconds = (d: string) => durationSeconds(d) ?? 0;
  config.prometheus.extraScrapeConfigs.forEach((job, i) => {
    const interval = job.scrape_interval ?? config.prometheus.scrapeInterval;
    if (job.scrape_timeout !== undefined && seconds(job.scrape_timeout) > seconds(interval)) {
      ctx.addIssue({
        code: 'custom',
        path: ['prometheus', 'extraScrapeConfigs', i, 'scrape_timeout'],
        message: `is longer than the job's scrape interval (${interval}): Prometheus refuses that`,
      });
    }
    if (seen.has(job.job_name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['prometheus', 'extraScrapeConfigs', i, 'job_name'],
        message: `job ${job.job_name} is listed twice: give each job its own name`,
      });
    }
    seen.add(job.job_name);
  });
}

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ComponentConfig = Config['components'][ComponentId];
