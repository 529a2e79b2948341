import path from 'node:path';

import { LABELS, type ContainerSpec } from '../model/container-types.js';
import { stackLabels } from '../model/containers.js';
import { DNS_NAMES, type Stack } from '../model/stack.js';
import type { ComponentId } from '../config/schema.js';

/**
 * `wmon render --target compose`: compose.yaml for the containers `wmon init` creates, written from the very
 * ContainerSpecs init's plan step makes (model/containers.ts), so the two cannot drift: the same images,
 * commands, environment, users, ports (on the addresses wmon.yaml binds, 127.0.0.1 by default), named volumes,
 * labels, read-only root file systems, tmpfs mounts and limits. Rendered configuration folders inside the
 * output folder are mounted by relative paths; secrets stay files in the stack directory, mounted read-only as
 * init mounts them (never copied into the output, never in the environment).
 */

/** The file name `docker compose` looks for first. */
export const COMPOSE_FILE = 'compose.yaml';

/**
 * Labels of init's containers that compose.yaml leaves out: the config hash is wmon's record of what it created
 * itself (with the image's id), so a container Compose created must never look like one wmon can keep.
 */
export const COMPOSE_DROPPED_LABELS: readonly string[] = [LABELS.configHash];

/** A bind source as compose.yaml writes it: relative (`./prometheus`) inside the output folder, else absolute. */
export function composeSource(source: string, outDir: string): string {
  const rel = path.relative(outDir, source);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? source : `./${rel.split(path.sep).join('/')}`;
}

export function buildCompose(stack: Stack, specs: readonly ContainerSpec[], outDir: string): Record<string, unknown> {
  const service = (id: string) => DNS_NAMES[id as ComponentId] ?? id;
  const volumes: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const spec of specs) {
    for (const v of spec.volumes) {
      volumes[v.volume] = { name: v.volume, labels: stackLabels(stack, spec.component as ComponentId) };
    }
    const labels = Object.fromEntries(Object.entries(spec.labels).filter(([k]) => !COMPOSE_DROPPED_LABELS.includes(k)));
    services[service(spec.component)] = {
      container_name: spec.name,
      image: spec.image,
      ...(spec.entrypoint ? { entrypoint: [...spec.entrypoint] } : {}),
      ...(spec.cmd ? { command: [...spec.cmd] } : {}),
      ...(spec.env && Object.keys(spec.env).length > 0 ? { environment: { ...spec.env } } : {}),
      ...(spec.user !== undefined ? { user: spec.user } : {}),
      ports: spec.ports.map((p) => ({
        target: p.containerPort,
        published: String(p.hostPort),
        host_ip: p.hostIp,
        protocol: p.protocol ?? 'tcp',
      })),
      volumes: [
        ...spec.volumes.map((v) => ({
          type: 'volume',
          source: v.volume,
          target: v.target,
          ...(v.readOnly ? { read_only: true } : {}),
        })),
        ...spec.binds.map((b) => ({
          type: 'bind',
          source: composeSource(b.source, outDir),
          target: b.target,
          ...(b.readOnly ? { read_only: true } : {}),
          bind: { create_host_path: false },
        })),
      ],
      ...(spec.tmpfs ? { tmpfs: Object.entries(spec.tmpfs).map(([target, opts]) => `${target}:${opts}`) } : {}),
      ...(spec.readOnlyRootfs ? { read_only: true } : {}),
      labels,
      networks: { [stack.network]: { aliases: [...spec.aliases] } },
      restart: spec.restartPolicy,
      ...(spec.memoryBytes || spec.nanoCpus
        ? {
            deploy: {
              resources: {
                limits: {
                  ...(spec.nanoCpus ? { cpus: String(spec.nanoCpus / 1e9) } : {}),
                  // 0 is no limit (wmon.yaml's `memory: 0`), as the engine reads it.
                  ...(spec.memoryBytes ? { memory: `${spec.memoryBytes}b` } : {}),
                },
              },
            },
          }
        : {}),
      ...(spec.dependsOn.length > 0
        ? { depends_on: Object.fromEntries(spec.dependsOn.map((d) => [service(d), { condition: 'service_started' }])) }
        : {}),
    };
  }
  return {
    name: stack.project,
    services,
    networks: { [stack.network]: { name: stack.network, labels: stackLabels(stack) } },
    ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
  };
}
