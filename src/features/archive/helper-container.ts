/**
 * A short-lived helper container for work on a component's volume (copying a stopped Prometheus's data,
 * checking or swapping the service's SQLite file): `image` as root, the volume mounted when given, on the
 * stack's network (created for the while if needed). Removed afterwards, whatever happens.
 */
import { randomBytes } from 'node:crypto';

import { LABELS, type ContainerRuntime, type ContainerSpec } from '../../adapters/runtime/index.js';
import { stackLabels } from '../../core/model/containers.js';
import type { Stack } from '../../core/model/stack.js';

export interface HelperMount {
  readonly volume: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

export async function withHelperContainer<T>(
  d: { readonly runtime: ContainerRuntime; readonly stack: Stack; readonly image: string },
  mount: HelperMount | undefined,
  fn: (helper: string) => Promise<T>,
): Promise<T> {
  const name = `${d.stack.project}-wmon-helper-${randomBytes(3).toString('hex')}`;
  const spec: ContainerSpec = {
    name,
    component: 'helper',
    image: d.image,
    entrypoint: ['/bin/sh', '-c'],
    cmd: ['sleep 3600'],
    user: '0',
    env: {},
    ports: [],
    volumes: mount
      ? [{ volume: mount.volume, target: mount.target, ...(mount.readOnly ? { readOnly: true } : {}) }]
      : [],
    binds: [],
    aliases: [],
    labels: { ...stackLabels(d.stack), [LABELS.component]: 'helper' },
    restartPolicy: 'no',
    dependsOn: [],
  };
  const network = await d.runtime.ensureNetwork(d.stack.network, stackLabels(d.stack));
  try {
    await d.runtime.createContainer(spec, d.stack.network);
    try {
      await d.runtime.startContainer(name);
      return await fn(name);
    } finally {
      await d.runtime.removeContainer(name, { force: true }).catch(() => false);
    }
  } finally {
    if (network.created) await d.runtime.removeNetwork(d.stack.network).catch(() => false);
  }
}
