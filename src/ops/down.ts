import type { LoadedConfig } from '../core/config/load.js';
import type { DownResultJson } from '../results.js';
import { connectRuntime, LABELS } from '../adapters/runtime/index.js';
import { buildStack } from '../core/model/stack.js';

/**
 * Stop the stack without losing data: remove this project's containers (stopped gracefully first) and
 * its network; keep the named volumes, so `wmon init` brings everything back with its data.
 */
export async function downStack(loaded: LoadedConfig, opts: { timeoutSeconds: number }): Promise<DownResultJson> {
  const stack = buildStack(loaded.config);
  const runtime = await connectRuntime();
  const filter = { [LABELS.project]: stack.project };
  const containers = await runtime.listContainers(filter);
  // Stop in reverse start order: Grafana and Prometheus first, what they depend on last.
  const order = stack.components.map((c) => c.id as string);
  containers.sort((a, b) => order.indexOf(b.component ?? '') - order.indexOf(a.component ?? ''));
  const removed: string[] = [];
  for (const c of containers) {
    await runtime.stopContainer(c.id, opts.timeoutSeconds);
    if (await runtime.removeContainer(c.id, { force: true })) removed.push(c.name);
  }
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
