/**
 * The backup steps on the in-memory engine: a running Prometheus is snapshotted through its API and the
 * snapshot copied out of its container, a stopped one's volume is read through a helper container,
 * silences come from Alertmanager; the archive verifies; an unreadable component fails the backup (or is
 * left out of a tolerant safety backup) and never leaves a partial archive behind.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { AlertmanagerClient } from '../../src/adapters/clients/index.js';
import { verifyArchive } from '../../src/features/archive/verify.js';
import { createBackup } from '../../src/ops/backup.js';
import { recordingReporter } from '../../src/ops/steps.js';
import { BLOCK, runningStack } from '../support/memory-stack.js';

const archiveFiles = async (file: string) => (await verifyArchive(file)).manifest.files.map((f) => f.path);

describe('backup steps on the in-memory engine', () => {
  it('snapshots a running Prometheus, copies the snapshot out, adds silences and configuration, and verifies', async () => {
    const { s, ctx, volume } = await runningStack();
    const reporter = recordingReporter();
    const result = await createBackup(ctx, {}, reporter);

    expect(path.dirname(result.file)).toBe(path.join(s.dir, 'backups'));
    expect(result.prometheus).toMatchObject({ mode: 'snapshot', files: 3, blocks: 1, probes: 2 });
    expect(result.alertmanager).toEqual({ silences: 1 });
    const files = await archiveFiles(result.file);
    expect(files).toEqual(
      expect.arrayContaining([
        'wmon.yaml',
        'alertmanager/silences.json',
        `prometheus/data/${BLOCK}/meta.json`,
        `prometheus/data/${BLOCK}/chunks/000001`,
        'config/prometheus/prometheus.yml',
      ]),
    );
    // A snapshot holds blocks only (the head is written into one by Prometheus): no WAL, and the snapshot
    // folder itself is gone from the volume afterwards.
    expect(files.some((f) => f.includes('/wal/'))).toBe(false);
    expect(await volume.readdir('/snapshots')).toEqual([]);
    expect(result.components.find((c) => c.component === 'prometheus')).toMatchObject({ included: true });
    expect(reporter.events.filter((e) => e.startsWith('start '))).toEqual([
      'start Connect to the container engine',
      'start Logs and traces',
      'start Open the archive',
      'start Configuration',
      'start Alertmanager silences',
      'start Grafana folders, dashboards and data sources',
      'start Prometheus data',
      "start The webhook service's events (SQLite)",
      'start Copy logs and traces',
      'start Manifest',
      'start Prune older backups',
    ]);
  });

  it("reads a stopped Prometheus's whole volume through a helper container, and removes the helper", async () => {
    const { s, ctx } = await runningStack();
    await s.runtime.stopContainer(`${ctx.stack.project}-prometheus`);
    const result = await createBackup(ctx);
    expect(result.prometheus).toMatchObject({ mode: 'volume', files: 4, probes: 0 });
    expect(await archiveFiles(result.file)).toContain('prometheus/data/wal/00000000');
    const helpers = (await s.runtime.listContainers({ 'wmon.component': 'helper' })).map((c) => c.name);
    expect(helpers).toEqual([]);
  });

  it('stops a Prometheus published beyond loopback (no admin API) to copy its data folder, then starts it and waits', async () => {
    const { s, open } = await runningStack();
    expect((await open()).require('prometheus').cmd).toContain('--web.enable-admin-api');
    await s.writeConfig('bindAddress: 0.0.0.0\nauth: {}\n');
    const ctx = await open();
    const container = `${ctx.stack.project}-prometheus`;
    expect(ctx.require('prometheus').cmd).not.toContain('--web.enable-admin-api');
    s.awaited.length = 0;
    const reporter = recordingReporter();
    const result = await createBackup(ctx, {}, reporter);
    expect(result.prometheus).toMatchObject({ mode: 'volume', files: 4, blocks: 1, probes: 2 });
    const files = await archiveFiles(result.file);
    expect(files).toEqual(
      expect.arrayContaining([`prometheus/data/${BLOCK}/meta.json`, 'prometheus/data/wal/00000000']),
    );
    expect(result.components.find((c) => c.component === 'prometheus')?.detail).toMatch(
      /^volume \(Prometheus stopped for \d+\.\d s: published beyond loopback, it has no admin API\): 4 files/,
    );
    expect((await s.runtime.inspectContainer(container))?.running).toBe(true);
    expect(s.awaited).toEqual([container]);
    expect(reporter.events).toContain(
      '  Prometheus is published beyond loopback (its admin API is off): stopping it to copy its data folder',
    );
    expect(reporter.events.some((e) => /^ {2}Prometheus is running again after \d+\.\d s$/.test(e))).toBe(true);
  });

  it('fails on a component that runs but does not answer, leaving no archive; a safety backup leaves it out and says so', async () => {
    const { s, open } = await runningStack();
    const broken = (): AlertmanagerClient =>
      ({ silences: () => Promise.reject(new Error('connect ECONNREFUSED')) }) as unknown as AlertmanagerClient;
    const ctx = await s.open({ alertmanager: broken, prometheus: (await open()).deps.clients.prometheus });
    await expect(createBackup(ctx)).rejects.toMatchObject({
      code: 'BACKUP_COMPONENT_UNAVAILABLE',
      message: expect.stringMatching(/alertmanager could not be backed up: connect ECONNREFUSED/),
    });
    expect(await readdir(path.join(s.dir, 'backups'))).toEqual([]);

    const safety = await createBackup(ctx, { kind: 'safety', tolerant: true });
    expect(path.basename(path.dirname(safety.file))).toBe('safety');
    expect(safety.alertmanager).toBeNull();
    expect(safety.components.find((c) => c.component === 'alertmanager')).toEqual({
      component: 'alertmanager',
      included: false,
      detail: 'did not answer',
    });
    expect(safety.warnings).toContain(
      'alertmanager could not be backed up: connect ECONNREFUSED; it is not in this backup',
    );
    expect(safety.prometheus).toMatchObject({ mode: 'snapshot' });
  });

  it('keeps only the newest backups with keep, and never overwrites one made in the same second', async () => {
    const { ctx } = await runningStack();
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createBackup(ctx, { keep: 2 }));
    expect(new Set(made.map((b) => b.file)).size).toBe(3);
    expect(made[2]!.pruned).toEqual([made[0]!.file]);
  });
});
