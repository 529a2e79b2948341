/**
 * The webhook service's SQLite store in backups and restores, on the in-memory engine. The database tool
 * wmon runs in the service's container really runs here, on real SQLite over the container's files
 * (test/support/fakes/service-db.ts), so what is checked is SQLite's own answer: the online copy holds what
 * only the WAL had, the integrity check refuses a damaged file, the schema version is the file's.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { LABELS } from '../../src/core/model/container-types.js';
import { ArchiveError, verifyArchive } from '../../src/features/archive/verify.js';
import { SERVICE_DB_ENTRY } from '../../src/features/archive/format.js';
import { SWAP_SCRIPT } from '../../src/features/archive/service-db.js';
import type { Manifest } from '../../src/features/archive/manifest.js';
import { createBackup } from '../../src/ops/backup.js';
import { restoreStack, type RestoreOptions } from '../../src/ops/restore.js';
import { planReset, resetStack } from '../../src/ops/reset.js';
import { verifyBackup } from '../../src/ops/verify-backup.js';
import { readEntries, withFreshManifest, writeEntries, type RawEntry } from '../support/archives.js';
import { fakeAlertmanager, fakePrometheus, handlePrometheusDataShell } from '../support/fakes/memory-clients.js';
import {
  handleServiceDb,
  handleServiceDbSwap,
  readServiceDatabase,
  serviceDatabase,
  type EventMix,
} from '../support/fakes/service-db.js';
import { IMAGES, memoryStack, startedStack } from '../support/memory-stack.js';
import { tempDir } from '../support/tmp.js';
import { MemoryRuntime } from '../../src/adapters/runtime/memory-runtime.js';
import type { ContextOptions } from '../../src/context.js';
import { freePorts } from '../support/ports.js';

const SERVICE_IMAGE = 'localhost/wmon/webhook-test:latest';
const MIX: EventMix = { pending: 3, processed: 2, deadLetter: 1 };
const OPTS = (archive: string): RestoreOptions => ({ archive, dryRun: false, safetyBackup: true, timeoutMs: 2_000 });

/** A running stack with the bundled service on SQLite, its database holding MIX (the last commits in its WAL). */
async function serviceStack(opts: { postgres?: boolean } = {}) {
  const s = await memoryStack();
  const [port, metricsPort] = await freePorts(2);
  const base = await readFile(s.configFile, 'utf8');
  const pg = opts.postgres ? 'service:\n  databaseUrl: {file: pg-url.txt}\n' : '';
  if (opts.postgres) await writeFile(path.join(s.dir, 'pg-url.txt'), 'postgres://wmon@db.example/wmon\n');
  await writeFile(
    s.configFile,
    base.replace(
      'webhook: {enabled: false}',
      `webhook: {image: ${SERVICE_IMAGE}, port: ${port}, metricsPort: ${metricsPort}}`,
    ) + pg,
  );
  // The service image is built from service/ on this engine, as `wmon init` does.
  s.runtime.addImage('docker.io/library/node:20-bookworm-slim');
  s.runtime.addImage('docker.io/library/node:20-bookworm');
  const tool: string[][] = [];
  handleServiceDb(s.runtime, tool);
  handleServiceDbSwap(s.runtime, SWAP_SCRIPT);
  const { open, ctx } = await startedStack(s);
  const volume = s.runtime.volumeFiles(`${ctx.stack.project}-webhook-data`);
  const db = await serviceDatabase(MIX);
  await volume.writeFile('/webhooks.db', db.db);
  if (db.wal) await volume.writeFile('/webhooks.db-wal', db.wal);
  const container = `${ctx.stack.project}-webhook`;
  const target = async () => ({ configFile: s.configFile, current: await open() });
  return { s, ctx, open, volume, ids: db.ids, tool, container, target };
}

const manifestOf = (entries: readonly RawEntry[]) =>
  JSON.parse(entries.find((e) => e.path === 'manifest.json')!.data!.toString('utf8')) as Manifest;

/** What must not change when an archive is refused: the service container, the database in its volume, wmon.yaml. */
async function stateOf(t: Awaited<ReturnType<typeof serviceStack>>) {
  const d = await t.s.runtime.inspectContainer(t.container);
  return {
    container: `${d?.id} ${d?.state} ${d?.startedAt?.toISOString()}`,
    db: (await t.volume.readFile('/webhooks.db')).toString('base64'),
    wal: (await t.volume.exists('/webhooks.db-wal')) ? 'wal' : 'no wal',
    yaml: await readFile(t.s.configFile, 'utf8'),
    stops: t.s.runtime.calls.filter((c) => c.method === 'stopContainer').length,
  };
}

describe("the webhook service's SQLite store in backups", () => {
  it('copies it online in the running container (WAL included), checks it and records it in the manifest', async () => {
    const t = await serviceStack();
    const b = await createBackup(t.ctx);
    expect(b.webhook).toEqual({
      store: 'sqlite',
      mode: 'online',
      bytes: expect.any(Number),
      schemaVersion: 1,
      tables: { webhook_events: 6, webhook_event_state: 6, stripe_objects: 1 },
      events: { pending: 3, processed: 2, deadLetter: 1 },
    });
    expect(b.components.find((c) => c.component === 'webhook')).toEqual({
      component: 'webhook',
      included: true,
      detail: expect.stringMatching(/^online backup: .*, 3 pending, 2 processed, 1 dead-letter events; integrity ok$/),
    });
    // SQLite's backup ran in the service's own container, and its copy is gone from the volume.
    expect(t.tool[0]).toEqual([
      'backup',
      '/data/webhooks.db',
      expect.stringMatching(/^\/data\/\.wmon-backup-\w+\.db$/),
    ]);
    expect((await t.volume.readdir('/')).filter((n) => n.startsWith('.wmon'))).toEqual([]);

    const entries = await readEntries(b.file);
    const m = manifestOf(entries);
    expect(m.formatVersion).toBe(2);
    expect(m.webhook).toEqual({
      store: 'sqlite',
      mode: 'online',
      volume: `${t.ctx.stack.project}-webhook-data`,
      file: SERVICE_DB_ENTRY,
      bytes: b.webhook && 'bytes' in b.webhook ? b.webhook.bytes : -1,
      schemaVersion: 1,
      integrityCheck: 'ok',
      tables: { webhook_events: 6, webhook_event_state: 6, stripe_objects: 1 },
      events: { pending: 3, processed: 2, deadLetter: 1 },
    });
    // One self-contained file: every event, those only in the live WAL too, in a rollback journal.
    const copy = entries.find((e) => e.path === SERVICE_DB_ENTRY)!.data!;
    expect(copy.readUInt8(18)).toBe(1); // file format: legacy (not WAL)
    const read = await readServiceDatabase(copy);
    expect(Object.keys(read.events).sort()).toEqual([...t.ids].sort());
    expect(read.version).toBe(1);
    // verify reads it back.
    await expect(verifyArchive(b.file)).resolves.toMatchObject({ manifest: { webhook: { store: 'sqlite' } } });
  });

  it('with PostgreSQL, says the events are external and not included, and holds no database', async () => {
    const t = await serviceStack({ postgres: true });
    const b = await createBackup(t.ctx);
    expect(b.webhook).toMatchObject({ store: 'external', included: false });
    expect(b.warnings.join('\n')).toMatch(/events are in PostgreSQL: .*not included|back it up there \(pg_dump\)/);
    expect(b.components.find((c) => c.component === 'webhook')).toMatchObject({ included: false });
    const entries = await readEntries(b.file);
    expect(manifestOf(entries).webhook).toMatchObject({
      store: 'external',
      included: false,
      note: /^external, not included/,
    });
    expect(entries.some((e) => e.path.startsWith('webhook/'))).toBe(false);
    expect(t.tool).toEqual([]);
  });

  it("copies a stopped service's database through a helper container on its volume", async () => {
    const t = await serviceStack();
    await t.s.runtime.stopContainer(t.container);
    const b = await createBackup(await t.open());
    expect(b.webhook).toMatchObject({ store: 'sqlite', mode: 'stopped', events: { pending: 3 } });
    expect((await t.s.runtime.inspectContainer(t.container))?.running).toBe(false);
  });
});

/** A service stack backed up, then its database replaced by another of `processed` events (with a WAL of its own). */
async function backedUpThenReplaced(processed: number) {
  const t = await serviceStack();
  const b = await createBackup(t.ctx);
  const other = await serviceDatabase({ pending: 0, processed, deadLetter: 0 });
  await t.volume.writeFile('/webhooks.db', other.db);
  await t.volume.writeFile('/webhooks.db-wal', other.wal!);
  return { t, b };
}

describe("restoring the webhook service's events", () => {
  it('puts the database back in its volume, the old WAL aside, with the service stopped around the swap', async () => {
    const { t, b } = await backedUpThenReplaced(1);

    const r = await restoreStack(await t.target(), OPTS(b.file));
    expect(r.plan.map((p) => p.step)).toContain('webhook-data');
    expect(r.plan.find((p) => p.step === 'stop')?.detail).toMatch(new RegExp(`${t.container}`));
    expect(r.restored?.webhook).toEqual({
      bytes: expect.any(Number),
      events: { pending: 3, processed: 2, deadLetter: 1 },
    });
    expect(r.checks.find((c) => c.check === 'webhook events')).toMatchObject({ ok: true });
    // The restored service still has 3 pending here (no service processes them on this engine): said so.
    expect(r.warnings.join('\n')).toMatch(/3 restored events are still pending/);
    const now = await readServiceDatabase(await t.volume.readFile('/webhooks.db'));
    expect(Object.keys(now.events).sort()).toEqual([...t.ids].sort());
    expect(await t.volume.exists('/webhooks.db-wal')).toBe(false);
    expect((await t.volume.readdir('/')).filter((n) => n.startsWith('.wmon'))).toEqual([]);
    expect((await t.s.runtime.inspectContainer(t.container))?.running).toBe(true);
    // The safety backup, taken with the service stopped, holds the database as it was before.
    const safety = await readEntries(r.safetyBackup!);
    expect(manifestOf(safety).webhook).toMatchObject({ store: 'sqlite', mode: 'stopped', events: { processed: 1 } });
  });

  it('rolls back to the safety backup when the swap fails, the service on its old events', async () => {
    const { t, b } = await backedUpThenReplaced(4);
    let swaps = 0;
    t.s.runtime.handleExec(['/bin/sh', '-c', SWAP_SCRIPT], async (c) => {
      swaps += 1;
      if (swaps === 1) return { exitCode: 1, stderr: 'mv: cannot move: No space left on device' };
      const [dir, staged, id, name] = c.cmd.slice(4) as [string, string, string, string];
      await c.files.mkdir(`${dir}/.wmon-old-${id}`);
      if (await c.files.exists(`${dir}/${name}`))
        await c.files.rename(`${dir}/${name}`, `${dir}/.wmon-old-${id}/${name}`);
      await c.files.rename(`${dir}/${staged}`, `${dir}/${name}`);
      await c.files.rm(`${dir}/.wmon-old-${id}`, { recursive: true });
      return {};
    });
    const error = await restoreStack(await t.target(), OPTS(b.file)).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe('RESTORE_ROLLED_BACK');
    expect(error?.message).toMatch(/No space left on device/);
    const now = await readServiceDatabase(await t.volume.readFile('/webhooks.db'));
    expect(Object.values(now.events)).toEqual(['processed', 'processed', 'processed', 'processed']);
    expect((await t.s.runtime.inspectContainer(t.container))?.running).toBe(true);
  });

  const refusals: Array<[string, (entries: RawEntry[]) => Promise<RawEntry[]> | RawEntry[], string, RegExp]> = [
    [
      'a corrupt database (pages damaged)',
      (entries) => {
        const e = entries.find((x) => x.path === SERVICE_DB_ENTRY)!;
        const data = Buffer.from(e.data!);
        data.fill(0xa5, 16_384 + 100, 16_384 * 2); // the second page: a table's b-tree
        e.data = data;
        return withFreshManifest(entries);
      },
      'ARCHIVE_SERVICE_DB_INVALID',
      /integrity check/,
    ],
    [
      'a file that is not SQLite',
      (entries) => {
        const e = entries.find((x) => x.path === SERVICE_DB_ENTRY)!;
        e.data = Buffer.alloc(e.data!.length, 0x41);
        return withFreshManifest(entries);
      },
      'ARCHIVE_SERVICE_DB_INVALID',
      /not an SQLite database/,
    ],
    [
      'a database whose checksum is not the manifest’s',
      (entries) => {
        const e = entries.find((x) => x.path === SERVICE_DB_ENTRY)!;
        const data = Buffer.from(e.data!);
        data[data.length - 1] = data[data.length - 1]! ^ 0xff;
        e.data = data;
        return entries;
      },
      'ARCHIVE_CHECKSUM_MISMATCH',
      /"webhook\/webhooks\.db" does not match its checksum/,
    ],
    [
      'a database of a newer schema than the service reads',
      async (entries) => {
        const e = entries.find((x) => x.path === SERVICE_DB_ENTRY)!;
        const data = Buffer.from(e.data!);
        data.writeUInt32BE(2, 60); // PRAGMA user_version
        e.data = data;
        return withFreshManifest(entries, (m) => {
          (m.webhook as { schemaVersion: number }).schemaVersion = 2;
        });
      },
      'ARCHIVE_SERVICE_DB_INVALID',
      /schema version 2, newer than the 1/,
    ],
  ];

  for (const [name, edit, code, message] of refusals) {
    it(`refuses ${name} before anything changes`, async () => {
      const t = await serviceStack();
      const b = await createBackup(t.ctx);
      const bad = path.join(t.s.dir, 'bad.tar.gz');
      await writeEntries(bad, await edit(await readEntries(b.file)));
      const before = await stateOf(t);
      const error = await restoreStack(await t.target(), OPTS(bad)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ArchiveError);
      expect(error).toMatchObject({ code, exit: 65 });
      expect((error as Error).message, (error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/Nothing was changed/);
      expect(await stateOf(t)).toEqual(before);
      // No helper left behind.
      const left = await t.s.runtime.listContainers({ [LABELS.project]: t.ctx.stack.project });
      expect(left.filter((c) => c.component === 'helper')).toEqual([]);
    });
  }
});

describe("reset and the webhook service's events", () => {
  const RESET = { backup: true, timeoutMs: 2_000, stopTimeoutSeconds: 1 };

  it('says what it deletes and keeps, and keeps the events without --delete-events', async () => {
    const t = await serviceStack();
    const plan = await planReset(t.ctx, { backup: true });
    const events = { pending: 3, processed: 2, deadLetter: 1 };
    expect(plan.events).toEqual(events);
    expect(plan.deletesEvents).toBe(false);
    const hook = plan.volumes.find((v) => v.component === 'webhook')!;
    expect(hook).toMatchObject({ action: 'keep', events, bytes: expect.any(Number) });
    expect(hook.bytes).toBeGreaterThan(16_384);
    expect(plan.volumes.find((v) => v.name.endsWith('-prometheus-data'))).toMatchObject({ action: 'delete' });

    const r = await resetStack(t.ctx, RESET);
    expect(r.kept.volumes).toEqual([`${t.ctx.stack.project}-webhook-data`]);
    expect(r.removed.volumes).toContain(`${t.ctx.stack.project}-prometheus-data`);
    expect(r.removed.volumes).not.toContain(`${t.ctx.stack.project}-webhook-data`);
    const after = await readServiceDatabase(await t.volume.readFile('/webhooks.db'));
    expect(Object.keys(after.events).sort()).toEqual([...t.ids].sort());
    // The safety backup holds them too.
    expect(r.safetyBackup?.webhook).toMatchObject({ store: 'sqlite', events });
    expect((await t.s.runtime.inspectContainer(t.container))?.running).toBe(true);
  });

  it('deletes them with --delete-events, after saying how many', async () => {
    const t = await serviceStack();
    const plan = await planReset(t.ctx, { backup: true, deleteEvents: true });
    expect(plan).toMatchObject({ deletesEvents: true, events: { pending: 3, deadLetter: 1 } });
    expect(plan.volumes.find((v) => v.component === 'webhook')).toMatchObject({ action: 'delete' });
    const r = await resetStack(t.ctx, { ...RESET, deleteEvents: true });
    expect(r.removed.volumes).toContain(`${t.ctx.stack.project}-webhook-data`);
    expect(r.kept.volumes).toEqual([]);
    const volume = t.s.runtime.volumeFiles(`${t.ctx.stack.project}-webhook-data`);
    expect(await volume.exists('/webhooks.db')).toBe(false);
  });
});

describe('wmon backup --verify', () => {
  it("checks the service's database with SQLite in a helper, and refuses a damaged one, changing nothing", async () => {
    const t = await serviceStack();
    const b = await createBackup(t.ctx);
    const ok = await verifyBackup(b.file, await t.open());
    expect(ok).toMatchObject({
      ok: true,
      project: t.ctx.stack.project,
      webhook: {
        store: 'sqlite',
        integrity: 'ok',
        schemaVersion: 1,
        events: { pending: 3, processed: 2, deadLetter: 1 },
      },
      warnings: [],
    });
    // Without a wmon.yaml (no engine to reach): everything but SQLite's own check, and said so.
    const alone = await verifyBackup(b.file, undefined);
    expect(alone.webhook).toMatchObject({ integrity: 'not checked' });
    expect(alone.warnings.join('\n')).toMatch(/integrity check of the service's database was not run/);

    const entries = await readEntries(b.file);
    const db = entries.find((x) => x.path === SERVICE_DB_ENTRY)!;
    const data = Buffer.from(db.data!);
    data.fill(0xa5, 16_384 + 100, 16_384 * 2);
    db.data = data;
    const bad = path.join(t.s.dir, 'bad.tar.gz');
    await writeEntries(bad, withFreshManifest(entries));
    const before = await stateOf(t);
    await expect(verifyBackup(bad, await t.open())).rejects.toMatchObject({
      code: 'ARCHIVE_SERVICE_DB_INVALID',
      exit: 65,
    });
    expect(await stateOf(t)).toEqual(before);
  });
});

describe('disaster recovery on a new host', () => {
  it('brings the stack back from the archive alone, its events included: no wmon.yaml, no volume, no service image', async () => {
    const t = await serviceStack();
    const b = await createBackup(t.ctx);
    // Another engine (nothing of the project on it), another folder: only the archive travels.
    const runtime = new MemoryRuntime();
    for (const ref of [
      ...Object.values(IMAGES),
      'docker.io/library/node:20-bookworm-slim',
      'docker.io/library/node:20-bookworm',
    ])
      runtime.addImage(ref);
    handlePrometheusDataShell(runtime);
    handleServiceDb(runtime);
    handleServiceDbSwap(runtime, SWAP_SCRIPT);
    const am = fakeAlertmanager();
    const prom = fakePrometheus(runtime, () => `${t.ctx.stack.project}-prometheus`);
    const dir = await tempDir('wmon-newhost-');
    const configFile = path.join(dir, 'wmon.yaml');
    const deps = {
      connectRuntime: async () => runtime,
      clients: { alertmanager: am.client, prometheus: prom.client },
      waitSettled: async () => undefined,
      waitReady: async (rt: typeof runtime, spec: { name: string }) => {
        if (!(await rt.inspectContainer(spec.name))?.running) throw new Error(`${spec.name} is not running`);
      },
    } as unknown as ContextOptions;
    expect(await runtime.imageExists(SERVICE_IMAGE)).toBe(false);
    const r = await restoreStack({ configFile, current: undefined, deps }, OPTS(b.file));
    expect(r.safetyBackup).toBeNull();
    expect(r.restored?.webhook).toMatchObject({ events: { deadLetter: 1 } });
    expect(r.checks.find((c) => c.check === 'webhook events')).toMatchObject({ ok: true });
    expect(await readFile(configFile, 'utf8')).toBe(await readFile(t.s.configFile, 'utf8'));
    const volume = runtime.volumeFiles(`${t.ctx.stack.project}-webhook-data`);
    const now = await readServiceDatabase(await volume.readFile('/webhooks.db'));
    expect(Object.keys(now.events).sort()).toEqual([...t.ids].sort());
    expect(await runtime.imageExists(SERVICE_IMAGE)).toBe(true);
    expect((await runtime.inspectContainer(t.container))?.running).toBe(true);
  });
});
