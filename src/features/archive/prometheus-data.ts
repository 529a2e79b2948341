/**
 * Prometheus's data in and out of its volume.
 *
 * Out, two ways:
 *   - snapshot: a running server makes a TSDB snapshot (admin API, consistent, head included) under
 *     <data>/snapshots/<name>; it is copied out of the container with the engine's archive API, streamed
 *     straight into the backup, and deleted;
 *   - volume: a stopped server's whole data folder (blocks, WAL, head chunks), read through a helper
 *     container that mounts the volume read-only. This is what a restore's safety copy uses: it is exact.
 * In: through a helper container on the volume, while Prometheus is stopped. The data is streamed from the
 * archive (each file checked against the manifest again on the way) into a new folder inside the volume,
 * checked there, and only then swapped with the old data by renames; until the swap the old data is intact.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

import type { PrometheusClient, QueryResult } from '../../adapters/clients/index.js';
import { WmonError } from '../../errors.js';
import type { ContainerRuntime } from '../../adapters/runtime/index.js';
import type { Stack } from '../../core/model/stack.js';
import { archiveChanged, copyFromArchive } from './archive-copy.js';
import { entryPathProblem } from './entry-path.js';
import { PROMETHEUS_DATA_DIR } from './format.js';
import { withHelperContainer } from './helper-container.js';
import type { BlockRecord, Probe } from './manifest.js';
import { readTar, TarReadError } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';
import type { VerifiedArchive } from './verify.js';

/**
 * Where Prometheus's data is: its volume and the folder it is mounted at. The same copy serves Loki's and
 * Jaeger's volumes (data-volumes.ts), with their own folder in the archive, owner and name.
 */
export interface PrometheusData {
  readonly runtime: ContainerRuntime;
  readonly stack: Stack;
  /** The Prometheus container's name. */
  readonly container: string;
  readonly volume: string;
  /** Mount point of the volume in the container, e.g. /prometheus. */
  readonly dataDir: string;
  /** Image used for helper containers (Prometheus's own: it has a shell, also the official one). */
  readonly image: string;
  /** Where its files are in the archive (default prometheus/data/). */
  readonly archiveDir?: string;
  /** Owner ("uid:gid") of the restored files (default: the owner of the volume's folder). */
  readonly owner?: string | null;
  /** Whose data it is, in messages (default Prometheus). */
  readonly what?: string;
}

export interface DataCopy {
  readonly files: number;
  readonly bytes: number;
  readonly blocks: BlockRecord[];
  /** "uid:gid" of a file in the volume (a volume copy; null for a snapshot, or a volume without files). */
  readonly owner: string | null;
}

/** Top-level names of a data folder never backed up: the lock, the active-query log, old snapshots, our own. */
function excludedFromVolumeCopy(rel: string): boolean {
  const top = rel.split('/')[0]!;
  return top === 'lock' || top === 'queries.active' || top === 'snapshots' || top.startsWith('.wmon-');
}

const failed = (what: string, detail: string, d?: PrometheusData) =>
  new WmonError(`Cannot ${what}: ${detail}`, {
    code: d?.archiveDir && d.archiveDir !== PROMETHEUS_DATA_DIR ? 'VOLUME_DATA_FAILED' : 'PROMETHEUS_DATA_FAILED',
  });

/**
 * Copy an engine archive stream of a folder into the backup under `d`'s folder (prometheus/data/). The first
 * entry is the folder itself (Docker names it by its base name, Podman `/` for a mount point): everything is
 * taken relative to it.
 */
async function transcode(
  d: PrometheusData,
  stream: Readable,
  tar: TarWriter,
  exclude: (rel: string) => boolean,
): Promise<DataCopy> {
  const prefix = d.archiveDir ?? PROMETHEUS_DATA_DIR;
  const doing = `copy ${d.what ?? 'Prometheus'} data`;
  let root: string | undefined;
  let files = 0;
  let bytes = 0;
  const blocks: BlockRecord[] = [];
  const copying = readTar(stream, { gunzip: false, source: 'engine' }, async (h, body) => {
    if (root === undefined) {
      if (h.type !== 'Directory')
        throw failed(doing, `the engine's archive does not start with a folder (${h.path})`, d);
      root = h.path.endsWith('/') ? h.path : `${h.path}/`;
      return;
    }
    if (!h.path.startsWith(root))
      throw failed(doing, `an entry outside the folder in the engine's archive (${h.path})`, d);
    const rel = h.path.slice(root.length).replace(/\/$/, '');
    if (rel === '' || exclude(rel)) return;
    if (h.type === 'Directory') return;
    if (h.type !== 'File' && h.type !== 'OldFile') {
      throw failed(doing, `${rel} is a ${h.type}, not a regular file`, d);
    }
    const problem = entryPathProblem(rel);
    if (problem) throw failed(doing, `${JSON.stringify(rel)} has ${problem}`, d);
    const isMeta = /^[0-9A-HJKMNP-TV-Z]{26}\/meta\.json$/.test(rel) && h.size < 1024 * 1024;
    const meta: Buffer[] = [];
    await tar.addStream(`${prefix}${rel}`, h.size, body, {
      ...(h.mtime ? { mtime: h.mtime } : {}),
      ...(isMeta ? { onChunk: (c: Buffer) => meta.push(Buffer.from(c)) } : {}),
    });
    files += 1;
    bytes += h.size;
    if (isMeta) {
      const block = parseBlockMeta(Buffer.concat(meta).toString('utf8'));
      if (block) blocks.push(block);
    }
  });
  await copying.catch((error: unknown) => {
    throw error instanceof TarReadError ? failed(doing, `the engine's archive: ${error.message}`, d) : error;
  });
  blocks.sort((a, b) => a.minTime - b.minTime);
  return { files, bytes, blocks, owner: null };
}

function parseBlockMeta(text: string): BlockRecord | undefined {
  try {
    const m = JSON.parse(text) as {
      ulid?: unknown;
      minTime?: unknown;
      maxTime?: unknown;
      stats?: { numSeries?: unknown; numSamples?: unknown };
    };
    if (typeof m.ulid !== 'string' || typeof m.minTime !== 'number' || typeof m.maxTime !== 'number') return undefined;
    return {
      ulid: m.ulid,
      minTime: m.minTime,
      maxTime: m.maxTime,
      ...(typeof m.stats?.numSeries === 'number' ? { numSeries: m.stats.numSeries } : {}),
      ...(typeof m.stats?.numSamples === 'number' ? { numSamples: m.stats.numSamples } : {}),
    };
  } catch {
    return undefined;
  }
}

/** A TSDB snapshot of the running server, copied into the backup, then deleted from the volume. */
export async function copySnapshot(
  d: PrometheusData,
  prom: PrometheusClient,
  tar: TarWriter,
): Promise<DataCopy & { snapshot: string }> {
  const snapshot = await prom.snapshot();
  const dir = `${d.dataDir}/snapshots/${snapshot}`;
  try {
    const copy = await transcode(d, await d.runtime.getArchive(d.container, dir), tar, () => false);
    return { ...copy, snapshot };
  } finally {
    await d.runtime.exec(d.container, ['rm', '-rf', dir]).catch(() => undefined);
  }
}

/** The whole data folder of a stopped server, read through a helper container (read-only mount). */
export async function copyVolume(
  d: PrometheusData,
  tar: TarWriter,
  exclude: (rel: string) => boolean = excludedFromVolumeCopy,
): Promise<DataCopy> {
  return withHelper(d, { readOnly: true }, async (helper) => {
    // The engine's archive API does not keep owners (Podman gives root): asked in the volume itself, for the
    // volumes a restore gives back to their owner (Prometheus's takes its folder's owner).
    const owner = d.archiveDir
      ? await sh(d, helper, `read ${d.what ?? 'Prometheus'}'s volume`, FIRST_FILE_OWNER, d.dataDir)
      : '';
    const copy = await transcode(d, await d.runtime.getArchive(helper, d.dataDir), tar, exclude);
    return { ...copy, owner: /^\d+:\d+$/.test(owner) ? owner : null };
  });
}

/** Prints "uid:gid" of a file in the folder $1 (wmon's own work folders apart), nothing when it has none. */
const FIRST_FILE_OWNER =
  'f=$(find "$1" -type f ! -path "*/.wmon-*" | head -n 1); if [ -n "$f" ]; then stat -c %u:%g "$f"; fi';

/** Files and bytes in a volume (its size in a plan), read through a helper container (read-only mount). */
export async function volumeUsage(d: PrometheusData): Promise<{ files: number; bytes: number }> {
  return withHelper(d, { readOnly: true }, async (helper) => {
    const [files, bytes] = (await sh(d, helper, 'measure the volume', COUNT_FILES, d.dataDir)).split(' ').map(Number);
    return { files: files ?? 0, bytes: bytes ?? 0 };
  });
}

/** Prints "<files> <bytes>" of the folder $1. */
const COUNT_FILES = 'find "$1" -type f -exec stat -c %s {} + | awk \'{s+=$1} END {print NR" "s+0}\'';

/**
 * Run `fn` with a helper container that mounts Prometheus's volume (as root, so it may write any file of
 * it), on the stack's network (created for the while if needed). Removed afterwards, whatever happens.
 */
function withHelper<T>(d: PrometheusData, opts: { readOnly: boolean }, fn: (helper: string) => Promise<T>): Promise<T> {
  return withHelperContainer(d, { volume: d.volume, target: d.dataDir, readOnly: opts.readOnly }, fn);
}

async function sh(d: PrometheusData, helper: string, what: string, script: string, ...args: string[]): Promise<string> {
  const r = await d.runtime.exec(helper, ['/bin/sh', '-c', script, 'sh', ...args], { timeoutMs: 600_000 });
  if (r.exitCode !== 0) throw failed(what, (r.stderr || r.stdout).trim() || `exit code ${r.exitCode}`, d);
  return r.stdout.trim();
}

/**
 * Stop `container` and make sure it stays stopped: one that crashes under its restart policy can be started
 * again by the engine right after a stop (Podman restarts it from its exit handler), under the data about to
 * be swapped.
 */
export async function keepStopped(
  runtime: ContainerRuntime,
  container: string,
  attempts = 5,
  what = 'Prometheus',
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    await runtime.stopContainer(container, 30);
    await new Promise((r) => setTimeout(r, 1000));
    const now = await runtime.inspectContainer(container);
    if (!now || (!now.running && now.state !== 'restarting')) return;
  }
  throw failed(`stop ${what}`, `${container} was started again by the engine after ${attempts} stops`);
}

export interface RestoreProgress {
  (bytes: number, total: number): void;
}

/**
 * Replace the data in Prometheus's volume with the archive's prometheus/data/ (Prometheus must be stopped);
 * or another component's volume with its folder of the archive (`d.archiveDir`).
 * Streams from the archive file into a new folder inside the volume, every file checked against the
 * verified manifest as it passes (and the archive against the sha256 it had when verified), counts and
 * sizes checked inside the volume, then swapped in by renames. Before the swap, any failure leaves the old
 * data untouched.
 */
export async function restoreVolume(
  d: PrometheusData,
  archive: VerifiedArchive,
  onProgress?: RestoreProgress,
): Promise<{ files: number; bytes: number }> {
  // Stopped by the caller; stopped again if the engine restarted it meanwhile (its restart policy).
  const running = await d.runtime.inspectContainer(d.container);
  const what = d.what ?? 'Prometheus';
  if (running?.running || running?.state === 'restarting') await keepStopped(d.runtime, d.container, 5, what);
  const prefix = d.archiveDir ?? PROMETHEUS_DATA_DIR;
  const expected = new Map(archive.manifest.files.filter((f) => f.path.startsWith(prefix)).map((f) => [f.path, f]));
  const total = [...expected.values()].reduce((s, f) => s + f.size, 0);
  const id = randomBytes(4).toString('hex');
  const incoming = `${d.dataDir}/.wmon-restore-${id}`;
  return withHelper(d, { readOnly: false }, async (helper) => {
    const [owner, available] = (
      await sh(
        d,
        helper,
        `inspect ${what}'s volume`,
        'stat -c %u:%g "$1" && df -Pk "$1" | tail -1 | awk \'{print $4}\'',
        d.dataDir,
      )
    ).split('\n');
    const [uid, gid] = (d.owner ?? owner ?? '0:0').split(':').map(Number) as [number, number];
    const free = Number(available) * 1024;
    if (Number.isFinite(free) && free < total * 1.05 + 16 * 1024 * 1024) {
      throw new WmonError(
        `Not enough space in the volume ${d.volume}: the restored data needs ${total} bytes, ${free} are free.`,
        {
          code: 'VOLUME_FULL',
          suggestions: ['Free space on the engine host (the old data is only removed once the new data is in place).'],
        },
      );
    }
    await sh(
      d,
      helper,
      'prepare the restore folder',
      'rm -rf "$1" && mkdir "$1" && chown "$2" "$1"',
      incoming,
      `${uid}:${gid}`,
    );
    try {
      const dirs = new Set<string>();
      let files = 0;
      let bytes = 0;
      await copyFromArchive(
        d.runtime,
        helper,
        incoming,
        archive,
        async (tar, h, body) => {
          if (!h.path.startsWith(prefix) || h.type === 'Directory') return;
          const want = expected.get(h.path);
          if (!want || want.size !== h.size || (h.type !== 'File' && h.type !== 'OldFile'))
            throw archiveChanged(archive, `${h.path} is not what the manifest lists`);
          const rel = h.path.slice(prefix.length);
          const parts = rel.split('/');
          for (let i = 1; i < parts.length; i++) {
            const dir = parts.slice(0, i).join('/');
            if (!dirs.has(dir)) {
              dirs.add(dir);
              await tar.addDirectory(dir, { uid, gid, mode: 0o755 });
            }
          }
          const written = await tar.addStream(rel, h.size, body, {
            uid,
            gid,
            ...(h.mtime ? { mtime: h.mtime } : {}),
          });
          if (written.sha256 !== want.sha256) throw archiveChanged(archive, `${h.path} does not match its checksum`);
          files += 1;
          bytes += h.size;
          onProgress?.(bytes, total);
        },
        () => {
          if (files !== expected.size)
            throw archiveChanged(archive, `${expected.size - files} of ${what}'s files are missing`);
        },
      );
      const [count, size] = (await sh(d, helper, 'check the restored data', COUNT_FILES, incoming))
        .split(' ')
        .map(Number);
      if (count !== files || size !== bytes) {
        throw failed(
          `restore ${what} data`,
          `the volume holds ${count} files (${size} bytes) after the copy, ${files} (${bytes} bytes) were sent`,
          d,
        );
      }
      // Swap: the old data moves aside, the new data moves up, the old data goes.
      await sh(
        d,
        helper,
        'put the restored data in place',
        [
          'set -e',
          'cd "$1"',
          'new=".wmon-restore-$2"; old=".wmon-old-$2"',
          'mkdir "$old"',
          'find . -mindepth 1 -maxdepth 1 ! -name "$new" ! -name "$old" -exec mv {} "$old"/ \\;',
          'find "$new" -mindepth 1 -maxdepth 1 -exec mv {} . \\;',
          'rmdir "$new"',
          'rm -rf "$old"',
        ].join('\n'),
        d.dataDir,
        id,
      );
      return { files, bytes };
    } catch (error) {
      await sh(d, helper, 'clean up', 'rm -rf "$1"', incoming).catch(() => undefined);
      throw error;
    }
  });
}

// ---- probes: exact values known at backup time, asked again after a restore --------------------------

/** Series every scraped target has; their values differ from target to target. */
const PROBE_QUERIES = ['up', 'scrape_samples_scraped'];
const MAX_PROBE_SERIES = 50;

const vectorOf = (r: QueryResult) =>
  r.resultType === 'vector' ? r.result.map((s) => ({ metric: { ...s.metric }, value: String(s.sample.value) })) : [];

/**
 * Ask a few queries at a moment safely in the past (every scrape up to then has been committed): the
 * backup holds all samples up to that moment, so after a restore the same queries must give the same values.
 */
export async function takeProbes(prom: PrometheusClient, scrapeIntervalSeconds: number): Promise<Probe[]> {
  const time = Math.floor(Date.now() / 1000 - Math.max(30, 2 * scrapeIntervalSeconds));
  const probes: Probe[] = [];
  for (const query of PROBE_QUERIES) {
    const result = vectorOf(await prom.query(query, { time }))
      .sort((a, b) => sortKey(a.metric).localeCompare(sortKey(b.metric)))
      .slice(0, MAX_PROBE_SERIES);
    if (result.length > 0) probes.push({ query, time, result });
  }
  return probes;
}

const sortKey = (m: Record<string, string>) =>
  JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export interface ProbeCheck {
  readonly checked: number;
  /** Probes older than the retention: Prometheus deletes that data at start. */
  readonly skipped: number;
  readonly problems: readonly string[];
}

/** Ask the probes again; every series recorded must come back with the same value. */
export async function checkProbes(
  prom: PrometheusClient,
  probes: readonly Probe[],
  retentionSeconds: number | undefined,
): Promise<ProbeCheck> {
  const problems: string[] = [];
  let checked = 0;
  let skipped = 0;
  const horizon = retentionSeconds === undefined ? -Infinity : Date.now() / 1000 - retentionSeconds;
  for (const probe of probes) {
    if (probe.time < horizon) {
      skipped += 1;
      continue;
    }
    checked += 1;
    const now = new Map(
      vectorOf(await prom.query(probe.query, { time: probe.time })).map((s) => [sortKey(s.metric), s.value]),
    );
    for (const s of probe.result) {
      const got = now.get(sortKey(s.metric));
      if (got === undefined)
        problems.push(
          `${probe.query}${labelText(s.metric)} at ${new Date(probe.time * 1000).toISOString()} is missing`,
        );
      else if (got !== s.value)
        problems.push(
          `${probe.query}${labelText(s.metric)} at ${new Date(probe.time * 1000).toISOString()} is ${got}, the backup had ${s.value}`,
        );
    }
  }
  return { checked, skipped, problems };
}

const labelText = (m: Record<string, string>) => {
  const entries = Object.entries(m).filter(([k]) => k !== '__name__');
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
};
