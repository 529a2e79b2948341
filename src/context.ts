/**
 * The stack a command works on, opened once per command run: the loaded wmon.yaml, the stack directory, the
 * Stack model, the container engine (connected lazily, at most once), a client per component and the
 * secrets. Operations and features read everything through it; tests inject the engine connector, the
 * client factories, the readiness wait and the environment.
 */
import { constants } from 'node:fs';
import nodeTls from 'node:tls';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

import {
  createAlertmanagerClient,
  createGrafanaClient,
  createJaegerClient,
  createLokiClient,
  createPrometheusClient,
  createServiceClient,
  type AlertmanagerClient,
  type ClientOptions,
  type GrafanaClient,
  type JaegerClient,
  type LokiClient,
  type PrometheusClient,
  type ServiceClient,
  type ServiceClientOptions,
} from './adapters/clients/index.js';
import type { ContainerRuntime } from './adapters/runtime/container-runtime.js';
import { waitContainerReady, waitUntilSettled, type SettleOptions } from './adapters/runtime/readiness.js';
import type { ClientTls, ContainerSpec } from './core/model/container-types.js';
import { GENERATED_SECRET_FILES, readKeptSecret, readKeptSecretSync } from './adapters/stack-dir/secrets.js';
import { loadExtensions } from './core/config/extensions.js';
import { loadConfig, type LoadedConfig } from './core/config/load.js';
import type { ComponentId, Config } from './core/config/schema.js';
import { readSecret } from './core/config/secrets.js';
import { loadTls, type TlsMaterial } from './core/config/tls.js';
import { buildStack, type ComponentModel, type Stack } from './core/model/stack.js';
import { renderStack, type RenderResult } from './core/render/index.js';
import { ConfigError, WmonError } from './errors.js';

/** One factory per component client (the real ones by default; tests give fakes). */
export interface ClientFactories {
  prometheus(options: ClientOptions): PrometheusClient;
  alertmanager(options: ClientOptions): AlertmanagerClient;
  grafana(options: ClientOptions): GrafanaClient;
  loki(options: ClientOptions): LokiClient;
  jaeger(options: ClientOptions): JaegerClient;
  service(options: ServiceClientOptions): ServiceClient;
}

/** Wait until a started container answers (over HTTP by default); rejects naming what it saw. */
export type ReadinessWait = (runtime: ContainerRuntime, spec: ContainerSpec, timeoutMs: number) => Promise<void>;

/** Wait until `pending()` finds nothing left (Prometheus settling after a start or reload); rejects naming what is. */
export type SettleWait = (pending: () => Promise<readonly string[]>, opts: SettleOptions) => Promise<void>;

/** What a context reaches the world through. Everything has a real default; tests replace what they need. */
export interface StackDeps {
  readonly connectRuntime: () => Promise<ContainerRuntime>;
  readonly clients: ClientFactories;
  readonly waitReady: ReadinessWait;
  readonly waitSettled: SettleWait;
  readonly env: NodeJS.ProcessEnv;
}

/** The clients of the enabled components, each pointed at its host URL with one timeout. */
export interface StackClients {
  readonly prometheus?: PrometheusClient;
  readonly alertmanager?: AlertmanagerClient;
  readonly loki?: LokiClient;
  readonly jaeger?: JaegerClient;
  readonly service?: ServiceClient;
}

export interface StackContext {
  readonly loaded: LoadedConfig;
  /** wmon.yaml did not exist and this run created it from the template (`wmon init`). */
  readonly configCreated: boolean;
  readonly config: Config;
  /** Absolute stack directory (rendered files, kept secrets, state). */
  readonly stackDir: string;
  readonly stack: Stack;
  readonly deps: StackDeps;
  /** Per-request timeout of `clients` (ms). */
  readonly timeoutMs: number;
  /** Clients with the context's timeout. */
  readonly clients: StackClients;
  /** The enabled component, or undefined when it is switched off. */
  component(id: ComponentId): ComponentModel | undefined;
  /** The enabled component; a clear error when it is switched off. */
  require(id: ComponentId): ComponentModel;
  /** Clients with another timeout (a snapshot may take minutes; a check has seconds). */
  clientsWith(timeoutMs: number): StackClients;
  /** The container engine, connected once (rejects with the detection report). */
  runtime(): Promise<ContainerRuntime>;
  /** Grafana's client as its admin, or why there is none (switched off, no password). */
  grafana(opts?: { timeoutMs?: number }): Promise<{ readonly client: GrafanaClient } | { readonly problem: string }>;
  /**
   * wmon.yaml's `auth` credentials (the configured password, else the one `wmon init` generated), or
   * undefined without `auth` (or before the password exists).
   */
  webAuth(): { readonly username: string; readonly password: string } | undefined;
  /** What clients of the HTTPS components trust (`auth.tls`), or undefined without it. */
  webTls(): ClientTls | undefined;
  /** The Stripe signing secret the service verifies with (the first, during a rotation). */
  webhookSecret(): Promise<string | undefined>;
  /** The files wmon.yaml renders (rendered at the first call, once per context: it takes a while). */
  rendered(): RenderResult;
  /** The same deps (and engine connection) for another configuration: restore's archived wmon.yaml. */
  withConfig(loaded: LoadedConfig): StackContext;
}

export interface ContextOptions extends Partial<Omit<StackDeps, 'clients'>> {
  /** Client factories to use instead of the real ones (the others stay real). */
  readonly clients?: Partial<ClientFactories>;
  /** Per-request timeout of `ctx.clients`; default 10 s. */
  readonly timeoutMs?: number;
  /** How long the engine gets to answer its ping (at least the 3 s default); a loaded host is slow. */
  readonly pingTimeoutMs?: number;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/** The real world: engine detection, HTTP clients, HTTP readiness. */
export function defaultDeps(
  overrides: Omit<ContextOptions, 'timeoutMs' | 'pingTimeoutMs'> = {},
  opts: { pingTimeoutMs?: number } = {},
): StackDeps {
  const clients: ClientFactories = {
    prometheus: createPrometheusClient,
    alertmanager: createAlertmanagerClient,
    grafana: createGrafanaClient,
    loki: createLokiClient,
    jaeger: createJaegerClient,
    service: createServiceClient,
  };
  return {
    // Loaded on demand: the engine client (dockerode) is the heaviest import, and many commands need none.
    connectRuntime: async () => {
      const rt = await import('./adapters/runtime/index.js');
      const pingTimeoutMs = Math.max(rt.PING_TIMEOUT_MS, opts.pingTimeoutMs ?? 0);
      return rt.connectRuntime({ ...rt.defaultDetectDeps(), pingTimeoutMs });
    },
    waitReady: waitContainerReady,
    waitSettled: waitUntilSettled,
    env: process.env,
    ...overrides,
    clients: { ...clients, ...overrides.clients },
  };
}

export interface OpenOptions extends ContextOptions {
  /**
   * When wmon.yaml does not exist: fail (default; CONFIG_MISSING), use the defaults without writing anything
   * (`render`, `init --dry-run`), or create it from a template (`init`).
   */
  readonly ifMissing?: 'fail' | 'defaults' | { readonly createFrom: string };
}

/** Load wmon.yaml and open its stack. */
export async function openStackContext(configFile: string, opts: OpenOptions = {}): Promise<StackContext> {
  const { ifMissing = 'fail', ...rest } = opts;
  const env = opts.env ?? process.env;
  let loaded = await loadConfig(configFile, { env, allowMissing: ifMissing !== 'fail' });
  let created = false;
  if (!loaded.exists && typeof ifMissing === 'object') {
    await mkdir(loaded.dir, { recursive: true });
    await copyFile(ifMissing.createFrom, loaded.file, constants.COPYFILE_EXCL);
    loaded = await loadConfig(configFile, { env });
    created = true;
  }
  return createStackContext(loaded, rest, created);
}

/** The stack of an already loaded configuration. */
export function createStackContext(
  loaded: LoadedConfig,
  opts: ContextOptions = {},
  configCreated = false,
): StackContext {
  const { timeoutMs = DEFAULT_CLIENT_TIMEOUT_MS, pingTimeoutMs, ...overrides } = opts;
  const deps = defaultDeps(overrides, pingTimeoutMs === undefined ? {} : { pingTimeoutMs });
  return contextOf(loaded, { ...deps, connectRuntime: once(deps.connectRuntime) }, timeoutMs, configCreated);
}

function contextOf(loaded: LoadedConfig, deps: StackDeps, timeoutMs: number, configCreated = false): StackContext {
  const { config } = loaded;
  const stack = buildStack(config);
  const stackDir = path.resolve(loaded.dir, config.stackDir);
  const byId = new Map(stack.components.map((c) => [c.id, c]));
  const secretCtx = { env: deps.env, baseDir: loaded.dir };
  const cache = new Map<number, StackClients>();
  let rendered: RenderResult | undefined;
  let webAuthValue: { username: string; password: string } | undefined | null = null;
  const webAuth = () => {
    if (webAuthValue !== null) return webAuthValue;
    if (!config.auth) return (webAuthValue = undefined);
    const password =
      readSecret(config, 'authPassword', secretCtx) ??
      readKeptSecretSync(stackDir, GENERATED_SECRET_FILES.authPassword);
    // Not cached while absent: `wmon init` generates it during this run.
    return password === undefined ? undefined : (webAuthValue = { username: config.auth.username, password });
  };

  let webTlsValue: ClientTls | undefined | null = null;
  const webTls = (): ClientTls | undefined => {
    if (webTlsValue !== null) return webTlsValue;
    const r = loadTls(config, loaded.dir);
    if (r === undefined) return (webTlsValue = undefined);
    // Checked when wmon.yaml was loaded; the files may have changed since.
    if (!r.ok) throw new ConfigError(loaded.file, r.issues);
    return (webTlsValue = clientTls(r.material));
  };

  const clientsWith = (ms: number): StackClients => {
    let clients = cache.get(ms);
    if (!clients) {
      const make = <K extends keyof StackClients>(id: ComponentId, key: K): Partial<Record<K, StackClients[K]>> => {
        const m = byId.get(id);
        const factory = deps.clients[key] as (o: ClientOptions) => StackClients[K];
        // The webhook service answers readiness and metrics on its internal listener.
        const auth = m?.readiness.authenticated ? webAuth() : undefined;
        const tls = m?.readiness.tls ? webTls() : undefined;
        const options = {
          baseUrl: m?.url ?? '',
          timeoutMs: ms,
          ...(m?.privateUrl ? { internalBaseUrl: m.privateUrl } : {}),
          ...(auth ? { auth: { kind: 'basic' as const, ...auth } } : {}),
          ...(tls ? { tls } : {}),
        };
        return m ? ({ [key]: factory(options) } as Record<K, StackClients[K]>) : {};
      };
      clients = {
        ...make('prometheus', 'prometheus'),
        ...make('alertmanager', 'alertmanager'),
        ...make('loki', 'loki'),
        ...make('jaeger', 'jaeger'),
        ...make('webhook', 'service'),
      };
      // Clients made before `wmon init` generated the auth password would never send it: not kept.
      if (!config.auth || webAuth()) cache.set(ms, clients);
    }
    return clients;
  };

  const ctx: StackContext = {
    loaded,
    configCreated,
    config,
    stackDir,
    stack,
    deps,
    timeoutMs,
    get clients() {
      return clientsWith(timeoutMs);
    },
    component: (id) => byId.get(id),
    require(id) {
      const m = byId.get(id);
      if (!m) {
        throw new WmonError(`${id} is switched off in ${loaded.file}.`, {
          code: 'COMPONENT_DISABLED',
          suggestions: [`Turn it on (components.${id}.enabled: true), or leave out what needs it.`],
        });
      }
      return m;
    },
    clientsWith,
    runtime: () => deps.connectRuntime(),
    async grafana(o = {}) {
      const m = byId.get('grafana');
      if (!m) return { problem: 'Grafana is switched off' };
      let password: string | undefined;
      try {
        password =
          readSecret(config, 'grafanaAdminPassword', secretCtx) ??
          (await readKeptSecret(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword));
      } catch (error) {
        return { problem: (error as Error).message };
      }
      if (!password) {
        const file = path.join(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword);
        return { problem: `no Grafana admin password: ${file} is missing (wmon init writes it)` };
      }
      const auth = { kind: 'basic' as const, username: config.grafana.adminUser, password };
      return { client: deps.clients.grafana({ baseUrl: m.url, timeoutMs: o.timeoutMs ?? timeoutMs, auth }) };
    },
    webAuth,
    webTls,
    async webhookSecret() {
      const kept = await readKeptSecret(stackDir, GENERATED_SECRET_FILES.stripeWebhookSecret);
      const value = kept ?? readSecret(config, 'stripeWebhookSecret', secretCtx);
      return value?.split(',')[0]?.trim() || undefined;
    },
    // The files wmon.yaml extends the stack with are read (bounded, checked) once, when first rendered.
    rendered: () => (rendered ??= renderStack(config, loadExtensions(config, loaded.dir))),
    withConfig: (other) => contextOf(other, deps, timeoutMs),
  };
  return ctx;
}

/** Grafana's admin client, or a clear error (for operations that cannot go on without it). */
export async function requireGrafana(ctx: StackContext, opts: { timeoutMs?: number } = {}): Promise<GrafanaClient> {
  const g = await ctx.grafana(opts);
  if ('client' in g) return g.client;
  throw new WmonError(`Grafana cannot be reached as its admin: ${g.problem}.`, {
    code: 'GRAFANA_PASSWORD_MISSING',
    suggestions: ['Run `wmon init` (it generates the password), or set grafana.adminPassword in wmon.yaml.'],
  });
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn().catch((error: unknown) => {
      p = undefined;
      throw error;
    });
    return p;
  };
}

/**
 * What wmon trusts for the HTTPS components: the private CA (auth.tls.caFile) alone; else the certificate itself
 * (self-signed) and the system's roots (a certificate from a public CA).
 */
export function clientTls(m: TlsMaterial): ClientTls {
  return { ca: m.privateCa ? [m.caPem] : [m.certPem, ...nodeTls.rootCertificates], serverName: m.serverName };
}
