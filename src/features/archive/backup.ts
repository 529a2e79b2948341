/**
 * `wmon backup`: one .tar.gz written in a single pass (format.ts): wmon.yaml and the rendered files,
 * Alertmanager's silences, Grafana's folders, dashboards and data sources, Prometheus's data (a TSDB
 * snapshot streamed out of the container, or a stopped server's data folder), and manifest.json last.
 * The archive appears under its name only once complete; `--keep N` then prunes older ones.
 */
import { readdir, readFile, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';

import { createAlertmanagerClient, createPrometheusClient, type GrafanaClient } from '../../adapters/clients/index.js';
import { loadConfig, type LoadedConfig } from '../../core/config/load.js';
import { COMPONENT_IDS, type ComponentId } from '../../core/config/schema.js';
import { secretSlots } from '../../core/config/secrets.js';
import { WmonError } from '../../errors.js';
import { durationSeconds } from '../../core/vocab/durations.js';
import { formatBytes } from '../../core/vocab/bytes.js';
import { renderStack } from '../../core/render/index.js';
import type { BackupComponentJson, BackupResultJson, BackupSecretJson } from '../../results.js';
import { connectRuntime, LABELS, normalizeImageRef, type ContainerRuntime, type ContainerSummary } from '../../adapters/runtime/index.js';
import { volumeName } from '../../core/model/containers.js';
import { stackGrafanaClient } from '../../ops/grafana-access.js';
import { buildStack, isEnabled, type Stack } from '../../core/model/stack.js';
import { GENERATED_SECRET_FILES } from '../../adapters/stack-dir/secrets.js';
import { runTasks, type Task } from '../../cli/reporters.js';
import {
  backupFileName,
  CONFIG_DIR,
  CONFIG_ENTRY,
  FORMAT_NAME,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  SILENCES_ENTRY,
} from './format.js';
import { collectGrafana } from './grafana-content.js';
import type { ComponentRecord, Manifest, Probe } from './manifest.js';
import { copySnapshot, copyVolume, takeProbes, type DataCopy, type PrometheusData } from './prometheus-data.js';
import { collectSilences } from './silences.js';
import { openArchive, type ArchiveWriter } from './tar-writer.js';
import { wmonVersion } from '../../package.js';

export interface BackupOptions {
  readonly configFile: string;
  /** Where backups go; default `backups/` beside wmon.yaml. Safety backups go to its `safety/` folder. */
  readonly outputDir?: string;
  /** Keep only the N newest backups of this kind in the folder (older ones are removed). */
  readonly keep?: number;
  readonly progress: 'tty' | 'lines' | 'silent';
  /** `safety`: the copy reset and restore take first; named safety_…, kept apart, the last 5 kept. */
  readonly kind?: 'backup' | 'safety';
  /**
   * A component that runs but does not answer is left out with a warning instead of failing the backup
   * (safety backups: the stack may be broken, that is why it is being restored).
   */
  readonly tolerant?: boolean;
  /** Prometheus probes taken before Prometheus was stopped (a restore's safety backup). */
  readonly probes?: readonly Probe[];
  /** gzip level (default: zlib's default, as `gzip`/`tar czf`). */
  readonly level?: number;
}

/** Safety backups kept per stack (older ones are pruned). */
export const SAFETY_BACKUPS_KEPT = 5;

export function defaultBackupDir(loaded: Pick<LoadedConfig, 'dir'>): string {
  return path.join(loaded.dir, 'backups');
}

interface BackupContext {
  loaded: LoadedConfig;
  stack: Stack;
  stackDir: string;
  runtime: ContainerRuntime;
  containers: ContainerSummary[];
  writer: ArchiveWriter;
  file: string;
  createdAt: Date;
  components: Record<string, ComponentRecord>;
  results: BackupComponentJson[];
  warnings: string[];
  manifest: Partial<Manifest>;
  secrets: BackupSecretJson[];
  prometheus: BackupResultJson['prometheus'];
  alertmanager: BackupResultJson['alertmanager'];
  grafana: BackupResultJson['grafana'];
  pruned: string[];
  finished: { file: string; bytes: number; sha256: string };
}

export async function createBackup(opts: BackupOptions): Promise<BackupResultJson> {
  const started = Date.now();
  const kind = opts.kind ?? 'backup';
  const ctx = { components: {}, warnings: [], results: [], secrets: [], manifest: {}, pruned: [], prometheus: null, alertmanager: null, grafana: null } as unknown as BackupContext;
  const say = (c: BackupContext, component: string, included: boolean, detail: string) => c.results.push({ component, included, detail });
  /** A component that runs but cannot be read: fail, or (tolerant) leave it out and say so. */
  const unreadable = (c: BackupContext, component: string, error: unknown): void => {
    const message = `${component} could not be backed up: ${(error as Error).message.split('\n')[0]}`;
    if (!opts.tolerant) throw new WmonError(message, { code: 'BACKUP_COMPONENT_UNAVAILABLE', suggestions: [`Check ${component} (\`wmon check\`), then try again.`] });
    c.warnings.push(`${message}; it is not in this backup`);
    say(c, component, false, 'did not answer');
  };

  const tasks: Task<BackupContext>[] = [
    {
      title: 'Load wmon.yaml',
      run: async (c) => {
        c.loaded = await loadConfig(opts.configFile);
        c.stack = buildStack(c.loaded.config);
        c.stackDir = path.resolve(c.loaded.dir, c.loaded.config.stackDir);
      },
    },
    {
      title: 'Connect to the container engine',
      run: async (c, t) => {
        c.runtime = await connectRuntime();
        t.output(`${c.runtime.engine.name} ${c.runtime.engine.version}`);
        c.containers = await c.runtime.listContainers({ [LABELS.project]: c.stack.project });
        for (const id of COMPONENT_IDS) {
          const cfg = c.loaded.config.components[id];
          const image = normalizeImageRef(cfg.image);
          const container = c.containers.find((x) => x.labels[LABELS.component] === id);
          const info = cfg.enabled ? await c.runtime.inspectImage(image) : null;
          c.components[id] = {
            enabled: cfg.enabled,
            image,
            imageId: container?.imageId ?? info?.id ?? null,
            digests: [...(info?.digests ?? [])],
            container: container?.name ?? null,
            running: container?.state === 'running',
          };
        }
      },
    },
    {
      title: 'Open the archive',
      run: async (c, t) => {
        const base = opts.outputDir ? path.resolve(opts.outputDir) : defaultBackupDir(c.loaded);
        const dir = kind === 'safety' ? path.join(base, 'safety') : base;
        try {
          await mkdir(dir, { recursive: true });
        } catch (error) {
          throw new WmonError(`Cannot create the backup folder ${dir}: ${(error as Error).message}`, { code: 'BACKUP_DIR_FAILED' });
        }
        c.createdAt = new Date();
        // Two backups in the same second: the second waits for the next name (a backup is never overwritten).
        for (let attempt = 0; ; attempt++) {
          c.file = path.join(dir, backupFileName(c.createdAt, kind));
          const exists = await readFile(c.file).then(() => true, () => false);
          if (!exists || attempt >= 3) break;
          await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
          c.createdAt = new Date();
        }
        try {
          c.writer = await openArchive(c.file, opts.level === undefined ? {} : { level: opts.level });
        } catch (error) {
          throw new WmonError(`Cannot write ${c.file}: ${(error as Error).message}`, { code: 'BACKUP_WRITE_FAILED' });
        }
        t.output(c.file);
      },
    },
    {
      title: 'Configuration',
      run: async (c) => {
        await c.writer.tar.addBuffer(CONFIG_ENTRY, await readFile(c.loaded.file));
        const rendered = renderStack(c.loaded.config).files;
        const files: string[] = [];
        for (const f of rendered) {
          const onDisk = await readFile(path.join(c.stackDir, ...f.path.split('/'))).catch(() => undefined);
          if (onDisk === undefined) c.warnings.push(`${f.path} is not in the stack directory yet (run \`wmon init\`): the backup holds it as wmon.yaml renders it`);
          else if (!onDisk.equals(Buffer.from(f.contents))) c.warnings.push(`${f.path} in the stack directory differs from what wmon.yaml renders (run \`wmon update\`): the backup holds the file as it is`);
          await c.writer.tar.addBuffer(`${CONFIG_DIR}${f.path}`, onDisk ?? Buffer.from(f.contents));
          files.push(f.path);
        }
        c.manifest.config = { stackDir: c.loaded.config.stackDir, files };
        c.secrets.push(...secretsNeeded(c.loaded, c.stackDir));
      },
    },
    {
      title: 'Alertmanager silences',
      skip: (c) => (isEnabled(c.loaded.config, 'alertmanager') ? false : 'switched off'),
      run: async (c, t) => {
        if (!c.components.alertmanager?.running) {
          say(c, 'alertmanager', false, 'not running');
          c.warnings.push('Alertmanager is not running: its silences are not in this backup');
          return;
        }
        const url = c.stack.components.find((m) => m.id === 'alertmanager')!.url;
        try {
          const silences = await collectSilences(createAlertmanagerClient({ baseUrl: url, timeoutMs: 15_000 }));
          await c.writer.tar.addBuffer(SILENCES_ENTRY, Buffer.from(`${JSON.stringify(silences, null, 2)}\n`));
          c.manifest.alertmanager = { silences: silences.length };
          c.alertmanager = { silences: silences.length };
          say(c, 'alertmanager', true, `${silences.length} silence${silences.length === 1 ? '' : 's'}`);
          t.output(`${silences.length} silences`);
        } catch (error) {
          unreadable(c, 'alertmanager', error);
        }
      },
    },
    {
      title: 'Grafana folders, dashboards and data sources',
      skip: (c) => (isEnabled(c.loaded.config, 'grafana') ? false : 'switched off'),
      run: async (c, t) => {
        if (!c.components.grafana?.running) {
          say(c, 'grafana', false, 'not running');
          c.warnings.push('Grafana is not running: its dashboards are not in this backup');
          return;
        }
        try {
          const client = (await stackGrafanaClient(c.loaded, { timeoutMs: 15_000 })) as GrafanaClient;
          const g = await collectGrafana(client);
          for (const f of g.files) await c.writer.tar.addBuffer(f.path, f.data);
          c.manifest.grafana = g.summary;
          c.grafana = { folders: g.summary.folders, dashboards: g.summary.dashboards.length, datasources: g.summary.datasources.length };
          for (const d of g.summary.datasources) {
            for (const field of d.secureFields) {
              c.secrets.push({ name: `datasource ${d.name}: ${field}`, source: 'grafana', ref: d.uid, note: 'Grafana never returns secrets: set it again after a restore' });
            }
          }
          const detail = `${g.summary.dashboards.length} dashboards, ${g.summary.folders} folders, ${g.summary.datasources.length} data sources`;
          say(c, 'grafana', true, detail);
          t.output(detail);
        } catch (error) {
          unreadable(c, 'grafana', error);
        }
      },
    },
    {
      title: 'Prometheus data',
      skip: (c) => (isEnabled(c.loaded.config, 'prometheus') ? false : 'switched off'),
      run: async (c, t) => backupPrometheus(c, opts, (line) => t.output(line), say, unreadable),
    },
    {
      title: 'Manifest',
      run: async (c) => {
        for (const id of COMPONENT_IDS) {
          if (!c.components[id]?.enabled) say(c, id, false, 'switched off');
          else if (!c.results.some((r) => r.component === id)) say(c, id, c.components[id]!.running, c.components[id]!.running ? 'image and container recorded (no data to back up)' : 'not running');
        }
        const files = c.writer.tar.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
        const manifest: Manifest = {
          format: FORMAT_NAME,
          formatVersion: FORMAT_VERSION,
          wmonVersion: wmonVersion(),
          createdAt: c.createdAt.toISOString(),
          project: c.stack.project,
          environment: c.stack.environment,
          components: c.components,
          config: c.manifest.config!,
          ...(c.manifest.prometheus ? { prometheus: c.manifest.prometheus } : {}),
          ...(c.manifest.alertmanager ? { alertmanager: c.manifest.alertmanager } : {}),
          ...(c.manifest.grafana ? { grafana: c.manifest.grafana } : {}),
          secrets: c.secrets,
          files,
          totalBytes: files.reduce((s, f) => s + f.size, 0),
        };
        c.finished = await c.writer.finish({ path: MANIFEST_ENTRY, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) });
      },
    },
    {
      title: 'Prune older backups',
      skip: () => (kind === 'backup' && opts.keep === undefined ? 'not asked (--keep)' : false),
      run: async (c, t) => {
        c.pruned = await prune(path.dirname(c.finished.file), kind, kind === 'safety' ? SAFETY_BACKUPS_KEPT : opts.keep!, c.finished.file);
        t.output(c.pruned.length === 0 ? 'nothing to remove' : `removed ${c.pruned.length}`);
      },
    },
  ];

  try {
    await runTasks(tasks, ctx, opts.progress);
  } catch (error) {
    await ctx.writer?.abort();
    throw error;
  }
  const files = ctx.writer.tar.files;
  return {
    file: ctx.finished.file,
    bytes: ctx.finished.bytes,
    sha256: ctx.finished.sha256,
    createdAt: ctx.createdAt.toISOString(),
    project: ctx.stack.project,
    wmonVersion: wmonVersion(),
    files: files.length - 1,
    totalBytes: files.filter((f) => f.path !== MANIFEST_ENTRY).reduce((s, f) => s + f.size, 0),
    components: COMPONENT_IDS.map((id) => ctx.results.find((r) => r.component === id)!).filter(Boolean),
    prometheus: ctx.prometheus,
    alertmanager: ctx.alertmanager,
    grafana: ctx.grafana,
    secretsNeeded: ctx.secrets,
    pruned: ctx.pruned,
    warnings: ctx.warnings,
    durationMs: Date.now() - started,
  };
}

async function backupPrometheus(
  c: BackupContext,
  opts: BackupOptions,
  output: (line: string) => void,
  say: (c: BackupContext, component: string, included: boolean, detail: string) => void,
  unreadable: (c: BackupContext, component: string, error: unknown) => void,
): Promise<void> {
  const model = c.stack.components.find((m) => m.id === 'prometheus')!;
  const record = c.components.prometheus!;
  const volume = volumeName(c.stack, model.volumes[0]!.name);
  const d: PrometheusData = {
    runtime: c.runtime,
    stack: c.stack,
    container: record.container ?? model.dnsName,
    volume,
    dataDir: model.volumes[0]!.target,
    image: normalizeImageRef(model.image),
  };
  const volumeExists = (await c.runtime.listVolumes({ [LABELS.project]: c.stack.project })).some((v) => v.name === volume);
  if (!record.running && !volumeExists) {
    say(c, 'prometheus', false, 'no data yet (no volume)');
    c.warnings.push(`Prometheus has no data volume (${volume}) yet: there is no data to back up`);
    return;
  }
  const prom = createPrometheusClient({ baseUrl: model.url, timeoutMs: 300_000 });
  const scrape = durationSeconds(c.loaded.config.prometheus.scrapeInterval) ?? 15;
  const progress = startProgress(c, output);
  let copy: DataCopy;
  let mode: 'snapshot' | 'volume';
  let version: string | null = null;
  let probes: Probe[] = [...(opts.probes ?? [])];
  try {
    if (record.running) {
      try {
        version = (await prom.buildInfo()).version;
        probes = await takeProbes(prom, scrape);
        mode = 'snapshot';
        copy = await copySnapshot(d, prom, c.writer.tar);
      } catch (error) {
        // A running server that does not answer cannot be copied consistently.
        unreadable(c, 'prometheus', error);
        return;
      }
    } else {
      if (!(await c.runtime.imageExists(d.image))) {
        unreadable(c, 'prometheus', new Error(`the image ${d.image} (used to read the stopped server's volume) is not present`));
        return;
      }
      mode = 'volume';
      copy = await copyVolume(d, c.writer.tar);
    }
  } finally {
    progress.stop();
  }
  c.manifest.prometheus = {
    mode,
    version,
    volume,
    retention: c.loaded.config.prometheus.retention.time,
    files: copy.files,
    bytes: copy.bytes,
    blocks: copy.blocks,
    probes,
  };
  c.prometheus = { mode, files: copy.files, bytes: copy.bytes, blocks: copy.blocks.length, probes: probes.length };
  say(c, 'prometheus', true, `${mode}: ${copy.files} files, ${formatBytes(copy.bytes)}, ${copy.blocks.length} blocks`);
}

/** A progress line every second while large data streams: bytes so far and the rate. */
function startProgress(c: BackupContext, output: (line: string) => void): { stop(): void } {
  const start = Date.now();
  const from = c.writer.tar.bytes;
  const timer = setInterval(() => {
    const done = c.writer.tar.bytes - from;
    const seconds = (Date.now() - start) / 1000;
    output(`${formatBytes(done)} copied, ${formatBytes(done / Math.max(seconds, 0.001))}/s, archive ${formatBytes(c.writer.compressedBytes())}`);
  }, 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Secrets the stack needs that no backup holds: where each comes from. */
function secretsNeeded(loaded: LoadedConfig, stackDir: string): BackupSecretJson[] {
  const { config } = loaded;
  const out: BackupSecretJson[] = secretSlots(config).map((s) => ({
    name: s.name,
    source: s.ref.env !== undefined ? 'env' : 'file',
    ref: s.ref.env ?? s.ref.file ?? null,
    note: `wmon.yaml ${s.path}: must be set where the backup is restored`,
  }));
  const rel = (file: string) => path.relative(loaded.dir, path.join(stackDir, file)) || file;
  const generated: Array<[ComponentId, 'grafanaAdminPassword' | 'stripeWebhookSecret', string, string]> = [
    ['grafana', 'grafanaAdminPassword', GENERATED_SECRET_FILES.grafanaAdminPassword, 'generated by wmon; restored elsewhere, a new one is generated'],
    ['webhook', 'stripeWebhookSecret', GENERATED_SECRET_FILES.stripeWebhookSecret, 'generated by wmon; restored elsewhere, a new one is generated (update the endpoint secret in Stripe, or copy this file)'],
  ];
  for (const [component, name, file, note] of generated) {
    if (isEnabled(config, component) && !out.some((s) => s.name === name)) out.push({ name, source: 'generated', ref: rel(file), note });
  }
  return out;
}

/** Remove all but the `keep` newest backups of `kind` in `dir` (only files wmon names so; never `current`). */
async function prune(dir: string, kind: 'backup' | 'safety', keep: number, current: string): Promise<string[]> {
  const pattern = new RegExp(`^${kind}_\\d{8}_\\d{6}\\.tar\\.gz$`);
  const names = (await readdir(dir)).filter((n) => pattern.test(n)).sort().reverse();
  const removed: string[] = [];
  for (const name of names.slice(Math.max(keep, 1))) {
    const file = path.join(dir, name);
    if (file === current) continue;
    await rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}
