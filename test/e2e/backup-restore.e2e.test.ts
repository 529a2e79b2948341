/**
 * `wmon backup`, `restore`, `update` and `reset` on the real container engine (Podman here, Docker
 * elsewhere), as the built binary, against a stack of Prometheus, Alertmanager and node exporter at the
 * versions CI runs, scripts/versions.env (Grafana, Loki and Jaeger cannot run here: their part is tested against the contract fake; the bundled
 * service is off to keep the suite short). In CI a missing engine fails the suite.
 *
 *   round trip   data written → backup → reset → restore → the same series with the same values, the
 *                silence back, wmon.yaml and the rendered files identical to the archive's
 *   hostile      each broken or hostile archive refused (exit 65) before anything changed
 *   failure      a restore whose data Prometheus cannot start with, and one whose data does not answer,
 *                each end with the stack back on the safety backup
 *   update       a threshold change reloads the rules in the same Prometheus container; only the
 *                component whose container settings changed is recreated
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Manifest } from '../../src/features/archive/manifest.js';
import {
  createAlertmanagerClient,
  createPrometheusClient,
  type AlertmanagerClient,
  type MatrixSeries,
  type PrometheusClient,
} from '../../src/adapters/clients/index.js';
import type { BackupResultJson, ResetResultJson, RestoreResultJson, UpdateResultJson } from '../../src/results.js';
import { LABELS } from '../../src/core/model/container-types.js';
import {
  readEntries,
  RESTORE_PLAN_STEPS,
  withFreshManifest,
  writeEntries,
  type RawEntry,
} from '../support/archives.js';
import { wmon, wmonJson } from '../support/cli.js';
import { eventually } from '../support/wait.js';
import { E2E_WAIT, e2eProject, TEST_IMAGES, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
let prom: PrometheusClient;
let am: AlertmanagerClient;
let backupDir: string;

/** The archive the round trip restores, what it recorded, and the series as they were. */
let archive: string;
let manifest: Manifest;
let seriesBefore: MatrixSeries[];
let silenceComment: string;

const json = <T>(args: string[], timeout = 600_000) => wmonJson<T>(args, { cwd: p!.dir, timeout });

/** What must not change when an archive is refused: containers (ids, start times), volumes, wmon.yaml. */
async function snapshotOfStack() {
  const containers = await p!.runtime.listContainers({ [LABELS.project]: p!.project });
  const details = await Promise.all(containers.map((c) => p!.runtime.inspectContainer(c.id)));
  return {
    containers: details.map((d) => `${d!.name} ${d!.id} ${d!.startedAt?.toISOString()} ${d!.state}`).sort(),
    volumes: (await p!.runtime.listVolumes({ [LABELS.project]: p!.project })).map((v) => v.name).sort(),
    wmonYaml: await readFile(path.join(p!.dir, 'wmon.yaml'), 'utf8'),
    safety: await readdir(path.join(backupDir, 'safety')).catch(() => []),
  };
}

const rangeOf = async (expr: string, start: number, end: number) =>
  (await prom.queryRange(expr, { start, end, step: 2 })).sort((a, b) =>
    JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)),
  );

const containerIds = async () =>
  Object.fromEntries(
    (await p!.runtime.listContainers({ [LABELS.project]: p!.project })).map((c) => [c.component, c.id]),
  );

beforeAll(async () => {
  p = await e2eProject('backup/restore e2e');
  if (!p) return;
  prom = createPrometheusClient({ baseUrl: `http://127.0.0.1:${p.ports.prometheus}` });
  am = createAlertmanagerClient({ baseUrl: `http://127.0.0.1:${p.ports.alertmanager}` });
  backupDir = path.join(p.dir, 'backups');
  await p.writeConfig();
  // The bundled service is not needed here, and building its image takes minutes.
  const config = (await readFile(path.join(p.dir, 'wmon.yaml'), 'utf8')).replace(
    /webhook: \{[^}]+\}/,
    'webhook: {enabled: false}',
  );
  await writeFile(path.join(p.dir, 'wmon.yaml'), config);
  const init = await wmon(['init', '--json'], { cwd: p.dir, timeout: 600_000 });
  expect(init.exitCode, init.stderr).toBe(0);
}, 700_000);

afterAll(() => p?.cleanup(), 180_000);

describe.sequential('wmon backup, restore, update and reset on a real engine', () => {
  it('backs up a TSDB snapshot, the silences, wmon.yaml and the rendered files, with a manifest', async ({ skip }) => {
    if (!p) return skip();
    // Enough data that the minute before the probes (taken 30 s back) is full: 100 s of scrapes every 2 s.
    await eventually(
      '100 s of data',
      async () => {
        const r = await prom.query('count_over_time(up{job="prometheus"}[5m])');
        return r.resultType === 'vector' && Number(r.result[0]?.sample.value ?? 0) >= 50 ? true : undefined;
      },
      { ...E2E_WAIT, timeoutMs: 180_000 },
    );
    silenceComment = `maintenance ${p.project}`;
    await am.createSilence({
      matchers: [{ name: 'alertname', value: 'TargetDown', isRegex: false }],
      endsAt: new Date(Date.now() + 3 * 3600_000),
      createdBy: 'e2e',
      comment: silenceComment,
    });

    const r = await json<BackupResultJson>(['backup', '--output', backupDir]);
    expect(r.exitCode, r.stderr).toBe(0);
    const b = r.json;
    archive = b.file;
    expect(path.basename(b.file)).toMatch(/^backup_\d{8}_\d{6}\.tar\.gz$/);
    expect(path.dirname(b.file)).toBe(backupDir);
    expect(b.prometheus?.mode).toBe('snapshot');
    expect(b.prometheus!.files).toBeGreaterThan(0);
    expect(b.alertmanager).toEqual({ silences: 1 });
    expect(b.grafana).toBeNull();
    expect(b.components.find((c) => c.component === 'grafana')).toEqual({
      component: 'grafana',
      included: false,
      detail: 'switched off',
    });

    // The manifest lists every file with its size and sha256 (verified again by restore --dry-run below).
    const entries = await readEntries(b.file);
    manifest = JSON.parse(entries.find((e) => e.path === 'manifest.json')!.data!.toString('utf8')) as Manifest;
    expect(entries.at(-1)!.path).toBe('manifest.json');
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      entries
        .filter((e) => e.path !== 'manifest.json')
        .map((e) => e.path)
        .sort(),
    );
    expect(manifest.project).toBe(p.project);
    expect(manifest.components.prometheus).toMatchObject({
      enabled: true,
      image: TEST_IMAGES.prometheus,
      running: true,
      container: `${p.project}-prometheus`,
    });
    expect(manifest.components.prometheus!.imageId).toMatch(/^sha256:/);
    expect(manifest.prometheus!.probes.map((q) => q.query)).toEqual(['up', 'scrape_samples_scraped']);
    expect(entries.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        'wmon.yaml',
        'config/prometheus/prometheus.yml',
        'config/alertmanager/alertmanager.yml',
        'alertmanager/silences.json',
      ]),
    );
    expect(entries.some((e) => /^prometheus\/data\/[0-9A-Z]{26}\/index$/.test(e.path))).toBe(true);
    // The snapshot was removed from Prometheus's volume after the copy.
    const left = await p.runtime.exec(`${p.project}-prometheus`, ['ls', '/prometheus/snapshots']);
    expect(left.stdout.trim()).toBe('');

    // The series as they are now, up to the moment the probes recorded (everything before is in the snapshot).
    const end = manifest.prometheus!.probes[0]!.time;
    seriesBefore = await rangeOf('scrape_samples_scraped', end - 60, end);
    expect(seriesBefore.length).toBe(3);
    expect(seriesBefore.every((s) => s.samples.length >= 20)).toBe(true);
  }, 600_000);

  it('keeps only the newest backups with --keep', async ({ skip }) => {
    if (!p) return skip();
    const keepDir = path.join(p.dir, 'kept');
    const made: BackupResultJson[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await json<BackupResultJson>(['backup', '--output', keepDir, '--keep', '2']);
      expect(r.exitCode, r.stderr).toBe(0);
      made.push(r.json);
    }
    expect(made[2]!.pruned).toEqual([made[0]!.file]);
    expect((await readdir(keepDir)).sort()).toEqual([path.basename(made[1]!.file), path.basename(made[2]!.file)]);
  }, 600_000);

  it('shows the restore plan with --dry-run and changes nothing', async ({ skip }) => {
    if (!p) return skip();
    const before = await snapshotOfStack();
    const r = await json<RestoreResultJson>(['restore', archive, '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.dryRun).toBe(true);
    expect(r.json.plan.map((s) => s.step)).toEqual(RESTORE_PLAN_STEPS);
    expect(r.json.archive.files).toBe(manifest.files.length);
    expect(await snapshotOfStack()).toEqual(before);
  }, 300_000);

  describe('refuses broken and hostile archives before anything changes', () => {
    /** A variant of the archive: its entries edited (written raw), or raw bytes. */
    const make = async (
      name: string,
      edit: (entries: RawEntry[]) => RawEntry[] | Buffer | Promise<Buffer>,
    ): Promise<string> => {
      const file = path.join(p!.dir, `${name}.tar.gz`);
      const out = await edit(await readEntries(archive));
      if (Buffer.isBuffer(out)) await writeFile(file, out);
      else await writeEntries(file, out);
      return file;
    };
    const insert = (entries: RawEntry[], ...extra: RawEntry[]) => [...entries.slice(0, -1), ...extra, entries.at(-1)!];
    const dataFile = (entries: RawEntry[]) =>
      entries.find((e) => e.path.startsWith('prometheus/data/') && e.path.endsWith('/index'))!;

    const cases: Array<[string, (e: RawEntry[]) => RawEntry[] | Buffer | Promise<Buffer>, string, RegExp]> = [
      [
        'path traversal',
        (e) => insert(e, { path: 'prometheus/data/../../../../tmp/evil', data: Buffer.from('x') }),
        'ARCHIVE_UNSAFE_ENTRY',
        /has a "\.\." segment/,
      ],
      [
        'an absolute path',
        (e) => insert(e, { path: '/tmp/evil', data: Buffer.from('x') }),
        'ARCHIVE_UNSAFE_ENTRY',
        /"\/tmp\/evil" has an absolute path/,
      ],
      [
        'a symbolic link out of the folder',
        (e) => insert(e, { path: 'prometheus/data/wal', type: 'SymbolicLink', linkpath: '../../../../../etc' }),
        'ARCHIVE_UNSAFE_ENTRY',
        /symbolic link pointing out of the archive's folder/,
      ],
      [
        'a hard link out of the folder',
        (e) => insert(e, { path: 'prometheus/data/passwd', type: 'Link', linkpath: '../../../etc/passwd' }),
        'ARCHIVE_UNSAFE_ENTRY',
        /hard link pointing out of the archive's folder/,
      ],
      [
        'a truncated gzip',
        async () => (await readFile(archive)).subarray(0, 2048),
        'ARCHIVE_CORRUPT',
        /truncated or corrupted/,
      ],
      [
        'a file whose checksum does not match',
        (e) =>
          e.map((x) =>
            x === dataFile(e) ? { ...x, data: Buffer.from(x.data!.map((b, i) => (i === 100 ? b ^ 0xff : b))) } : x,
          ),
        'ARCHIVE_CHECKSUM_MISMATCH',
        /does not match its checksum/,
      ],
      [
        'a manifest listing a missing file',
        (e) => e.filter((x) => x.path !== 'alertmanager/silences.json'),
        'ARCHIVE_CHECKSUM_MISMATCH',
        /lists "alertmanager\/silences.json", but the archive has no such file/,
      ],
      [
        'an extra unlisted file',
        (e) => insert(e, { path: 'config/prometheus/rules/extra.yml', data: Buffer.from('groups: []\n') }),
        'ARCHIVE_CHECKSUM_MISMATCH',
        /"config\/prometheus\/rules\/extra.yml" is in the archive but not in the manifest/,
      ],
      [
        'an entry far larger than declared',
        (e) => e.map((x) => (x === dataFile(e) ? { ...x, data: Buffer.alloc(48 * 1024 * 1024, 1) } : x)),
        'ARCHIVE_CHECKSUM_MISMATCH',
        /is 50331648 bytes in the archive, but the manifest declares \d+ bytes/,
      ],
    ];

    for (const [name, edit, code, message] of cases) {
      it(`refuses ${name}`, async ({ skip }) => {
        if (!p) return skip();
        const before = await snapshotOfStack();
        const file = await make(name.replaceAll(' ', '-'), edit);
        const r = await json<{ error: { code: string; message: string; exit: number } }>(['restore', file]);
        expect(r.exitCode, r.stdout).toBe(65);
        expect(r.json.error.code).toBe(code);
        expect(r.json.error.message).toMatch(message);
        expect(r.json.error.message).toContain('Nothing was changed');
        expect(await snapshotOfStack()).toEqual(before);
      }, 300_000);
    }
  });

  it('update: a threshold change reloads the rules in the same Prometheus; only the changed container is recreated', async ({
    skip,
  }) => {
    if (!p) return skip();
    const before = await containerIds();
    const startedAt = (await p.runtime.inspectContainer(before.prometheus!))!.startedAt;
    const config = await readFile(path.join(p.dir, 'wmon.yaml'), 'utf8');
    await writeFile(
      path.join(p.dir, 'wmon.yaml'),
      `${config.replace(/nodeExporter: \{([^}]+)\}/, 'nodeExporter: {$1, memory: 256m}')}alerts:\n  cpuPercent: {warning: 60}\n`,
    );

    const dry = await json<UpdateResultJson>(['update', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.changes.map((c) => [c.path, c.status])).toEqual([
      ['prometheus/rules/webhook-alerts.yml', 'changed'],
    ]);
    expect(dry.json.changes[0]!.diff).toContain(
      '-        expr: webhook_cpu_usage_percent >= 75\n+        expr: webhook_cpu_usage_percent >= 60',
    );
    expect(await containerIds()).toEqual(before);

    const r = await json<UpdateResultJson>(['update']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.containers.map((c) => [c.component, c.action])).toEqual([
      ['nodeExporter', 'recreate'],
      ['alertmanager', 'keep'],
      ['prometheus', 'reload'],
    ]);
    const after = await containerIds();
    expect(after.prometheus).toBe(before.prometheus);
    expect(after.alertmanager).toBe(before.alertmanager);
    expect(after.nodeExporter).not.toBe(before.nodeExporter);
    expect((await p.runtime.inspectContainer(after.prometheus!))!.startedAt).toEqual(startedAt);
    const cpu = (await prom.rules()).flatMap((g) => g.rules).find((rule) => rule.name === 'WebhookHighCPU');
    expect(cpu?.query).toBe('webhook_cpu_usage_percent >= 60');

    // Nothing left to do.
    const again = await json<UpdateResultJson>(['update']);
    expect(again.json.changed).toBe(false);
    expect(again.json.changes).toEqual([]);
  }, 600_000);

  it('reset: refuses without --force off a terminal, then starts from nothing after a safety backup', async ({
    skip,
  }) => {
    if (!p) return skip();
    const refused = await wmon(['reset'], { cwd: p.dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--force');

    const before = await containerIds();
    const r = await json<ResetResultJson>(['reset', '--force', '--backup-dir', backupDir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.safetyBackup?.file).toMatch(/safety\/safety_\d{8}_\d{6}\.tar\.gz$/);
    expect([...r.json.removed.volumes].sort()).toEqual([
      `${p.project}-alertmanager-data`,
      `${p.project}-prometheus-data`,
    ]);
    expect(r.json.removed.networks).toEqual([`${p.project}-net`]);
    expect(r.json.init.containers.every((c) => c.action === 'create')).toBe(true);
    const after = await containerIds();
    for (const id of Object.keys(before)) expect(after[id]).not.toBe(before[id]);
    // The old data and the silence are gone.
    const end = manifest.prometheus!.probes[0]!.time;
    expect(await rangeOf('scrape_samples_scraped', end - 60, end)).toEqual([]);
    expect((await am.silences()).filter((s) => s.comment === silenceComment && s.state === 'active')).toEqual([]);
  }, 600_000);

  it('restore: the old series answer again with the same values, the silence is back, the configuration is identical', async ({
    skip,
  }) => {
    if (!p) return skip();
    const r = await json<RestoreResultJson>(['restore', archive, '--backup-dir', backupDir]);
    expect(r.exitCode, r.stderr || r.stdout).toBe(0);
    expect(r.json.safetyBackup).toMatch(/safety_\d{8}_\d{6}\.tar\.gz$/);
    expect(r.json.restored?.config.wmonYaml).toBe('restored');
    expect(r.json.restored?.prometheus?.files).toBe(manifest.prometheus!.files);
    expect(r.json.restored?.silences).toEqual({ restored: 1, present: 0, expired: 0 });
    expect(r.json.checks.every((c) => c.ok)).toBe(true);
    expect(r.json.checks.map((c) => c.check)).toEqual([
      'stack ready',
      'prometheus series',
      'silences',
      'rendered files',
    ]);

    const end = manifest.prometheus!.probes[0]!.time;
    expect(await rangeOf('scrape_samples_scraped', end - 60, end)).toEqual(seriesBefore);
    expect((await am.silences()).filter((s) => s.comment === silenceComment && s.state === 'active')).toHaveLength(1);
    // wmon.yaml and every rendered file are byte for byte the archive's (the update's changes are undone).
    const entries = await readEntries(archive);
    expect(await readFile(path.join(p.dir, 'wmon.yaml'))).toEqual(entries.find((e) => e.path === 'wmon.yaml')!.data);
    for (const f of manifest.config.files) {
      expect(await readFile(path.join(p.dir, '.wmon', f)), f).toEqual(
        entries.find((e) => e.path === `config/${f}`)!.data,
      );
    }
    const cpu = (await prom.rules()).flatMap((g) => g.rules).find((rule) => rule.name === 'WebhookHighCPU');
    expect(cpu?.query).toBe('webhook_cpu_usage_percent >= 75');
  }, 600_000);

  /** After a failed restore: the stack runs, with the data and the silence it had before. */
  const expectBackOnSafety = async () => {
    const running = await p!.runtime.listContainers({ [LABELS.project]: p!.project });
    expect(
      running
        .filter((c) => c.component !== 'helper')
        .map((c) => [c.component, c.state])
        .sort(),
    ).toEqual([
      ['alertmanager', 'running'],
      ['nodeExporter', 'running'],
      ['prometheus', 'running'],
    ]);
    const end = manifest.prometheus!.probes[0]!.time;
    expect(await rangeOf('scrape_samples_scraped', end - 60, end)).toEqual(seriesBefore);
    expect((await am.silences()).filter((s) => s.comment === silenceComment && s.state === 'active')).toHaveLength(1);
  };

  /** Restores a variant of the archive that passes verification: it must fail, and say it rolled back. */
  const restoreRolledBack = async (name: string, variant: (entries: RawEntry[]) => RawEntry[]) => {
    const file = path.join(p!.dir, name);
    await writeEntries(file, variant(await readEntries(archive)));
    const r = await json<{ error: { code: string; message: string } }>([
      'restore',
      file,
      '--timeout',
      '40',
      '--backup-dir',
      backupDir,
    ]);
    expect(r.exitCode, r.stdout).not.toBe(0);
    expect(r.json.error.code, r.json.error.message).toBe('RESTORE_ROLLED_BACK');
    return r.json.error.message;
  };

  it('a restore Prometheus cannot start with ends with the stack back on the safety backup', async ({ skip }) => {
    if (!p) return skip();
    // A regular file where Prometheus keeps its write-ahead log (a folder): it exits at start. The archive
    // itself is consistent (the manifest is recomputed), so it passes verification.
    const message = await restoreRolledBack('cannot-start.tar.gz', (entries) =>
      withFreshManifest(
        [
          ...entries.slice(0, -1),
          { path: 'prometheus/data/wal', data: Buffer.from('not a folder\n') },
          entries.at(-1)!,
        ],
        (m) => {
          (m.prometheus as { files: number }).files += 1;
        },
      ),
    );
    expect(message).toMatch(/The restore failed while bringing the stack up .*prometheus/s);
    expect(message).toMatch(
      /The stack was put back as it was before, from the safety backup .*safety_\d{8}_\d{6}\.tar\.gz/,
    );
    expect(message).toContain('ok prometheus series');
    await expectBackOnSafety();
  }, 600_000);

  it('a restore whose data does not answer with the recorded values is rolled back too', async ({ skip }) => {
    if (!p) return skip();
    // Block metadata Prometheus cannot read: it starts, without that data; the check notices.
    const message = await restoreRolledBack('unreadable-block.tar.gz', (entries) =>
      withFreshManifest(
        entries.map((e) => (e.path.endsWith('/meta.json') ? { ...e, data: Buffer.from('{ not json') } : e)),
      ),
    );
    expect(message).toContain('Prometheus does not answer with the backed-up values');
    await expectBackOnSafety();
  }, 600_000);
});
