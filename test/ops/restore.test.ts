/**
 * The restore steps on the in-memory engine: the archive is verified before anything is touched; a safety
 * backup is taken with Prometheus stopped; Prometheus's data is streamed into its volume and swapped in;
 * the restored data must answer with the recorded values; and any failure after the first change puts the
 * safety backup back the same way (the silences the failed restore added are expired).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { LABELS } from '../../src/core/model/container-types.js';
import { createBackup } from '../../src/ops/backup.js';
import { restoreStack, type RestoreOptions } from '../../src/ops/restore.js';
import { recordingReporter } from '../../src/ops/steps.js';
import { WmonError } from '../../src/errors.js';
import { readEntries, RESTORE_PLAN_STEPS, writeEntries } from '../support/archives.js';
import { failure } from '../support/failures.js';
import { BLOCK, runningStack } from '../support/memory-stack.js';

const OPTS = (archive: string): RestoreOptions => ({ archive, dryRun: false, safetyBackup: true, timeoutMs: 5_000 });
const LATER_BLOCK = '01JZZZZZZZZZZZZZZZZZZZZZZZ';

/** A running stack with a backup of it, then changed: a newer block, another threshold, a new silence. */
async function backedUpThenChanged() {
  const r = await runningStack();
  const backup = await createBackup(r.ctx);
  const original = await readFile(r.s.configFile, 'utf8');
  await r.volume.writeFile(
    `/${LATER_BLOCK}/meta.json`,
    JSON.stringify({ ulid: LATER_BLOCK, minTime: Date.now() - 600_000, maxTime: Date.now() }),
  );
  await r.s.writeConfig('alerts:\n  cpuPercent: {warning: 60}\n');
  return { ...r, backup, original, target: async () => ({ configFile: r.s.configFile, current: await r.open() }) };
}

describe('restore steps on the in-memory engine', () => {
  it('refuses a tampered archive before touching the engine or wmon.yaml', async () => {
    const { s, backup, target } = await backedUpThenChanged();
    const entries = await readEntries(backup.file);
    const meta = entries.find((e) => e.path === `prometheus/data/${BLOCK}/meta.json`)!;
    meta.data = Buffer.from(meta.data!.toString('utf8').replace('"numSeries":3', '"numSeries":9'));
    const tampered = path.join(s.dir, 'tampered.tar.gz');
    await writeEntries(tampered, entries);
    const t = await target();
    const calls = s.runtime.calls.length;
    const before = await readFile(s.configFile, 'utf8');
    await expect(restoreStack(t, OPTS(tampered))).rejects.toMatchObject({
      code: 'ARCHIVE_CHECKSUM_MISMATCH',
      exit: 65,
    });
    expect(s.runtime.calls.slice(calls)).toEqual([]);
    expect(await readFile(s.configFile, 'utf8')).toBe(before);
  });

  it('plans with --dry-run and changes nothing', async () => {
    const { s, backup, target } = await backedUpThenChanged();
    const calls = s.runtime.calls.length;
    const r = await restoreStack(await target(), { ...OPTS(backup.file), dryRun: true });
    expect(r.plan.map((p) => p.step)).toEqual(RESTORE_PLAN_STEPS);
    expect(r.restored).toBeNull();
    expect(s.runtime.calls.slice(calls).filter((c) => !/^(inspect|list|ping)/.test(c.method))).toEqual([]);
  });

  it('takes a safety backup with Prometheus stopped, swaps the data in, brings the stack up and checks the values', async () => {
    const { s, am, backup, original, volume, target } = await backedUpThenChanged();
    // A silence set during the incident stays; the one in the backup was expired by hand and comes back.
    await am.client().deleteSilence(am.silences[0]!.id);
    const reporter = recordingReporter();
    const r = await restoreStack(await target(), OPTS(backup.file), reporter);

    expect(r.safetyBackup).toMatch(/backups\/safety\/safety_\d{8}_\d{6}\.tar\.gz$/);
    expect(r.restored?.config.wmonYaml).toBe('restored');
    expect(await readFile(s.configFile, 'utf8')).toBe(original);
    expect(r.restored?.prometheus).toMatchObject({ files: 3, blocks: 1 });
    // The swap: the volume holds exactly the archive's blocks (the later one and the WAL are gone).
    expect((await volume.list('/')).sort()).toEqual([`${BLOCK}/chunks/000001`, `${BLOCK}/index`, `${BLOCK}/meta.json`]);
    expect(r.restored?.silences).toEqual({ restored: 1, present: 0, expired: 0 });
    expect(r.checks.map((c) => [c.check, c.ok])).toEqual([
      ['stack ready', true],
      ['prometheus series', true],
      ['silences', true],
      ['rendered files', true],
    ]);
    const running = await s.runtime.listContainers({ [LABELS.project]: (await target()).current.stack.project });
    expect(running.every((c) => c.state === 'running')).toBe(true);
    // The safety backup holds the state before the restore: the later block, with Prometheus stopped (a volume copy).
    const safety = (await readEntries(r.safetyBackup!)).map((e) => e.path);
    expect(safety).toContain(`prometheus/data/${LATER_BLOCK}/meta.json`);
    expect(reporter.events).toContain('start Safety backup of the current state');
  });

  it('rolls back to the safety backup when the restored data does not answer with the recorded values', async () => {
    const { s, am, prom, backup, volume, target } = await backedUpThenChanged();
    const changed = await readFile(s.configFile, 'utf8');
    await am.client().deleteSilence(am.silences[0]!.id);
    prom.answers.set('up', [{ metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, value: 0 }]);
    const reporter = recordingReporter();
    const failed = await failure(restoreStack(await target(), OPTS(backup.file), reporter), WmonError);
    expect(failed).toMatchObject({ code: 'RESTORE_ROLLED_BACK' });
    expect(failed.message).toMatch(
      /The restore failed while check Prometheus answers with the restored data: Prometheus does not answer with the backed-up values: up\{.*\} at .* is 0, the backup had 1/,
    );
    expect(failed.message).toMatch(
      /The stack was put back as it was before, from the safety backup .*safety_\d{8}_\d{6}\.tar\.gz/,
    );
    // Back as it was: the changed wmon.yaml, the later block.
    expect(await readFile(s.configFile, 'utf8')).toBe(changed);
    expect(await volume.list('/')).toContain(`${LATER_BLOCK}/meta.json`);
    expect(reporter.events).toContain('start Restore wmon.yaml (rollback)');
  });

  it('stops a Prometheus that is not running too, so that its restart policy cannot start it under the swap', async () => {
    const { s, backup, target } = await backedUpThenChanged();
    const t = await target();
    const prometheus = `${t.current.stack.project}-prometheus`;
    // Crashed (as when the data it was given cannot be opened): exited, and the engine would start it again.
    await s.runtime.exit(prometheus, { exitCode: 1 });
    const calls = s.runtime.calls.length;
    const reporter = recordingReporter();
    await restoreStack(t, OPTS(backup.file), reporter);
    const stops = s.runtime.calls.slice(calls).filter((c) => c.method === 'stopContainer' && c.target === prometheus);
    expect(stops.length).toBeGreaterThanOrEqual(1);
    expect(reporter.events.some((e) => /was not running \(exited\); kept stopped/.test(e))).toBe(true);
  });

  it('expires the silences a failed restore added when it rolls back', async () => {
    const { am, backup, target } = await backedUpThenChanged();
    await am.client().deleteSilence(am.silences[0]!.id);
    // Alertmanager takes the silence but keeps it otherwise than it was sent: the check after fails.
    am.onCreate((silence) => ({ ...silence, comment: `${silence.comment} (edited)` }));
    const failed = await failure(restoreStack(await target(), OPTS(backup.file)), WmonError);
    expect(failed).toMatchObject({
      code: 'RESTORE_ROLLED_BACK',
      message: expect.stringMatching(
        /while check the silences: the silence "noisy during the migration" .* is not in Alertmanager/,
      ),
    });
    expect(am.silences.filter((x) => x.state === 'active')).toEqual([]);
    expect(am.silences.map((x) => x.comment)).toContain('noisy during the migration (edited)');
  });

  it('ends on RESTORE_FAILED, with nothing to go back to, without a safety backup', async () => {
    const { s, prom, backup, target } = await backedUpThenChanged();
    prom.answers.set('up', []);
    await expect(restoreStack(await target(), { ...OPTS(backup.file), safetyBackup: false })).rejects.toMatchObject({
      code: 'RESTORE_FAILED',
      message: expect.stringMatching(/There is no safety backup to go back to/),
    });
    expect(s.runtime.calls.some((c) => c.method === 'putArchive')).toBe(true);
  });
});
