/**
 * What every check reads: the configuration, the Stack model, a client per component (pointed at its host
 * URL, with the check deadline as its timeout), the stack directory (kept secrets) and the engine,
 * connected at most once.
 */
import path from 'node:path';

import {
  createAlertmanagerClient,
  createGrafanaClient,
  createJaegerClient,
  createLokiClient,
  createPrometheusClient,
  createServiceClient,
  type AlertmanagerClient,
  type GrafanaClient,
  type JaegerClient,
  type LokiClient,
  type PrometheusClient,
  type ServiceClient,
} from '../../adapters/clients/index.js';
import type { LoadedConfig } from '../../core/config/load.js';
import type { ComponentId, Config } from '../../core/config/schema.js';
import { readSecret } from '../../core/config/secrets.js';
import type { ContainerRuntime } from '../../adapters/runtime/index.js';
import { buildStack, type ComponentModel, type Stack } from '../../core/model/stack.js';
import { GENERATED_SECRET_FILES, readKeptSecret } from '../../adapters/stack-dir/secrets.js';

export interface HealthClients {
  readonly prometheus?: PrometheusClient;
  readonly alertmanager?: AlertmanagerClient;
  readonly loki?: LokiClient;
  readonly jaeger?: JaegerClient;
  readonly service?: ServiceClient;
}

export interface HealthContext {
  readonly loaded: LoadedConfig;
  readonly config: Config;
  readonly stack: Stack;
  readonly stackDir: string;
  /** Per-request timeout of the clients (the check deadline). */
  readonly timeoutMs: number;
  readonly clients: HealthClients;
  /** Enabled components by id. */
  component(id: ComponentId): ComponentModel | undefined;
  /** Grafana's client with the admin credentials, or why there is none. */
  grafana(): Promise<{ readonly client: GrafanaClient } | { readonly problem: string }>;
  /** The container engine, connected once (rejects with the detection report). */
  runtime(): Promise<ContainerRuntime>;
  /** The Stripe signing secret the service verifies with (the first, during a rotation). */
  webhookSecret(): Promise<string | undefined>;
}

export interface ContextOptions {
  readonly timeoutMs: number;
  /** Injected in tests; default: detect the engine. */
  readonly connectRuntime?: () => Promise<ContainerRuntime>;
  readonly env?: NodeJS.ProcessEnv;
}

export function createHealthContext(loaded: LoadedConfig, opts: ContextOptions): HealthContext {
  const { config } = loaded;
  const stack = buildStack(config);
  const stackDir = path.resolve(loaded.dir, config.stackDir);
  const byId = new Map(stack.components.map((c) => [c.id, c]));
  const url = (id: ComponentId) => byId.get(id)?.url;
  const timeoutMs = opts.timeoutMs;
  const secretCtx = { env: opts.env ?? process.env, baseDir: loaded.dir };

  const clients: HealthClients = {
    ...(url('prometheus') ? { prometheus: createPrometheusClient({ baseUrl: url('prometheus')!, timeoutMs }) } : {}),
    ...(url('alertmanager') ? { alertmanager: createAlertmanagerClient({ baseUrl: url('alertmanager')!, timeoutMs }) } : {}),
    ...(url('loki') ? { loki: createLokiClient({ baseUrl: url('loki')!, timeoutMs }) } : {}),
    ...(url('jaeger') ? { jaeger: createJaegerClient({ baseUrl: url('jaeger')!, timeoutMs }) } : {}),
    ...(url('webhook') ? { service: createServiceClient({ baseUrl: url('webhook')!, timeoutMs }) } : {}),
  };

  let runtime: Promise<ContainerRuntime> | undefined;
  return {
    loaded,
    config,
    stack,
    stackDir,
    timeoutMs,
    clients,
    component: (id) => byId.get(id),
    async grafana() {
      const base = url('grafana');
      if (!base) return { problem: 'Grafana is switched off' };
      let password: string | undefined;
      try {
        password = readSecret(config, 'grafanaAdminPassword', secretCtx) ?? (await readKeptSecret(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword));
      } catch (error) {
        return { problem: (error as Error).message };
      }
      if (!password) {
        return { problem: `no Grafana admin password: ${path.join(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword)} is missing (wmon init writes it)` };
      }
      return { client: createGrafanaClient({ baseUrl: base, timeoutMs, auth: { kind: 'basic', username: config.grafana.adminUser, password } }) };
    },
    runtime() {
      // Loaded on demand: the engine client (dockerode) is the heaviest import, and --skip engine needs none.
      runtime ??= (
        opts.connectRuntime ??
        (async () => {
          const rt = await import('../../adapters/runtime/index.js');
          // A loaded host answers slowly: the engine's ping gets the check's own timeout, not the 3 s default.
          return rt.connectRuntime({ ...rt.defaultDetectDeps(), pingTimeoutMs: Math.max(rt.PING_TIMEOUT_MS, timeoutMs) });
        })
      )();
      return runtime;
    },
    async webhookSecret() {
      const kept = await readKeptSecret(stackDir, GENERATED_SECRET_FILES.stripeWebhookSecret);
      const value = kept ?? readSecret(config, 'stripeWebhookSecret', secretCtx);
      return value?.split(',')[0]?.trim() || undefined;
    },
  };
}
