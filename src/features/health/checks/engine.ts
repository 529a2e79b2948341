/** The container engine answers, and each enabled component's container runs. */
import { LABELS, type ContainerDetails, type ContainerSummary } from '../../../core/model/container-types.js';
import { containerName } from '../../../core/model/stack.js';
import type { HealthContext } from '../context.js';
import { checkTask, row, type CheckRow, type CheckTask } from '../runner.js';

/** Engine detection may try several sockets: give it a little longer than an HTTP check. */
const ENGINE_EXTRA_MS = 5000;

function firstLine(error: unknown): string {
  const m = error instanceof Error ? error.message : String(error);
  return m.split('\n')[0] ?? m;
}

/** Why a container that is not running stopped, as far as the engine says. */
function stoppedReason(found: ContainerSummary, details: ContainerDetails | null): string {
  if (found.state === 'restarting') return `restarting (${details?.restartCount ?? '?'} restarts so far)`;
  if (found.state !== 'exited' && found.state !== 'dead') return found.state;
  const code = details?.exitCode === null || details?.exitCode === undefined ? '' : ` with code ${details.exitCode}`;
  const oom = details?.oomKilled ? ' (killed: out of memory)' : '';
  return `${found.state}${code}${oom}${details?.error ? `: ${details.error}` : ''}`;
}

export function engineTasks(ctx: HealthContext): CheckTask[] {
  const task = (id: string, check: string, run: (self: CheckTask) => Promise<CheckRow[]>): CheckTask =>
    checkTask(
      ctx,
      { group: 'engine', id, component: 'engine', check, deadlineMs: ctx.timeoutMs + ENGINE_EXTRA_MS },
      run,
    );

  const engine = task('engine', 'reachable', async (self) => {
    try {
      const rt = await ctx.runtime();
      return [row(self, 'OK', `${rt.engine.name} ${rt.engine.version} at ${rt.engine.address}`)];
    } catch (error) {
      return [row(self, 'UNKNOWN', `cannot check the containers: ${firstLine(error)}`)];
    }
  });

  const containers = task('containers', 'containers running', async () => {
    let rt;
    try {
      rt = await ctx.runtime();
    } catch {
      // The engine row says why; one UNKNOWN row here would only repeat it.
      return [];
    }
    const list = await rt.listContainers({ [LABELS.project]: ctx.stack.project });
    const rows: CheckRow[] = [];
    for (const c of ctx.stack.components) {
      const name = containerName(ctx.stack, c);
      const id = { id: `containers.${c.id}`, component: c.id, check: 'container running' };
      const found: ContainerSummary | undefined =
        list.find((x) => x.component === c.id) ?? list.find((x) => x.name === name);
      if (!found) {
        rows.push(row(id, 'CRITICAL', `no container ${name}: run \`wmon init\``));
        continue;
      }
      if (found.state === 'running') {
        rows.push(row(id, 'OK', `${found.name} running (${found.status})`));
        continue;
      }
      const details = await rt.inspectContainer(found.id).catch(() => null);
      rows.push(row(id, 'CRITICAL', `${found.name} is ${stoppedReason(found, details)} (${found.status})`));
    }
    return rows;
  });
  return [engine, containers];
}
