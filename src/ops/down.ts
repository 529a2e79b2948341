import type { ContainerRuntime } from '../adapters/runtime/container-runtime.js';
import { LABELS, type ContainerSummary } from '../core/model/container-types.js';
import type { StackContext } from '../context.js';
import type { DownResultJson } from '../results.js';

/**
 * Stop the stack without losing data: remove this project's containers (stopped gracefully first) and
 * its network; keep the named volumes, so `wmon init` brings everything back with its data.
 */
export async function downStack(ctx: StackContext, opts: { timeoutSeconds: number }): Promise<DownResultJson> {
  const { stack } = ctx;
  const runtime = await ctx.runtime();
  const filter = { [LABELS.project]: stack.project };
  const removed = await removeContainers(ctx, runtime, opts.timeoutSeconds, () => undefined);
  const networkRemoved = (await runtime.listNetworks(filter)).some((n) => n.name === stack.network)
    ? await runtime.removeNetwork(stack.network)
    : false;
  const volumes = await runtime.listVolumes(filter);
  return {
    project: stack.project,
    removedContainers: removed,
    network: { name: stack.network, removed: networkRemoved },
    keptVolumes: volumes.map((v) => v.name).sort(),
  };
}

/**
 * Stop and remove every container carrying the project's label, in reverse start order (Grafana and
 * Prometheus first, what they depend on last). Returns the names removed.
 */
export async function removeContainers(
  ctx: StackContext,
  runtime: ContainerRuntime,
  stopTimeoutSeconds: number,
  say: (line: string) => void,
  opts: { tolerateStopFailure?: boolean } = {},
): Promise<string[]> {
  const containers = await runtime.listContainers({ [LABELS.project]: ctx.stack.project });
  const order = ctx.stack.components.map((c) => c.id as string);
  const rank = (c: ContainerSummary) => order.indexOf(c.component ?? '');
  containers.sort((a, b) => rank(b) - rank(a));
  const removed: string[] = [];
  for (const c of containers) {
    const stop = runtime.stopContainer(c.id, stopTimeoutSeconds);
    await (opts.tolerateStopFailure ? stop.catch(() => undefined) : stop);
    if (await runtime.removeContainer(c.id, { force: true })) removed.push(c.name);
    say(`removed ${c.name}`);
  }
  return removed;
}
