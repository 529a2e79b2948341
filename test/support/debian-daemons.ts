/**
 * Runs Debian's Prometheus, Alertmanager and node exporter binaries at the versions pinned in
 * scripts/versions.env (unpacked, not installed, by scripts/prom-debs.sh into .cache/prom/<package>/) as
 * child processes on free loopback ports with temporary data directories, for the integration tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { freePort } from './ports.js';
import { PROM_DEBS as DEBS } from './versions.js';

const FETCH = 'scripts/prom-tools.sh';

export const BINARIES = {
  prometheus: join(DEBS, 'prometheus/usr/bin/prometheus'),
  alertmanager: join(DEBS, 'prometheus-alertmanager/usr/bin/prometheus-alertmanager'),
  nodeExporter: join(DEBS, 'prometheus-node-exporter/usr/bin/prometheus-node-exporter'),
  blackboxExporter: join(DEBS, 'prometheus-blackbox-exporter/usr/bin/prometheus-blackbox-exporter'),
} as const;

/** Throws (so the tests fail, not skip) when a binary is missing, saying how to get it. */
export function requireBinaries(...names: (keyof typeof BINARIES)[]): void {
  const missing = names.filter((n) => !existsSync(BINARIES[n])).map((n) => BINARIES[n]);
  if (missing.length > 0) {
    throw new Error(
      `Debian's binaries are missing (${missing.join(', ')}): run ${FETCH} from the repository root first.`,
    );
  }
}

export interface Daemon {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Its temporary directory (data, configs). */
  readonly dir: string;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

interface StartSpec {
  readonly name: string;
  readonly command: string;
  readonly args: (ctx: { port: number; dir: string }) => string[];
  /** Written into the directory before start, relative path → content. */
  readonly files?: (ctx: { port: number; dir: string }) => Record<string, string>;
  /** Run after the files are written, before start (e.g. backfill a TSDB). */
  readonly prepare?: (dir: string) => Promise<void>;
  readonly readyPath: string;
  /** Wrap the command, e.g. in a mount namespace. */
  readonly wrap?: (command: string, args: string[]) => [string, string[]];
}

async function startDaemon(spec: StartSpec): Promise<Daemon> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `wmon-${spec.name}-`));
  for (const [file, content] of Object.entries(spec.files?.({ port, dir }) ?? {})) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  await spec.prepare?.(dir);
  const [command, args] = (spec.wrap ?? ((c, a) => [c, a]))(spec.command, spec.args({ port, dir }));
  let output = '';
  const child: ChildProcess = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  let exited: string | undefined;
  const exit = new Promise<void>((ok) =>
    child.on('exit', (code, signal) => {
      exited = signal ? `killed by ${signal}` : `exit code ${code}`;
      ok();
    }),
  );
  child.on('error', (e) => (output += `spawn failed: ${e.message}\n`));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`${spec.name} stopped before it was ready (${exited}):\n${output.slice(-3000)}`);
    }
    try {
      const res = await fetch(`${url}${spec.readyPath}`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} was not ready at ${url}${spec.readyPath} after 30 s:\n${output.slice(-3000)}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return { name: spec.name, url, port, dir, output: () => output, stop };
}

export function startNodeExporter(): Promise<Daemon> {
  requireBinaries('nodeExporter');
  return startDaemon({
    name: 'node-exporter',
    command: BINARIES.nodeExporter,
    args: ({ port }) => [`--web.listen-address=127.0.0.1:${port}`],
    readyPath: '/metrics',
  });
}

/**
 * Prometheus with the lifecycle and admin APIs on (unless `plain`), reading `prometheus.yml` from its
 * directory; `prepare` runs before it starts, with its directory (its TSDB is `data/` there).
 */
export function startPrometheus(
  config: (port: number) => Record<string, string>,
  opts: { plain?: boolean; prepare?: (dir: string) => Promise<void> } = {},
): Promise<Daemon> {
  requireBinaries('prometheus');
  return startDaemon({
    name: 'prometheus',
    command: BINARIES.prometheus,
    files: ({ port }) => config(port),
    ...(opts.prepare ? { prepare: opts.prepare } : {}),
    args: ({ port, dir }) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.plain ? [] : ['--web.enable-lifecycle', '--web.enable-admin-api']),
    ],
    readyPath: '/-/ready',
  });
}

/** Wrap a command in a private mount namespace where `binds` (source → target) are bind-mounted. */
export function inNamespace(
  command: string,
  args: readonly string[],
  binds: ReadonlyArray<readonly [string, string]>,
  overlayShare?: string,
): [string, string[]] {
  const mounts = binds.map((_, i) => `mount --bind "$${2 * i + 1}" "$${2 * i + 2}"`);
  if (overlayShare)
    mounts.push(`mount -t overlay overlay -o "lowerdir=$${2 * binds.length + 1}:/usr/share" /usr/share`);
  const skip = 2 * binds.length + (overlayShare ? 1 : 0);
  const script = `set -e; ${mounts.join('; ')}; shift ${skip}; exec "$@"`;
  return [
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      ...binds.flat(),
      ...(overlayShare ? [overlayShare] : []),
      command,
      ...args,
    ],
  ];
}

/**
 * Alertmanager (clustering off) reading `alertmanager.yml` from its directory. Debian's build reads its
 * default notification template from /usr/share/prometheus/alertmanager/ and will not start without it;
 * when the host lacks it (the package is unpacked, not installed), the binary runs in a private mount
 * namespace where the package's usr/share is overlaid on /usr/share, which leaves the host untouched.
 */
/**
 * Alertmanager alone (its cluster off), or with `cluster`: the `--cluster.*` flags it runs with instead (an HA
 * member on its own ports).
 */
export function startAlertmanager(
  config: string,
  cluster: readonly string[] = ['--cluster.listen-address='],
): Promise<Daemon> {
  requireBinaries('alertmanager');
  const pkgShare = join(DEBS, 'prometheus-alertmanager/usr/share');
  const needsOverlay = !existsSync('/usr/share/prometheus/alertmanager/default.tmpl');
  return startDaemon({
    name: 'alertmanager',
    command: BINARIES.alertmanager,
    files: () => ({ 'alertmanager.yml': config }),
    args: ({ port, dir }) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...cluster,
    ],
    readyPath: '/-/ready',
    wrap: needsOverlay ? (command, args) => inNamespace(command, args, [], pkgShare) : undefined,
  });
}

/**
 * Prometheus and Alertmanager as wmon renders them: Prometheus with the rendered prometheus.yml (or `prometheusYml`)
 * and every rule file under prometheus/rules/, Alertmanager with the rendered alertmanager.yml.
 */
export async function startRenderedDaemons(
  files: readonly { readonly path: string; readonly contents: string }[],
  prometheusYml?: string,
): Promise<{ prometheus: Daemon; alertmanager: Daemon }> {
  const text = (p: string) => files.find((f) => f.path === p)!.contents;
  const rules = files.filter((f) => f.path.startsWith('prometheus/rules/'));
  const [prometheus, alertmanager] = await Promise.all([
    startPrometheus(() => ({
      'prometheus.yml': prometheusYml ?? text('prometheus/prometheus.yml'),
      ...Object.fromEntries(rules.map((f) => [f.path.replace(/^prometheus\//, ''), f.contents])),
    })),
    startAlertmanager(text('alertmanager/alertmanager.yml')),
  ]);
  return { prometheus, alertmanager };
}
