/**
 * `wmon backup`: one .tar.gz written in a single pass (format.ts): wmon.yaml and the rendered files,
 * Alertmanager's silences, Grafana's folders, dashboards and data sources, Prometheus's data (a TSDB
 * snapshot streamed out of the container, or a stopped server's data folder), and manifest.json last.
 * The archive appears under its name only once complete; `--keep N` then prunes older ones.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

import type { ContainerRuntime } from '../adapters/runtime/container-runtime.js';
import { normalizeImageRef } from '../adapters/runtime/image-ref.js';
import { LABELS, type ContainerSummary } from '../core/model/container-types.js';
import { GENERATED_SECRET_FILES } from '../adapters/stack-dir/secrets.js';
import { requireGrafana, type StackContext } from '../context.js';
import type { LoadedConfig } from '../core/config/load.js';
import { COMPONENT_IDS, type ComponentId } from '../core/config/schema.js';
import { secretSlots } from '../core/config/secrets.js';
import { containerSpecs, volumeName } from '../core/model/containers.js';
import { containerName, prometheusAdminApi } from '../core/model/stack.js';
import { durationSeconds } from '../core/vocab/durations.js';
import { formatBytes } from '../core/vocab/bytes.js';
import { WmonError } from '../errors.js';
import { pipeline, silentReporter, type PipelineTrace, type Reporter, type StateOf, type Step } from './steps.js';
import { wmonVersion } from '../package.js';
import type {
  BackupComponentJson,
  BackupDataVolumeJson,
  BackupResultJson,
  BackupSecretJson,
  WebhookStoreJson,
} from '../results.js';
import {
  backupFileName,
  BASE_FORMAT_VERSION,
  CONFIG_DIR,
  CONFIG_ENTRY,
  FORMAT_NAME,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  SERVICE_DB_ENTRY,
  SILENCES_ENTRY,
} from '../features/archive/format.js';
import { backupServiceDb, countsOf, serviceDbExists, type ServiceData } from '../features/archive/service-db.js';
import { collectGrafana, type GrafanaCollected } from '../features/archive/grafana-content.js';
import type { ComponentRecord, DataVolumeRecord, Manifest, Probe } from '../features/archive/manifest.js';
import { DATA_KINDS, dataVolumeOf, notOurs, type DataKind, type DataVolume } from '../features/archive/data-volumes.js';
import {
  copySnapshot,
  copyVolume,
  keepStopped,
  takeProbes,
  volumeUsage,
  type DataCopy,
  type PrometheusData,
} from '../features/archive/prometheus-data.js';
import { collectSilences } from '../features/archive/silences.js';
import { openArchive, type ArchiveResult, type ArchiveWriter } from '../features/archive/tar-writer.js';

export interface BackupOptions {
  /** Where backups go; default `backups/` beside wmon.yaml. Safety backups go to its `safety/` folder. */
  readonly outputDir?: string;
  /** Keep only the N newest backups of this kind in the folder (older ones are removed). */
  readonly keep?: number;
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
  /** Loki's and Jaeger's volumes to add (`--include logs,traces`): each component is stopped for the copy. */
  readonly include?: readonly DataKind[];
}

/** Safety backups kept per stack (older ones are pruned). */
export const SAFETY_BACKUPS_KEPT = 5;

export function defaultBackupDir(loaded: Pick<LoadedConfig, 'dir'>): string {
  return path.join(loaded.dir, 'backups');
}

/** What every backup step reads. */
export interface BackupInput {
  readonly ctx: StackContext;
  readonly opts: BackupOptions;
}

/** What a component's step adds: its row in the result, its manifest part, warnings and secrets to name. */
export interface Part<M, J> {
  readonly row: BackupComponentJson | null;
  readonly manifest: M | null;
  readonly json: J | null;
  readonly warnings: readonly string[];
  readonly secrets: readonly BackupSecretJson[];
}

const part = <M, J>(p: Partial<Part<M, J>> = {}): Part<M, J> => ({
  row: null,
  manifest: null,
  json: null,
  warnings: [],
  secrets: [],
  ...p,
});

/** A component that runs but cannot be read: fail, or (tolerant) leave it out and say so. */
function unreadable<M, J>(opts: BackupOptions, component: string, error: unknown): Part<M, J> {
  const message = `${component} could not be backed up: ${(error as Error).message.split('\n')[0]}`;
  if (!opts.tolerant) {
    throw new WmonError(message, {
      code: 'BACKUP_COMPONENT_UNAVAILABLE',
      suggestions: [`Check ${component} (\`wmon check\`), then try again.`],
    });
  }
  return part({
    row: { component, included: false, detail: 'did not answer' },
    warnings: [`${message}; it is not in this backup`],
  });
}

export interface Inventory {
  readonly runtime: ContainerRuntime;
  readonly containers: readonly ContainerSummary[];
  /** Every component as it is: on or off, image, digests, container, running. */
  readonly components: Readonly<Record<string, ComponentRecord>>;
}

export const inventoryStep: Step<BackupInput, Inventory> = {
  title: 'Connect to the container engine',
  async run({ ctx }, io) {
    const runtime = await ctx.runtime();
    io.output(`${runtime.engine.name} ${runtime.engine.version}`);
    const containers = await runtime.listContainers({ [LABELS.project]: ctx.stack.project });
    const components: Record<string, ComponentRecord> = {};
    for (const id of COMPONENT_IDS) {
      const cfg = ctx.config.components[id];
      const image = normalizeImageRef(cfg.image);
      const container = containers.find((x) => x.labels[LABELS.component] === id);
      const info = cfg.enabled ? await runtime.inspectImage(image) : null;
      components[id] = {
        enabled: cfg.enabled,
        image,
        imageId: container?.imageId ?? info?.id ?? null,
        digests: [...(info?.digests ?? [])],
        container: container?.name ?? null,
        running: container?.state === 'running',
      };
    }
    return { runtime, containers, components };
  },
};

export interface OpenedArchive {
  readonly writer: ArchiveWriter;
  readonly file: string;
  readonly createdAt: Date;
}

export const openArchiveStep: Step<BackupInput, OpenedArchive> = {
  title: 'Open the archive',
  async run({ ctx, opts }, io) {
    const kind = opts.kind ?? 'backup';
    const base = opts.outputDir ? path.resolve(opts.outputDir) : defaultBackupDir(ctx.loaded);
    const dir = kind === 'safety' ? path.join(base, 'safety') : base;
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new WmonError(`Cannot create the backup folder ${dir}: ${(error as Error).message}`, {
        code: 'BACKUP_DIR_FAILED',
      });
    }
    let createdAt = new Date();
    let file = '';
    // Two backups in the same second: the second waits for the next name (a backup is never overwritten).
    for (let attempt = 0; ; attempt++) {
      file = path.join(dir, backupFileName(createdAt, kind));
      const exists = await readFile(file).then(
        () => true,
        () => false,
      );
      if (!exists || attempt >= 3) break;
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
      createdAt = new Date();
    }
    let writer: ArchiveWriter;
    try {
      writer = await openArchive(file, opts.level === undefined ? {} : { level: opts.level });
    } catch (error) {
      throw new WmonError(`Cannot write ${file}: ${(error as Error).message}`, { code: 'BACKUP_WRITE_FAILED' });
    }
    io.output(file);
    return { writer, file, createdAt };
  },
};

/** wmon.yaml and every rendered file as it is in the stack directory; the secrets no backup holds. */
export const configStep: Step<BackupInput & OpenedArchive, { readonly config: Part<Manifest['config'], never> }> = {
  title: 'Configuration',
  async run({ ctx, writer }) {
    await writer.tar.addBuffer(CONFIG_ENTRY, ctx.loaded.source ?? (await readFile(ctx.loaded.file)));
    const warnings: string[] = [];
    const files: string[] = [];
    for (const f of ctx.rendered().files) {
      const onDisk = await readFile(path.join(ctx.stackDir, ...f.path.split('/'))).catch(() => undefined);
      if (onDisk === undefined)
        warnings.push(
          `${f.path} is not in the stack directory yet (run \`wmon init\`): the backup holds it as wmon.yaml renders it`,
        );
      else if (!onDisk.equals(Buffer.from(f.contents)))
        warnings.push(
          `${f.path} in the stack directory differs from what wmon.yaml renders (run \`wmon update\`): the backup holds the file as it is`,
        );
      await writer.tar.addBuffer(`${CONFIG_DIR}${f.path}`, onDisk ?? Buffer.from(f.contents));
      files.push(f.path);
    }
    return {
      config: part({ manifest: { stackDir: ctx.config.stackDir, files }, warnings, secrets: secretsNeeded(ctx) }),
    };
  },
};

export const silencesStep: Step<
  BackupInput & Inventory & OpenedArchive,
  { readonly alertmanager: Part<{ silences: number }, { silences: number }> }
> = {
  title: 'Alertmanager silences',
  async run({ ctx, opts, components, writer }, io) {
    const am = ctx.clientsWith(15_000).alertmanager;
    if (!am) {
      io.skip('switched off');
      return { alertmanager: part() };
    }
    if (!components.alertmanager?.running) {
      const warnings = ['Alertmanager is not running: its silences are not in this backup'];
      return {
        alertmanager: part({ row: { component: 'alertmanager', included: false, detail: 'not running' }, warnings }),
      };
    }
    try {
      const silences = await collectSilences(am);
      await writer.tar.addBuffer(SILENCES_ENTRY, Buffer.from(`${JSON.stringify(silences, null, 2)}\n`));
      io.output(`${silences.length} silences`);
      const detail = `${silences.length} silence${silences.length === 1 ? '' : 's'}`;
      const n = { silences: silences.length };
      return {
        alertmanager: part({ row: { component: 'alertmanager', included: true, detail }, manifest: n, json: n }),
      };
    } catch (error) {
      return { alertmanager: unreadable(opts, 'alertmanager', error) };
    }
  },
};

type GrafanaSummary = GrafanaCollected['summary'];

export const grafanaStep: Step<
  BackupInput & Inventory & OpenedArchive,
  { readonly grafana: Part<GrafanaSummary, NonNullable<BackupResultJson['grafana']>> }
> = {
  title: 'Grafana folders, dashboards and data sources',
  async run({ ctx, opts, components, writer }, io) {
    if (!ctx.component('grafana')) {
      io.skip('switched off');
      return { grafana: part() };
    }
    if (!components.grafana?.running) {
      const warnings = ['Grafana is not running: its dashboards are not in this backup'];
      return { grafana: part({ row: { component: 'grafana', included: false, detail: 'not running' }, warnings }) };
    }
    try {
      const g = await collectGrafana(await requireGrafana(ctx, { timeoutMs: 15_000 }));
      for (const f of g.files) await writer.tar.addBuffer(f.path, f.data);
      const s = g.summary;
      const secrets: BackupSecretJson[] = s.datasources.flatMap((d) =>
        d.secureFields.map((field) => ({
          name: `datasource ${d.name}: ${field}`,
          source: 'grafana' as const,
          ref: d.uid,
          note: 'Grafana never returns secrets: set it again after a restore',
        })),
      );
      const detail = `${s.dashboards.length} dashboards, ${s.folders} folders, ${s.datasources.length} data sources`;
      io.output(detail);
      const json = { folders: s.folders, dashboards: s.dashboards.length, datasources: s.datasources.length };
      return { grafana: part({ row: { component: 'grafana', included: true, detail }, manifest: s, json, secrets }) };
    } catch (error) {
      return { grafana: unreadable(opts, 'grafana', error) };
    }
  },
};

export const prometheusStep: Step<
  BackupInput & Inventory & OpenedArchive,
  { readonly prometheus: Part<NonNullable<Manifest['prometheus']>, NonNullable<BackupResultJson['prometheus']>> }
> = {
  title: 'Prometheus data',
  async run(s, io) {
    if (!s.ctx.component('prometheus')) {
      io.skip('switched off');
      return { prometheus: part() };
    }
    return { prometheus: await backupPrometheus(s, (line) => io.output(line)) };
  },
};

type WebhookPart = Part<NonNullable<Manifest['webhook']>, WebhookStoreJson>;

/**
 * The bundled service's SQLite store (acknowledged events, their state, dead letters, the handlers' records):
 * SQLite's online backup taken inside its running container, or from the stopped service's volume, checked
 * with PRAGMA integrity_check and counted. With PostgreSQL it is external: said so, not pretended.
 */
export const webhookStep: Step<BackupInput & Inventory & OpenedArchive, { readonly webhook: WebhookPart }> = {
  title: "The webhook service's events (SQLite)",
  async run({ ctx, opts, runtime, components, writer }, io) {
    const model = ctx.component('webhook');
    if (!model) {
      io.skip('switched off');
      return { webhook: part() };
    }
    if (ctx.config.service.databaseUrl) {
      const note =
        "external, not included: the service's events are in the PostgreSQL database service.databaseUrl names; back it up there (pg_dump)";
      io.skip('PostgreSQL: external, not included');
      return {
        webhook: part({
          row: { component: 'webhook', included: false, detail: `events in PostgreSQL: ${note.split(':')[0]}` },
          manifest: { store: 'external', included: false, note },
          json: { store: 'external', included: false, note },
          warnings: [
            `The webhook service's events are in PostgreSQL: ${note.replace(/^external, not included: /, '')}`,
          ],
        }),
      };
    }
    const record = components.webhook!;
    const d: ServiceData = {
      runtime,
      stack: ctx.stack,
      container: record.container ?? containerName(ctx.stack, model),
      volume: volumeName(ctx.stack, model.volumes[0]!.name),
      image: normalizeImageRef(model.image),
    };
    const volumeExists = (await runtime.listVolumes({ [LABELS.project]: ctx.stack.project })).some(
      (v) => v.name === d.volume,
    );
    const none = (detail: string, warning: string) =>
      part<NonNullable<Manifest['webhook']>, WebhookStoreJson>({
        row: { component: 'webhook', included: false, detail },
        warnings: [warning],
      });
    if (!record.running && !volumeExists)
      return {
        webhook: none(
          'no events yet (no volume)',
          `The webhook service has no data volume (${d.volume}) yet: no events to back up`,
        ),
      };
    try {
      if (!record.running) {
        if (!(await runtime.imageExists(d.image)))
          throw new Error(`the image ${d.image} (used to read the stopped service's volume) is not present`);
        if (!(await serviceDbExists(d)))
          return {
            webhook: none(
              'no events yet (no database)',
              `The webhook service's volume ${d.volume} holds no database yet: no events to back up`,
            ),
          };
      }
      const copy = await backupServiceDb(d, record.running, writer.tar);
      const c = countsOf(copy.inspection);
      const schemaVersion = copy.inspection.schemaVersion ?? 0;
      const e = c.events;
      const detail = `${copy.mode === 'online' ? 'online backup' : 'stopped service'}: ${formatBytes(copy.bytes)}, ${e.pending} pending, ${e.processed} processed, ${e.deadLetter} dead-letter events; integrity ok`;
      io.output(detail);
      return {
        webhook: part({
          row: { component: 'webhook', included: true, detail },
          manifest: {
            store: 'sqlite',
            mode: copy.mode,
            volume: d.volume,
            file: SERVICE_DB_ENTRY,
            bytes: copy.bytes,
            schemaVersion,
            integrityCheck: 'ok',
            tables: c.tables,
            events: e,
          },
          json: { store: 'sqlite', mode: copy.mode, bytes: copy.bytes, schemaVersion, tables: c.tables, events: e },
        }),
      };
    } catch (error) {
      return { webhook: unreadable(opts, 'webhook', error) };
    }
  },
};

/** A kind of data (logs, traces) as the backup found it: its volume, its size, whether it is copied. */
export interface DataPlan {
  readonly kind: DataKind;
  readonly included: boolean;
  readonly running: boolean;
  /** Its image null when neither Prometheus's nor the component's image is here (it cannot be measured). */
  readonly volume: Omit<DataVolume, 'image'> & { readonly image: string | null };
  readonly exists: boolean;
  readonly usage: { readonly files: number; readonly bytes: number } | null;
  readonly line: string;
}

/**
 * Says up front what happens to Loki's logs and Jaeger's traces: their volumes and sizes, and, when
 * included, that the component is stopped for the copy and started again.
 */
export const dataPlanStep: Step<BackupInput & Inventory, { readonly dataPlan: readonly DataPlan[] }> = {
  title: 'Logs and traces',
  async run({ ctx, opts, runtime, components }, io) {
    const dataPlan: DataPlan[] = [];
    const lines: string[] = [];
    const volumes = new Set((await runtime.listVolumes({ [LABELS.project]: ctx.stack.project })).map((v) => v.name));
    for (const kind of DATA_KINDS) {
      const included = opts.include?.includes(kind) ?? false;
      const v = await dataVolumeOf(ctx, runtime, kind);
      if (!v) {
        if (included) lines.push(`${kind}: not included, ${kind === 'logs' ? 'Loki' : 'Jaeger'} is switched off`);
        continue;
      }
      const running = components[v.component]?.running ?? false;
      const exists = volumes.has(v.volume);
      const usage = exists && v.image ? await volumeUsage({ ...v, image: v.image }) : null;
      const size = !exists ? 'no volume yet' : usage ? formatBytes(usage.bytes) : 'size unknown';
      const head = `${kind} (${v.what}, volume ${v.volume}, ${size})`;
      const line = !included
        ? `${head}: not included (--include ${kind} adds it)`
        : !exists
          ? `${head}: nothing to copy`
          : running
            ? `${head}: included; ${v.what} is stopped for the copy and started again`
            : `${head}: included (${v.what} is not running)`;
      dataPlan.push({ kind, included, running, volume: v, exists, usage, line });
      lines.push(line);
      if (included && exists && !v.image)
        throw new WmonError(
          `Cannot copy ${v.what}'s volume ${v.volume}: neither Prometheus's image nor ${v.what}'s is here to reach it`,
          { code: 'VOLUME_DATA_FAILED', suggestions: ['Pull or build one of those images, then back up again.'] },
        );
    }
    // One output, a line per kind: reporters that show a step's last line show them all.
    if (lines.length > 0) io.output(lines.join('\n'));
    else io.skip('Loki and Jaeger are switched off');
    return { dataPlan };
  },
};

type DataPart = Part<DataVolumeRecord, BackupDataVolumeJson>;

/** The included volumes, each copied whole while its component is stopped (started again and awaited after). */
export const dataVolumesStep: Step<
  BackupInput & Inventory & OpenedArchive & { readonly dataPlan: readonly DataPlan[] },
  { readonly logs: DataPart; readonly traces: DataPart }
> = {
  title: 'Copy logs and traces',
  async run({ ctx, runtime, writer, dataPlan, components }, io) {
    const parts: Record<DataKind, DataPart> = { logs: part(), traces: part() };
    if (!dataPlan.some((p) => p.included)) io.skip('not asked (--include logs,traces)');
    for (const p of dataPlan) {
      const component = p.volume.component;
      const json = (included: boolean, extra: Partial<BackupDataVolumeJson> = {}): BackupDataVolumeJson => ({
        kind: p.kind,
        component,
        volume: p.volume.volume,
        included,
        files: p.usage?.files ?? null,
        bytes: p.usage?.bytes ?? null,
        stopped: false,
        pausedMs: null,
        ...extra,
      });
      const recorded = components[component]?.running ?? false;
      if (!p.included || !p.exists) {
        parts[p.kind] = part({
          row: { component, included: recorded, detail: `image and container recorded; ${p.line}` },
          json: json(false),
        });
        continue;
      }
      // The plan refused an included volume that no image can reach.
      const v: DataVolume = { ...p.volume, image: p.volume.image! };
      const pausedAt = Date.now();
      const copy = p.running
        ? await pausedCopy(ctx, runtime, component, v, () => copyVolume(v, writer.tar, notOurs))
        : await copyVolume(v, writer.tar, notOurs);
      const pausedMs = p.running ? Date.now() - pausedAt : null;
      const detail = `${p.kind}: ${copy.files} files, ${formatBytes(copy.bytes)} from ${v.volume}${pausedMs === null ? ` (${v.what} was not running)` : ` (${v.what} stopped for ${(pausedMs / 1000).toFixed(1)} s, running again)`}`;
      io.output(detail);
      parts[p.kind] = part({
        row: { component, included: true, detail },
        manifest: {
          kind: p.kind,
          component,
          volume: v.volume,
          mountPath: v.dataDir,
          mode: p.running ? 'stopped' : 'not-running',
          owner: copy.owner,
          files: copy.files,
          bytes: copy.bytes,
        },
        json: json(true, { files: copy.files, bytes: copy.bytes, stopped: p.running, pausedMs }),
      });
    }
    return parts;
  },
};

type Parts = { readonly config: Part<Manifest['config'], never> } & Record<
  'alertmanager' | 'grafana' | 'prometheus' | 'webhook' | 'logs' | 'traces',
  Part<unknown, unknown>
>;

/** manifest.json, last: every component, every file's size and sha256. Then the archive takes its name. */
export const manifestStep: Step<BackupInput & Inventory & OpenedArchive & Parts, { readonly finished: ArchiveResult }> =
  {
    title: 'Manifest',
    async run(s) {
      const { ctx, components, writer, createdAt, config, alertmanager, grafana, prometheus, webhook } = s;
      const files = writer.tar.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
      const dataVolumes = [s.logs, s.traces].flatMap((p) => (p.manifest ? [p.manifest as DataVolumeRecord] : []));
      const manifest: Manifest = {
        format: FORMAT_NAME,
        // Without logs and traces, the version older wmon versions read.
        formatVersion: dataVolumes.length > 0 ? FORMAT_VERSION : BASE_FORMAT_VERSION,
        wmonVersion: wmonVersion(),
        createdAt: createdAt.toISOString(),
        project: ctx.stack.project,
        environment: ctx.stack.environment,
        components: { ...components },
        config: config.manifest!,
        ...(prometheus.manifest ? { prometheus: prometheus.manifest as NonNullable<Manifest['prometheus']> } : {}),
        ...(alertmanager.manifest
          ? { alertmanager: alertmanager.manifest as NonNullable<Manifest['alertmanager']> }
          : {}),
        ...(grafana.manifest ? { grafana: grafana.manifest as NonNullable<Manifest['grafana']> } : {}),
        ...(webhook.manifest ? { webhook: webhook.manifest as NonNullable<Manifest['webhook']> } : {}),
        secrets: [...config.secrets, ...grafana.secrets],
        files,
        totalBytes: files.reduce((sum, f) => sum + f.size, 0),
        ...(dataVolumes.length > 0 ? { dataVolumes } : {}),
      };
      const finished = await writer.finish({
        path: MANIFEST_ENTRY,
        data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
      });
      return { finished };
    },
  };

export const pruneStep: Step<
  BackupInput & { readonly finished: ArchiveResult },
  { readonly pruned: readonly string[] }
> = {
  title: 'Prune older backups',
  async run({ opts, finished }, io) {
    const kind = opts.kind ?? 'backup';
    if (kind === 'backup' && opts.keep === undefined) {
      io.skip('not asked (--keep)');
      return { pruned: [] };
    }
    const pruned = await prune(
      path.dirname(finished.file),
      kind,
      kind === 'safety' ? SAFETY_BACKUPS_KEPT : opts.keep!,
      finished.file,
    );
    io.output(pruned.length === 0 ? 'nothing to remove' : `removed ${pruned.length}`);
    return { pruned };
  },
};

export function backupSteps() {
  return pipeline<BackupInput>()
    .then(inventoryStep)
    .then(dataPlanStep)
    .then(openArchiveStep)
    .then(configStep)
    .then(silencesStep)
    .then(grafanaStep)
    .then(prometheusStep)
    .then(webhookStep)
    .then(dataVolumesStep)
    .then(manifestStep)
    .then(pruneStep);
}

/** `wmon backup` (and the safety backup reset and restore take first). */
export async function createBackup(
  ctx: StackContext,
  opts: BackupOptions = {},
  reporter: Reporter = silentReporter,
): Promise<BackupResultJson> {
  const started = Date.now();
  const trace: PipelineTrace = {};
  let s: StateOf<ReturnType<typeof backupSteps>>;
  try {
    s = await backupSteps().run({ ctx, opts }, reporter, trace);
  } catch (error) {
    await (trace.state as Partial<OpenedArchive> | undefined)?.writer?.abort();
    throw error;
  }
  const parts = [s.config, s.alertmanager, s.grafana, s.prometheus, s.webhook, s.logs, s.traces];
  const rows = parts.flatMap((p) => (p.row ? [p.row] : []));
  const components = COMPONENT_IDS.map((id): BackupComponentJson => {
    const row = rows.find((r) => r.component === id);
    if (row) return row;
    const c = s.components[id]!;
    if (!c.enabled) return { component: id, included: false, detail: 'switched off' };
    return {
      component: id,
      included: c.running,
      detail: c.running ? 'image and container recorded (no data to back up)' : 'not running',
    };
  });
  const files = s.writer.tar.files;
  return {
    file: s.finished.file,
    bytes: s.finished.bytes,
    sha256: s.finished.sha256,
    createdAt: s.createdAt.toISOString(),
    project: ctx.stack.project,
    wmonVersion: wmonVersion(),
    files: files.length - 1,
    totalBytes: files.filter((f) => f.path !== MANIFEST_ENTRY).reduce((sum, f) => sum + f.size, 0),
    components,
    prometheus: s.prometheus.json,
    alertmanager: s.alertmanager.json,
    grafana: s.grafana.json,
    webhook: s.webhook.json,
    secretsNeeded: [...s.config.secrets, ...s.grafana.secrets],
    pruned: [...s.pruned],
    warnings: parts.flatMap((p) => p.warnings),
    durationMs: Date.now() - started,
    dataVolumes: [s.logs.json, s.traces.json].flatMap((j) => (j ? [j] : [])),
  };
}

type PrometheusPart = Part<NonNullable<Manifest['prometheus']>, NonNullable<BackupResultJson['prometheus']>>;

/** A TSDB snapshot of a running Prometheus, or a stopped one's whole data folder, streamed into the archive. */
async function backupPrometheus(
  s: BackupInput & Inventory & OpenedArchive,
  output: (line: string) => void,
): Promise<PrometheusPart> {
  const { ctx, opts, runtime, writer } = s;
  const model = ctx.require('prometheus');
  const record = s.components.prometheus!;
  const volume = volumeName(ctx.stack, model.volumes[0]!.name);
  const d: PrometheusData = {
    runtime,
    stack: ctx.stack,
    container: record.container ?? model.dnsName,
    volume,
    dataDir: model.volumes[0]!.target,
    image: normalizeImageRef(model.image),
  };
  const volumeExists = (await runtime.listVolumes({ [LABELS.project]: ctx.stack.project })).some(
    (v) => v.name === volume,
  );
  if (!record.running && !volumeExists) {
    const warnings = [`Prometheus has no data volume (${volume}) yet: there is no data to back up`];
    return part({ row: { component: 'prometheus', included: false, detail: 'no data yet (no volume)' }, warnings });
  }
  const prom = ctx.clientsWith(300_000).prometheus!;
  const scrape = durationSeconds(ctx.config.prometheus.scrapeInterval) ?? 15;
  const progress = startProgress(writer, output);
  let copy: DataCopy;
  let mode: 'snapshot' | 'volume';
  let version: string | null = null;
  let probes: Probe[] = [...(opts.probes ?? [])];
  let pausedMs: number | undefined;
  try {
    if (record.running && prometheusAdminApi(ctx.config)) {
      try {
        version = (await prom.buildInfo()).version;
        probes = await takeProbes(prom, scrape);
        mode = 'snapshot';
        copy = await copySnapshot(d, prom, writer.tar);
      } catch (error) {
        // A running server that does not answer cannot be copied consistently.
        return unreadable(opts, 'prometheus', error);
      }
    } else if (record.running) {
      // Published beyond loopback, Prometheus runs without its admin API (no snapshot): it is stopped, its
      // whole data folder copied (exact: blocks, WAL, head chunks), and started again.
      try {
        version = (await prom.buildInfo()).version;
        probes = await takeProbes(prom, scrape);
      } catch (error) {
        return unreadable(opts, 'prometheus', error);
      }
      output(`Prometheus is published beyond loopback (its admin API is off): stopping it to copy its data folder`);
      const pausedAt = Date.now();
      mode = 'volume';
      copy = await pausedCopy(ctx, runtime, 'prometheus', d, () => copyVolume(d, writer.tar));
      pausedMs = Date.now() - pausedAt;
      output(`Prometheus is running again after ${(pausedMs / 1000).toFixed(1)} s`);
    } else {
      if (!(await runtime.imageExists(d.image))) {
        return unreadable(
          opts,
          'prometheus',
          new Error(`the image ${d.image} (used to read the stopped server's volume) is not present`),
        );
      }
      mode = 'volume';
      copy = await copyVolume(d, writer.tar);
    }
  } finally {
    progress.stop();
  }
  const retention = ctx.config.prometheus.retention.time;
  const paused =
    pausedMs === undefined
      ? ''
      : ` (Prometheus stopped for ${(pausedMs / 1000).toFixed(1)} s: published beyond loopback, it has no admin API)`;
  const detail = `${mode}${paused}: ${copy.files} files, ${formatBytes(copy.bytes)}, ${copy.blocks.length} blocks`;
  return part({
    row: { component: 'prometheus', included: true, detail },
    manifest: { mode, version, volume, retention, files: copy.files, bytes: copy.bytes, blocks: copy.blocks, probes },
    json: { mode, files: copy.files, bytes: copy.bytes, blocks: copy.blocks.length, probes: probes.length },
  });
}

/**
 * Run `copy` while the running component (Prometheus, Loki, Jaeger) is stopped (kept stopped: its restart
 * policy may start it again), then start it and wait until it is ready, whether the copy worked or not.
 */
async function pausedCopy<T>(
  ctx: StackContext,
  runtime: ContainerRuntime,
  component: ComponentId,
  d: PrometheusData,
  copy: () => Promise<T>,
): Promise<T> {
  const spec = containerSpecs(ctx.stack, {
    stackDir: ctx.stackDir,
    secretMounts: {},
    ...(ctx.webAuth() ? { auth: ctx.webAuth()! } : {}),
    ...(ctx.webTls() ? { tls: ctx.webTls()! } : {}),
  }).find((x) => x.component === component)!;
  await keepStopped(runtime, d.container, 5, d.what);
  let result: T;
  try {
    result = await copy();
  } catch (error) {
    await runtime.startContainer(d.container).catch(() => undefined);
    throw error;
  }
  await runtime.startContainer(d.container);
  await ctx.deps.waitReady(runtime, { ...spec, name: d.container }, 120_000);
  return result;
}

/** A progress line every second while large data streams: bytes so far and the rate. */
function startProgress(writer: ArchiveWriter, output: (line: string) => void): { stop(): void } {
  const start = Date.now();
  const from = writer.tar.bytes;
  const timer = setInterval(() => {
    const done = writer.tar.bytes - from;
    const seconds = (Date.now() - start) / 1000;
    output(
      `${formatBytes(done)} copied, ${formatBytes(done / Math.max(seconds, 0.001))}/s, archive ${formatBytes(writer.compressedBytes())}`,
    );
  }, 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Secrets the stack needs that no backup holds: where each comes from. */
function secretsNeeded(ctx: StackContext): BackupSecretJson[] {
  const { config, loaded, stackDir } = ctx;
  const out: BackupSecretJson[] = secretSlots(config).map((s) => ({
    name: s.name,
    source: s.ref.env !== undefined ? 'env' : 'file',
    ref: s.ref.env ?? s.ref.file ?? null,
    note: `wmon.yaml ${s.path}: must be set where the backup is restored`,
  }));
  const rel = (file: string) => path.relative(loaded.dir, path.join(stackDir, file)) || file;
  const generated: Array<[ComponentId, 'grafanaAdminPassword' | 'stripeWebhookSecret', string, string]> = [
    [
      'grafana',
      'grafanaAdminPassword',
      GENERATED_SECRET_FILES.grafanaAdminPassword,
      'generated by wmon; restored elsewhere, a new one is generated',
    ],
    [
      'webhook',
      'stripeWebhookSecret',
      GENERATED_SECRET_FILES.stripeWebhookSecret,
      'generated by wmon; restored elsewhere, a new one is generated (update the endpoint secret in Stripe, or copy this file)',
    ],
  ];
  for (const [component, name, file, note] of generated) {
    if (ctx.component(component) && !out.some((s) => s.name === name))
      out.push({ name, source: 'generated', ref: rel(file), note });
  }
  return out;
}

/** Remove all but the `keep` newest backups of `kind` in `dir` (only files wmon names so; never `current`). */
async function prune(dir: string, kind: 'backup' | 'safety', keep: number, current: string): Promise<string[]> {
  const pattern = new RegExp(`^${kind}_\\d{8}_\\d{6}\\.tar\\.gz$`);
  const names = (await readdir(dir))
    .filter((n) => pattern.test(n))
    .sort()
    .reverse();
  const removed: string[] = [];
  for (const name of names.slice(Math.max(keep, 1))) {
    const file = path.join(dir, name);
    if (file === current) continue;
    await rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}
