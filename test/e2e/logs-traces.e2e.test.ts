/**
 * Loki's logs and Jaeger's traces through `wmon backup --include logs,traces`, `wmon reset` and `wmon restore`
 * on the real engine. Loki's and Jaeger's images cannot be pulled here: the stack runs a stand-in for each
 * (helpers.ts: Loki's and Jaeger's user, readiness paths and volume mounts, and a log of its starts and stops
 * kept in its volume), so what is tested is wmon's part: the plan's wording, the components stopped for the
 * copy and running after, the volumes' files in the archive, and put back by a restore after a reset.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Manifest } from '../../src/features/archive/manifest.js';
import type { RestoreResultJson } from '../../src/results.js';
import { readEntries } from '../support/archives.js';
import { wmon, wmonJson } from '../support/cli.js';
import { e2eProject, STAND_IN_LOG, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
let archive: string;

const json = <T>(args: string[]) => wmonJson<T>(args, { cwd: p!.dir, timeout: 600_000 });
const container = (c: 'loki' | 'jaeger') => `${p!.project}-${c}`;

/** Run a shell command in a component's container, as its user (the stand-in's 10001). */
async function sh(c: 'loki' | 'jaeger', script: string): Promise<string> {
  const r = await p!.runtime.exec(container(c), ['/bin/sh', '-c', script]);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** The data files each stand-in holds, as the test wrote them (their lifecycle logs apart). */
const DATA = {
  loki: ['/loki/chunks/fake/0001', '/loki/tsdb-shipper-active/index_1/one.tsdb'],
  jaeger: ['/tmp/jaeger/keys/000001.sst', '/tmp/jaeger/values/000001.vlog'],
} as const;

const listing = (c: 'loki' | 'jaeger') =>
  sh(
    c,
    `for f in ${DATA[c].join(' ')}; do [ -f $f ] && echo "$f $(stat -c %u:%s $f) $(md5sum < $f | cut -c1-8)"; done; true`,
  );

const startedAt = async (c: 'loki' | 'jaeger') =>
  (await p!.runtime.inspectContainer(container(c)))!.startedAt!.getTime();

beforeAll(async () => {
  p = await e2eProject('logs and traces e2e', { logsTraces: true });
  if (!p) return;
  await p.writeConfig();
  const file = path.join(p.dir, 'wmon.yaml');
  // The bundled service is not needed here, and building its image takes minutes.
  await writeFile(file, (await readFile(file, 'utf8')).replace(/webhook: \{[^}]+\}/, 'webhook: {enabled: false}'));
  const init = await wmon(['init', '--json'], { cwd: p.dir, timeout: 600_000 });
  expect(init.exitCode, init.stderr).toBe(0);
}, 700_000);

afterAll(() => p?.cleanup(), 180_000);

describe.sequential("Loki's and Jaeger's volumes through backup, reset and restore (stand-ins)", () => {
  const before: Record<'loki' | 'jaeger', string> = { loki: '', jaeger: '' };

  it("the components' own user writes into their new volumes; a backup leaves them out, says their sizes, stops nothing", async ({
    skip,
  }) => {
    if (!p) return skip();
    for (const c of ['loki', 'jaeger'] as const) {
      for (const [i, f] of DATA[c].entries())
        await sh(c, `mkdir -p "$(dirname ${f})" && head -c ${(i + 1) * 40_000} /dev/urandom > ${f}`);
      before[c] = await listing(c);
      // Written by uid 10001: a fresh volume on Jaeger's /tmp takes the image's world-writable folder.
      expect(before[c].split('\n').map((l) => l.split(' ')[1]!.split(':')[0])).toEqual(['10001', '10001']);
    }
    const started = { loki: await startedAt('loki'), jaeger: await startedAt('jaeger') };

    const r = await wmon(['backup'], { cwd: p.dir, timeout: 600_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(
      new RegExp(
        `logs \\(Loki, volume ${p.project}-loki-data, [0-9.]+ KiB\\): not included \\(--include logs adds it\\)`,
      ),
    );
    expect(out).toMatch(
      new RegExp(
        `traces \\(Jaeger, volume ${p.project}-jaeger-data, [0-9.]+ KiB\\): not included \\(--include traces adds it\\)`,
      ),
    );
    expect(out).not.toMatch(/stopped for the copy/);
    expect({ loki: await startedAt('loki'), jaeger: await startedAt('jaeger') }).toEqual(started);
  }, 600_000);

  it('with --include logs,traces: says so first, stops each for the copy, starts it again; the archive holds the files', async ({
    skip,
  }) => {
    if (!p) return skip();
    const logsBefore = {
      loki: await sh('loki', `cat ${STAND_IN_LOG.loki}`),
      jaeger: await sh('jaeger', `cat ${STAND_IN_LOG.jaeger}`),
    };
    const r = await wmon(['backup', '--include', 'logs,traces'], { cwd: p.dir, timeout: 600_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    for (const [kind, name, c] of [
      ['logs', 'Loki', 'loki'],
      ['traces', 'Jaeger', 'jaeger'],
    ] as const) {
      // Said before the archive is opened, with the size.
      const said = out.search(
        new RegExp(
          `${kind} \\(${name}, volume ${p.project}-${c}-data, [0-9.]+ KiB\\): included; ${name} is stopped for the copy and started again`,
        ),
      );
      expect(said).toBeGreaterThanOrEqual(0);
      expect(out).toMatch(
        new RegExp(
          `${kind}: 3 files, [0-9.]+ KiB from ${p.project}-${c}-data \\(${name} stopped for [0-9.]+ s, running again\\)`,
        ),
      );
      expect((await p.runtime.inspectContainer(container(c)))?.running).toBe(true);
    }
    const backups = (await readdir(path.join(p.dir, 'backups'))).filter((f) => f.startsWith('backup_')).sort();
    archive = path.join(p.dir, 'backups', backups.at(-1)!);
    const entries = await readEntries(archive);
    const m = JSON.parse(entries.at(-1)!.data!.toString('utf8')) as Manifest;
    expect(m.formatVersion).toBe(3);
    // The stand-ins run as `USER 10001`, as Jaeger's image does (no group: 0).
    expect(m.dataVolumes).toEqual([
      expect.objectContaining({
        kind: 'logs',
        volume: `${p.project}-loki-data`,
        mode: 'stopped',
        owner: '10001:0',
        files: 3,
      }),
      expect.objectContaining({
        kind: 'traces',
        volume: `${p.project}-jaeger-data`,
        mode: 'stopped',
        owner: '10001:0',
        files: 3,
      }),
    ]);
    for (const [c, dir, mount] of [
      ['loki', 'loki/data/', '/loki/'],
      ['jaeger', 'jaeger/data/', '/tmp/'],
    ] as const) {
      for (const f of DATA[c]) expect(entries.map((e) => e.path)).toContain(`${dir}${f.slice(mount.length)}`);
      // Copied while stopped: the archived lifecycle log ends with its stop; the volume's, with the start after.
      const archived = entries
        .find((e) => e.path === `${dir}lifecycle.log`)!
        .data!.toString('utf8')
        .trim()
        .split('\n');
      expect(archived.length).toBe(logsBefore[c].split('\n').length + 1);
      expect(archived.at(-1)).toMatch(/^stopped /);
      const now = (await sh(c, `cat ${STAND_IN_LOG[c]}`)).split('\n');
      expect(now.length).toBe(archived.length + 1);
      expect(now.at(-1)).toMatch(/^started /);
    }
    const v = await json<{ ok: boolean }>(['backup', '--verify', archive]);
    expect(v.exitCode, v.stderr).toBe(0);
  }, 600_000);

  it('after a reset that removed the volumes, restore puts the files back (verified first) and both run', async ({
    skip,
  }) => {
    if (!p) return skip();
    const reset = await wmon(['reset', '--force', '--stop-timeout', '5'], { cwd: p.dir, timeout: 600_000 });
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(await listing('loki')).toBe('');
    expect(await listing('jaeger')).toBe('');

    const dry = await json<RestoreResultJson>(['restore', archive, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.plan.find((s) => s.step === 'stop')?.detail).toMatch(
      new RegExp(`^stop ${p.project}-prometheus, ${p.project}-loki and ${p.project}-jaeger \\(`),
    );
    expect(dry.json.plan.find((s) => s.step === 'traces-data')?.detail).toMatch(
      new RegExp(
        `^replace the traces in the volume ${p.project}-jaeger-data: 3 files, [0-9.]+ KiB; Jaeger is stopped first and started with the stack$`,
      ),
    );

    const r = await json<RestoreResultJson>(['restore', archive]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.restored!.dataVolumes.map((v) => [v.kind, v.files])).toEqual([
      ['logs', 3],
      ['traces', 3],
    ]);
    expect(r.json.checks.filter((c) => c.check === 'logs' || c.check === 'traces').every((c) => c.ok)).toBe(true);
    for (const c of ['loki', 'jaeger'] as const) {
      expect((await p.runtime.inspectContainer(container(c)))?.running).toBe(true);
      // The same files, bytes and owner (the component's user can write them again).
      expect(await listing(c)).toBe(before[c]);
      await sh(c, `echo more >> ${DATA[c][0]}`);
    }
  }, 900_000);
});
