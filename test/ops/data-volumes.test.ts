/**
 * Loki's logs and Jaeger's traces through `wmon backup --include logs,traces` and `wmon restore`, on the
 * in-memory engine: left out by default with their sizes said; included, each component stopped for the copy
 * (said first) and running again after; the manifest records them (format 3, only then); restore verifies,
 * stops them, swaps their volumes and starts them; an archive without them restores as before.
 */
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { createBackup } from '../../src/ops/backup.js';
import { restoreStack, type RestoreOptions } from '../../src/ops/restore.js';
import { recordingReporter } from '../../src/ops/steps.js';
import type { Manifest } from '../../src/features/archive/manifest.js';
import { readEntries, withFreshManifest, writeEntries } from '../support/archives.js';
import { memoryStack, startedStack } from '../support/memory-stack.js';

const OPTS = (archive: string): RestoreOptions => ({ archive, dryRun: false, safetyBackup: true, timeoutMs: 5_000 });

async function stackWithLogsAndTraces() {
  const s = await memoryStack({ dataVolumes: true });
  const started = await startedStack(s);
  const project = started.ctx.stack.project;
  const loki = s.runtime.volumeFiles(`${project}-loki-data`);
  const jaeger = s.runtime.volumeFiles(`${project}-jaeger-data`);
  await loki.writeFile('/chunks/fake/0001', Buffer.alloc(10_000, 1));
  await loki.writeFile('/tsdb-shipper-active/index_20000/x.tsdb', Buffer.alloc(2_000, 2));
  await jaeger.writeFile('/jaeger/keys/000001.sst', Buffer.alloc(3_000, 3));
  await jaeger.writeFile('/jaeger/values/000001.vlog', Buffer.alloc(5_000, 4));
  return { s, ...started, project, loki, jaeger };
}

/** Calls to stop or start Loki's and Jaeger's containers, in order. */
const lifecycle = (calls: readonly { method: string; target?: string | undefined }[], project: string) =>
  calls
    .filter((c) => /^(stop|start)Container$/.test(c.method) && /-(loki|jaeger)$/.test(c.target ?? ''))
    .map((c) => `${c.method.replace('Container', '')} ${c.target!.slice(project.length + 1)}`);

describe('logs and traces in backups (in-memory engine)', () => {
  it('leaves them out by default, says their sizes, and stops nothing', async () => {
    const { s, ctx, project } = await stackWithLogsAndTraces();
    const reporter = recordingReporter();
    const calls = s.runtime.calls.length;
    const b = await createBackup(ctx, {}, reporter);
    expect(b.dataVolumes).toEqual([
      expect.objectContaining({ kind: 'logs', component: 'loki', included: false, files: 2, bytes: 12_000 }),
      expect.objectContaining({ kind: 'traces', component: 'jaeger', included: false, files: 2, bytes: 8_000 }),
    ]);
    const said = reporter.events.filter((e) => e.startsWith('  '));
    expect(said.join('\n')).toContain(
      `logs (Loki, volume ${project}-loki-data, 11.7 KiB): not included (--include logs adds it)\ntraces (Jaeger, volume ${project}-jaeger-data, 7.8 KiB): not included (--include traces adds it)`,
    );
    expect(b.components.find((c) => c.component === 'jaeger')!.detail).toMatch(/--include traces adds it/);
    expect(lifecycle(s.runtime.calls.slice(calls), project)).toEqual([]);
    const entries = await readEntries(b.file);
    expect(entries.some((e) => e.path.startsWith('loki/') || e.path.startsWith('jaeger/'))).toBe(false);
    const m = JSON.parse(entries.at(-1)!.data!.toString('utf8')) as Manifest;
    expect(m.formatVersion).toBe(2);
    expect(m.dataVolumes).toBeUndefined();
  });

  it('with --include, says first that each is stopped for the copy, copies its volume, and starts it again', async () => {
    const { s, ctx, project } = await stackWithLogsAndTraces();
    const reporter = recordingReporter();
    const calls = s.runtime.calls.length;
    const b = await createBackup(ctx, { include: ['logs', 'traces'] }, reporter);
    const said = reporter.events.filter((e) => e.startsWith('  '));
    const announced = said.findIndex((e) =>
      e.endsWith(
        `\ntraces (Jaeger, volume ${project}-jaeger-data, 7.8 KiB): included; Jaeger is stopped for the copy and started again`,
      ),
    );
    expect(announced).toBeGreaterThanOrEqual(0);
    // Said before anything is written, and before anything stops.
    expect(announced).toBeLessThan(said.findIndex((e) => e.endsWith('.tar.gz')));
    expect(lifecycle(s.runtime.calls.slice(calls), project)).toEqual([
      'stop loki',
      'start loki',
      'stop jaeger',
      'start jaeger',
    ]);
    for (const c of ['loki', 'jaeger'])
      expect((await s.runtime.inspectContainer(`${project}-${c}`))?.running).toBe(true);
    expect(b.dataVolumes).toEqual([
      expect.objectContaining({ kind: 'logs', included: true, files: 2, bytes: 12_000, stopped: true }),
      expect.objectContaining({ kind: 'traces', included: true, files: 2, bytes: 8_000, stopped: true }),
    ]);
    const entries = await readEntries(b.file);
    expect(entries.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        'loki/data/chunks/fake/0001',
        'loki/data/tsdb-shipper-active/index_20000/x.tsdb',
        'jaeger/data/jaeger/keys/000001.sst',
        'jaeger/data/jaeger/values/000001.vlog',
      ]),
    );
    const m = JSON.parse(entries.at(-1)!.data!.toString('utf8')) as Manifest;
    expect(m.formatVersion).toBe(3);
    expect(m.dataVolumes).toEqual([
      expect.objectContaining({ kind: 'logs', component: 'loki', mountPath: '/loki', mode: 'stopped', files: 2 }),
      expect.objectContaining({ kind: 'traces', component: 'jaeger', mountPath: '/tmp', mode: 'stopped', files: 2 }),
    ]);
  });

  it('restores them: stopped before the safety backup (which holds them too), volumes swapped, running again', async () => {
    const { s, ctx, project, loki, jaeger, open } = await stackWithLogsAndTraces();
    const b = await createBackup(ctx, { include: ['logs', 'traces'] });
    // Logs lost and traces replaced since.
    await loki.rm('/chunks', { recursive: true });
    await jaeger.writeFile('/jaeger/keys/000002.sst', Buffer.alloc(100, 9));
    const dry = await restoreStack(
      { configFile: s.configFile, current: await open() },
      { ...OPTS(b.file), dryRun: true },
    );
    expect(dry.plan.find((p) => p.step === 'logs-data')?.detail).toBe(
      `replace the logs in the volume ${project}-loki-data: 2 files, 11.7 KiB; Loki is stopped first and started with the stack`,
    );
    const calls = s.runtime.calls.length;
    const r = await restoreStack({ configFile: s.configFile, current: await open() }, OPTS(b.file));
    expect(r.restored!.dataVolumes).toEqual([
      { kind: 'logs', volume: `${project}-loki-data`, files: 2, bytes: 12_000 },
      { kind: 'traces', volume: `${project}-jaeger-data`, files: 2, bytes: 8_000 },
    ]);
    expect((await loki.list('/')).sort()).toEqual(['chunks/fake/0001', 'tsdb-shipper-active/index_20000/x.tsdb']);
    expect((await jaeger.list('/')).sort()).toEqual(['jaeger/keys/000001.sst', 'jaeger/values/000001.vlog']);
    expect(r.checks.filter((c) => c.check === 'logs' || c.check === 'traces').map((c) => c.ok)).toEqual([true, true]);
    // Stopped once, before the safety backup (which does not restart them), started by the stack's up steps.
    const order = lifecycle(s.runtime.calls.slice(calls), project);
    expect(order.slice(0, 2)).toEqual(['stop loki', 'stop jaeger']);
    expect(order.filter((x) => x.startsWith('start'))).toEqual(['start loki', 'start jaeger']);
    for (const c of ['loki', 'jaeger'])
      expect((await s.runtime.inspectContainer(`${project}-${c}`))?.running).toBe(true);
    // The safety backup holds the volumes as they were before the restore.
    const safety = (await readEntries(r.safetyBackup!)).map((e) => e.path);
    expect(safety).toContain('jaeger/data/jaeger/keys/000002.sst');
    expect(safety.some((p) => p.startsWith('loki/data/chunks/'))).toBe(false);
  });

  it('refuses an archive whose manifest does not describe its logs before anything changes', async () => {
    const { s, ctx, open } = await stackWithLogsAndTraces();
    const b = await createBackup(ctx, { include: ['logs'] });
    const bad = path.join(s.dir, 'undescribed.tar.gz');
    await writeEntries(
      bad,
      withFreshManifest(await readEntries(b.file), (m) => {
        delete m.dataVolumes;
      }),
    );
    const calls = s.runtime.calls.length;
    await expect(restoreStack({ configFile: s.configFile, current: await open() }, OPTS(bad))).rejects.toMatchObject({
      exit: 65,
      message: expect.stringMatching(/loki\/data\/ files, but the manifest does not describe them/),
    });
    expect(s.runtime.calls.slice(calls)).toEqual([]);
  });
});
