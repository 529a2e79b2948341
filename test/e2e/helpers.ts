import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { ContainerRuntime } from '../../src/adapters/runtime/container-runtime.js';
import { LABELS } from '../../src/core/model/container-types.js';
import { runtimeForTests, TEST_IMAGES } from '../support/engine.js';
import { freePort } from '../support/ports.js';

export { TEST_IMAGES };

/** Images the bundled webhook service is built from in CI (scripts/engine/build-images.sh). */
export const SERVICE_BUILD_IMAGES = {
  builder: 'localhost/wmon/node:20',
  base: 'localhost/wmon/node:20-slim',
} as const;

export interface E2eProject {
  readonly project: string;
  readonly dir: string;
  readonly ports: {
    prometheus: number;
    alertmanager: number;
    nodeExporter: number;
    webhook: number;
    webhookMetrics: number;
    blackboxExporter: number;
    loki: number;
    jaeger: number;
    jaegerOtlp: number;
  };
  readonly runtime: ContainerRuntime;
  /** Write wmon.yaml for this project (the base settings plus `extra` YAML appended, `prometheus` lines in its section). */
  writeConfig(extra?: string, prometheus?: string): Promise<void>;
  /** Remove every container, volume and network carrying the project's label, and the folder. */
  cleanup(): Promise<void>;
}

/**
 * A throw-away project on the real engine: unique name, free ports, local images, Grafana/Loki/Jaeger off
 * (they cannot run here). Undefined when no engine is usable outside CI (the suite then skips loudly).
 */
export async function e2eProject(
  suite: string,
  opts: {
    /**
     * Run the blackbox exporter, with service.publicUrl set to the service's public listener inside the stack,
     * by its container name (what Stripe would call, as the stack reaches it). Off by default: each component
     * costs CI time.
     */
    readonly blackbox?: boolean;
    /**
     * Without the bundled service (`components.webhook` off, no image built): for a handler of the test's own.
     */
    readonly bundledService?: false;
    /**
     * Run Loki and Jaeger as stand-ins (their images cannot be pulled here): one tiny local image built from
     * Prometheus's (busybox), run as Loki's and Jaeger's user 10001, answering their readiness paths and
     * keeping a log of its starts and stops in its volume (/loki, /tmp: where the stack mounts them).
     */
    readonly logsTraces?: boolean;
  } = {},
): Promise<E2eProject | undefined> {
  const runtime = await runtimeForTests(suite, [
    TEST_IMAGES.prometheus,
    TEST_IMAGES.alertmanager,
    TEST_IMAGES.nodeExporter,
    SERVICE_BUILD_IMAGES.builder,
    SERVICE_BUILD_IMAGES.base,
    ...(opts.blackbox ? [TEST_IMAGES.blackboxExporter] : []),
  ]);
  if (!runtime) return undefined;
  const project = `e2e${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), `wmon-${project}-`));
  const ports = {
    prometheus: await freePort(),
    alertmanager: await freePort(),
    nodeExporter: await freePort(),
    webhook: await freePort(),
    webhookMetrics: await freePort(),
    blackboxExporter: await freePort(),
    loki: await freePort(),
    jaeger: await freePort(),
    jaegerOtlp: await freePort(),
  };
  const standIn = `localhost/wmon/standin-${project}:latest`;
  if (opts.logsTraces) await buildStandIn(runtime, standIn, dir);
  const base = (prometheus: string) => `project: ${project}
pullPolicy: never
prometheus:
  scrapeInterval: 2s
  evaluationInterval: 2s
${prometheus}components:
  prometheus: {image: ${TEST_IMAGES.prometheus}, port: ${ports.prometheus}}
  alertmanager: {image: ${TEST_IMAGES.alertmanager}, port: ${ports.alertmanager}}
  nodeExporter: {image: ${TEST_IMAGES.nodeExporter}, port: ${ports.nodeExporter}}
  webhook: {${opts.bundledService === false ? 'enabled: false, ' : ''}image: localhost/wmon/webhook-${project}:latest, port: ${ports.webhook}, metricsPort: ${ports.webhookMetrics}}
  grafana: {enabled: false}
  loki: ${opts.logsTraces ? `{image: ${standIn}, port: ${ports.loki}}` : '{enabled: false}'}
  jaeger: ${opts.logsTraces ? `{image: ${standIn}, port: ${ports.jaeger}, otlpHttpPort: ${ports.jaegerOtlp}}` : '{enabled: false}'}
  blackboxExporter: ${opts.blackbox ? `{image: ${TEST_IMAGES.blackboxExporter}, port: ${ports.blackboxExporter}}` : '{enabled: false}'}
service:
  rateLimit: {perClient: 0, global: 0}
${opts.blackbox && opts.bundledService !== false ? `  publicUrl: http://${project}-webhook:8080/webhooks/stripe\n` : ''}  build:
    baseImage: ${SERVICE_BUILD_IMAGES.base}
    builderImage: ${SERVICE_BUILD_IMAGES.builder}
`;
  return {
    project,
    dir,
    ports,
    runtime,
    writeConfig: (extra = '', prometheus = '') => writeFile(path.join(dir, 'wmon.yaml'), base(prometheus) + extra),
    cleanup: async () => {
      const filter = { [LABELS.project]: project };
      for (const c of await runtime.listContainers(filter)) await runtime.removeContainer(c.id, { force: true });
      for (const v of await runtime.listVolumes(filter)) await runtime.removeVolume(v.name).catch(() => false);
      for (const n of await runtime.listNetworks(filter)) await runtime.removeNetwork(n.name).catch(() => false);
      await runtime.removeImage(`localhost/wmon/webhook-${project}:latest`, { force: true }).catch(() => false);
      if (opts.logsTraces) await runtime.removeImage(standIn, { force: true }).catch(() => false);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** How long the end-to-end tests wait for a real stack to get somewhere (a minute, looked at twice a second). */
export const E2E_WAIT = { timeoutMs: 60_000, intervalMs: 500 } as const;

/** Where the stand-in's lifecycle log is, in Loki's and Jaeger's volumes. */
export const STAND_IN_LOG = { loki: '/loki/lifecycle.log', jaeger: '/tmp/lifecycle.log' } as const;

/**
 * The Loki/Jaeger stand-in: its arguments ignored (the stack passes Loki's and Jaeger's flags), busybox's nc
 * on Loki's and Jaeger's query and metrics ports answering every request with 200 and one metric (readiness,
 * Prometheus's scrapes), and "started"/"stopped" lines appended to the log in whichever of /loki and /tmp it
 * can write (its volume): a stop is logged at SIGTERM.
 */
async function buildStandIn(runtime: ContainerRuntime, tag: string, dir: string): Promise<void> {
  const context = path.join(dir, 'standin');
  await mkdir(context, { recursive: true });
  const log = `for f in ${Object.values(STAND_IN_LOG).join(' ')}; do [ -w "$(dirname $f)" ] && echo "$1 $(date +%s)" >> $f; done`;
  const files: Record<string, readonly string[]> = {
    'standin.sh': [
      '#!/bin/sh',
      `note() { ${log}; }`,
      'note started',
      "trap 'note stopped; exit 0' TERM INT",
      'for port in 3100 16686 8888; do busybox nc -ll -p $port -e /answer.sh & done',
      'while :; do sleep 1 & wait $!; done',
      '',
    ],
    'answer.sh': [
      '#!/bin/sh',
      'while read -r line; do [ "$(printf %s "$line" | tr -d "\\r")" = "" ] && break; done',
      "printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain; version=0.0.4\\r\\nConnection: close\\r\\n\\r\\nstandin_up 1\\n'",
      '',
    ],
    Dockerfile: [
      `FROM ${TEST_IMAGES.prometheus}`,
      'USER 0',
      // Loki's image has /loki owned by its user; Jaeger's keeps its data in /tmp (world-writable).
      'RUN mkdir -p /loki && chown 10001:10001 /loki',
      'COPY standin.sh answer.sh /',
      'USER 10001',
      'ENTRYPOINT ["/standin.sh"]',
      '',
    ],
  };
  for (const [name, lines] of Object.entries(files)) {
    // The scripts are the image's programs; the Dockerfile is read by the build.
    await writeFile(path.join(context, name), lines.join('\n'), { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
  }
  await runtime.buildImage({ context: { dir: context }, tag });
}
