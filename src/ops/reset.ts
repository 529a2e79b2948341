/**
 * `wmon reset`: start the stack from nothing. A safety backup first (unless told not to), then every
 * container, volume and network carrying this project's label is removed (nothing else: the label is the
 * boundary), and the stack is brought up again exactly as `wmon init` does.
 */
import { createBackup } from '../features/archive/backup.js';
import { loadConfig } from '../core/config/load.js';
import { WmonError } from '../errors.js';
import type { BackupResultJson, ResetResultJson } from '../results.js';
import { connectRuntime, LABELS } from '../adapters/runtime/index.js';
import { runTasks } from '../cli/reporters.js';
import { buildStack } from '../core/model/stack.js';
import { initStack, type InitOptions } from './up.js';

export interface ResetOptions extends Omit<InitOptions, 'dryRun' | 'createConfig' | 'collectDiff' | 'keepOnFailure'> {
  /** Take a safety backup first (default). */
  readonly backup: boolean;
  readonly backupDir?: string;
  /** Seconds each container gets to stop. */
  readonly stopTimeoutSeconds: number;
}

interface ResetRun {
  safety: BackupResultJson | null;
  removed: { containers: string[]; volumes: string[]; networks: string[] };
}

export async function resetStack(opts: ResetOptions): Promise<ResetResultJson> {
  const loaded = await loadConfig(opts.configFile);
  const stack = buildStack(loaded.config);
  const filter = { [LABELS.project]: stack.project };
  const ctx: ResetRun = { safety: null, removed: { containers: [], volumes: [], networks: [] } };
  await runTasks<ResetRun>(
    [
      {
        title: 'Safety backup',
        skip: () => (opts.backup ? false : '--no-backup'),
        run: async (c, t) => {
          try {
            c.safety = await createBackup({
              configFile: opts.configFile,
              kind: 'safety',
              tolerant: true,
              progress: 'silent',
              ...(opts.backupDir ? { outputDir: opts.backupDir } : {}),
            });
          } catch (error) {
            throw new WmonError(`The safety backup failed, so nothing was removed: ${(error as Error).message}`, {
              cause: error,
              code: 'RESET_BACKUP_FAILED',
              suggestions: ['Fix the cause, or reset without a backup (--no-backup): all data is then lost.'],
            });
          }
          t.output(c.safety.file);
        },
      },
      {
        title: "Remove the stack's containers",
        run: async (c, t) => {
          const runtime = await connectRuntime();
          const containers = await runtime.listContainers(filter);
          // Dependents first (Grafana, Prometheus), what they depend on last.
          const order = stack.components.map((m) => m.id as string);
          containers.sort((a, b) => order.indexOf(b.component ?? '') - order.indexOf(a.component ?? ''));
          for (const x of containers) {
            await runtime.stopContainer(x.id, opts.stopTimeoutSeconds).catch(() => undefined);
            if (await runtime.removeContainer(x.id, { force: true })) c.removed.containers.push(x.name);
            t.output(`removed ${x.name}`);
          }
        },
      },
      {
        title: 'Remove its volumes and network',
        run: async (c) => {
          const runtime = await connectRuntime();
          for (const v of await runtime.listVolumes(filter)) if (await runtime.removeVolume(v.name)) c.removed.volumes.push(v.name);
          for (const n of await runtime.listNetworks(filter)) if (await runtime.removeNetwork(n.name)) c.removed.networks.push(n.name);
        },
      },
    ],
    ctx,
    opts.progress,
  );
  const init = await initStack({ ...opts, dryRun: false, keepOnFailure: false, createConfig: false });
  return { project: stack.project, safetyBackup: ctx.safety, removed: ctx.removed, init };
}
