/**
 * The up steps (init, and the part of update, reset and restore that brings the stack up) on the in-memory
 * engine: what is created and in which order, idempotence, the dry run, what a failure takes back, the port
 * check before anything else, and reloads through the components' clients.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { PrometheusClient } from '../../src/adapters/clients/index.js';
import { LABELS } from '../../src/core/model/container-types.js';
import { WmonError } from '../../src/errors.js';
import { initStack, upSteps } from '../../src/ops/up.js';
import { recordingReporter } from '../../src/ops/steps.js';
import { memoryStack, UP } from '../support/memory-stack.js';
import { freePort } from '../support/ports.js';

describe('up steps on the in-memory engine', () => {
  it('creates the network, volumes and containers in dependency order, waits for each, and records what it applied', async () => {
    const s = await memoryStack();
    const ctx = await s.open();
    const result = await initStack(ctx, UP);
    const project = ctx.stack.project;

    expect(result.containers.map((c) => [c.component, c.action])).toEqual([
      ['nodeExporter', 'create'],
      ['alertmanager', 'create'],
      ['prometheus', 'create'],
    ]);
    const running = await s.runtime.listContainers({ [LABELS.project]: project });
    expect(running.map((c) => [c.name, c.state]).sort()).toEqual([
      [`${project}-alertmanager`, 'running'],
      [`${project}-node-exporter`, 'running'],
      [`${project}-prometheus`, 'running'],
    ]);
    // Prometheus starts after what it scrapes; each is awaited when started and once more at the end.
    expect(s.awaited.slice(0, 3)).toEqual([
      `${project}-node-exporter`,
      `${project}-alertmanager`,
      `${project}-prometheus`,
    ]);
    expect((await s.runtime.listVolumes({ [LABELS.project]: project })).map((v) => v.name).sort()).toEqual([
      `${project}-alertmanager-data`,
      `${project}-prometheus-data`,
    ]);
    expect((await s.runtime.listNetworks({ [LABELS.project]: project })).map((n) => n.name)).toEqual([
      ctx.stack.network,
    ]);
    const state = JSON.parse(await readFile(path.join(ctx.stackDir, 'state.json'), 'utf8')) as {
      components: Record<string, unknown>;
    };
    expect(Object.keys(state.components).sort()).toEqual(['alertmanager', 'nodeExporter', 'prometheus']);
    expect(result.files.every((f) => f.status === 'created')).toBe(true);
    expect(result.changed).toBe(true);
  });

  it('changes nothing when run again: every container kept, the apply step skipped', async () => {
    const s = await memoryStack();
    await initStack(await s.open(), UP);
    const callsBefore = s.runtime.calls.length;
    const reporter = recordingReporter();
    const again = await initStack(await s.open(), UP, reporter);
    expect(again.changed).toBe(false);
    expect(again.containers.every((c) => c.action === 'keep')).toBe(true);
    expect(reporter.events).toContain('skip Apply: nothing changed');
    const mutating = s.runtime.calls
      .slice(callsBefore)
      .filter((c) => /^(create|start|stop|restart|remove|ensure)/.test(c.method));
    expect(mutating).toEqual([]);
  });

  it('plans without an engine in a dry run, and writes nothing', async () => {
    const s = await memoryStack();
    const ctx = await s.open();
    const dry = await upSteps(true).run({
      ctx: { ...ctx, runtime: () => Promise.reject(new Error('no engine here')) },
      opts: { ...UP, dryRun: true },
    });
    expect(dry.runtime).toBeNull();
    expect(dry.warnings.join('\n')).toMatch(
      /No container engine answers, so the plan assumes nothing runs yet: no engine here/,
    );
    expect(dry.plan.components.every((c) => c.action === 'create')).toBe(true);
    expect(dry.images.map((i) => i.action)).toEqual(['pull', 'pull', 'pull']);
    await expect(stat(ctx.stackDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes back exactly what a failed run created, and says what failed', async () => {
    const s = await memoryStack();
    const ctx = await s.open();
    s.runtime.crashOnStart(`${ctx.stack.project}-prometheus`, { exitCode: 2, logs: ['error loading config'] });
    const reporter = recordingReporter();
    await expect(initStack(ctx, UP, reporter)).rejects.toMatchObject({
      code: 'NOT_READY',
      message: expect.stringMatching(/prometheus.*exited with code 2/),
    });
    expect(await s.runtime.listContainers({ [LABELS.project]: ctx.stack.project })).toEqual([]);
    expect(await s.runtime.listVolumes({ [LABELS.project]: ctx.stack.project })).toEqual([]);
    expect(await s.runtime.listNetworks({ [LABELS.project]: ctx.stack.project })).toEqual([]);
    expect(reporter.events.join('\n')).toMatch(/removed what this run created: .*-prometheus/);
  });

  it('leaves what it created with keepOnFailure', async () => {
    const s = await memoryStack();
    const ctx = await s.open();
    s.runtime.crashOnStart(`${ctx.stack.project}-prometheus`, { exitCode: 2 });
    await expect(initStack(ctx, { ...UP, keepOnFailure: true })).rejects.toMatchObject({ code: 'NOT_READY' });
    const left = await s.runtime.listContainers({ [LABELS.project]: ctx.stack.project });
    expect(left.map((c) => [c.component, c.state]).sort()).toEqual([
      ['alertmanager', 'running'],
      ['nodeExporter', 'running'],
      ['prometheus', 'exited'],
    ]);
  });

  it('never removes what existed before a failed run', async () => {
    const s = await memoryStack();
    await initStack(await s.open(), UP);
    await s.writeConfig('alerts:\n  cpuPercent: {warning: 70}\nprometheus:\n  retention: {time: 7d}\n');
    const ctx = await s.open();
    s.runtime.crashOnStart(`${ctx.stack.project}-prometheus`, { exitCode: 1 });
    await expect(initStack(ctx, UP)).rejects.toMatchObject({ code: 'NOT_READY' });
    // Prometheus was recreated (its settings changed) and failed: the run created it, so it is gone; the
    // others existed before and stay, with the volumes and the network.
    const names = (await s.runtime.listContainers({ [LABELS.project]: ctx.stack.project })).map((c) => c.name).sort();
    expect(names).toEqual([`${ctx.stack.project}-alertmanager`, `${ctx.stack.project}-node-exporter`]);
    expect(await s.runtime.listVolumes({ [LABELS.project]: ctx.stack.project })).toHaveLength(2);
  });

  it('refuses a taken host port before pulling, building or creating anything', async () => {
    const s = await memoryStack();
    const ctx = await s.open();
    const port = ctx.require('alertmanager').ports[0]!.hostPort;
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
    try {
      await expect(initStack(ctx, UP)).rejects.toMatchObject({
        code: 'PORT_TAKEN',
        message: expect.stringContaining(String(port)),
      });
    } finally {
      await new Promise((r) => holder.close(r));
    }
    expect(s.runtime.calls.filter((c) => /^(pull|build|create|ensure)/.test(c.method))).toEqual([]);
  });

  it('reloads Prometheus in place through its client when only its rendered files changed', async () => {
    const s = await memoryStack();
    await initStack(await s.open(), UP);
    const reloads: string[] = [];
    const prometheus = (): PrometheusClient =>
      ({ reload: async () => void reloads.push('prometheus') }) as unknown as PrometheusClient;
    await s.writeConfig('alerts:\n  cpuPercent: {warning: 70}\n');
    const ctx = await s.open({ prometheus });
    const before = await s.runtime.inspectContainer(`${ctx.stack.project}-prometheus`);
    const result = await initStack(ctx, UP);
    expect(result.containers.find((c) => c.component === 'prometheus')).toMatchObject({ action: 'reload' });
    expect(reloads).toEqual(['prometheus']);
    expect((await s.runtime.inspectContainer(`${ctx.stack.project}-prometheus`))?.id).toBe(before?.id);
  });

  it('checks every image first and refuses once, naming each by its wmon.yaml key, before building or creating anything', async () => {
    const s = await memoryStack({ webhook: true });
    // The base settings with node exporter one patch on, Loki on, and a builder image nobody has.
    const base = await readFile(s.configFile, 'utf8');
    await writeFile(
      s.configFile,
      base
        .replace('node-exporter:v1.9.1', 'node-exporter:v1.9.2')
        .replace('loki: {enabled: false}', `loki: {enabled: true, port: ${await freePort()}}`) +
        'service:\n  build: {builderImage: localhost/wmon/node:nowhere, baseImage: docker.io/library/node:20-bookworm-slim}\n',
    );
    s.runtime.addImage('docker.io/library/node:20-bookworm-slim');
    const ctx = await s.open();
    const dry = await initStack(ctx, { ...UP, dryRun: true });
    expect(dry.images.map((i) => [i.key, i.action])).toEqual([
      ['components.loki.image', 'pull'],
      ['service.build.builderImage', 'missing'],
      ['service.build.baseImage', 'present'],
      ['components.nodeExporter.image', 'pull'],
      ['components.alertmanager.image', 'present'],
      ['components.prometheus.image', 'present'],
      ['components.webhook.image', 'build'],
    ]);

    const error = (await initStack(ctx, UP).then(
      () => undefined,
      (e: unknown) => e,
    )) as WmonError;
    expect(error).toBeInstanceOf(WmonError);
    expect(error.code).toBe('IMAGE_MISSING');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('3 images the stack needs cannot be had, so nothing was built or created:');
    expect(
      lines
        .slice(1)
        .map((l) => l.trim().split(':')[0])
        .sort(),
    ).toEqual(['components.loki.image', 'components.nodeExporter.image', 'service.build.builderImage']);
    expect(error.message).toMatch(
      /service\.build\.builderImage: localhost\/wmon\/node:nowhere not present \(a localhost/,
    );
    expect(error.message).toMatch(/components\.loki\.image: docker\.io\/grafana\/loki:3\.5\.3 cannot be pulled: /);
    expect(error.suggestions.join('\n')).toMatch(/Set each key in .*wmon\.yaml to an image/);
    expect(error.suggestions.join('\n')).toContain(
      'components.loki.enabled: false, components.nodeExporter.enabled: false, components.webhook.enabled: false',
    );
    // Both pulls were tried (at once), nothing was built, nothing created.
    const methods = s.runtime.calls.map((c) => c.method);
    expect(methods.filter((m) => m === 'pullImage')).toHaveLength(2);
    expect(methods.filter((m) => /^(buildImage|create|ensure)/.test(m))).toEqual([]);
  });
});
