/**
 * `wmon restore <file>`: runs during incidents, so it must never make things worse.
 *
 *   1. Verify the whole archive (verify.ts) and that it fits this stack: nothing is touched before this,
 *      and `--dry-run` stops here with the plan.
 *   2. Stop what must stop (Prometheus, whose data is replaced) after noting a few of its current values,
 *      and take a safety backup of the current state (its data exactly, as the server stopped).
 *   3. Restore: wmon.yaml (the rendered files follow from it), Prometheus's data into its volume, the
 *      stack brought to the restored wmon.yaml exactly as `wmon init` does (same plan, same apply), each
 *      component awaited; then silences and Grafana content over their APIs.
 *   4. Check that the restored data answers: the values the backup recorded, the silences, the dashboards.
 *   5. On any failure in 3 or 4: restore the safety backup the same way, check it, and say so.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { createAlertmanagerClient, createPrometheusClient } from '../../adapters/clients/index.js';
import { loadConfig, type LoadedConfig } from '../../core/config/load.js';
import { checkSecrets } from '../../core/config/secrets.js';
import { ConfigError, WmonError } from '../../errors.js';
import { durationSeconds } from '../../core/vocab/durations.js';
import { formatBytes } from '../../core/vocab/bytes.js';
import type { RestoreCheckJson, RestoreResultJson, RestoreStepJson } from '../../results.js';
import { connectRuntime, normalizeImageRef, parseImageRef, type ContainerRuntime } from '../../adapters/runtime/index.js';
import { tryBind } from '../../adapters/runtime/ports.js';
import { stackLabels, volumeName } from '../../core/model/containers.js';
import { stackGrafanaClient } from '../../ops/grafana-access.js';
import { buildStack, isEnabled, type ComponentModel, type Stack } from '../../core/model/stack.js';
import { stackTasks, type StackRun } from '../../ops/up.js';
import { runTasks, type Task } from '../../cli/reporters.js';
import { createBackup } from './backup.js';
import { CONFIG_DIR, CONFIG_ENTRY, SILENCES_ENTRY, type ArchiveLimits } from './format.js';
import { checkGrafana, restoreGrafana } from './grafana-content.js';
import { silencesFileSchema, type Probe } from './manifest.js';
import { checkProbes, restoreVolume, takeProbes, type PrometheusData } from './prometheus-data.js';
import { checkSilences, restoreSilences } from './silences.js';
import { ArchiveError, verifyArchive, type VerifiedArchive } from './verify.js';
import { wmonVersion } from '../../package.js';

export interface RestoreOptions {
  readonly configFile: string;
  readonly archive: string;
  readonly dryRun: boolean;
  /** Take a safety backup first (default). Without it there is nothing to roll back to. */
  readonly safetyBackup: boolean;
  /** Where the safety backup goes (its safety/ folder); default backups/ beside wmon.yaml. */
  readonly backupDir?: string;
  /** Readiness deadline per component. */
  readonly timeoutMs: number;
  readonly limits?: Partial<ArchiveLimits>;
  readonly progress: 'tty' | 'lines' | 'silent';
  readonly templateFile: string;
}

interface Prepared {
  archive: VerifiedArchive;
  /** The current wmon.yaml, when there is one. */
  current: LoadedConfig | undefined;
  /** Absent only in a dry run without an engine (the archive is still verified). */
  runtime: ContainerRuntime | undefined;
  plan: RestoreStepJson[];
  warnings: string[];
}

/** Restore a verified archive: the same steps for the restore and for a rollback to the safety backup. */
interface ApplyRun extends StackRun {
  step: string;
  wmonYaml: 'restored' | 'unchanged';
  prometheusData: { files: number; bytes: number; blocks: number } | null;
  silences: { restored: number; present: number; expired: number } | null;
  createdSilences: string[];
  grafana: NonNullable<RestoreResultJson['restored']>['grafana'];
  checks: RestoreCheckJson[];
  applyWarnings: string[];
}

export async function restoreStack(opts: RestoreOptions): Promise<RestoreResultJson> {
  const started = Date.now();
  const prep = {} as Prepared;
  await runTasks(
    [
      {
        title: 'Verify the archive',
        run: async (p, t) => {
          let last = 0;
          p.archive = await verifyArchive(opts.archive, {
            ...(opts.limits ? { limits: opts.limits } : {}),
            onProgress: (read, total) => {
              const pct = Math.floor((read / Math.max(total, 1)) * 100);
              if (pct >= last + 5) {
                last = pct;
                t.output(`${pct}% (${formatBytes(read)})`);
              }
            },
          });
          t.output(`${p.archive.fileCount} files, ${formatBytes(p.archive.totalBytes)}: every checksum matches`);
        },
      },
      {
        title: 'Check it fits this stack',
        run: async (p) => {
          p.warnings = [];
          p.current = await currentConfig(opts.configFile);
          try {
            p.runtime = await connectRuntime();
          } catch (error) {
            if (!opts.dryRun) throw error;
            p.warnings.push(`No container engine answers, so the plan cannot say what runs: ${(error as Error).message.split('\n')[0]}`);
          }
          checkFits(p.archive, p.current, opts.configFile, p.warnings);
          p.plan = await planRestore(p, opts);
        },
      },
    ],
    prep,
    opts.progress,
  );

  const summary = archiveSummary(prep.archive);
  if (opts.dryRun) {
    return { file: path.resolve(opts.archive), dryRun: true, archive: summary, plan: prep.plan, safetyBackup: null, restored: null, checks: [], warnings: prep.warnings, durationMs: Date.now() - started };
  }

  // 2. Stop what must stop, after noting its values; the safety backup.
  const { archive } = prep;
  const runtime = prep.runtime!;
  const stack = buildStack(archive.config);
  const prometheus = prometheusOf(runtime, stack, archive.config);
  const current = prep.current ? buildStack(prep.current.config) : undefined;
  let stoppedPrometheus = false;
  let safety: string | null = null;
  const prepared = { probes: [] as Probe[] };
  await runTasks<typeof prepared>(
    [
      {
        title: 'Stop Prometheus',
        skip: () => (archive.manifest.prometheus && prometheus ? false : 'its data is not restored'),
        run: async (_c, t) => {
          const details = await runtime.inspectContainer(prometheus!.container);
          if (!details?.running) return;
          const model = current?.components.find((m) => m.id === 'prometheus');
          if (model && prep.current) {
            const prom = createPrometheusClient({ baseUrl: model.url, timeoutMs: 10_000 });
            const scrape = durationSeconds(prep.current.config.prometheus.scrapeInterval) ?? 15;
            prepared.probes = await takeProbes(prom, scrape).catch(() => []);
          }
          await runtime.stopContainer(prometheus!.container, 30);
          stoppedPrometheus = true;
          t.output(`${prometheus!.container} stopped`);
        },
      },
      {
        title: 'Safety backup of the current state',
        skip: () => (!opts.safetyBackup ? '--no-safety-backup' : !prep.current ? 'no wmon.yaml here: nothing to keep' : false),
        run: async (_c, t) => {
          const b = await createBackup({
            configFile: opts.configFile,
            kind: 'safety',
            tolerant: true,
            probes: prepared.probes,
            progress: 'silent',
            ...(opts.backupDir ? { outputDir: opts.backupDir } : {}),
          });
          safety = b.file;
          prep.warnings.push(...b.warnings.map((w) => `safety backup: ${w}`));
          t.output(`${b.file} (${formatBytes(b.bytes)})`);
        },
      },
    ],
    prepared,
    opts.progress,
  ).catch(async (error: unknown) => {
    // Nothing was restored: put back what was stopped.
    if (stoppedPrometheus) await runtime.startContainer(prometheus!.container).catch(() => undefined);
    throw new WmonError(`${(error as Error).message}\nNothing was restored${stoppedPrometheus ? ' (Prometheus was started again)' : ''}.`, {
      cause: error,
      code: error instanceof WmonError ? error.code : 'RESTORE_PREPARE_FAILED',
      suggestions: error instanceof WmonError && error.code === 'BACKUP_WRITE_FAILED' ? ['Free space for the safety backup, or use --no-safety-backup.'] : ['Check the stack (`wmon check`), then try again.'],
    });
  });

  // 3-4. Restore and check; 5. roll back on failure.
  let run: ApplyRun;
  try {
    run = await applyArchive(archive, opts, prep.current?.file ?? path.resolve(opts.configFile), 'restore');
  } catch (error) {
    const failedRun = (error as { run?: ApplyRun }).run;
    const cause = (error as Error).message;
    const step = failedRun?.step ?? 'restoring';
    if (!safety) {
      throw new WmonError(`The restore failed while ${step}: ${cause}\nThere is no safety backup to go back to (--no-safety-backup). Fix the cause and restore again.`, {
        code: 'RESTORE_FAILED',
      });
    }
    try {
      if (failedRun) await expireSilences(failedRun);
      const back = await verifyArchive(safety);
      const rolled = await applyArchive(back, { ...opts, progress: opts.progress }, prep.current?.file ?? path.resolve(opts.configFile), 'rollback');
      const checks = rolled.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'} ${c.check}: ${c.detail}`);
      throw new WmonError(
        `The restore failed while ${step}: ${cause}\nThe stack was put back as it was before, from the safety backup ${safety}:\n${checks.map((l) => `  ${l}`).join('\n')}`,
        {
          cause: error,
          code: 'RESTORE_ROLLED_BACK',
          suggestions: ['Nothing of the archive remains applied. Look at the cause above (e.g. `wmon check`, the container logs), then restore again.'],
        },
      );
    } catch (rollbackError) {
      if (rollbackError instanceof WmonError && rollbackError.code === 'RESTORE_ROLLED_BACK') throw rollbackError;
      throw new WmonError(
        `The restore failed while ${step}: ${cause}\nPutting the safety backup back failed too: ${(rollbackError as Error).message}`,
        {
          code: 'RESTORE_ROLLBACK_FAILED',
          suggestions: [`The state before the restore is in ${safety}: \`wmon restore ${safety}\` once the cause is fixed.`],
        },
      );
    }
  }

  return {
    file: path.resolve(opts.archive),
    dryRun: false,
    archive: summary,
    plan: prep.plan,
    safetyBackup: safety,
    restored: {
      config: { wmonYaml: run.wmonYaml, files: run.files.map((f) => f.path) },
      prometheus: run.prometheusData,
      silences: run.silences,
      grafana: run.grafana,
    },
    checks: run.checks,
    warnings: [...prep.warnings, ...run.warnings, ...run.applyWarnings],
    durationMs: Date.now() - started,
  };
}

async function currentConfig(file: string): Promise<LoadedConfig | undefined> {
  try {
    return await loadConfig(file);
  } catch (error) {
    if (error instanceof WmonError && error.code === 'CONFIG_MISSING') return undefined;
    throw error;
  }
}

/** The archive must be of this stack, and its wmon.yaml usable here (secrets it names must resolve). */
function checkFits(archive: VerifiedArchive, current: LoadedConfig | undefined, configFile: string, warnings: string[]): void {
  const refuse = (...problems: string[]): never => {
    throw new ArchiveError(archive.file, 'ARCHIVE_CONTENT_INVALID', problems);
  };
  const m = archive.manifest;
  if (current && current.config.project !== m.project) {
    refuse(`it is a backup of the project "${m.project}", and ${current.file} is of "${current.config.project}" (restore it with that project's wmon.yaml, --config)`);
  }
  const dir = current?.dir ?? path.dirname(path.resolve(configFile));
  const issues = checkSecrets(archive.config, { env: process.env, baseDir: dir });
  if (issues.length > 0) throw new ConfigError('wmon.yaml in the archive', issues, ['Set the named environment variables or create the named files, then restore again.']);
  if (m.wmonVersion !== wmonVersion()) warnings.push(`The archive was made by wmon ${m.wmonVersion}; this is wmon ${wmonVersion()}: the rendered files are re-rendered by this version.`);
  const prom = m.prometheus;
  if (prom?.version && isEnabled(archive.config, 'prometheus')) {
    const made = majorMinor(prom.version);
    const target = majorMinor(parseImageRef(normalizeImageRef(archive.config.components.prometheus.image)).tag ?? '');
    // Prometheus 3 writes data that Prometheus 2 reads only from 2.55 on.
    if (made && target && made[0] >= 3 && (target[0] < 2 || (target[0] === 2 && target[1] < 55))) {
      refuse(`its Prometheus data was written by Prometheus ${prom.version}, which Prometheus ${target.join('.')} (the image in its wmon.yaml) cannot read (2.55 or newer can)`);
    }
  }
  const retention = durationSeconds(archive.config.prometheus.retention.time);
  if (prom && retention !== undefined) {
    const horizon = Date.now() - retention * 1000;
    const old = prom.blocks.filter((b) => b.maxTime < horizon).length;
    if (old > 0) warnings.push(`${old} of the ${prom.blocks.length} Prometheus blocks are older than the retention (${archive.config.prometheus.retention.time}): Prometheus deletes them at start.`);
  }
}

function majorMinor(version: string): [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(version.replace(/^v/, ''));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function prometheusOf(runtime: ContainerRuntime | undefined, stack: Stack, config: LoadedConfig['config']): PrometheusData | undefined {
  const model = stack.components.find((m) => m.id === 'prometheus');
  if (!model) return undefined;
  return {
    runtime: runtime!,
    stack,
    container: `${stack.project}-${model.dnsName}`,
    volume: volumeName(stack, model.volumes[0]!.name),
    dataDir: model.volumes[0]!.target,
    image: normalizeImageRef(config.components.prometheus.image),
  };
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
      'config',
    ],
  };
}

/** What a restore will do, step by step (also what --dry-run prints). */
async function planRestore(p: Prepared, opts: RestoreOptions): Promise<RestoreStepJson[]> {
  const m = p.archive.manifest;
  const stack = buildStack(p.archive.config);
  const steps: RestoreStepJson[] = [
    {
      step: 'verify',
      detail: `verified: ${p.archive.fileCount} files (${formatBytes(p.archive.totalBytes)}), every checksum matches; made ${m.createdAt} by wmon ${m.wmonVersion} for the project ${m.project}`,
    },
  ];
  const prom = prometheusOf(p.runtime, stack, p.archive.config);
  const running = prom && p.runtime ? (await p.runtime.inspectContainer(prom.container))?.running === true : false;
  if (m.prometheus && prom && running) steps.push({ step: 'stop', detail: `stop ${prom.container} (its data is replaced); nothing else stops` });
  if (opts.safetyBackup && p.current) {
    steps.push({ step: 'safety-backup', detail: `back up the current state into ${path.join(opts.backupDir ? path.resolve(opts.backupDir) : path.join(p.current.dir, 'backups'), 'safety')}/ first` });
  } else {
    steps.push({ step: 'safety-backup', detail: !opts.safetyBackup ? 'none (--no-safety-backup): a failure cannot be rolled back' : 'none: there is no wmon.yaml here, nothing to keep' });
  }
  const currentText = p.current ? await readFile(p.current.file).catch(() => undefined) : undefined;
  const same = currentText?.equals(p.archive.small.get(CONFIG_ENTRY)!) ?? false;
  const differences = p.current && !same ? configDifferences(p.current.config, p.archive.config) : [];
  steps.push({
    step: 'config',
    detail: same
      ? 'wmon.yaml: unchanged (identical)'
      : `wmon.yaml: ${p.current ? 'replaced by' : 'written from'} the archive's${differences.length > 0 ? ` (${differences.join('; ')})` : ''}; the ${m.config.files.length} rendered files follow from it`,
  });
  for (const d of differences.filter((x) => /exposes|stackDir/.test(x))) p.warnings.push(`The archive's wmon.yaml changes ${d}.`);
  if (m.prometheus && prom) {
    const b = m.prometheus.blocks;
    const span = b.length > 0 ? `, data from ${new Date(b[0]!.minTime).toISOString()} to ${new Date(b.at(-1)!.maxTime).toISOString()}` : '';
    steps.push({
      step: 'prometheus-data',
      detail: `replace the data in the volume ${prom.volume}: ${m.prometheus.files} files, ${formatBytes(m.prometheus.bytes)}, ${b.length} blocks${span} (${m.prometheus.mode})`,
    });
  } else if (m.prometheus) {
    steps.push({ step: 'prometheus-data', detail: 'none: Prometheus is switched off in the archive\'s wmon.yaml' });
  }
  steps.push({ step: 'start', detail: 'bring every component to the restored wmon.yaml as `wmon init` does (only what differs changes), and wait until each is ready' });
  if (m.alertmanager && isEnabled(p.archive.config, 'alertmanager')) {
    steps.push({ step: 'silences', detail: `add those of the ${m.alertmanager.silences} silences still in force that are missing (no silence is removed)` });
  }
  if (m.grafana && isEnabled(p.archive.config, 'grafana')) {
    const own = m.grafana.dashboards.filter((d) => !d.provisioned).length;
    steps.push({ step: 'grafana', detail: `restore ${m.grafana.folders} folders, ${own} dashboards and ${m.grafana.datasources.filter((d) => !d.readOnly).length} data sources over Grafana's API (provisioned ones come from the files)` });
  }
  const probes = m.prometheus?.probes ?? [];
  steps.push({
    step: 'check',
    detail: `check that the restored data answers: ${probes.length > 0 ? `${probes.map((q) => q.query).join(', ')} as recorded at ${new Date(probes[0]!.time * 1000).toISOString()}` : 'Prometheus ready'}${m.alertmanager ? ', the silences' : ''}${m.grafana ? ', the dashboards' : ''}; on any failure the safety backup is put back`,
  });
  return steps;
}

/** What an on-call should notice before wmon.yaml is replaced: where things live, what is exposed, what runs. */
export function configDifferences(now: LoadedConfig['config'], archived: LoadedConfig['config']): string[] {
  const out: string[] = [];
  if (now.stackDir !== archived.stackDir) out.push(`stackDir: ${now.stackDir} → ${archived.stackDir}`);
  if (now.bindAddress !== archived.bindAddress) {
    out.push(`bindAddress: ${now.bindAddress} → ${archived.bindAddress}${archived.bindAddress === '0.0.0.0' || archived.bindAddress === '::' ? ' (exposes every port beyond this host)' : ''}`);
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

/** Expire the silences a failed restore added (a rollback must not leave them). */
async function expireSilences(run: ApplyRun): Promise<void> {
  if (run.createdSilences.length === 0 || !run.stack) return;
  const am = run.stack.components.find((m) => m.id === 'alertmanager');
  if (!am) return;
  const client = createAlertmanagerClient({ baseUrl: am.url, timeoutMs: 10_000 });
  for (const id of run.createdSilences) await client.deleteSilence(id).catch(() => undefined);
}

/**
 * Put a verified archive in place: wmon.yaml, Prometheus's data, the stack as `init` brings it up, silences,
 * Grafana; then check. On failure the error carries the run (which step, which silences were added).
 */
async function applyArchive(archive: VerifiedArchive, opts: RestoreOptions, configFile: string, role: 'restore' | 'rollback'): Promise<ApplyRun> {
  const m = archive.manifest;
  const label = role === 'rollback' ? ' (rollback)' : '';
  const run = { step: 'starting', createdSilences: [], checks: [], applyWarnings: [], prometheusData: null, silences: null, grafana: null } as unknown as ApplyRun;
  const stepping = <C extends ApplyRun>(task: Task<C>, step: string): Task<C> => ({
    ...task,
    run: async (c, t) => {
      c.step = step;
      await task.run(c, t);
    },
  });
  const stack = buildStack(archive.config);
  const tasks: Task<ApplyRun>[] = [
    stepping(
      {
        title: `Restore wmon.yaml${label}`,
        run: async (c) => {
          c.wmonYaml = (await writeIfDifferent(configFile, archive.small.get(CONFIG_ENTRY)!)) ? 'restored' : 'unchanged';
        },
      },
      'restoring wmon.yaml',
    ),
    stepping(
      {
        title: `Restore Prometheus's data${label}`,
        skip: () => (m.prometheus && isEnabled(archive.config, 'prometheus') ? false : 'not in the archive'),
        run: async (_c, t) => {
          const runtime = await connectRuntime();
          const d = prometheusOf(runtime, stack, archive.config)!;
          const details = await runtime.inspectContainer(d.container);
          if (details?.running) await runtime.stopContainer(d.container, 30);
          const model = stack.components.find((x) => x.id === 'prometheus') as ComponentModel;
          await runtime.ensureVolume(d.volume, stackLabels(stack, model.id));
          let shown = 0;
          const r = await restoreVolume(d, archive, (bytes, total) => {
            if (bytes - shown >= 64 * 1024 * 1024 || bytes === total) {
              shown = bytes;
              t.output(`${formatBytes(bytes)} of ${formatBytes(total)}`);
            }
          });
          run.prometheusData = { ...r, blocks: m.prometheus!.blocks.length };
          // The engine may hold a stopped container's host port for a moment: let it go before the port check.
          await waitPortsFree(model.ports.map((p) => ({ port: p.hostPort, host: p.hostIp })), 30_000);
        },
      },
      "restoring Prometheus's data",
    ),
    ...stackTasks({
      configFile,
      dryRun: false,
      keepOnFailure: false,
      timeoutMs: opts.timeoutMs,
      progress: opts.progress,
      templateFile: opts.templateFile,
      createConfig: false,
    }).map((t) => stepping<ApplyRun>(t, `bringing the stack up (${t.title.toLowerCase()})`)),
    stepping(
      {
        title: `Check Prometheus answers with the restored data${label}`,
        skip: () => (m.prometheus && isEnabled(archive.config, 'prometheus') ? false : 'not in the archive'),
        run: async (c, t) => {
          const model = c.stack.components.find((x) => x.id === 'prometheus')!;
          const prom = createPrometheusClient({ baseUrl: model.url, timeoutMs: 30_000 });
          const retention = durationSeconds(archive.config.prometheus.retention.time);
          const probes = m.prometheus!.probes;
          const r = await checkProbes(prom, probes, retention);
          const series = probes.reduce((s, p) => s + p.result.length, 0);
          if (r.problems.length > 0) {
            c.checks.push({ check: 'prometheus series', ok: false, detail: r.problems.slice(0, 5).join('; ') });
            throw new WmonError(`Prometheus does not answer with the backed-up values: ${r.problems.slice(0, 5).join('; ')}${r.problems.length > 5 ? ` (and ${r.problems.length - 5} more)` : ''}`, {
              code: 'RESTORE_CHECK_FAILED',
            });
          }
          const detail =
            probes.length === 0
              ? 'ready (the archive recorded no values to compare)'
              : r.checked === 0
                ? `ready; the recorded values are older than the retention (${archive.config.prometheus.retention.time}), not compared`
                : `${series} series of ${probes.map((p) => p.query).join(', ')} answer with the backed-up values`;
          c.checks.push({ check: 'prometheus series', ok: true, detail });
          t.output(detail);
        },
      },
      'checking Prometheus',
    ),
    stepping(
      {
        title: `Restore silences${label}`,
        skip: () => (m.alertmanager && isEnabled(archive.config, 'alertmanager') ? false : 'not in the archive'),
        run: async (c, t) => {
          const am = createAlertmanagerClient({ baseUrl: c.stack.components.find((x) => x.id === 'alertmanager')!.url, timeoutMs: 15_000 });
          const records = silencesFileSchema.parse(JSON.parse(archive.small.get(SILENCES_ENTRY)!.toString('utf8')));
          const r = await restoreSilences(am, records);
          c.createdSilences.push(...r.createdIds);
          c.silences = { restored: r.restored, present: r.present, expired: r.expired };
          const problems = await checkSilences(am, records);
          c.checks.push({ check: 'silences', ok: problems.length === 0, detail: problems.length === 0 ? `${r.restored} restored, ${r.present} already there, ${r.expired} ended since the backup` : problems.join('; ') });
          if (problems.length > 0) throw new WmonError(problems.join('; '), { code: 'RESTORE_CHECK_FAILED' });
          t.output(`${r.restored} restored, ${r.present} already there, ${r.expired} ended since`);
        },
      },
      'restoring silences',
    ),
    stepping(
      {
        title: `Restore Grafana's folders, dashboards and data sources${label}`,
        skip: () => (m.grafana && isEnabled(archive.config, 'grafana') ? false : 'not in the archive'),
        run: async (c, t) => {
          const client = (await stackGrafanaClient(c.loaded, { timeoutMs: 30_000 }))!;
          const r = await restoreGrafana(client, m, archive.small, path.basename(archive.file));
          c.grafana = { folders: r.foldersCreated, dashboards: r.dashboardsRestored, datasources: r.datasourcesRestored, secretsToSet: r.secretsToSet };
          for (const s of r.secretsToSet) c.applyWarnings.push(`Grafana data source "${s.datasource}" needs its secrets set again: ${s.fields.join(', ')} (Grafana never returns them, so no backup holds them).`);
          const problems = await checkGrafana(client, m);
          c.checks.push({ check: 'grafana', ok: problems.length === 0, detail: problems.length === 0 ? `${m.grafana!.dashboards.length} dashboards and ${m.grafana!.datasources.length} data sources answer` : problems.join('; ') });
          if (problems.length > 0) throw new WmonError(problems.join('; '), { code: 'RESTORE_CHECK_FAILED' });
          t.output(`${r.dashboardsRestored} dashboards, ${r.foldersCreated} folders created, ${r.datasourcesRestored} data sources`);
        },
      },
      'restoring Grafana',
    ),
    stepping(
      {
        title: `Compare the rendered files with the archive's${label}`,
        run: async (c) => {
          const differ = c.files.filter((f) => {
            const archived = archive.small.get(`${CONFIG_DIR}${f.path}`);
            return !archived || !archived.equals(Buffer.from(f.contents));
          });
          const sameVersion = m.wmonVersion === wmonVersion();
          c.checks.push({
            check: 'rendered files',
            ok: differ.length === 0 || !sameVersion,
            detail:
              differ.length === 0
                ? `all ${c.files.length} identical to the archive's`
                : `${differ.length} differ from the archive's (${differ.map((f) => f.path).join(', ')})${sameVersion ? '' : `: rendered by wmon ${wmonVersion()}, the archive's by ${m.wmonVersion}`}`,
          });
          if (differ.length > 0) c.applyWarnings.push(`Rendered files differ from the archive's: ${differ.map((f) => f.path).join(', ')}.`);
        },
      },
      'comparing the rendered files',
    ),
  ];
  try {
    await runTasks(tasks, run, opts.progress);
  } catch (error) {
    throw Object.assign(error as Error, { run });
  }
  run.checks.unshift({ check: 'stack ready', ok: true, detail: `${run.specs.length} components answer` });
  return run;
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

