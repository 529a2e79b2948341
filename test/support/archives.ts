/**
 * Tar archives for tests. Broken and hostile backup archives, from a real one: entries are rewritten,
 * dropped or added as raw tar headers (so paths, types and sizes can be anything a hostile archive could
 * hold), and the manifest is recomputed or left alone. And plain tar streams in and out of containers
 * (the engine's archive API).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';

import { Header, Parser } from 'tar';
import { expect } from 'vitest';

import type { Manifest } from '../../src/features/archive/manifest.js';
import { openArchive } from '../../src/features/archive/tar-writer.js';
import { ArchiveError, verifyArchive } from '../../src/features/archive/verify.js';

export interface RawEntry {
  path: string;
  /** Tar type name: File, Directory, SymbolicLink, Link, CharacterDevice, FIFO … */
  type?: string;
  data?: Buffer;
  linkpath?: string;
  /** Size written in the header (default: data's length). */
  size?: number;
  /** Header fields (default 0o644, root, the epoch). */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Read every entry of a .tar.gz (regular files and folders) with its data. */
export async function readEntries(file: string): Promise<RawEntry[]> {
  const tar = gunzipSync(await readFile(file));
  const entries: RawEntry[] = [];
  let off = 0;
  let longPath: string | undefined;
  while (off + 512 <= tar.length) {
    const block = tar.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    const h = new Header(block);
    const size = h.size ?? 0;
    const data = Buffer.from(tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
    if (h.type === 'ExtendedHeader') {
      longPath = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
      continue;
    }
    entries.push({ path: longPath ?? h.path!, type: h.type, data });
    longPath = undefined;
  }
  return entries;
}

function encode(e: RawEntry): Buffer {
  const data = e.data ?? Buffer.alloc(0);
  const size = e.size ?? (e.type === undefined || e.type === 'File' ? data.length : 0);
  const block = Buffer.alloc(512);
  const h = new Header({
    path: e.path,
    mode: e.mode ?? 0o644,
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    size,
    mtime: new Date(0),
    type: (e.type ?? 'File') as 'File',
    linkpath: e.linkpath ?? '',
  });
  h.encode(block, 0);
  // A path node-tar would split or refuse (e.g. with ..) goes in raw: write the name field ourselves.
  if (h.path !== e.path && Buffer.byteLength(e.path) <= 100) {
    block.fill(0, 0, 100);
    block.write(e.path, 0, 'utf8');
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of block) sum += b;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  }
  const body = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(body);
  return Buffer.concat([block, body]);
}

/** Entries as an uncompressed tar (raw: whatever the entries say goes in). */
export function tarOf(entries: readonly RawEntry[]): Buffer {
  return Buffer.concat([...entries.map(encode), Buffer.alloc(1024)]);
}

/** Write entries as a .tar.gz (raw: whatever the entries say goes in). */
export async function writeEntries(file: string, entries: readonly RawEntry[]): Promise<void> {
  await writeFile(file, gzipSync(tarOf(entries)));
}

/** Every entry of an uncompressed tar stream (e.g. the container engine's archive API), with its data. */
export async function readTarStream(stream: Readable): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => {
        entries.push({
          path: entry.path,
          type: entry.type,
          data: Buffer.concat(chunks),
          ...(entry.linkpath ? { linkpath: entry.linkpath } : {}),
          ...(entry.mode === undefined ? {} : { mode: entry.mode }),
          ...(entry.uid === undefined ? {} : { uid: entry.uid }),
          ...(entry.gid === undefined ? {} : { gid: entry.gid }),
        });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    stream.on('error', reject);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
  return entries;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Recompute manifest.json's file list (size, sha256, total) from the entries, and put it last. */
export function withFreshManifest(
  entries: readonly RawEntry[],
  edit: (m: Record<string, unknown>) => void = () => undefined,
): RawEntry[] {
  const manifestEntry = entries.find((e) => e.path === 'manifest.json')!;
  const manifest = JSON.parse(manifestEntry.data!.toString('utf8')) as Record<string, unknown>;
  const files = entries
    .filter((e) => e.path !== 'manifest.json' && (e.type ?? 'File') === 'File')
    .map((e) => ({ path: e.path, size: e.data!.length, sha256: sha256(e.data!) }));
  manifest.files = files;
  manifest.totalBytes = files.reduce((s, f) => s + f.size, 0);
  edit(manifest);
  return [
    ...entries.filter((e) => e.path !== 'manifest.json'),
    { path: 'manifest.json', data: Buffer.from(JSON.stringify(manifest, null, 2)) },
  ];
}

/** The steps `wmon restore` plans, in order (its --dry-run and --json `plan`). */
export const RESTORE_PLAN_STEPS = [
  'verify',
  'stop',
  'safety-backup',
  'config',
  'prometheus-data',
  'start',
  'silences',
  'check',
];

const meta = JSON.stringify({
  ulid: '01M8MA66BT2WM16W9MXB3XGW43',
  minTime: 1_000,
  maxTime: 2_000,
  stats: { numSeries: 3, numSamples: 30 },
  version: 1,
});

/** A small but complete backup, written by the archive writer as `wmon backup` writes it. */
export async function writeSmallBackup(file: string): Promise<void> {
  const w = await openArchive(file);
  await w.tar.addBuffer('wmon.yaml', Buffer.from('project: vt\ncomponents:\n  grafana: {enabled: false}\n'));
  await w.tar.addBuffer('config/prometheus/prometheus.yml', Buffer.from('global: {}\n'));
  await w.tar.addBuffer('alertmanager/silences.json', Buffer.from('[]\n'));
  await w.tar.addBuffer('prometheus/data/01M8MA66BT2WM16W9MXB3XGW43/meta.json', Buffer.from(meta));
  await w.tar.addBuffer('prometheus/data/01M8MA66BT2WM16W9MXB3XGW43/chunks/000001', Buffer.alloc(70_000, 7));
  const files = w.tar.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
  const manifest: Manifest = {
    format: 'wmon-backup',
    formatVersion: 1,
    wmonVersion: '0.1.0',
    createdAt: new Date().toISOString(),
    project: 'vt',
    environment: 'development',
    components: {},
    config: { stackDir: '.wmon', files: ['prometheus/prometheus.yml'] },
    prometheus: {
      mode: 'snapshot',
      version: '2.42.0',
      volume: 'vt-prometheus-data',
      retention: '15d',
      files: 2,
      bytes: 70_000 + meta.length,
      blocks: [],
      probes: [],
    },
    alertmanager: { silences: 0 },
    secrets: [],
    files,
    totalBytes: files.reduce((s, f) => s + f.size, 0),
  };
  await w.finish({ path: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) });
}

/** `file` is refused by the verifier (exit 65, saying nothing changed), which writes nothing in its folder. */
export async function verifyRefuses(file: string): Promise<ArchiveError> {
  const dir = path.dirname(file);
  const before = (await readdir(dir)).sort();
  const error = await verifyArchive(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  expect((error as ArchiveError).exit).toBe(65);
  expect((error as ArchiveError).message).toContain('Nothing was changed');
  expect((await readdir(dir)).sort()).toEqual(before);
  return error as ArchiveError;
}
