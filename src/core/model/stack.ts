import { ROUTES, SECRETS_MOUNT_DIR, SERVICE_LISTENERS, SERVICE_SECRET_ENV, secretPath } from '@wmon/contract';

import { isLoopback, WEB_AUTH_COMPONENTS, type ComponentId, type Config } from '../config/schema.js';
import { prometheusSecrets } from '../config/secrets.js';
import { webConfigPath } from '../render/web-config.js';

/** Where the blackbox exporter's rendered configuration is mounted (render/blackbox.ts writes blackbox.yml). */
export const BLACKBOX_CONFIG_DIR_IN_CONTAINER = '/etc/blackbox_exporter/wmon';

/**
 * The Stack model: each component described once (image, ports, volumes, readiness, configuration folder,
 * command line, environment, dependencies). Render, plan, urls, check and backup all read this one
 * description. Pure: a function of Config only.
 */

export interface ComponentPort {
  readonly name: string;
  readonly containerPort: number;
  readonly hostPort: number;
  readonly hostIp: string;
  /** tcp unless said (Alertmanager's cluster gossip uses both). */
  readonly protocol?: 'tcp' | 'udp';
  /** Not an HTTP endpoint (Alertmanager's cluster listener): no URL for it. */
  readonly gossip?: true;
}

export interface ComponentVolume {
  /** Volume name without the project prefix, e.g. `prometheus-data`. */
  readonly name: string;
  readonly target: string;
}

/** A rendered-configuration folder (under the stack directory) mounted read-only into the container. */
export interface ConfigMount {
  /** Folder under the stack directory, e.g. `prometheus`. */
  readonly dir: string;
  readonly target: string;
}

export interface ComponentModel {
  readonly id: ComponentId;
  readonly title: string;
  /** DNS name on the stack network and suffix of the container name, e.g. `node-exporter`. */
  readonly dnsName: string;
  readonly image: string;
  /** The main (HTTP) port first. */
  readonly ports: readonly ComponentPort[];
  readonly volumes: readonly ComponentVolume[];
  readonly config?: ConfigMount;
  /** Folder under the stack directory's `secrets/` holding this component's secret files, if any. */
  readonly secretsTarget?: string;
  readonly cmd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly user?: string;
  /** Run with a read-only root file system; `tmpfs` lists the scratch folders it still needs. */
  readonly readOnlyRootfs?: boolean;
  readonly tmpfs?: Readonly<Record<string, string>>;
  readonly readiness: {
    readonly path: string;
    readonly bodyIncludes?: string;
    /** The name of the port it is probed on (default: the main port). */
    readonly port?: string;
    /** The probe needs wmon.yaml's `auth` credentials (the component reads a web configuration). */
    readonly authenticated?: boolean;
    /** The component answers HTTPS (`auth.tls`): the probe trusts its certificate. */
    readonly tls?: boolean;
  };
  /** Host binds besides the config folder (node exporter reads the host's root file system). */
  readonly hostBinds: ReadonlyArray<{ readonly source: string; readonly target: string }>;
  readonly dependsOn: readonly ComponentId[];
  readonly memory?: string;
  readonly cpus?: number;
  /** URL on the host, e.g. http://127.0.0.1:9090. */
  readonly url: string;
  /** URL inside the stack network, e.g. http://prometheus:9090. */
  readonly internalUrl: string;
  /**
   * The webhook service's internal listener (metrics, readiness) as wmon reaches it from the host: published
   * on loopback only, never on the bindAddress.
   */
  readonly privateUrl?: string;
}

export interface Stack {
  readonly project: string;
  readonly environment: string;
  readonly network: string;
  /** Enabled components, in start order (dependencies first). */
  readonly components: readonly ComponentModel[];
}

export const TITLES: Record<ComponentId, string> = {
  prometheus: 'Prometheus',
  alertmanager: 'Alertmanager',
  grafana: 'Grafana',
  loki: 'Loki',
  jaeger: 'Jaeger',
  nodeExporter: 'Node Exporter',
  webhook: 'Webhook service',
  blackboxExporter: 'Blackbox Exporter',
};

export const DNS_NAMES: Record<ComponentId, string> = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  grafana: 'grafana',
  loki: 'loki',
  jaeger: 'jaeger',
  nodeExporter: 'node-exporter',
  webhook: 'webhook',
  blackboxExporter: 'blackbox-exporter',
};

/** Where Jaeger's volume is mounted: the image's own data folder (VOLUME /tmp, writable by its user 10001). */
export const JAEGER_DATA_DIR = '/tmp';
/** Jaeger's configuration (Badger on its volume), relative to the stack directory. */
export const JAEGER_CONFIG_FILE = 'jaeger/jaeger.yaml';

/** Ports inside the containers (fixed; only host ports are configurable). */
export const CONTAINER_PORTS = {
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
  loki: 3100,
  jaeger: 16686,
  jaegerOtlpHttp: 4318,
  nodeExporter: 9100,
  webhook: SERVICE_LISTENERS.public.port,
  webhookInternal: SERVICE_LISTENERS.internal.port,
  blackboxExporter: 9115,
  /** Jaeger 2's own metrics (its OpenTelemetry collector telemetry), on JAEGER_LISTEN_HOST. */
  jaegerMetrics: 8888,
  /** Alertmanager's cluster (gossip) listener, TCP and UDP, when alertmanager.peers is set. */
  alertmanagerCluster: 9094,
} as const;

/** Start order: a component comes after everything it depends on. */
const START_ORDER: readonly ComponentId[] = [
  'loki',
  'jaeger',
  'webhook',
  'nodeExporter',
  'blackboxExporter',
  'alertmanager',
  'prometheus',
  'grafana',
];

/** Loopback itself when `bind` is a loopback address, else 127.0.0.1: where a port meant only for this host binds. */
export function loopbackFor(bind: string): string {
  return /^127\./.test(bind) || bind === '::1' ? bind : '127.0.0.1';
}

/** The address a client on the host uses to reach a port bound to `bind`. */
export function hostForClients(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}

/**
 * Whether Prometheus runs with its admin API (`--web.enable-admin-api`: TSDB snapshots for `wmon backup`, but
 * also deleting series). Prometheus cannot restrict it to some clients (one listener, one web configuration
 * for every path), so it is on only while Prometheus is published on a loopback address; published beyond,
 * `wmon backup` copies its data folder while it is stopped instead.
 */
export function prometheusAdminApi(config: Config): boolean {
  return isLoopback(config.components.prometheus.bindAddress ?? config.bindAddress);
}

export function isEnabled(config: Config, id: ComponentId): boolean {
  return config.components[id].enabled;
}

export function buildStack(config: Config): Stack {
  const on = (id: ComponentId) => isEnabled(config, id);
  const tls = config.auth?.tls !== undefined;
  const models = new Map<ComponentId, ComponentModel>();

  const base = (id: ComponentId, extraPorts: ComponentPort[] = []) => {
    const c = config.components[id];
    const hostIp = c.bindAddress ?? config.bindAddress;
    const containerPort = CONTAINER_PORTS[id];
    // With auth.tls the components that read a web configuration answer HTTPS only.
    const scheme = tls && (WEB_AUTH_COMPONENTS as readonly ComponentId[]).includes(id) ? 'https' : 'http';
    return {
      id,
      title: TITLES[id],
      dnsName: DNS_NAMES[id],
      image: c.image,
      ports: [{ name: 'http', containerPort, hostPort: c.port, hostIp }, ...extraPorts],
      url: `${scheme}://${hostForClients(hostIp)}:${c.port}`,
      internalUrl: `${scheme}://${DNS_NAMES[id]}:${containerPort}`,
      ...(c.memory === undefined ? {} : { memory: c.memory }),
      ...(c.cpus === undefined ? {} : { cpus: c.cpus }),
      hostBinds: [],
    };
  };
  const url = (id: ComponentId) => base(id).url;
  // With auth, Prometheus, Alertmanager and the node exporter read a web configuration (basic auth) from
  // their secrets folder; without it they take neither the flag nor the folder (their containers stay as they were).
  const auth = config.auth !== undefined;
  const webAuth = auth
    ? { secretsTarget: SECRETS_MOUNT_DIR, webConfigFlag: [`--web.config.file=${webConfigPath(tls)}`] }
    : { webConfigFlag: [] };
  const authReadiness = auth ? { authenticated: true, ...(tls ? { tls: true } : {}) } : {};

  if (on('prometheus')) {
    const p = config.prometheus;
    const deps: ComponentId[] = (['alertmanager', 'nodeExporter', 'webhook', 'blackboxExporter'] as const).filter(on);
    models.set('prometheus', {
      ...base('prometheus'),
      volumes: [{ name: 'prometheus-data', target: '/prometheus' }],
      config: { dir: 'prometheus', target: '/etc/prometheus' },
      // Its secrets folder: the auth password, and the remote-write endpoints' credentials.
      ...(webAuth.secretsTarget || prometheusSecrets(config).length > 0 ? { secretsTarget: SECRETS_MOUNT_DIR } : {}),
      cmd: [
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${p.retention.time}`,
        ...(p.retention.size ? [`--storage.tsdb.retention.size=${p.retention.size}`] : []),
        // Reloading is safe only because ports bind to loopback, or every request needs the auth credentials
        // (config validation refuses anything else; see README, "Security"). The admin API (delete series,
        // snapshots) is not: it is on only while Prometheus is published on loopback alone.
        '--web.enable-lifecycle',
        ...(prometheusAdminApi(config) ? ['--web.enable-admin-api'] : []),
        `--web.external-url=${url('prometheus')}`,
        ...webAuth.webConfigFlag,
      ],
      env: {},
      readiness: { path: '/-/ready', ...authReadiness },
      dependsOn: deps,
    });
  }

  if (on('alertmanager')) {
    const cluster = config.alertmanager;
    const clustered = cluster.peers.length > 0;
    const hostIp = config.components.alertmanager.bindAddress ?? config.bindAddress;
    const gossip = (protocol: 'tcp' | 'udp'): ComponentPort => ({
      name: `cluster-${protocol}`,
      containerPort: CONTAINER_PORTS.alertmanagerCluster,
      hostPort: cluster.clusterPort,
      hostIp,
      protocol,
      gossip: true,
    });
    models.set('alertmanager', {
      ...base('alertmanager', clustered ? [gossip('tcp'), gossip('udp')] : []),
      volumes: [{ name: 'alertmanager-data', target: '/alertmanager' }],
      config: { dir: 'alertmanager', target: '/etc/alertmanager' },
      secretsTarget: SECRETS_MOUNT_DIR,
      cmd: [
        '--config.file=/etc/alertmanager/alertmanager.yml',
        '--storage.path=/alertmanager',
        ...(clustered
          ? [
              // An HA pair (or more): shared silences and notification log with the peers, over gossip.
              `--cluster.listen-address=0.0.0.0:${CONTAINER_PORTS.alertmanagerCluster}`,
              `--cluster.advertise-address=${cluster.advertiseAddress}`,
              ...cluster.peers.map((peer) => `--cluster.peer=${peer}`),
            ]
          : // A single Alertmanager: no gossip cluster (it would delay the first notification by ~10 s).
            ['--cluster.listen-address=']),
        // Notification counters per receiver (`receiver_name`): `wmon check` tells the heartbeat's failures apart.
        '--enable-feature=receiver-name-in-metrics',
        `--web.external-url=${url('alertmanager')}`,
        ...webAuth.webConfigFlag,
      ],
      env: {},
      readiness: { path: '/-/ready', ...authReadiness },
      dependsOn: [],
    });
  }

  if (on('grafana')) {
    const g = config.grafana;
    models.set('grafana', {
      ...base('grafana'),
      volumes: [{ name: 'grafana-data', target: '/var/lib/grafana' }],
      config: { dir: 'grafana', target: '/etc/grafana/wmon' },
      secretsTarget: SECRETS_MOUNT_DIR,
      cmd: [],
      env: {
        GF_PATHS_PROVISIONING: '/etc/grafana/wmon/provisioning',
        GF_SECURITY_ADMIN_USER: g.adminUser,
        GF_SECURITY_ADMIN_PASSWORD__FILE: secretPath('grafanaAdminPassword'),
        GF_USERS_ALLOW_SIGN_UP: 'false',
        // Grafana's default, said explicitly: nobody sees a dashboard without logging in.
        GF_AUTH_ANONYMOUS_ENABLED: 'false',
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
        GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
        GF_SERVER_ROOT_URL: grafanaUrl(config),
      },
      readiness: { path: '/api/health', bodyIncludes: '"database"' },
      dependsOn: (['prometheus', 'loki', 'jaeger'] as const).filter(on),
    });
  }

  if (on('loki')) {
    models.set('loki', {
      ...base('loki'),
      volumes: [{ name: 'loki-data', target: '/loki' }],
      config: { dir: 'loki', target: '/etc/loki/wmon' },
      cmd: ['-config.file=/etc/loki/wmon/loki.yaml'],
      env: {},
      readiness: { path: '/ready' },
      dependsOn: [],
    });
  }

  if (on('jaeger')) {
    const j = config.components.jaeger;
    const hostIp = j.bindAddress ?? config.bindAddress;
    models.set('jaeger', {
      ...base('jaeger', [
        { name: 'otlp-http', containerPort: CONTAINER_PORTS.jaegerOtlpHttp, hostPort: j.otlpHttpPort, hostIp },
      ]),
      // Traces in Badger on a volume (render/jaeger.ts), mounted where the image keeps its data (VOLUME /tmp,
      // writable by the image's user): a new volume takes that folder's owner and mode from the image.
      volumes: [{ name: 'jaeger-data', target: JAEGER_DATA_DIR }],
      config: { dir: 'jaeger', target: '/etc/jaeger/wmon' },
      cmd: [`--config=/etc/jaeger/wmon/${JAEGER_CONFIG_FILE.split('/')[1]}`],
      // Its configuration listens on JAEGER_LISTEN_HOST (localhost unless set), as Jaeger 2's built-in one
      // does: other containers must reach its OTLP receiver.
      env: { JAEGER_LISTEN_HOST: '0.0.0.0' },
      readiness: { path: '/api/services' },
      dependsOn: [],
    });
  }

  if (on('nodeExporter')) {
    models.set('nodeExporter', {
      ...base('nodeExporter'),
      volumes: [],
      ...(webAuth.secretsTarget ? { secretsTarget: webAuth.secretsTarget } : {}),
      cmd: ['--path.rootfs=/host', ...webAuth.webConfigFlag],
      env: {},
      hostBinds: [{ source: '/', target: '/host' }],
      readiness: { path: '/metrics', ...authReadiness },
      dependsOn: [],
    });
  }

  if (on('blackboxExporter')) {
    models.set('blackboxExporter', {
      ...base('blackboxExporter'),
      volumes: [],
      config: { dir: 'blackbox-exporter', target: BLACKBOX_CONFIG_DIR_IN_CONTAINER },
      ...(webAuth.secretsTarget ? { secretsTarget: webAuth.secretsTarget } : {}),
      cmd: [`--config.file=${BLACKBOX_CONFIG_DIR_IN_CONTAINER}/blackbox.yml`, ...webAuth.webConfigFlag],
      env: {},
      // HTTP probes need no privilege (only ICMP would): nobody, on a read-only file system.
      user: '65534:65534',
      readOnlyRootfs: true,
      readiness: { path: '/-/healthy', ...authReadiness },
      dependsOn: [],
    });
  }

  if (on('webhook')) {
    const s = config.service;
    const env = SERVICE_SECRET_ENV;
    const w = config.components.webhook;
    const privateIp = loopbackFor(w.bindAddress ?? config.bindAddress);
    models.set('webhook', {
      ...base('webhook', [
        // Metrics and readiness: for Prometheus on the stack network, and for wmon on this host only.
        {
          name: 'internal',
          containerPort: CONTAINER_PORTS.webhookInternal,
          hostPort: w.metricsPort,
          hostIp: privateIp,
        },
      ]),
      privateUrl: `http://${hostForClients(privateIp)}:${w.metricsPort}`,
      // The image runs as its non-root user; nothing but the SQLite volume (and a small /tmp) is writable.
      readOnlyRootfs: true,
      tmpfs: { '/tmp': 'rw,noexec,nosuid,size=16m' },
      volumes: [{ name: 'webhook-data', target: '/data' }],
      secretsTarget: SECRETS_MOUNT_DIR,
      cmd: [],
      env: {
        [SERVICE_LISTENERS.public.portEnv]: String(CONTAINER_PORTS.webhook),
        [SERVICE_LISTENERS.internal.portEnv]: String(CONTAINER_PORTS.webhookInternal),
        HOST: '0.0.0.0',
        [env.stripeWebhookSecret.file]: secretPath('stripeWebhookSecret'),
        ...(s.databaseUrl
          ? { [env.databaseUrl.file]: secretPath('databaseUrl') }
          : { [env.databaseUrl.value]: 'sqlite:/data/webhooks.db' }),
        ...(s.redisUrl ? { [env.redisUrl.file]: secretPath('redisUrl') } : {}),
        ...(on('loki') ? { LOKI_URL: `http://${DNS_NAMES.loki}:${CONTAINER_PORTS.loki}` } : {}),
        ...(on('jaeger')
          ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${DNS_NAMES.jaeger}:${CONTAINER_PORTS.jaegerOtlpHttp}` }
          : {}),
        OTEL_SERVICE_NAME: 'wmon-webhook',
        LOG_LEVEL: s.logLevel,
        BODY_LIMIT_BYTES: String(s.bodyLimitBytes),
        SIGNATURE_TOLERANCE_SECONDS: String(s.signatureToleranceSeconds),
        RATE_LIMIT_PER_CLIENT: String(s.rateLimit.perClient),
        RATE_LIMIT_GLOBAL: String(s.rateLimit.global),
        WORKERS: String(s.workers),
        MAX_ATTEMPTS: String(s.maxAttempts),
        ...(s.stripeApiKey
          ? {
              [env.stripeApiKey.file]: secretPath('stripeApiKey'),
              RECONCILE_INTERVAL: s.reconcile.interval,
              RECONCILE_WINDOW: s.reconcile.window,
              RECONCILE_REPLAY: String(s.reconcile.replay),
              ...(s.reconcile.eventTypes.length > 0 ? { RECONCILE_EVENT_TYPES: s.reconcile.eventTypes.join(',') } : {}),
              ...(s.reconcile.apiBase ? { STRIPE_API_BASE: s.reconcile.apiBase } : {}),
            }
          : {}),
      },
      readiness: { path: ROUTES.ready, port: 'internal' },
      dependsOn: [],
    });
  }

  return {
    project: config.project,
    environment: config.environment,
    network: `${config.project}-net`,
    components: START_ORDER.flatMap((id) => {
      const m = models.get(id);
      return m ? [m] : [];
    }),
  };
}

/** Grafana's public URL (for links in alerts and Grafana's root_url). */
export function grafanaUrl(config: Config): string {
  const g = config.components.grafana;
  return (
    config.grafana.externalUrl ?? `http://${hostForClients(g.bindAddress ?? config.bindAddress)}:${g.port}`
  ).replace(/\/+$/, '');
}

export function containerName(stack: Pick<Stack, 'project'>, component: Pick<ComponentModel, 'dnsName'>): string {
  return `${stack.project}-${component.dnsName}`;
}
