/**
 * `wmon reset`: start the stack from nothing. A safety backup first (unless told not to), then every
 * container, volume and network carrying this project's label is removed (nothing else: the label is the
 * boundary), and the stack is brought up again exactly as `wmon init` does.
 */
import { LABELS } from '../core/model/container-types.js';
import type { StackContext } from '../context.js';
import { WmonError } from '../errors.js';
import type { BackupResultJson, ResetResultJson } from '../results.js';
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

export const removeVolumesStep: Step<ResetInput & { readonly removed: Removed }, { readonly removed: Removed }> = {
  title: 'Remove its volumes and network',
  async run({ ctx, removed }) {
    const runtime = await ctx.runtime();
    const filter = { [LABELS.project]: ctx.stack.project };
    const volumes: string[] = [];
    const networks: string[] = [];
    for (const v of await runtime.listVolumes(filter)) if (await runtime.removeVolume(v.name)) volumes.push(v.name);
    for (const n of await runtime.listNetworks(filter)) if (await runtime.removeNetwork(n.name)) networks.push(n.name);
    return { removed: { ...removed, volumes, networks } };
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
  return { project: ctx.stack.project, safetyBackup: s.safety, removed: s.removed, init };
}
