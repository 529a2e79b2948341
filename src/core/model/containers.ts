import { createHash } from 'node:crypto';
import path from 'node:path';

import { SECRETS_MOUNT_DIR } from '@wmon/contract';

import type { ComponentId } from '../config/schema.js';
import { LABELS, type ClientTls, type ContainerSpec } from './container-types.js';
import { containerName, type ComponentModel, type Stack } from './stack.js';

export interface SpecInputs {
  /** Absolute stack directory (rendered configuration folders live under it). */
  readonly stackDir: string;
  /** Host folders holding each component's secret files. */
  readonly secretMounts: Partial<Record<ComponentId, string>>;
  /** Image id per component image reference when known (a rebuilt :latest changes the hash). */
  readonly imageIds?: Readonly<Record<string, string>>;
  /** wmon.yaml's `auth` credentials, for the readiness probes of the components that need them. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** What the readiness probes of HTTPS components (`auth.tls`) trust. */
  readonly tls?: ClientTls;
}

export function volumeName(stack: Pick<Stack, 'project'>, volume: string): string {
  return `${stack.project}-${volume}`;
}

/** Labels that mark an object as this project's (and which component it belongs to). */
export function stackLabels(stack: Pick<Stack, 'project'>, component?: ComponentId): Record<string, string> {
  return {
    [LABELS.managedBy]: 'wmon',
    [LABELS.project]: stack.project,
    ...(component ? { [LABELS.component]: component } : {}),
  };
}

/** "512m" → bytes. */
export function parseMemory(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([kmg]?)$/i.exec(text);
  if (!m) throw new Error(`bad memory size ${text}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * unit);
}

/**
 * The container each enabled component runs as. Its `wmon.config-hash` label covers everything that
 * requires a new container: the container settings (image, flags, environment, ports, mounts, limits) and
 * the image id when known. The rendered files are not in it: they are mounted, so a reload (or a restart
 * for components that cannot reload) picks them up; the plan tracks them separately.
 */
export function containerSpecs(stack: Stack, inputs: SpecInputs): ContainerSpec[] {
  return stack.components.map((c) => specFor(stack, c, inputs));
}

function specFor(stack: Stack, c: ComponentModel, inputs: SpecInputs): ContainerSpec {
  const binds = [
    ...(c.config
      ? [{ source: path.join(inputs.stackDir, c.config.dir), target: c.config.target, readOnly: true }]
      : []),
    ...(c.secretsTarget && inputs.secretMounts[c.id]
      ? [{ source: inputs.secretMounts[c.id]!, target: SECRETS_MOUNT_DIR, readOnly: true }]
      : []),
    ...c.hostBinds.map((b) => ({ source: b.source, target: b.target, readOnly: true })),
  ];
  const base: Omit<ContainerSpec, 'labels'> = {
    name: containerName(stack, c),
    component: c.id,
    image: c.image,
    ...(c.cmd.length > 0 ? { cmd: [...c.cmd] } : {}),
    env: c.env,
    ports: c.ports.map((p) => ({
      containerPort: p.containerPort,
      hostPort: p.hostPort,
      hostIp: p.hostIp,
      protocol: p.protocol ?? ('tcp' as const),
    })),
    volumes: c.volumes.map((v) => ({ volume: volumeName(stack, v.name), target: v.target })),
    binds,
    aliases: [c.dnsName],
    restartPolicy: 'unless-stopped',
    ...(c.memory ? { memoryBytes: parseMemory(c.memory) } : {}),
    ...(c.cpus ? { nanoCpus: Math.round(c.cpus * 1e9) } : {}),
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.readOnlyRootfs ? { readOnlyRootfs: true } : {}),
    ...(c.tmpfs ? { tmpfs: c.tmpfs } : {}),
    readiness: {
      path: c.readiness.path,
      containerPort: (c.ports.find((p) => p.name === c.readiness.port) ?? c.ports[0]!).containerPort,
      ...(c.readiness.bodyIncludes ? { bodyIncludes: c.readiness.bodyIncludes } : {}),
      ...(c.readiness.authenticated && inputs.auth ? { basicAuth: inputs.auth } : {}),
      ...(c.readiness.tls && inputs.tls ? { tls: inputs.tls } : {}),
    },
    dependsOn: [...c.dependsOn],
  };
  const hash = configHash(base, inputs.imageIds?.[c.image]);
  return { ...base, labels: { ...stackLabels(stack, c.id), [LABELS.configHash]: hash } };
}

function configHash(spec: Omit<ContainerSpec, 'labels'>, imageId?: string): string {
  const hash = createHash('sha256');
  // Readiness and dependencies are wmon's concern, not the container's: they do not force a new container.
  const { readiness: _r, dependsOn: _d, ...container } = spec;
  hash
    .update(stableJson(container))
    .update('\0')
    .update(imageId ?? '');
  return hash.digest('hex').slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
