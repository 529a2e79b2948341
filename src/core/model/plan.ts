import type { ComponentId } from '../config/schema.js';
import { LABELS, type ContainerSpec, type ContainerSummary } from './container-types.js';

/**
 * What `init` (and later `update`) will do to the containers, decided by comparing what runs (labels:
 * project, component, config hash) with what wmon.yaml renders. Pure: tested without an engine.
 *
 *   create    no container for the component
 *   recreate  its settings or image changed (config hash differs): a new container, same volumes
 *   start     same settings, but stopped
 *   reload    only its rendered files changed and it reloads them over HTTP (Prometheus, Alertmanager:
 *             `POST /-/reload`; Grafana: its provisioning reload API)
 *   restart   only its rendered files changed and it reads them at start only
 *   keep      nothing changed
 */
export type ContainerActionKind = 'create' | 'recreate' | 'start' | 'reload' | 'restart' | 'keep';

export interface ComponentPlan {
  readonly component: ComponentId;
  readonly container: string;
  readonly image: string;
  readonly action: ContainerActionKind;
  /** Why, in words a user understands. */
  readonly reason: string;
  /** Id of the existing container, when there is one. */
  readonly existingId?: string;
}

export interface RemovalPlan {
  readonly container: string;
  readonly id: string;
  readonly component: string;
  readonly reason: string;
}

export interface ContainerPlan {
  readonly components: readonly ComponentPlan[];
  /** Containers of this project that no enabled component owns any more (switched off in wmon.yaml). */
  readonly remove: readonly RemovalPlan[];
}

/**
 * Components that pick up changed files without a restart: Prometheus and Alertmanager with `POST /-/reload`,
 * Grafana (provisioned data sources and dashboards) with `POST /api/admin/provisioning/…/reload`.
 */
export const RELOADABLE: ReadonlySet<ComponentId> = new Set(['prometheus', 'alertmanager', 'grafana']);

export interface PlanInputs {
  readonly specs: readonly ContainerSpec[];
  /** This project's containers, as the engine lists them. */
  readonly current: readonly ContainerSummary[];
  /** Hash of each component's rendered files now. */
  readonly filesHashes: Readonly<Partial<Record<ComponentId, string>>>;
  /** Hash of each component's files when they were last applied (the stack directory's state). */
  readonly appliedFilesHashes: Readonly<Partial<Record<ComponentId, string>>>;
  /** Image id per image reference, when known: tells "the image was rebuilt or pulled" apart. */
  readonly imageIds?: Readonly<Record<string, string>>;
}

export function planContainers(inputs: PlanInputs): ContainerPlan {
  const byComponent = new Map<string, ContainerSummary[]>();
  for (const c of inputs.current) {
    const id = c.labels[LABELS.component] ?? c.component ?? '';
    byComponent.set(id, [...(byComponent.get(id) ?? []), c]);
  }
  const components: ComponentPlan[] = [];
  const remove: RemovalPlan[] = [];
  for (const spec of inputs.specs) {
    const id = spec.component as ComponentId;
    const existing = byComponent.get(id) ?? [];
    byComponent.delete(id);
    // Only the container with the expected name is ours to keep; any other of the component is stale.
    const mine = existing.find((c) => c.name === spec.name);
    for (const other of existing) {
      if (other !== mine)
        remove.push({
          container: other.name,
          id: other.id,
          component: id,
          reason: 'a stale container of this component',
        });
    }
    const base = { component: id, container: spec.name, image: spec.image };
    if (!mine) {
      components.push({ ...base, action: 'create', reason: 'not created yet' });
      continue;
    }
    const withId = { ...base, existingId: mine.id };
    const wantHash = spec.labels[LABELS.configHash];
    const haveHash = mine.labels[LABELS.configHash];
    if (wantHash !== haveHash) {
      const wantImageId = inputs.imageIds?.[spec.image];
      const reason =
        mine.image !== spec.image
          ? `image changed (${mine.image} → ${spec.image})`
          : wantImageId !== undefined && bareId(mine.imageId) !== bareId(wantImageId)
            ? 'image updated (pulled or rebuilt)'
            : 'container settings changed';
      components.push({ ...withId, action: 'recreate', reason });
      continue;
    }
    if (mine.state !== 'running') {
      components.push({ ...withId, action: 'start', reason: `container is ${mine.state}` });
      continue;
    }
    const filesChanged =
      inputs.filesHashes[id] !== undefined && inputs.filesHashes[id] !== inputs.appliedFilesHashes[id];
    if (filesChanged) {
      components.push(
        RELOADABLE.has(id)
          ? { ...withId, action: 'reload', reason: 'configuration files changed' }
          : { ...withId, action: 'restart', reason: 'configuration files changed (read at start only)' },
      );
      continue;
    }
    components.push({ ...withId, action: 'keep', reason: 'unchanged' });
  }
  for (const [id, containers] of byComponent) {
    for (const c of containers)
      remove.push({ container: c.name, id: c.id, component: id, reason: 'component switched off in wmon.yaml' });
  }
  return { components, remove };
}

const bareId = (id: string) => id.replace(/^sha256:/, '');

/** True when applying the plan would change nothing. */
export function isNoop(plan: ContainerPlan): boolean {
  return plan.remove.length === 0 && plan.components.every((c) => c.action === 'keep');
}
