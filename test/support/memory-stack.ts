/**
 * A stack for operation tests without an engine: a throw-away wmon.yaml (Grafana, Loki and Jaeger off, free
 * host ports), the in-memory engine holding the images it names, and a context whose readiness wait asks
 * that engine (a container is ready while it runs) and whose clients are the fakes a test gives.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { MemoryRuntime } from '../../src/adapters/runtime/memory-runtime.js';
import { createStackContext, type ClientFactories, type StackContext } from '../../src/context.js';
import { loadConfig } from '../../src/core/config/load.js';
import { WmonError } from '../../src/errors.js';
import { initStack } from '../../src/ops/up.js';
import { fakeAlertmanager, fakePrometheus, handlePrometheusDataShell } from './fakes/memory-clients.js';
import { freePorts } from './ports.js';
import { tempDir } from './tmp.js';

export const IMAGES = {
  prometheus: 'docker.io/prom/prometheus:v3.5.0',
  alertmanager: 'docker.io/prom/alertmanager:v0.28.1',
  nodeExporter: 'docker.io/prom/node-exporter:v1.9.1',
} as const;

/** Loki and Jaeger (their volumes: `wmon backup --include logs,traces`), in a stack made with `dataVolumes`. */
export const DATA_IMAGES = {
  loki: 'docker.io/grafana/loki:3.5.3',
  jaeger: 'docker.io/jaegertracing/jaeger:2.8.0',
} as const;

export interface MemoryStack {
  readonly dir: string;
  readonly configFile: string;
  readonly runtime: MemoryRuntime;
  /** Containers the readiness wait was asked about, in order. */
  readonly awaited: string[];
  /** (Re)write wmon.yaml: the base settings plus `extra` YAML. */
  writeConfig(extra?: string): Promise<void>;
  /** A fresh context of the current wmon.yaml (as each command run opens one). */
  open(clients?: Partial<ClientFactories>): Promise<StackContext>;
}

export async function memoryStack(
  opts: { runtime?: MemoryRuntime; webhook?: boolean; dataVolumes?: boolean } = {},
): Promise<MemoryStack> {
  const dir = await tempDir('wmon-ops-');
  const configFile = path.join(dir, 'wmon.yaml');
  const runtime = opts.runtime ?? new MemoryRuntime();
  for (const ref of Object.values(IMAGES)) runtime.addImage(ref);
  if (opts.dataVolumes) for (const ref of Object.values(DATA_IMAGES)) runtime.addImage(ref);
  const [prometheus, alertmanager, nodeExporter, loki, jaeger, otlp] = await freePorts(6);
  const ports = { prometheus, alertmanager, nodeExporter };
  const awaited: string[] = [];
  const base = `project: ops${path
    .basename(dir)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}
components:
  prometheus: {image: ${IMAGES.prometheus}, port: ${ports.prometheus}}
  alertmanager: {image: ${IMAGES.alertmanager}, port: ${ports.alertmanager}}
  nodeExporter: {image: ${IMAGES.nodeExporter}, port: ${ports.nodeExporter}}
  webhook: {enabled: ${opts.webhook ?? false}}
  grafana: {enabled: false}
  loki: ${opts.dataVolumes ? `{image: ${DATA_IMAGES.loki}, port: ${loki}}` : '{enabled: false}'}
  jaeger: ${opts.dataVolumes ? `{image: ${DATA_IMAGES.jaeger}, port: ${jaeger}, otlpHttpPort: ${otlp}}` : '{enabled: false}'}
  blackboxExporter: {enabled: false}
`;
  const writeConfig = (extra = '') => writeFile(configFile, base + extra);
  await writeConfig();
  return {
    dir,
    configFile,
    runtime,
    awaited,
    writeConfig,
    async open(clients = {}) {
      return createStackContext(await loadConfig(configFile), {
        connectRuntime: async () => runtime,
        clients,
        // No Prometheus answers here: its settling is tested on its own (test/features/health/settled.test.ts).
        waitSettled: async () => undefined,
        waitReady: async (rt, spec) => {
          awaited.push(spec.name);
          const d = await rt.inspectContainer(spec.name);
          if (!d?.running) {
            const how = !d ? 'is gone' : d.state === 'exited' ? `exited with code ${d.exitCode}` : `is ${d.state}`;
            throw new WmonError(`${spec.component} did not become ready: the container ${how}`, { code: 'NOT_READY' });
          }
        },
      });
    },
  };
}

export const UP = { dryRun: false, keepOnFailure: false, timeoutMs: 5_000 } as const;
/** The block every running stack's Prometheus holds. */
export const BLOCK = '01JABCDEFGHJKMNPQRSTVWXYZ0';

/**
 * `s` brought up (with fake Prometheus and Alertmanager clients, and Prometheus's data shell), its Prometheus
 * volume holding one block.
 */
export async function startedStack(s: Awaited<ReturnType<typeof memoryStack>>) {
  handlePrometheusDataShell(s.runtime);
  const am = fakeAlertmanager();
  let prometheusContainer = '';
  const prom = fakePrometheus(s.runtime, () => prometheusContainer);
  const open = () => s.open({ alertmanager: am.client, prometheus: prom.client });
  const ctx = await open();
  prometheusContainer = `${ctx.stack.project}-prometheus`;
  await initStack(ctx, UP);
  const volume = s.runtime.volumeFiles(`${ctx.stack.project}-prometheus-data`);
  const now = Date.now();
  await volume.writeFile(
    `/${BLOCK}/meta.json`,
    JSON.stringify({
      ulid: BLOCK,
      minTime: now - 7_200_000,
      maxTime: now - 3_600_000,
      stats: { numSeries: 3, numSamples: 720 },
    }),
  );
  await volume.writeFile(`/${BLOCK}/index`, Buffer.alloc(4096, 7));
  return { am, prom, open, ctx, volume, now };
}

/** A running stack with one Prometheus block and a WAL segment in its volume, and one silence. */
export async function runningStack() {
  const s = await memoryStack();
  const { am, prom, open, ctx, volume, now } = await startedStack(s);
  await volume.writeFile(`/${BLOCK}/chunks/000001`, Buffer.alloc(65_536, 3));
  await volume.writeFile('/wal/00000000', Buffer.alloc(1024, 1));
  await am.client().createSilence({
    matchers: [{ name: 'alertname', value: 'WebhookHighCPU', isRegex: false, isEqual: true }],
    endsAt: new Date(now + 86_400_000),
    createdBy: 'on-call',
    comment: 'noisy during the migration',
  });
  return { s, am, prom, open, ctx, volume };
}
