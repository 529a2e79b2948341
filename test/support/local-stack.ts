/**
 * The stack wmon renders, run as real processes instead of containers, for the observe commands'
 * integration tests (check, metrics, report): Debian's Prometheus and Alertmanager with the configuration
 * `renderStack` produces, byte for byte, Debian's node exporter, and the bundled webhook service from
 * service/src.
 *
 * The rendered prometheus.yml scrapes `localhost:9090`, `alertmanager:9093`, `node-exporter:9100` and
 * `webhook:9464` (the service's internal listener), as on the stack's network. So that it runs unchanged (and `wmon check` finds no drift),
 * each process listens on its own loopback address (127.A.B.2–5, random per test file, with the container
 * ports), and Prometheus runs in a private mount namespace where /etc/hosts maps those names to them. The
 * wmon.yaml points each component's bindAddress at its address, so wmon reaches them as it would reach
 * the containers' published ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { parseConfigText } from '../../src/core/config/load.js';
import { renderStack } from '../../src/core/render/index.js';
import { BINARIES, inNamespace, requireBinaries } from './debian-daemons.js';
import { REPO } from './cli.js';
import { PROM_DEBS } from './versions.js';

export const WEBHOOK_SECRET = 'whsec_wmon_observe_test_0123456789abcdef';

export interface LocalProcess {
  readonly name: string;
  output(): string;
  running(): boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface LocalStack {
  readonly dir: string;
  readonly configFile: string;
  readonly stackDir: string;
  readonly urls: { prometheus: string; alertmanager: string; nodeExporter: string; webhook: string };
  readonly processes: Record<'prometheus' | 'alertmanager' | 'nodeExporter' | 'webhook', LocalProcess>;
  /** (Re)start one component. */
  start(name: 'prometheus' | 'alertmanager' | 'nodeExporter' | 'webhook'): Promise<void>;
  stopAll(): Promise<void>;
}

function launch(
  name: string,
  command: string,
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): LocalProcess {
  let output = '';
  let exited = false;
  const child: ChildProcess = spawn(command, [...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  child.on('error', (e) => (output += `spawn failed: ${e.message}\n`));
  return {
    name,
    output: () => output,
    running: () => !exited,
    async stop(signal = 'SIGTERM') {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function waitReady(name: string, url: string, proc: LocalProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running()) throw new Error(`${name} stopped before it was ready:\n${proc.output().slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${name} not ready at ${url} after ${timeoutMs} ms:\n${proc.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Start the stack for `extraYaml` (appended to the test wmon.yaml: thresholds, intervals…). Grafana, Loki
 * and Jaeger are off: their checks are tested against the contract fakes.
 */
export async function startLocalStack(extraYaml = ''): Promise<LocalStack> {
  requireBinaries('prometheus', 'alertmanager', 'nodeExporter');
  const net = `127.${randomInt(100, 250)}.${randomInt(1, 250)}`;
  const ip = { prometheus: `${net}.2`, alertmanager: `${net}.3`, nodeExporter: `${net}.4`, webhook: `${net}.5` };
  const dir = await mkdtemp(path.join(tmpdir(), 'wmon-observe-'));
  const configFile = path.join(dir, 'wmon.yaml');
  const yaml = `project: obs${net.replace(/\./g, '-').slice(4)}
bindAddress: ${net}.1
prometheus:
  scrapeInterval: 1s
  evaluationInterval: 1s
components:
  prometheus: {bindAddress: ${ip.prometheus}, port: 9090}
  alertmanager: {bindAddress: ${ip.alertmanager}, port: 9093}
  nodeExporter: {bindAddress: ${ip.nodeExporter}, port: 9100}
  webhook: {bindAddress: ${ip.webhook}, port: 8080}
  grafana: {enabled: false}
  loki: {enabled: false}
  jaeger: {enabled: false}
  blackboxExporter: {enabled: false}
service:
  rateLimit: {perClient: 0, global: 0}
${extraYaml}`;
  await writeFile(configFile, yaml);
  const config = parseConfigText(yaml, configFile);
  const stackDir = path.join(dir, config.stackDir);
  for (const f of renderStack(config).files) {
    await mkdir(path.dirname(path.join(stackDir, f.path)), { recursive: true });
    await writeFile(path.join(stackDir, f.path), f.contents);
  }
  await writeFile(path.join(stackDir, 'stripe-webhook-secret'), `${WEBHOOK_SECRET}\n`, { mode: 0o600 });
  const hosts = path.join(dir, 'hosts');
  await writeFile(
    hosts,
    `${ip.prometheus} localhost prometheus\n${ip.alertmanager} alertmanager\n${ip.nodeExporter} node-exporter\n${ip.webhook} webhook\n`,
  );
  const data = path.join(dir, 'data');
  await mkdir(data, { recursive: true });

  const urls = {
    prometheus: `http://${ip.prometheus}:9090`,
    alertmanager: `http://${ip.alertmanager}:9093`,
    nodeExporter: `http://${ip.nodeExporter}:9100`,
    webhook: `http://${ip.webhook}:8080`,
  };
  const amShare = path.join(PROM_DEBS, 'prometheus-alertmanager/usr/share');
  const needsOverlay = !existsSync('/usr/share/prometheus/alertmanager/default.tmpl');

  const starters = {
    prometheus: () =>
      launch(
        'prometheus',
        ...inNamespace(
          BINARIES.prometheus,
          [
            `--config.file=${path.join(stackDir, 'prometheus/prometheus.yml')}`,
            `--storage.tsdb.path=${path.join(data, 'prometheus')}`,
            `--web.listen-address=${ip.prometheus}:9090`,
            '--web.enable-lifecycle',
            '--web.enable-admin-api',
          ],
          [[hosts, '/etc/hosts']],
        ),
        { cwd: dir },
      ),
    alertmanager: () =>
      launch(
        'alertmanager',
        ...inNamespace(
          BINARIES.alertmanager,
          [
            `--config.file=${path.join(stackDir, 'alertmanager/alertmanager.yml')}`,
            `--storage.path=${path.join(data, 'alertmanager')}`,
            `--web.listen-address=${ip.alertmanager}:9093`,
            '--cluster.listen-address=',
          ],
          [],
          needsOverlay ? amShare : undefined,
        ),
        { cwd: dir },
      ),
    nodeExporter: () =>
      launch('node-exporter', BINARIES.nodeExporter, [`--web.listen-address=${ip.nodeExporter}:9100`], { cwd: dir }),
    webhook: () =>
      launch('webhook', process.execPath, ['--import', 'tsx', path.join(REPO, 'service/src/main.ts')], {
        cwd: REPO,
        env: {
          ...process.env,
          PORT: '8080',
          METRICS_PORT: '9464',
          HOST: ip.webhook,
          STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
          DATABASE_URL: `sqlite:${path.join(data, 'webhooks.db')}`,
          LOG_LEVEL: 'warn',
          RATE_LIMIT_PER_CLIENT: '0',
          RATE_LIMIT_GLOBAL: '0',
          LOKI_URL: '',
          OTEL_EXPORTER_OTLP_ENDPOINT: '',
        },
      }),
  } as const;
  const readyUrl = {
    prometheus: `${urls.prometheus}/-/ready`,
    alertmanager: `${urls.alertmanager}/-/ready`,
    nodeExporter: `${urls.nodeExporter}/metrics`,
    webhook: `http://${ip.webhook}:9464/readyz`,
  } as const;

  const processes = {} as LocalStack['processes'];
  const start = async (name: keyof typeof starters) => {
    await processes[name]?.stop();
    processes[name] = starters[name]();
    await waitReady(name, readyUrl[name], processes[name]);
  };
  const stopAll = async () => {
    await Promise.all(Object.values(processes).map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([start('nodeExporter'), start('alertmanager'), start('webhook')]);
    await start('prometheus');
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { dir, configFile, stackDir, urls, processes, start, stopAll };
}
