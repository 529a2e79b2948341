/**
 * `wmon reset`: start the stack from nothing. First what will be deleted, said exactly (planReset: each
 * volume with its size, the webhook service's pending and dead-letter events); a safety backup (unless told
 * not to); then every container, volume and network carrying this project's label is removed (nothing else:
 * the label is the boundary) but the webhook service's data volume, which holds acknowledged events Stripe
 * will not send again: it is kept unless `deleteEvents`. The stack is brought up again as `wmon init` does.
 */
import { LABELS } from '../core/model/container-types.js';
import { volumeName } from '../core/model/containers.js';
import { containerName } from '../core/model/stack.js';
import { normalizeImageRef } from '../adapters/runtime/image-ref.js';
import type { ContainerRuntime } from '../adapters/runtime/container-runtime.js';
import type { StackContext } from '../context.js';
import {
  countsOf,
  inspectLiveDb,
  SERVICE_DB_PATH,
  dbToolCommand,
  withServiceHelper,
} from '../features/archive/service-db.js';
import { WmonError } from '../errors.js';
import type { BackupResultJson, ResetPlanJson, ResetResultJson } from '../results.js';
import { createBackup } from './backup.js';
import { removeContainers } from './down.js';
import { pipeline, silentReporter, type Reporter, type Step } from './steps.js';
import { initStack, type UpOptions } from './up.js';

export interface ResetOptions {
  /** Take a safety backup first (default). */
  readonly backup: boolean;
  readonly backupDir?: string;
  /** Readiness deadline per component when the stack comes up again. */
  readonly timeoutMs: number;
  /** Seconds each container gets to stop. */
  readonly stopTimeoutSeconds: number;
  /** Remove the webhook service's data volume too (its events, dead letters and records). Default: kept. */
  readonly deleteEvents?: boolean;
}

/** The webhook service's data volume, when the service runs on SQLite (with PostgreSQL it holds nothing). */
function eventsVolume(ctx: StackContext): string | undefined {
  const model = ctx.component('webhook');
  if (!model || ctx.config.service.databaseUrl) return undefined;
  return volumeName(ctx.stack, model.volumes[0]!.name);
}

/** Sizes of volumes, read by one helper container that mounts them read-only (`du`); null when unknown. */
async function volumeSizes(
  ctx: StackContext,
  runtime: ContainerRuntime,
  names: readonly string[],
): Promise<Map<string, number | null>> {
  const sizes = new Map<string, number | null>(names.map((n) => [n, null]));
  if (names.length === 0) return sizes;
  // Any image of the stack that is here and has a shell: Prometheus's, else the service's.
  const candidates = (['prometheus', 'webhook', 'alertmanager'] as const).flatMap((id) => {
    const m = ctx.component(id);
    return m ? [normalizeImageRef(m.image)] : [];
  });
  let image: string | undefined;
  for (const c of candidates)
    if (await runtime.imageExists(c)) {
      image = c;
      break;
    }
  if (!image) return sizes;
  const name = `${ctx.stack.project}-wmon-helper-du`;
  try {
    await runtime.removeContainer(name, { force: true }).catch(() => false);
    const network = await runtime.ensureNetwork(ctx.stack.network, { [LABELS.project]: ctx.stack.project });
    try {
      await runtime.createContainer(
        {
          name,
          component: 'helper',
          image,
          entrypoint: ['/bin/sh', '-c'],
          cmd: ['sleep 600'],
          user: '0',
          env: {},
          ports: [],
          volumes: names.map((v) => ({ volume: v, target: `/v/${v}`, readOnly: true })),
          binds: [],
          aliases: [],
          labels: { [LABELS.project]: ctx.stack.project, [LABELS.component]: 'helper' },
          restartPolicy: 'no',
          dependsOn: [],
        },
        ctx.stack.network,
      );
      await runtime.startContainer(name);
      const r = await runtime.exec(name, ['du', '-sk', ...names.map((v) => `/v/${v}`)], { timeoutMs: 120_000 });
      for (const line of r.stdout.split('\n')) {
        const m = /^(\d+)\s+\/v\/(.+)$/.exec(line.trim());
        if (m && sizes.has(m[2]!)) sizes.set(m[2]!, Number(m[1]) * 1024);
      }
    } finally {
      await runtime.removeContainer(name, { force: true }).catch(() => false);
      if (network.created) await runtime.removeNetwork(ctx.stack.network).catch(() => false);
    }
  } catch {
    // Sizes are information: unknown rather than no reset.
  }
  return sizes;
}

/** The webhook service's events by state, read with SQLite beside the running service, or from its stopped volume. */
async function eventCounts(ctx: StackContext, runtime: ContainerRuntime, volume: string) {
  const model = ctx.require('webhook');
  const container = containerName(ctx.stack, model);
  try {
    const found = await runtime.inspectContainer(container);
    if (found?.running) return countsOf(await inspectLiveDb(runtime, container)).events;
    const image = normalizeImageRef(model.image);
    if (!(await runtime.imageExists(image))) return null;
    return await withServiceHelper({ runtime, stack: ctx.stack, volume, image }, { volume: true }, async (helper) => {
      const exists = await runtime.exec(helper, ['/bin/sh', '-c', 'test -f "$1"', 'sh', SERVICE_DB_PATH]);
      if (exists.exitCode !== 0) return { pending: 0, processed: 0, deadLetter: 0 };
      const r = await runtime.exec(helper, dbToolCommand('check', SERVICE_DB_PATH), { timeoutMs: 120_000 });
      if (r.exitCode !== 0) return null;
      const raw = JSON.parse(r.stdout) as { events?: Record<string, number> };
      const e = raw.events ?? {};
      return { pending: e.pending ?? 0, processed: e.processed ?? 0, deadLetter: e.dead_letter ?? 0 };
    });
  } catch {
    return null;
  }
}

/** What a reset will delete and keep, said before anything is asked or done. */
export async function planReset(
  ctx: StackContext,
  opts: Pick<ResetOptions, 'deleteEvents' | 'backup'>,
): Promise<ResetPlanJson> {
  const runtime = await ctx.runtime();
  const filter = { [LABELS.project]: ctx.stack.project };
  const volumes = (await runtime.listVolumes(filter)).map((v) => v.name).sort();
  const containers = (await runtime.listContainers(filter)).map((c) => c.name).sort();
  const sizes = await volumeSizes(ctx, runtime, volumes);
  const events = eventsVolume(ctx);
  const counts = events && volumes.includes(events) ? await eventCounts(ctx, runtime, events) : null;
  return {
    containers,
    volumes: volumes.map((name) => {
      const kept = name === events && !opts.deleteEvents;
      return {
        name,
        component: name === events ? 'webhook' : name.slice(ctx.stack.project.length + 1).replace(/-data$/, '') || name,
        bytes: sizes.get(name) ?? null,
        action: kept ? 'keep' : 'delete',
        ...(name === events ? { events: counts } : {}),
      };
    }),
    deletesEvents: Boolean(events && volumes.includes(events) && opts.deleteEvents),
    events: counts,
    safetyBackup: opts.backup,
  };
}

export interface ResetInput {
  readonly ctx: StackContext;
  readonly opts: ResetOptions;
}

type Removed = ResetResultJson['removed'];

export const safetyBackupStep: Step<ResetInput, { readonly safety: BackupResultJson | null }> = {
  title: 'Safety backup',
  async run({ ctx, opts }, io) {
    if (!opts.backup) {
      io.skip('--no-backup');
      return { safety: null };
    }
    try {
      const safety = await createBackup(ctx, {
        kind: 'safety',
        tolerant: true,
        ...(opts.backupDir ? { outputDir: opts.backupDir } : {}),
      });
      io.output(safety.file);
      return { safety };
    } catch (error) {
      throw new WmonError(`The safety backup failed, so nothing was removed: ${(error as Error).message}`, {
        cause: error,
        code: 'RESET_BACKUP_FAILED',
        suggestions: ['Fix the cause, or reset without a backup (--no-backup): all data is then lost.'],
      });
    }
  },
};

export const removeContainersStep: Step<ResetInput, { readonly removed: Removed }> = {
  title: "Remove the stack's containers",
  async run({ ctx, opts }, io) {
    const runtime = await ctx.runtime();
    const containers = await removeContainers(ctx, runtime, opts.stopTimeoutSeconds, (line) => io.output(line), {
      tolerateStopFailure: true,
    });
    return { removed: { containers, volumes: [], networks: [] } };
  },
};

export const removeVolumesStep: Step<
  ResetInput & { readonly removed: Removed },
  { readonly removed: Removed; readonly kept: readonly string[] }
> = {
  title: 'Remove its volumes and network',
  async run({ ctx, opts, removed }, io) {
    const runtime = await ctx.runtime();
    const filter = { [LABELS.project]: ctx.stack.project };
    const volumes: string[] = [];
    const networks: string[] = [];
    const kept: string[] = [];
    const events = eventsVolume(ctx);
    for (const v of await runtime.listVolumes(filter)) {
      if (v.name === events && !opts.deleteEvents) {
        kept.push(v.name);
        io.output(`kept ${v.name} (the webhook service's events; --delete-events removes it)`);
        continue;
      }
      if (await runtime.removeVolume(v.name)) volumes.push(v.name);
    }
    for (const n of await runtime.listNetworks(filter)) if (await runtime.removeNetwork(n.name)) networks.push(n.name);
    return { removed: { ...removed, volumes, networks }, kept };
  },
};

export function resetSteps() {
  return pipeline<ResetInput>().then(safetyBackupStep).then(removeContainersStep).then(removeVolumesStep);
}

export async function resetStack(
  ctx: StackContext,
  opts: ResetOptions,
  reporter: Reporter = silentReporter,
): Promise<ResetResultJson> {
  const s = await resetSteps().run({ ctx, opts }, reporter);
  const up: UpOptions = { dryRun: false, keepOnFailure: false, timeoutMs: opts.timeoutMs };
  const init = await initStack(ctx, up, reporter);
  return {
    project: ctx.stack.project,
    safetyBackup: s.safety,
    removed: s.removed,
    kept: { volumes: [...s.kept] },
    init,
  };
}
