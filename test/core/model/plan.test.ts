import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { containerSpecs } from '../../../src/core/model/containers.js';
import { buildStack } from '../../../src/core/model/stack.js';
import { isNoop, planContainers } from '../../../src/core/model/plan.js';
import { LABELS, type ContainerSpec, type ContainerSummary } from '../../../src/core/model/container-types.js';

const specsFor = (yaml = '') => {
  const stack = buildStack(parseConfigText(yaml, 'wmon.yaml'));
  return containerSpecs(stack, { stackDir: '/srv/stack', secretMounts: {} });
};

/** What the engine would list for containers created from these specs. */
const running = (specs: readonly ContainerSpec[], state: ContainerSummary['state'] = 'running'): ContainerSummary[] =>
  specs.map((s, i) => ({
    id: `id-${s.component}-${i}`,
    name: s.name,
    component: s.component,
    image: s.image,
    imageId: 'sha256:x',
    state,
    status: '',
    labels: s.labels,
    created: new Date(0),
    ports: [],
  }));

const hashes = { prometheus: 'p1', alertmanager: 'a1', grafana: 'g1', loki: 'l1' };

describe('planning containers', () => {
  it('creates everything on a fresh engine', () => {
    const specs = specsFor();
    const plan = planContainers({ specs, current: [], filesHashes: hashes, appliedFilesHashes: {} });
    expect(plan.components.map((c) => c.action)).toEqual(specs.map(() => 'create'));
    expect(plan.remove).toEqual([]);
  });

  it('keeps everything when nothing changed (a second init touches nothing)', () => {
    const specs = specsFor();
    const plan = planContainers({ specs, current: running(specs), filesHashes: hashes, appliedFilesHashes: hashes });
    expect(plan.components.every((c) => c.action === 'keep')).toBe(true);
    expect(isNoop(plan)).toBe(true);
  });

  it('reloads only Prometheus when a threshold changed (its rules file only)', () => {
    const before = specsFor();
    const after = specsFor('alerts:\n  cpuPercent: {warning: 60}\n');
    expect(after).toEqual(before); // thresholds are files, not container settings
    const plan = planContainers({
      specs: after,
      current: running(before),
      filesHashes: { ...hashes, prometheus: 'p2' },
      appliedFilesHashes: hashes,
    });
    expect(plan.components.filter((c) => c.action !== 'keep')).toEqual([
      expect.objectContaining({ component: 'prometheus', action: 'reload' }),
    ]);
  });

  it('restarts a component that cannot reload when its files changed', () => {
    const specs = specsFor();
    const plan = planContainers({
      specs,
      current: running(specs),
      filesHashes: { ...hashes, loki: 'l2' },
      appliedFilesHashes: hashes,
    });
    expect(plan.components.find((c) => c.component === 'loki')?.action).toBe('restart');
  });

  it('recreates only the component whose settings or image changed', () => {
    const before = specsFor();
    const after = specsFor(
      'components:\n  grafana: {image: docker.io/grafana/grafana:12.2.0}\nprometheus:\n  retention: {time: 30d}\n',
    );
    const plan = planContainers({
      specs: after,
      current: running(before),
      filesHashes: hashes,
      appliedFilesHashes: hashes,
    });
    const changed = plan.components.filter((c) => c.action !== 'keep');
    expect(changed.map((c) => [c.component, c.action])).toEqual([
      ['prometheus', 'recreate'],
      ['grafana', 'recreate'],
    ]);
    expect(changed.find((c) => c.component === 'grafana')?.reason).toContain('image changed');
    expect(changed.find((c) => c.component === 'prometheus')?.reason).toBe('container settings changed');
  });

  it('starts a stopped container with unchanged settings', () => {
    const specs = specsFor('components:\n  grafana: {enabled: false}\n');
    const plan = planContainers({
      specs,
      current: running(specs, 'exited'),
      filesHashes: hashes,
      appliedFilesHashes: hashes,
    });
    expect(new Set(plan.components.map((c) => c.action))).toEqual(new Set(['start']));
  });

  it('removes the container of a component switched off, and stale duplicates', () => {
    const before = specsFor();
    const after = specsFor('components:\n  loki: {enabled: false}\n');
    const stale = { ...running(before).find((c) => c.component === 'prometheus')!, id: 'stale', name: 'old-name' };
    const plan = planContainers({
      specs: after,
      current: [...running(before), stale],
      filesHashes: hashes,
      appliedFilesHashes: hashes,
    });
    expect(plan.remove.map((r) => [r.component, r.reason])).toEqual([
      ['prometheus', 'a stale container of this component'],
      ['loki', 'component switched off in wmon.yaml'],
    ]);
  });
});

describe('container specs', () => {
  it('label every container with project, component and a config hash, and bind ports to loopback', () => {
    for (const spec of specsFor()) {
      expect(spec.labels).toMatchObject({
        [LABELS.project]: 'wmon',
        [LABELS.component]: spec.component,
        [LABELS.managedBy]: 'wmon',
      });
      expect(spec.labels[LABELS.configHash]).toMatch(/^[a-f0-9]{16}$/);
      for (const p of spec.ports) expect(p.hostIp).toBe('127.0.0.1');
      expect(spec.image).toMatch(/^[a-z0-9.-]+\/.+:[\w.-]+$/);
    }
  });

  it('mount each rendered folder read-only and keep data in named volumes', () => {
    const prom = specsFor().find((s) => s.component === 'prometheus')!;
    expect(prom.binds).toEqual([{ source: '/srv/stack/prometheus', target: '/etc/prometheus', readOnly: true }]);
    expect(prom.volumes).toEqual([{ volume: 'wmon-prometheus-data', target: '/prometheus' }]);
    expect(prom.cmd).toEqual(expect.arrayContaining(['--web.enable-lifecycle', '--web.enable-admin-api']));
  });

  it('apply resource limits from wmon.yaml', () => {
    const spec = specsFor('components:\n  loki: {memory: 512m, cpus: 1.5}\n').find((s) => s.component === 'loki')!;
    expect(spec.memoryBytes).toBe(512 * 1024 * 1024);
    expect(spec.nanoCpus).toBe(1_500_000_000);
  });

  it('start dependencies first', () => {
    const order = specsFor().map((s) => s.component);
    expect(order.indexOf('alertmanager')).toBeLessThan(order.indexOf('prometheus'));
    expect(order.indexOf('prometheus')).toBeLessThan(order.indexOf('grafana'));
    expect(order.indexOf('webhook')).toBeLessThan(order.indexOf('prometheus'));
  });
});
