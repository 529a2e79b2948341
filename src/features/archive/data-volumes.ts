/**
 * Loki's logs and Jaeger's traces (`wmon backup --include logs,traces`): each component's whole volume,
 * copied while the component is stopped and put back the same way, with Prometheus's volume copy
 * (prometheus-data.ts: a helper container on the volume, the archive's folder loki/data/ or jaeger/data/).
 */
import { normalizeImageRef } from '../../adapters/runtime/image-ref.js';
import type { ContainerRuntime } from '../../adapters/runtime/index.js';
import type { StackContext } from '../../context.js';
import { volumeName } from '../../core/model/containers.js';
import { containerName, TITLES } from '../../core/model/stack.js';
import { DATA_VOLUME_DIRS } from './format.js';
import type { PrometheusData } from './prometheus-data.js';

export const DATA_KINDS = ['logs', 'traces'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

/** Whose volume each kind is. */
export const DATA_COMPONENTS = { logs: 'loki', traces: 'jaeger' } as const satisfies Record<DataKind, string>;

/** A kind's volume in a stack, ready for copyVolume/restoreVolume. */
export interface DataVolume extends PrometheusData {
  readonly kind: DataKind;
  readonly component: (typeof DATA_COMPONENTS)[DataKind];
  readonly what: string;
}

/**
 * Where a kind's data is in `ctx`'s stack (undefined when its component is switched off). The helper
 * containers run Prometheus's image when it is here (it has the shell and tools the copy uses), else the
 * component's own; `image` is null when neither is.
 */
export async function dataVolumeOf(
  ctx: StackContext,
  runtime: ContainerRuntime,
  kind: DataKind,
): Promise<(Omit<DataVolume, 'image'> & { readonly image: string | null }) | undefined> {
  const component = DATA_COMPONENTS[kind];
  const model = ctx.component(component);
  if (!model) return undefined;
  const candidates = [
    ...(ctx.component('prometheus') ? [normalizeImageRef(ctx.require('prometheus').image)] : []),
    normalizeImageRef(model.image),
  ];
  let image: string | null = null;
  for (const c of candidates) {
    if (await runtime.imageExists(c)) {
      image = c;
      break;
    }
  }
  return {
    kind,
    component,
    what: TITLES[component],
    runtime,
    stack: ctx.stack,
    container: containerName(ctx.stack, model),
    volume: volumeName(ctx.stack, model.volumes[0]!.name),
    dataDir: model.volumes[0]!.target,
    image,
    archiveDir: DATA_VOLUME_DIRS[kind],
  };
}

/** Nothing of a component's volume is left out but wmon's own work folders. */
export const notOurs = (rel: string): boolean => rel.split('/')[0]!.startsWith('.wmon-');
