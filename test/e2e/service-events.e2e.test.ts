/**
 * The webhook service's events through backup, reset and restore on the real engine (Podman here, Docker
 * elsewhere), as the built binary, with the service's image built from service/ and running on SQLite:
 *
 *   online      events accepted and processed → `wmon backup` while the service runs: SQLite's online
 *               backup in its container, recorded in the manifest, and `backup --verify` passes
 *   pending     some events left pending and one dead letter (set in the stopped service's database, as a
 *               handler failing then the process dying would leave them) → backup (the stopped service's
 *               volume) → `reset --force` keeps them (said first; the service processes them) →
 *               `reset --force --delete-events` deletes them (said first, with the numbers) → restore →
 *               the same event ids, each pending one processed exactly once after the restore
 *   new host    disaster recovery from the archive alone: the stack's containers, volumes and folder gone,
 *               `wmon restore FILE` in a new empty folder (only the secret file wmon.yaml names, which no
 *               backup holds) brings back Prometheus's series, the silence and every event
 */
import { createHmac, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROUTES } from '@wmon/contract';

import type { Manifest } from '../../src/features/archive/manifest.js';
import { SERVICE_DB_PATH, withServiceHelper } from '../../src/features/archive/service-db.js';
import { createAlertmanagerClient, createPrometheusClient } from '../../src/adapters/clients/index.js';
import { LABELS } from '../../src/core/model/container-types.js';
import type { Stack } from '../../src/core/model/stack.js';
import type { BackupResultJson, ResetResultJson, RestoreResultJson } from '../../src/results.js';
import { readEntries } from '../support/archives.js';
import { wmon, wmonJson } from '../support/cli.js';
import { eventually } from '../support/wait.js';
import { E2E_WAIT, e2eProject, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
const SECRET = `whsec_${randomBytes(12).toString('hex')}`;
const ids = Array.from({ length: 6 }, (_, i) => `evt_e2e_${randomBytes(4).toString('hex')}_${i}`);
/** Left pending (three) and dead-lettered (one) in the backup the restore uses. */
const PENDING = ids.slice(0, 3);
const DEAD = ids[3]!;
let pendingBackup: string;

const json = <T>(args: string[], timeout = 900_000) => wmonJson<T>(args, { cwd: p!.dir, timeout });

const container = () => `${p!.project}-webhook`;
const volume = () => `${p!.project}-webhook-data`;
const image = () => `localhost/wmon/webhook-${p!.project}:latest`;
const stack = () => ({ project: p!.project, network: `${p!.project}-net` }) as unknown as Stack;

async function send(id: string): Promise<number> {
  const payload = JSON.stringify({
    id,
    object: 'event',
    type: 'customer.created',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: { object: { id: `cus_${id.slice(-10)}`, object: 'customer', email: `${id}@example.com` } },
  });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', SECRET).update(`${t}.${payload}`).digest('hex');
  const r = await fetch(`http://127.0.0.1:${p!.ports.webhook}${ROUTES.webhook}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
    body: payload,
  });
  return r.status;
}

/** Each event's state, read with SQLite in a helper container on the service's volume. */
async function states(): Promise<Record<string, string>> {
  const script = `const D=require('better-sqlite3');const db=new D(process.argv[1],{readonly:true});process.stdout.write(JSON.stringify(db.prepare('SELECT event_id AS id, status FROM webhook_event_state').all()))`;
  return withServiceHelper(
    { runtime: p!.runtime, stack: stack(), volume: volume(), image: image() },
    { volume: true },
    async (helper) => {
      const exists = await p!.runtime.exec(helper, ['/bin/sh', '-c', 'test -f "$1"', 'sh', SERVICE_DB_PATH]);
      if (exists.exitCode !== 0) return {};
      const r = await p!.runtime.exec(helper, ['node', '-e', script, SERVICE_DB_PATH]);
      expect(r.exitCode, r.stderr).toBe(0);
      return Object.fromEntries(
        (JSON.parse(r.stdout) as { id: string; status: string }[]).map((x) => [x.id, x.status]),
      );
    },
  );
}

/** webhook_events_processed_total{outcome="success"} of the running service process. */
async function processedByThisProcess(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${p!.ports.webhookMetrics}/metrics`)).text();
  // Whatever other labels it has (e.g. its source), summed.
  let n = 0;
  for (const m of text.matchAll(/^webhook_events_processed_total\{([^}]*)\} (\d+)/gm))
    if (/(^|,)outcome="success"/.test(m[1]!)) n += Number(m[2]);
  return n;
}

beforeAll(async () => {
  p = await e2eProject('service events e2e');
  if (!p) return;
  await p.writeConfig();
  const file = path.join(p.dir, 'wmon.yaml');
  await writeFile(path.join(p.dir, 'whsec.txt'), `${SECRET}\n`);
  await writeFile(
    file,
    (await readFile(file, 'utf8')).replace('service:\n', 'service:\n  stripeWebhookSecret: {file: whsec.txt}\n'),
  );
  const init = await wmon(['init', '--json'], { cwd: p.dir, timeout: 900_000 });
  expect(init.exitCode, init.stderr).toBe(0);
}, 1_000_000);

/** The new host's stack folder (the disaster-recovery test). */
const newHost = () => `${p!.dir}-new-host`;

afterAll(async () => {
  await p?.cleanup();
  if (p) await rm(newHost(), { recursive: true, force: true });
}, 180_000);

describe.sequential("the webhook service's events through backup, reset and restore", () => {
  it('backs up the running service with SQLite online backup, and --verify passes', async ({ skip }) => {
    if (!p) return skip();
    for (const id of ids) expect(await send(id)).toBe(200);
    await eventually(
      'every event processed',
      async () => ((await processedByThisProcess()) === ids.length ? true : undefined),
      E2E_WAIT,
    );
    const r = await json<BackupResultJson>(['backup']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.webhook).toMatchObject({
      store: 'sqlite',
      mode: 'online',
      schemaVersion: 1,
      events: { pending: 0, processed: 6, deadLetter: 0 },
    });
    const m = JSON.parse(
      (await readEntries(r.json.file)).find((e) => e.path === 'manifest.json')!.data!.toString('utf8'),
    ) as Manifest;
    expect(m.webhook).toMatchObject({ store: 'sqlite', integrityCheck: 'ok', tables: { webhook_events: 6 } });
    const v = await json<{ ok: boolean; webhook: unknown }>(['backup', '--verify', r.json.file]);
    expect(v.exitCode, v.stderr).toBe(0);
    expect(v.json).toMatchObject({ ok: true, webhook: { integrity: 'ok' } });
  }, 600_000);

  it('keeps pending and dead-letter events through a reset, deletes them only with --delete-events, and a restore brings them back, each processed once', async ({
    skip,
  }) => {
    if (!p) return skip();
    // Pending (due now) and a dead letter, as a failing handler and a crash would leave them.
    await p.runtime.stopContainer(container(), 10);
    const mark = `const D=require('better-sqlite3');const db=new D(process.argv[1]);const a=JSON.parse(process.argv[2]);
      const s=db.prepare("UPDATE webhook_event_state SET status='pending', attempts=1, next_attempt_at=0, processed_at=NULL WHERE event_id=?");
      for (const id of a.pending) s.run(id);
      db.prepare("UPDATE webhook_event_state SET status='dead_letter', attempts=5 WHERE event_id=?").run(a.dead);db.close();`;
    await withServiceHelper(
      { runtime: p.runtime, stack: stack(), volume: volume(), image: image() },
      { volume: true },
      async (helper) => {
        const r = await p!.runtime.exec(helper, [
          'node',
          '-e',
          mark,
          SERVICE_DB_PATH,
          JSON.stringify({ pending: PENDING, dead: DEAD }),
        ]);
        expect(r.exitCode, r.stderr).toBe(0);
      },
    );

    // The stopped service's database, through a helper on its volume.
    const b = await json<BackupResultJson>(['backup']);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.json.webhook).toMatchObject({ store: 'sqlite', mode: 'stopped', events: { pending: 3, deadLetter: 1 } });
    pendingBackup = b.json.file;

    // reset --force: says what it deletes and keeps first; the events are kept and the service runs on them.
    const kept = await wmon(['reset', '--force', '--stop-timeout', '5'], { cwd: p.dir, timeout: 900_000 });
    expect(kept.exitCode, kept.stderr).toBe(0);
    expect(kept.stderr).toMatch(
      new RegExp(`keep +volume ${volume()} \\(webhook, [^)]+\\): 3 pending, 1 dead-letter, 2 processed events`),
    );
    expect(kept.stderr).toMatch(new RegExp(`delete +volume ${p.project}-prometheus-data`));
    const afterKeep = await eventually(
      'the kept pending events processed',
      async () => {
        const s = await states();
        return PENDING.every((id) => s[id] === 'processed') ? s : undefined;
      },
      E2E_WAIT,
    );
    expect(Object.keys(afterKeep).sort()).toEqual([...ids].sort());
    expect(afterKeep[DEAD]).toBe('dead_letter');

    // reset --force --delete-events: says how many it deletes, then they are gone.
    const gone = await json<ResetResultJson>(['reset', '--force', '--delete-events', '--stop-timeout', '5']);
    expect(gone.exitCode, gone.stderr).toBe(0);
    expect(gone.json.plan).toMatchObject({ deletesEvents: true, events: { pending: 0, processed: 5, deadLetter: 1 } });
    expect(gone.json.removed.volumes).toContain(volume());
    expect(await states()).toEqual({});

    // restore: the same event ids, the three pending ones processed once after it, the dead letter kept.
    const r = await json<RestoreResultJson>(['restore', pendingBackup]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.plan.map((s) => s.step)).toContain('webhook-data');
    expect(r.json.checks.find((c) => c.check === 'webhook events')).toMatchObject({ ok: true });
    const restored = await eventually(
      'the restored pending events processed',
      async () => {
        const s = await states();
        return PENDING.every((id) => s[id] === 'processed') ? s : undefined;
      },
      E2E_WAIT,
    );
    expect(Object.keys(restored).sort()).toEqual([...ids].sort());
    expect(restored[DEAD]).toBe('dead_letter');
    // This service process (started on the restored database) processed exactly the three pending ones.
    await new Promise((res) => setTimeout(res, 6000)); // a sweep or more later, still three
    expect(await processedByThisProcess()).toBe(PENDING.length);
  }, 1_800_000);

  it('disaster recovery on a new host: from the archive alone, with no containers, volumes or folder, restore brings back the series, the silence and the events', async ({
    skip,
  }) => {
    if (!p) return skip();
    const prom = createPrometheusClient({ baseUrl: `http://127.0.0.1:${p.ports.prometheus}` });
    const am = createAlertmanagerClient({ baseUrl: `http://127.0.0.1:${p.ports.alertmanager}` });
    const comment = `disaster drill ${p.project}`;
    await am.createSilence({
      matchers: [{ name: 'alertname', value: 'WebhookDown', isRegex: false }],
      endsAt: new Date(Date.now() + 3 * 3600_000),
      createdBy: 'e2e',
      comment,
    });
    // A few scrapes in (the backup's probes look 30 s back): the series the recovery must bring back.
    await eventually(
      'a minute of scrapes',
      async () => {
        const r = await prom.query('count_over_time(up{job="prometheus"}[5m])');
        return r.resultType === 'vector' && Number(r.result[0]?.sample.value ?? 0) >= 30 ? true : undefined;
      },
      { ...E2E_WAIT, timeoutMs: 180_000 },
    );
    const b = await json<BackupResultJson>(['backup']);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.json.webhook).toMatchObject({ store: 'sqlite', events: { processed: 5, deadLetter: 1 } });
    const m = JSON.parse(
      (await readEntries(b.json.file)).find((e) => e.path === 'manifest.json')!.data!.toString('utf8'),
    ) as Manifest;
    const probe = m.prometheus!.probes.find((q) => q.query === 'up')!;
    const before = await prom.query('up', { time: probe.time });
    expect(before.resultType === 'vector' && before.result.length).toBeGreaterThan(0);

    // The disaster: every container, volume and network of the stack gone, and its folder. Only the archive
    // is kept, and the Stripe signing secret file that wmon.yaml names (secrets are never in a backup).
    await mkdir(newHost());
    const archive = path.join(newHost(), path.basename(b.json.file));
    await copyFile(b.json.file, archive);
    await copyFile(path.join(p.dir, 'whsec.txt'), path.join(newHost(), 'whsec.txt'));
    const filter = { [LABELS.project]: p.project };
    for (const c of await p.runtime.listContainers(filter)) await p.runtime.removeContainer(c.id, { force: true });
    for (const v of await p.runtime.listVolumes(filter)) await p.runtime.removeVolume(v.name);
    for (const n of await p.runtime.listNetworks(filter)) await p.runtime.removeNetwork(n.name).catch(() => false);
    await rm(p.dir, { recursive: true, force: true });
    expect(await p.runtime.listVolumes(filter)).toEqual([]);

    const r = await wmonJson<RestoreResultJson>(['restore', archive], { cwd: newHost(), timeout: 900_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.safetyBackup).toBeNull();
    expect(r.json.restored!.config.wmonYaml).toBe('restored');
    expect(await readFile(path.join(newHost(), 'wmon.yaml'), 'utf8')).toContain(`project: ${p.project}`);

    // Prometheus's series: the same values at the moment the backup recorded, asked over its API.
    const after = await prom.query('up', { time: probe.time });
    const values = (x: typeof before) =>
      x.resultType === 'vector' ? x.result.map((s) => `${JSON.stringify(s.metric)} ${s.sample.value}`).sort() : [];
    expect(values(after)).toEqual(values(before));
    // The silence, over Alertmanager's API.
    expect((await am.silences()).filter((x) => x.comment === comment && x.state === 'active')).toHaveLength(1);
    // Every event, with its state, in the service's database.
    const restored = await states();
    expect(Object.keys(restored).sort()).toEqual([...ids].sort());
    expect(restored[DEAD]).toBe('dead_letter');
    expect(ids.filter((id) => id !== DEAD).every((id) => restored[id] === 'processed')).toBe(true);
  }, 1_800_000);
});
