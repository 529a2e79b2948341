/**
 * `wmon restore <file>`: runs during incidents, so it must never make things worse.
 *
 *   1. Verify the whole archive (verify.ts) and that it fits this stack: nothing is touched before this,
 *      and `--dry-run` stops here with the plan.
 *   2. Stop what must stop (Prometheus, whose data is replaced) after noting a few of its current values,
 *      and take a safety backup of the current state (its data exactly, as the server stopped).
 *   3. Restore: wmon.yaml (the rendered files follow from it), Prometheus's data into its volume, the
 *      stack brought to the restored wmon.yaml exactly as `wmon init` does (the same up steps), each
 *      component awaited; then silences and Grafana content over their APIs.
 *   4. Check that the restored data answers: the values the backup recorded, the silences, the dashboards.
 *   5. On any failure in 3 or 4: restore the safety backup the same way, check it, and say so.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ContainerRuntime } from '../adapters/runtime/container-runtime.js';
import { normalizeImageRef, parseImageRef } from '../adapters/runtime/image-ref.js';
import { tryBind } from '../adapters/runtime/ports.js';
import { createStackContext, requireGrafana, type ContextOptions, type StackContext } from '../context.js';
import { loadConfig, type LoadedConfig } from '../core/config/load.js';
import type { Config } from '../core/config/schema.js';
import { checkSecrets } from '../core/config/secrets.js';
import { stackLabels, volumeName } from '../core/model/containers.js';
import { containerName } from '../core/model/stack.js';
import { durationSeconds } from '../core/vocab/durations.js';
import { formatBytes } from '../core/vocab/bytes.js';
import { ConfigError, WmonError } from '../errors.js';
import { CONFIG_DIR, CONFIG_ENTRY, SILENCES_ENTRY, type ArchiveLimits } from '../features/archive/format.js';
import { checkGrafana, restoreGrafana } from '../features/archive/grafana-content.js';
import { silencesFileSchema, type DataVolumeRecord, type Probe } from '../features/archive/manifest.js';
import { dataVolumeOf } from '../features/archive/data-volumes.js';
import {
  checkProbes,
  keepStopped,
  restoreVolume,
  takeProbes,
  type PrometheusData,
} from '../features/archive/prometheus-data.js';
import { checkSilences, restoreSilences } from '../features/archive/silences.js';
import { ArchiveError, verifyArchive, type VerifiedArchive } from '../features/archive/verify.js';
import {
  countDifferences,
  countsOf,
  inspectArchivedDb,
  inspectionProblems,
  inspectLiveDb,
  restoreServiceDb,
} from '../features/archive/service-db.js';
import { unsupportedImages } from '../core/model/versions.js';
import { wmonVersion } from '../package.js';
import type { RestoreCheckJson, RestoreResultJson, RestoreStepJson } from '../results.js';
import { createBackup } from './backup.js';
import {
  pipeline,
  silentReporter,
  type Pipeline,
  type PipelineTrace,
  type Reporter,
  type StateOf,
  type Step,
} from './steps.js';
import { thenUp, upSteps, type UpInput, type UpOptions } from './up.js';

export interface RestoreOptions {
  readonly archive: string;
  readonly dryRun: boolean;
  /** Take a safety backup first (default). Without it there is nothing to roll back to. */
  readonly safetyBackup: boolean;
  /** Where the safety backup goes (its safety/ folder); default backups/ beside wmon.yaml. */
  readonly backupDir?: string;
  /** Readiness deadline per component. */
  readonly timeoutMs: number;
  readonly limits?: Partial<ArchiveLimits>;
}

/** Where the archive goes. */
export interface RestoreTarget {
  /** Absolute path of wmon.yaml here (it is replaced by the archive's). */
  readonly configFile: string;
  /** The stack as it is now; undefined when there is no wmon.yaml here yet (a new host). */
  readonly current: StackContext | undefined;
  /** How contexts reach the world when there is no current one (tests inject the engine and clients). */
  readonly deps?: ContextOptions;
}

// ---- 1. verify, and check it fits ------------------------------------------------------------------------

export interface RestoreInput {
  readonly target: RestoreTarget;
  readonly opts: RestoreOptions;
}

export const verifyStep: Step<RestoreInput, { readonly archive: VerifiedArchive }> = {
  title: 'Verify the archive',
  async run({ opts }, io) {
    let last = 0;
    const archive = await verifyArchive(opts.archive, {
      ...(opts.limits ? { limits: opts.limits } : {}),
      onProgress: (read, total) => {
        const pct = Math.floor((read / Math.max(total, 1)) * 100);
        if (pct >= last + 5) {
          last = pct;
          io.output(`${pct}% (${formatBytes(read)})`);
        }
      },
    });
    io.output(`${archive.fileCount} files, ${formatBytes(archive.totalBytes)}: every checksum matches`);
    return { archive };
  },
};

export interface Fitted {
  /** The archive's wmon.yaml as a stack (with the current context's engine and clients). */
  readonly restored: StackContext;
  /** Absent only in a dry run without an engine (the archive is still verified). */
  readonly runtime: ContainerRuntime | null;
  readonly plan: readonly RestoreStepJson[];
  readonly warnings: readonly string[];
}

export const fitsStep: Step<RestoreInput & { readonly archive: VerifiedArchive }, Fitted> = {
  title: 'Check it fits this stack',
  async run({ target, opts, archive }) {
    const warnings: string[] = [];
    const restored = contextFor(target, archive.config);
    let runtime: ContainerRuntime | null = null;
    try {
      runtime = await restored.runtime();
    } catch (error) {
      if (!opts.dryRun) throw error;
      warnings.push(
        `No container engine answers, so the plan cannot say what runs: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    checkFits(archive, target, warnings);
    const plan = await planRestore(archive, target, restored, runtime, opts, warnings);
    return { restored, runtime, plan, warnings };
  },
};

/**
 * The service's database checked by SQLite itself (integrity, schema version, counts against the manifest)
 * in a helper container of the service's image, holding a copy: nothing of the stack changes. Without the
 * image here yet (a new host: it is built when the stack comes up), the check is made on the file in the
 * volume before the service starts on it, and again once it runs.
 */
export const checkServiceDbStep: Step<
  RestoreInput & { readonly archive: VerifiedArchive } & Fitted,
  { readonly serviceDb: 'checked' | 'deferred' | 'none'; readonly warnings: readonly string[] }
> = {
  title: "Check the service's database",
  async run({ archive, restored, runtime, warnings }, io) {
    const m = archive.manifest.webhook;
    const model = restored.component('webhook');
    if (m?.store !== 'sqlite' || !model) {
      io.skip(m?.store === 'sqlite' ? "the service is switched off in the archive's wmon.yaml" : 'not in the archive');
      return { serviceDb: 'none', warnings };
    }
    const image = normalizeImageRef(model.image);
    if (!runtime || !(await runtime.imageExists(image))) {
      const why = !runtime ? 'no container engine answers' : `the service's image ${image} is not here yet`;
      io.skip(`${why}: checked in the volume before the service starts on it`);
      return {
        serviceDb: 'deferred',
        warnings: [
          ...warnings,
          `The service's database was checked without SQLite only (header, schema version, checksum): ${why}. SQLite checks it in the volume before the service starts on it.`,
        ],
      };
    }
    const i = await inspectArchivedDb({ runtime, stack: restored.stack, image }, archive);
    const problems = [
      ...inspectionProblems(i, "the service's database"),
      ...countDifferences(countsOf(i), m).map((d) => `the service's database: ${d}`),
    ];
    if (problems.length > 0) throw new ArchiveError(archive.file, 'ARCHIVE_SERVICE_DB_INVALID', problems);
    const e = m.events;
    io.output(
      `integrity ok, schema version ${i.schemaVersion}, ${e.pending} pending, ${e.processed} processed, ${e.deadLetter} dead-letter events`,
    );
    return { serviceDb: 'checked', warnings };
  },
};

// ---- 2. stop Prometheus, safety backup -------------------------------------------------------------------

type Prepared = RestoreInput & { readonly archive: VerifiedArchive } & Fitted;

export const stopPrometheusStep: Step<
  Prepared,
  { readonly probes: readonly Probe[]; readonly stopped: string | null }
> = {
  title: 'Stop Prometheus',
  async run({ target, archive, restored, runtime }, io) {
    const prometheus = prometheusOf(restored);
    if (!archive.manifest.prometheus || !prometheus) {
      io.skip('its data is not restored');
      return { probes: [], stopped: null };
    }
    const rt = runtime!;
    const found = await rt.inspectContainer(prometheus.container);
    if (!found) return { probes: [], stopped: null };
    if (!found.running) {
      // Exited, or crashing in a loop: stopped all the same, or its restart policy starts it again under the
      // data being swapped (as after a restore whose data Prometheus cannot open).
      await keepStopped(rt, prometheus.container);
      io.output(`${prometheus.container} was not running (${found.state}); kept stopped`);
      return { probes: [], stopped: null };
    }
    let probes: Probe[] = [];
    const now = target.current;
    const prom = now?.component('prometheus') ? now.clientsWith(10_000).prometheus : undefined;
    if (now && prom) {
      const scrape = durationSeconds(now.config.prometheus.scrapeInterval) ?? 15;
      probes = await takeProbes(prom, scrape).catch(() => []);
    }
    await keepStopped(rt, prometheus.container);
    io.output(`${prometheus.container} stopped`);
    return { probes, stopped: prometheus.container };
  },
};

/**
 * The service stops before the safety backup, when its database is to be replaced: an event it acknowledged
 * after the safety copy would be in neither (stopped, it acknowledges nothing, and Stripe retries).
 */
export const stopWebhookStep: Step<Prepared, { readonly stoppedWebhook: string | null }> = {
  title: 'Stop the webhook service',
  async run({ archive, restored, runtime }, io) {
    const model = restored.component('webhook');
    if (archive.manifest.webhook?.store !== 'sqlite' || !model) {
      io.skip('its database is not restored');
      return { stoppedWebhook: null };
    }
    const container = containerName(restored.stack, model);
    const found = await runtime!.inspectContainer(container);
    if (!found) return { stoppedWebhook: null };
    const wasRunning = found.running;
    await keepStopped(runtime!, container);
    io.output(wasRunning ? `${container} stopped` : `${container} was not running; kept stopped`);
    return { stoppedWebhook: wasRunning ? container : null };
  },
};

/** The archive's logs and traces (in its wmon.yaml's stack): each with its volume, and its container here. */
function archivedDataVolumes(archive: VerifiedArchive): readonly DataVolumeRecord[] {
  return archive.manifest.dataVolumes ?? [];
}

/**
 * Loki and Jaeger stop before the safety backup when their volumes are to be replaced: the safety copy of
 * their data is then exact, and nothing writes into a volume being swapped.
 */
export const stopDataStep: Step<Prepared, { readonly stoppedData: readonly string[] }> = {
  title: 'Stop Loki and Jaeger',
  async run({ archive, restored, runtime }, io) {
    const stoppedData: string[] = [];
    for (const m of archivedDataVolumes(archive)) {
      const v = await dataVolumeOf(restored, runtime!, m.kind);
      if (!v) continue;
      const found = await runtime!.inspectContainer(v.container);
      if (!found) continue;
      await keepStopped(runtime!, v.container, 5, v.what);
      io.output(found.running ? `${v.container} stopped` : `${v.container} was not running; kept stopped`);
      if (found.running) stoppedData.push(v.container);
    }
    if (archivedDataVolumes(archive).length === 0) io.skip('no logs or traces in the archive');
    return { stoppedData };
  },
};

export const safetyBackupStep: Step<
  Prepared & { readonly probes: readonly Probe[] },
  { readonly safety: string | null; readonly warnings: readonly string[] }
> = {
  title: 'Safety backup of the current state',
  async run({ target, opts, probes, warnings, archive }, io) {
    if (!opts.safetyBackup || !target.current) {
      io.skip(!opts.safetyBackup ? '--no-safety-backup' : 'no wmon.yaml here: nothing to keep');
      return { safety: null, warnings };
    }
    const b = await createBackup(target.current, {
      kind: 'safety',
      tolerant: true,
      probes,
      // What the restore replaces, the rollback can put back.
      include: archivedDataVolumes(archive).map((v) => v.kind),
      ...(opts.backupDir ? { outputDir: opts.backupDir } : {}),
    });
    io.output(`${b.file} (${formatBytes(b.bytes)})`);
    return { safety: b.file, warnings: [...warnings, ...b.warnings.map((w) => `safety backup: ${w}`)] };
  },
};

// ---- 3-4. put an archive in place and check it (the restore, and the rollback to the safety backup) -------

export interface ApplyInput {
  readonly target: RestoreTarget;
  readonly archive: VerifiedArchive;
  readonly restoreOpts: RestoreOptions;
  readonly checks: readonly RestoreCheckJson[];
  readonly applyWarnings: readonly string[];
}

export const writeConfigStep: Step<ApplyInput, UpInput & { readonly wmonYaml: 'restored' | 'unchanged' }> = {
  title: 'Restore wmon.yaml',
  async run({ target, archive, restoreOpts }) {
    const written = await writeIfDifferent(target.configFile, archive.small.get(CONFIG_ENTRY)!);
    // The stack of the restored file, read back as every command reads it (secrets resolved).
    const ctx = contextFor(target, archive.config).withConfig(
      await loadConfig(target.configFile, { env: envOf(target) }),
    );
    const opts: UpOptions = { dryRun: false, keepOnFailure: false, timeoutMs: restoreOpts.timeoutMs };
    return { ctx, opts, wmonYaml: written ? 'restored' : 'unchanged' };
  },
};

export const prometheusDataStep: Step<
  ApplyInput & UpInput,
  { readonly prometheusData: NonNullable<RestoreResultJson['restored']>['prometheus'] }
> = {
  title: "Restore Prometheus's data",
  async run({ ctx, archive }, io) {
    const m = archive.manifest;
    const d = prometheusOf(ctx);
    if (!m.prometheus || !d) {
      io.skip('not in the archive');
      return { prometheusData: null };
    }
    const runtime = await ctx.runtime();
    const details = await runtime.inspectContainer(d.container);
    if (details?.running) await runtime.stopContainer(d.container, 30);
    const model = ctx.require('prometheus');
    await runtime.ensureVolume(d.volume, stackLabels(ctx.stack, model.id));
    let shown = 0;
    const r = await restoreVolume({ ...d, runtime }, archive, (bytes, total) => {
      if (bytes - shown >= 64 * 1024 * 1024 || bytes === total) {
        shown = bytes;
        io.output(`${formatBytes(bytes)} of ${formatBytes(total)}`);
      }
    });
    // The engine may hold a stopped container's host port for a moment: let it go before the port check.
    await waitPortsFree(
      model.ports.map((p) => ({ port: p.hostPort, host: p.hostIp })),
      30_000,
    );
    return { prometheusData: { ...r, blocks: m.prometheus.blocks.length } };
  },
};

type WebhookRestoredJson = NonNullable<RestoreResultJson['restored']>['webhook'];

/** The archive's service database swapped into its volume while the service is stopped (it starts with the stack). */
export const webhookDataStep: Step<
  ApplyInput & UpInput,
  { readonly webhookData: { bytes: number; checked: boolean } | null }
> = {
  title: "Restore the webhook service's events",
  async run({ ctx, archive }, io) {
    const m = archive.manifest.webhook;
    const model = ctx.component('webhook');
    if (m?.store !== 'sqlite' || !model) {
      io.skip('not in the archive');
      return { webhookData: null };
    }
    const runtime = await ctx.runtime();
    const container = containerName(ctx.stack, model);
    const found = await runtime.inspectContainer(container);
    if (found && (found.running || found.state === 'restarting')) await keepStopped(runtime, container);
    const volume = volumeName(ctx.stack, model.volumes[0]!.name);
    await runtime.ensureVolume(volume, stackLabels(ctx.stack, model.id));
    const serviceImage = normalizeImageRef(model.image);
    const hasServiceImage = await runtime.imageExists(serviceImage);
    // A new host has no service image before the stack comes up: the swap needs only a shell.
    const shellImage = hasServiceImage
      ? serviceImage
      : ctx.component('prometheus')
        ? normalizeImageRef(ctx.require('prometheus').image)
        : undefined;
    if (!shellImage || !(await runtime.imageExists(shellImage)))
      throw new WmonError(
        `Cannot restore the service's database: neither its image ${serviceImage} nor Prometheus's is here to reach the volume ${volume}`,
        {
          code: 'SERVICE_DATA_FAILED',
          suggestions: ['Run `wmon init` once to build the service image, then restore again.'],
        },
      );
    const r = await restoreServiceDb(
      { runtime, stack: ctx.stack, volume, image: shellImage },
      archive,
      hasServiceImage,
    );
    io.output(`${formatBytes(r.bytes)} in ${volume}${r.checked ? ' (integrity and counts checked in place)' : ''}`);
    return { webhookData: r };
  },
};

type DataRestoredJson = NonNullable<RestoreResultJson['restored']>['dataVolumes'];

/**
 * Loki's and Jaeger's volumes (when the archive has them and the component is on): each swapped in while the
 * component is stopped (it starts with the stack), the files given back to their owner.
 */
export const dataVolumesRestoreStep: Step<ApplyInput & UpInput, { readonly dataVolumes: DataRestoredJson }> = {
  title: 'Restore logs and traces',
  async run({ ctx, archive }, io) {
    const dataVolumes: Array<DataRestoredJson[number]> = [];
    if (archivedDataVolumes(archive).length === 0) io.skip('not in the archive');
    const runtime = await ctx.runtime();
    for (const m of archivedDataVolumes(archive)) {
      const v = await dataVolumeOf(ctx, runtime, m.kind);
      if (!v) {
        io.output(`${m.kind}: not restored, ${m.component} is switched off in the archive's wmon.yaml`);
        continue;
      }
      if (!v.image)
        throw new WmonError(
          `Cannot restore ${v.what}'s volume ${v.volume}: neither Prometheus's image nor ${v.what}'s is here to reach it`,
          { code: 'VOLUME_DATA_FAILED', suggestions: ['Pull or build one of those images, then restore again.'] },
        );
      await runtime.ensureVolume(v.volume, stackLabels(ctx.stack, m.component));
      const r = await restoreVolume({ ...v, image: v.image, owner: m.owner }, archive);
      io.output(`${m.kind}: ${r.files} files, ${formatBytes(r.bytes)} in ${v.volume}`);
      dataVolumes.push({ kind: m.kind, volume: v.volume, files: r.files, bytes: r.bytes });
    }
    return { dataVolumes };
  },
};

/** Loki and Jaeger answer on their restored volumes (the up steps awaited them): said per volume. */
export const checkDataStep: Step<
  ApplyInput & UpInput & { readonly dataVolumes: DataRestoredJson },
  { readonly checks: readonly RestoreCheckJson[] }
> = {
  title: 'Check logs and traces',
  async run({ ctx, dataVolumes, checks }, io) {
    if (dataVolumes.length === 0) {
      io.skip('not in the archive');
      return { checks };
    }
    const runtime = await ctx.runtime();
    const out = [...checks];
    for (const d of dataVolumes) {
      const v = (await dataVolumeOf(ctx, runtime, d.kind))!;
      const running = (await runtime.inspectContainer(v.container))?.running === true;
      if (!running)
        throw new WmonError(`${v.what} does not run on its restored volume ${v.volume}`, {
          code: 'RESTORE_CHECK_FAILED',
        });
      out.push({ check: d.kind, ok: true, detail: `${d.files} files back in ${d.volume}; ${v.what} ready` });
    }
    return { checks: out };
  },
};

/**
 * The service answers on the restored database: SQLite's integrity check on it, the same events and states
 * as the manifest (pending events may already have been processed since the start), then the pending ones
 * resumed: waited for until none is left, or reported as still pending.
 */
export const checkWebhookStep: Step<
  ApplyInput & UpInput & { readonly webhookData: { bytes: number; checked: boolean } | null },
  {
    readonly webhook: WebhookRestoredJson;
    readonly checks: readonly RestoreCheckJson[];
    readonly applyWarnings: readonly string[];
  }
> = {
  title: "Check the webhook service's events",
  async run({ ctx, archive, webhookData, checks, applyWarnings, restoreOpts }, io) {
    const m = archive.manifest.webhook;
    const model = ctx.component('webhook');
    if (!webhookData || m?.store !== 'sqlite' || !model) {
      io.skip('not in the archive');
      return { webhook: null, checks, applyWarnings };
    }
    const runtime = await ctx.runtime();
    const container = containerName(ctx.stack, model);
    const first = await inspectLiveDb(runtime, container);
    const problems = inspectionProblems(first, "the service's database");
    const c = countsOf(first);
    const total = (x: { pending: number; processed: number; deadLetter: number }) =>
      x.pending + x.processed + x.deadLetter;
    for (const t of ['webhook_events', 'webhook_event_state'] as const)
      if (c.tables[t] !== m.tables[t]) problems.push(`${t} has ${c.tables[t]} rows, the backup ${m.tables[t] ?? 0}`);
    if (
      total(c.events) !== total(m.events) ||
      c.events.processed < m.events.processed ||
      c.events.deadLetter < m.events.deadLetter
    )
      problems.push(
        `the events are ${c.events.pending} pending, ${c.events.processed} processed, ${c.events.deadLetter} dead-letter; the backup had ${m.events.pending}, ${m.events.processed}, ${m.events.deadLetter}`,
      );
    if (problems.length > 0)
      throw new WmonError(`The service does not run on the restored events: ${problems.join('; ')}`, {
        code: 'RESTORE_CHECK_FAILED',
      });
    // Pending events resume as the service starts (it loads them from its database).
    let now = c;
    const deadline = Date.now() + Math.min(restoreOpts.timeoutMs, 60_000);
    while (now.events.pending > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      now = countsOf(await inspectLiveDb(runtime, container));
      io.output(`${now.events.pending} events still pending`);
    }
    const resumed = m.events.pending - now.events.pending;
    const detail = `${m.tables.webhook_events ?? 0} events back (integrity ok); ${m.events.pending} were pending: ${resumed} processed since${now.events.pending > 0 ? `, ${now.events.pending} still pending (the service retries them)` : ''}`;
    io.output(detail);
    const warnings =
      now.events.pending > 0
        ? [
            `${now.events.pending} restored events are still pending: the service retries them (wmon check shows its queue).`,
          ]
        : [];
    return {
      webhook: { bytes: webhookData.bytes, events: now.events },
      checks: [...checks, { check: 'webhook events', ok: true, detail }],
      applyWarnings: [...applyWarnings, ...warnings],
    };
  },
};

export const checkSeriesStep: Step<ApplyInput & UpInput, { readonly checks: readonly RestoreCheckJson[] }> = {
  title: 'Check Prometheus answers with the restored data',
  async run({ ctx, archive, checks }, io) {
    const m = archive.manifest;
    const prom = ctx.clientsWith(30_000).prometheus;
    if (!m.prometheus || !prom) {
      io.skip('not in the archive');
      return { checks };
    }
    const retention = durationSeconds(ctx.config.prometheus.retention.time);
    const probes = m.prometheus.probes;
    const r = await checkProbes(prom, probes, retention);
    const series = probes.reduce((sum, p) => sum + p.result.length, 0);
    if (r.problems.length > 0) {
      const more = r.problems.length > 5 ? ` (and ${r.problems.length - 5} more)` : '';
      throw new WmonError(
        `Prometheus does not answer with the backed-up values: ${r.problems.slice(0, 5).join('; ')}${more}`,
        {
          code: 'RESTORE_CHECK_FAILED',
        },
      );
    }
    const detail =
      probes.length === 0
        ? 'ready (the archive recorded no values to compare)'
        : r.checked === 0
          ? `ready; the recorded values are older than the retention (${ctx.config.prometheus.retention.time}), not compared`
          : `${series} series of ${probes.map((p) => p.query).join(', ')} answer with the backed-up values`;
    io.output(detail);
    return { checks: [...checks, { check: 'prometheus series', ok: true, detail }] };
  },
};

type Silences = NonNullable<RestoreResultJson['restored']>['silences'];

/** Add the archive's silences still in force that are missing (none is removed). */
export const silencesStep: Step<
  ApplyInput & UpInput,
  { readonly silences: Silences; readonly createdSilences: readonly string[] }
> = {
  title: 'Restore silences',
  async run({ ctx, archive }, io) {
    const am = ctx.clientsWith(15_000).alertmanager;
    if (!archive.manifest.alertmanager || !am) {
      io.skip('not in the archive');
      return { silences: null, createdSilences: [] };
    }
    const records = silencesFileSchema.parse(JSON.parse(archive.small.get(SILENCES_ENTRY)!.toString('utf8')));
    const r = await restoreSilences(am, records);
    io.output(`${r.restored} restored, ${r.present} already there, ${r.expired} ended since`);
    return {
      silences: { restored: r.restored, present: r.present, expired: r.expired },
      createdSilences: r.createdIds,
    };
  },
};

export const checkSilencesStep: Step<
  ApplyInput & UpInput & { readonly silences: Silences },
  { readonly checks: readonly RestoreCheckJson[] }
> = {
  title: 'Check the silences',
  async run({ ctx, archive, silences, checks }, io) {
    const am = ctx.clientsWith(15_000).alertmanager;
    if (!silences || !am) {
      io.skip('not in the archive');
      return { checks };
    }
    const records = silencesFileSchema.parse(JSON.parse(archive.small.get(SILENCES_ENTRY)!.toString('utf8')));
    const problems = await checkSilences(am, records);
    if (problems.length > 0) throw new WmonError(problems.join('; '), { code: 'RESTORE_CHECK_FAILED' });
    const detail = `${silences.restored} restored, ${silences.present} already there, ${silences.expired} ended since the backup`;
    return { checks: [...checks, { check: 'silences', ok: true, detail }] };
  },
};

type GrafanaRestoredJson = NonNullable<RestoreResultJson['restored']>['grafana'];

export const grafanaStep: Step<
  ApplyInput & UpInput,
  {
    readonly grafana: GrafanaRestoredJson;
    readonly applyWarnings: readonly string[];
    readonly checks: readonly RestoreCheckJson[];
  }
> = {
  title: "Restore Grafana's folders, dashboards and data sources",
  async run({ ctx, archive, applyWarnings, checks }, io) {
    const m = archive.manifest;
    if (!m.grafana || !ctx.component('grafana')) {
      io.skip('not in the archive');
      return { grafana: null, applyWarnings, checks };
    }
    const client = await requireGrafana(ctx, { timeoutMs: 30_000 });
    const r = await restoreGrafana(client, m, archive.small, path.basename(archive.file));
    const warnings = r.secretsToSet.map(
      (x) =>
        `Grafana data source "${x.datasource}" needs its secrets set again: ${x.fields.join(', ')} (Grafana never returns them, so no backup holds them).`,
    );
    io.output(
      `${r.dashboardsRestored} dashboards, ${r.foldersCreated} folders created, ${r.datasourcesRestored} data sources`,
    );
    const problems = await checkGrafana(client, m);
    if (problems.length > 0) throw new WmonError(problems.join('; '), { code: 'RESTORE_CHECK_FAILED' });
    const detail = `${m.grafana.dashboards.length} dashboards and ${m.grafana.datasources.length} data sources answer`;
    return {
      grafana: {
        folders: r.foldersCreated,
        dashboards: r.dashboardsRestored,
        datasources: r.datasourcesRestored,
        secretsToSet: r.secretsToSet,
      },
      applyWarnings: [...applyWarnings, ...warnings],
      checks: [...checks, { check: 'grafana', ok: true, detail }],
    };
  },
};

export const compareFilesStep: Step<
  ApplyInput & UpInput & { readonly files: readonly { path: string; contents: string }[] },
  { readonly checks: readonly RestoreCheckJson[]; readonly applyWarnings: readonly string[] }
> = {
  title: "Compare the rendered files with the archive's",
  async run({ archive, files, checks, applyWarnings }) {
    const m = archive.manifest;
    const differ = files.filter((f) => {
      const archived = archive.small.get(`${CONFIG_DIR}${f.path}`);
      return !archived || !archived.equals(Buffer.from(f.contents));
    });
    const sameVersion = m.wmonVersion === wmonVersion();
    const detail =
      differ.length === 0
        ? `all ${files.length} identical to the archive's`
        : `${differ.length} differ from the archive's (${differ.map((f) => f.path).join(', ')})${sameVersion ? '' : `: rendered by wmon ${wmonVersion()}, the archive's by ${m.wmonVersion}`}`;
    const warnings =
      differ.length > 0 ? [`Rendered files differ from the archive's: ${differ.map((f) => f.path).join(', ')}.`] : [];
    return {
      checks: [...checks, { check: 'rendered files', ok: differ.length === 0 || !sameVersion, detail }],
      applyWarnings: [...applyWarnings, ...warnings],
    };
  },
};

/** Every step that puts an archive in place, the stack's up steps among them, then the checks. */
export function applySteps() {
  return thenUp(
    pipeline<ApplyInput>()
      .then(writeConfigStep)
      .then(prometheusDataStep)
      .then(webhookDataStep)
      .then(dataVolumesRestoreStep),
  )
    .then(checkWebhookStep)
    .then(checkSeriesStep)
    .then(silencesStep)
    .then(checkSilencesStep)
    .then(grafanaStep)
    .then(compareFilesStep)
    .then(checkDataStep);
}

type Applied = StateOf<ReturnType<typeof applySteps>>;

/** Titles of the steps that bring the stack up, for "the restore failed while bringing the stack up (…)". */
const UP_TITLES = new Set(upSteps(false).titles);

function whileDoing(title: string | undefined): string {
  if (!title) return 'restoring';
  const bare = title.replace(/ \(rollback\)$/, '');
  return UP_TITLES.has(bare)
    ? `bringing the stack up (${bare.toLowerCase()})`
    : bare.charAt(0).toLowerCase() + bare.slice(1);
}

/** The same steps, titled as a rollback. */
function asRollback<In extends object, S extends object>(p: Pipeline<In, S>): Pipeline<In, S> {
  return p.relabel((title) => `${title} (rollback)`);
}

/** Put a verified archive in place and check it. On failure, `trace` says where, and holds what was done. */
async function applyArchive(
  target: RestoreTarget,
  archive: VerifiedArchive,
  opts: RestoreOptions,
  role: 'restore' | 'rollback',
  reporter: Reporter,
  trace: PipelineTrace,
): Promise<Applied> {
  const steps = role === 'rollback' ? asRollback(applySteps()) : applySteps();
  const s = await steps.run({ target, archive, restoreOpts: opts, checks: [], applyWarnings: [] }, reporter, trace);
  return {
    ...s,
    checks: [{ check: 'stack ready', ok: true, detail: `${s.specs.length} components answer` }, ...s.checks],
  };
}

// ---- the whole restore -----------------------------------------------------------------------------------

export function prepareSteps() {
  return pipeline<RestoreInput>().then(verifyStep).then(fitsStep).then(checkServiceDbStep);
}

export async function restoreStack(
  target: RestoreTarget,
  opts: RestoreOptions,
  reporter: Reporter = silentReporter,
): Promise<RestoreResultJson> {
  const started = Date.now();
  const prep = await prepareSteps().run({ target, opts }, reporter);
  const summary = archiveSummary(prep.archive);
  const file = path.resolve(opts.archive);
  if (opts.dryRun) {
    return {
      file,
      dryRun: true,
      archive: summary,
      plan: [...prep.plan],
      safetyBackup: null,
      restored: null,
      checks: [],
      warnings: [...prep.warnings],
      durationMs: Date.now() - started,
    };
  }

  // 2. Stop what must stop, after noting its values; the safety backup.
  const stopTrace: PipelineTrace = {};
  let ready: StateOf<ReturnType<typeof stopSteps>>;
  try {
    ready = await stopSteps().run(prep, reporter, stopTrace);
  } catch (error) {
    // Nothing was restored: put back what was stopped.
    const st = stopTrace.state as
      { stopped?: string | null; stoppedWebhook?: string | null; stoppedData?: readonly string[] } | undefined;
    const stopped = st?.stopped;
    if (stopped) await prep.runtime!.startContainer(stopped).catch(() => undefined);
    if (st?.stoppedWebhook) await prep.runtime!.startContainer(st.stoppedWebhook).catch(() => undefined);
    for (const c of st?.stoppedData ?? []) await prep.runtime!.startContainer(c).catch(() => undefined);
    throw new WmonError(
      `${(error as Error).message}\nNothing was restored${startedAgain(stopped, st?.stoppedWebhook)}.`,
      {
        cause: error,
        code: error instanceof WmonError ? error.code : 'RESTORE_PREPARE_FAILED',
        suggestions:
          error instanceof WmonError && error.code === 'BACKUP_WRITE_FAILED'
            ? ['Free space for the safety backup, or use --no-safety-backup.']
            : ['Check the stack (`wmon check`), then try again.'],
      },
    );
  }

  // 3-4. Restore and check; 5. roll back on failure.
  const trace: PipelineTrace = {};
  let run: Applied;
  try {
    run = await applyArchive(target, prep.archive, opts, 'restore', reporter, trace);
  } catch (error) {
    throw await rollBack(target, opts, ready.safety, error, trace, reporter);
  }
  return {
    file,
    dryRun: false,
    archive: summary,
    plan: [...prep.plan],
    safetyBackup: ready.safety,
    restored: {
      config: { wmonYaml: run.wmonYaml, files: run.files.map((f) => f.path) },
      prometheus: run.prometheusData,
      silences: run.silences,
      grafana: run.grafana,
      webhook: run.webhook,
      dataVolumes: [...run.dataVolumes],
    },
    checks: [...run.checks],
    warnings: [...ready.warnings, ...run.warnings, ...run.applyWarnings],
    durationMs: Date.now() - started,
  };
}

function startedAgain(prometheus: string | null | undefined, webhook: string | null | undefined): string {
  const names = [prometheus ? 'Prometheus' : '', webhook ? 'the webhook service' : ''].filter(Boolean);
  return names.length === 0 ? '' : ` (${names.join(' and ')} ${names.length === 1 ? 'was' : 'were'} started again)`;
}

function stopSteps() {
  return pipeline<StateOf<ReturnType<typeof prepareSteps>>>()
    .then(stopPrometheusStep)
    .then(stopWebhookStep)
    .then(stopDataStep)
    .then(safetyBackupStep);
}

/**
 * A restore failed: put the safety backup back the same way, check it, and return the error to throw (what
 * failed, and what the stack is now). Silences the failed restore added are expired first.
 */
async function rollBack(
  target: RestoreTarget,
  opts: RestoreOptions,
  safety: string | null,
  error: unknown,
  trace: PipelineTrace,
  reporter: Reporter,
): Promise<WmonError> {
  const cause = (error as Error).message;
  const step = whileDoing(trace.step);
  if (!safety) {
    return new WmonError(
      `The restore failed while ${step}: ${cause}\nThere is no safety backup to go back to (--no-safety-backup). Fix the cause and restore again.`,
      {
        code: 'RESTORE_FAILED',
      },
    );
  }
  try {
    await expireSilences(trace.state as Partial<Applied> | undefined);
    const back = await verifyArchive(safety);
    const rolled = await applyArchive(target, back, opts, 'rollback', reporter, {});
    const checks = rolled.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'} ${c.check}: ${c.detail}`);
    return new WmonError(
      `The restore failed while ${step}: ${cause}\nThe stack was put back as it was before, from the safety backup ${safety}:\n${checks.map((l) => `  ${l}`).join('\n')}`,
      {
        cause: error,
        code: 'RESTORE_ROLLED_BACK',
        suggestions: [
          'Nothing of the archive remains applied. Look at the cause above (e.g. `wmon check`, the container logs), then restore again.',
        ],
      },
    );
  } catch (rollbackError) {
    return new WmonError(
      `The restore failed while ${step}: ${cause}\nPutting the safety backup back failed too: ${(rollbackError as Error).message}`,
      {
        code: 'RESTORE_ROLLBACK_FAILED',
        suggestions: [
          `The state before the restore is in ${safety}: \`wmon restore ${safety}\` once the cause is fixed.`,
        ],
      },
    );
  }
}

/** Expire the silences a failed restore added (a rollback must not leave them). */
async function expireSilences(state: Partial<Applied> | undefined): Promise<void> {
  const am = state?.ctx?.clientsWith(10_000).alertmanager;
  if (!am || !state?.createdSilences?.length) return;
  for (const id of state.createdSilences) await am.deleteSilence(id).catch(() => undefined);
}

// ---- helpers ---------------------------------------------------------------------------------------------

function envOf(target: RestoreTarget): NodeJS.ProcessEnv {
  return target.current?.deps.env ?? target.deps?.env ?? process.env;
}

/** A stack context for `config` at the target's wmon.yaml, reaching the world as the current one does. */
function contextFor(target: RestoreTarget, config: Config): StackContext {
  const file = target.configFile;
  const loaded: LoadedConfig = { file, dir: path.dirname(file), config, exists: target.current !== undefined };
  return target.current ? target.current.withConfig(loaded) : createStackContext(loaded, target.deps);
}

/** Prometheus's container, volume and data folder in a stack (undefined when it is switched off). */
function prometheusOf(ctx: StackContext): Omit<PrometheusData, 'runtime'> | undefined {
  const model = ctx.component('prometheus');
  if (!model) return undefined;
  return {
    stack: ctx.stack,
    container: `${ctx.stack.project}-${model.dnsName}`,
    volume: volumeName(ctx.stack, model.volumes[0]!.name),
    dataDir: model.volumes[0]!.target,
    image: normalizeImageRef(model.image),
  };
}

/** The archive must be of this stack, and its wmon.yaml usable here (secrets it names must resolve). */
function checkFits(archive: VerifiedArchive, target: RestoreTarget, warnings: string[]): void {
  const current = target.current?.loaded;
  const refuse = (...problems: string[]): never => {
    throw new ArchiveError(archive.file, 'ARCHIVE_CONTENT_INVALID', problems);
  };
  const m = archive.manifest;
  if (current && current.config.project !== m.project) {
    refuse(
      `it is a backup of the project "${m.project}", and ${current.file} is of "${current.config.project}" (restore it with that project's wmon.yaml, --config)`,
    );
  }
  const issues = checkSecrets(archive.config, { env: envOf(target), baseDir: path.dirname(target.configFile) });
  if (issues.length > 0)
    throw new ConfigError('wmon.yaml in the archive', issues, [
      'Set the named environment variables or create the named files, then restore again.',
    ]);
  const unsupported = unsupportedImages(archive.config);
  if (unsupported.length > 0)
    refuse(...unsupported.map((u) => `its wmon.yaml's ${u.path} is ${u.image}: ${u.problem}`));
  if (m.wmonVersion !== wmonVersion())
    warnings.push(
      `The archive was made by wmon ${m.wmonVersion}; this is wmon ${wmonVersion()}: the rendered files are re-rendered by this version.`,
    );
  const prom = m.prometheus;
  if (prom?.version && archive.config.components.prometheus.enabled) {
    const made = majorMinor(prom.version);
    const target = majorMinor(parseImageRef(normalizeImageRef(archive.config.components.prometheus.image)).tag ?? '');
    // Prometheus 3 writes data that Prometheus 2 reads only from 2.55 on.
    if (made && target && made[0] >= 3 && (target[0] < 2 || (target[0] === 2 && target[1] < 55))) {
      refuse(
        `its Prometheus data was written by Prometheus ${prom.version}, which Prometheus ${target.join('.')} (the image in its wmon.yaml) cannot read (2.55 or newer can)`,
      );
    }
  }
  const retention = durationSeconds(archive.config.prometheus.retention.time);
  if (prom && retention !== undefined) {
    const horizon = Date.now() - retention * 1000;
    const old = prom.blocks.filter((b) => b.maxTime < horizon).length;
    if (old > 0)
      warnings.push(
        `${old} of the ${prom.blocks.length} Prometheus blocks are older than the retention (${archive.config.prometheus.retention.time}): Prometheus deletes them at start.`,
      );
  }
}

function majorMinor(version: string): [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(version.replace(/^v/, ''));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function archiveSummary(a: VerifiedArchive): RestoreResultJson['archive'] {
  const m = a.manifest;
  return {
    sha256: a.sha256,
    bytes: a.compressedBytes,
    files: a.fileCount,
    totalBytes: a.totalBytes,
    formatVersion: m.formatVersion,
    wmonVersion: m.wmonVersion,
    createdAt: m.createdAt,
    project: m.project,
    components: [
      ...(m.prometheus ? ['prometheus'] : []),
      ...(m.alertmanager ? ['alertmanager'] : []),
      ...(m.grafana ? ['grafana'] : []),
      ...(m.webhook?.store === 'sqlite' ? ['webhook'] : []),
      'config',
      ...(m.dataVolumes ?? []).map((v) => v.component),
    ],
  };
}

/** What a restore will do, step by step (also what --dry-run prints). */
async function planRestore(
  archive: VerifiedArchive,
  target: RestoreTarget,
  restored: StackContext,
  runtime: ContainerRuntime | null,
  opts: RestoreOptions,
  warnings: string[],
): Promise<RestoreStepJson[]> {
  const m = archive.manifest;
  const current = target.current?.loaded;
  const steps: RestoreStepJson[] = [
    {
      step: 'verify',
      detail: `verified: ${archive.fileCount} files (${formatBytes(archive.totalBytes)}), every checksum matches; made ${m.createdAt} by wmon ${m.wmonVersion} for the project ${m.project}`,
    },
  ];
  const prom = prometheusOf(restored);
  const running = prom && runtime ? (await runtime.inspectContainer(prom.container))?.running === true : false;
  const hook = restored.component('webhook');
  const hookContainer = hook ? containerName(restored.stack, hook) : undefined;
  const hookRunning =
    m.webhook?.store === 'sqlite' && hookContainer && runtime
      ? (await runtime.inspectContainer(hookContainer))?.running === true
      : false;
  const stoppingData: string[] = [];
  for (const v of archivedDataVolumes(archive)) {
    const model = restored.component(v.component);
    const container = model ? containerName(restored.stack, model) : undefined;
    if (container && runtime && (await runtime.inspectContainer(container))?.running) stoppingData.push(container);
  }
  const stopping = [
    ...(m.prometheus && prom && running ? [prom.container] : []),
    ...(hookRunning ? [hookContainer!] : []),
    ...stoppingData,
  ];
  if (stopping.length > 0)
    steps.push({
      step: 'stop',
      detail: `stop ${stopping.length > 2 ? `${stopping.slice(0, -1).join(', ')} and ${stopping.at(-1)}` : stopping.join(' and ')} (${stopping.length === 1 ? 'its data is' : 'their data are'} replaced; a stopped service acknowledges nothing, so Stripe retries meanwhile); nothing else stops`,
    });
  if (opts.safetyBackup && current) {
    steps.push({
      step: 'safety-backup',
      detail: `back up the current state into ${path.join(opts.backupDir ? path.resolve(opts.backupDir) : path.join(current.dir, 'backups'), 'safety')}/ first`,
    });
  } else {
    steps.push({
      step: 'safety-backup',
      detail: !opts.safetyBackup
        ? 'none (--no-safety-backup): a failure cannot be rolled back'
        : 'none: there is no wmon.yaml here, nothing to keep',
    });
  }
  const currentText = current ? (current.source ?? (await readFile(current.file).catch(() => undefined))) : undefined;
  const same = currentText?.equals(archive.small.get(CONFIG_ENTRY)!) ?? false;
  const differences = current && !same ? configDifferences(current.config, archive.config) : [];
  steps.push({
    step: 'config',
    detail: same
      ? 'wmon.yaml: unchanged (identical)'
      : `wmon.yaml: ${current ? 'replaced by' : 'written from'} the archive's${differences.length > 0 ? ` (${differences.join('; ')})` : ''}; the ${m.config.files.length} rendered files follow from it`,
  });
  for (const d of differences.filter((x) => /exposes|stackDir/.test(x)))
    warnings.push(`The archive's wmon.yaml changes ${d}.`);
  if (m.prometheus && prom) {
    const b = m.prometheus.blocks;
    const span =
      b.length > 0
        ? `, data from ${new Date(b[0]!.minTime).toISOString()} to ${new Date(b.at(-1)!.maxTime).toISOString()}`
        : '';
    steps.push({
      step: 'prometheus-data',
      detail: `replace the data in the volume ${prom.volume}: ${m.prometheus.files} files, ${formatBytes(m.prometheus.bytes)}, ${b.length} blocks${span} (${m.prometheus.mode})`,
    });
  } else if (m.prometheus) {
    steps.push({ step: 'prometheus-data', detail: "none: Prometheus is switched off in the archive's wmon.yaml" });
  }
  if (m.webhook?.store === 'sqlite' && hook) {
    const e = m.webhook.events;
    steps.push({
      step: 'webhook-data',
      detail: `replace the service's database in the volume ${volumeName(restored.stack, hook.volumes[0]!.name)}: ${formatBytes(m.webhook.bytes)}, schema version ${m.webhook.schemaVersion}, ${m.webhook.tables.webhook_events ?? 0} events (${e.pending} pending, ${e.processed} processed, ${e.deadLetter} dead-letter); the pending ones resume when it starts`,
    });
  } else if (m.webhook?.store === 'sqlite') {
    steps.push({ step: 'webhook-data', detail: "none: the service is switched off in the archive's wmon.yaml" });
  } else if (hook) {
    steps.push({
      step: 'webhook-data',
      detail:
        m.webhook?.store === 'external'
          ? "none: the service's events were in PostgreSQL (external, not in the archive); left as they are"
          : "none: the archive holds no service database; the service's events are left as they are",
    });
  }
  for (const v of archivedDataVolumes(archive)) {
    const model = restored.component(v.component);
    const name = v.component === 'loki' ? 'Loki' : 'Jaeger';
    steps.push({
      step: `${v.kind}-data`,
      detail: model
        ? `replace the ${v.kind} in the volume ${volumeName(restored.stack, model.volumes[0]!.name)}: ${v.files} files, ${formatBytes(v.bytes)}; ${name} is stopped first and started with the stack`
        : `none: ${name} is switched off in the archive's wmon.yaml`,
    });
  }
  steps.push({
    step: 'start',
    detail:
      'bring every component to the restored wmon.yaml as `wmon init` does (only what differs changes), and wait until each is ready',
  });
  if (m.alertmanager && restored.component('alertmanager')) {
    steps.push({
      step: 'silences',
      detail: `add those of the ${m.alertmanager.silences} silences still in force that are missing (no silence is removed)`,
    });
  }
  if (m.grafana && restored.component('grafana')) {
    const own = m.grafana.dashboards.filter((d) => !d.provisioned).length;
    steps.push({
      step: 'grafana',
      detail: `restore ${m.grafana.folders} folders, ${own} dashboards and ${m.grafana.datasources.filter((d) => !d.readOnly).length} data sources over Grafana's API (provisioned ones come from the files)`,
    });
  }
  const probes = m.prometheus?.probes ?? [];
  steps.push({
    step: 'check',
    detail: `check that the restored data answers: ${probes.length > 0 ? `${probes.map((q) => q.query).join(', ')} as recorded at ${new Date(probes[0]!.time * 1000).toISOString()}` : 'Prometheus ready'}${m.alertmanager ? ', the silences' : ''}${m.grafana ? ', the dashboards' : ''}${m.webhook?.store === 'sqlite' && hook ? ", the service's events (same counts, integrity ok, pending ones resumed)" : ''}; on any failure the safety backup is put back`,
  });
  return steps;
}

/** What an on-call should notice before wmon.yaml is replaced: where things live, what is exposed, what runs. */
export function configDifferences(now: LoadedConfig['config'], archived: LoadedConfig['config']): string[] {
  const out: string[] = [];
  if (now.stackDir !== archived.stackDir) out.push(`stackDir: ${now.stackDir} → ${archived.stackDir}`);
  if (now.bindAddress !== archived.bindAddress) {
    out.push(
      `bindAddress: ${now.bindAddress} → ${archived.bindAddress}${archived.bindAddress === '0.0.0.0' || archived.bindAddress === '::' ? ' (exposes every port beyond this host)' : ''}`,
    );
  }
  if ((now.auth === undefined) !== (archived.auth === undefined) || now.auth?.username !== archived.auth?.username) {
    const auth = (c: typeof now) => (c.auth ? `on (user ${c.auth.username})` : 'off');
    out.push(`auth: ${auth(now)} → ${auth(archived)}`);
  }
  for (const id of Object.keys(now.components) as Array<keyof typeof now.components>) {
    const a = now.components[id];
    const b = archived.components[id];
    if (a.enabled !== b.enabled) out.push(`${id}: ${a.enabled ? 'on' : 'off'} → ${b.enabled ? 'on' : 'off'}`);
    else if (b.enabled && a.image !== b.image) out.push(`${id} image: ${a.image} → ${b.image}`);
    if (b.enabled && a.port !== b.port) out.push(`${id} port: ${a.port} → ${b.port}`);
  }
  return out;
}

async function waitPortsFree(ports: ReadonlyArray<{ port: number; host: string }>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const p of ports) {
    while (!(await tryBind(p.port, p.host)).free && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  }
}

/** Write `data` to `file` atomically unless it already holds exactly that. True when written. */
async function writeIfDifferent(file: string, data: Buffer): Promise<boolean> {
  const current = await readFile(file).catch(() => undefined);
  if (current?.equals(data)) return false;
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data, { mode: 0o644 });
  await rename(tmp, file);
  return true;
}
