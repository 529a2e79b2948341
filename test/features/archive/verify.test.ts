/**
 * verifyArchive on archives made here: a valid one is accepted with its contents; every kind of broken or
 * hostile archive is refused (exit 65) with a message naming the problem, and nothing is written anywhere.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { backupFileName, isBackupFileName } from '../../../src/features/archive/format.js';
import { entryPathProblem } from '../../../src/features/archive/entry-path.js';
import { ArchiveError, verifyArchive } from '../../../src/features/archive/verify.js';
import {
  readEntries,
  withFreshManifest,
  verifyRefuses,
  writeEntries,
  writeSmallBackup,
  type RawEntry,
} from '../../support/archives.js';
import { tempDir } from '../../support/tmp.js';

let dir: string;
let good: string;

beforeAll(async () => {
  dir = await tempDir('wmon-verify-');
  good = path.join(dir, 'good.tar.gz');
  await writeSmallBackup(good);
});

/** A variant of the good archive: its entries changed by `edit`, the manifest left as it was unless `fresh`. */
async function variant(
  name: string,
  edit: (entries: RawEntry[]) => RawEntry[],
  opts: { fresh?: boolean } = {},
): Promise<string> {
  const file = path.join(dir, `${name}.tar.gz`);
  const entries = edit(await readEntries(good));
  await writeEntries(file, opts.fresh ? withFreshManifest(entries) : entries);
  return file;
}

/** Before the manifest, so that it stays last. */
const insert = (entries: RawEntry[], ...extra: RawEntry[]) => [...entries.slice(0, -1), ...extra, entries.at(-1)!];

describe('verifyArchive', () => {
  it('accepts a complete archive and returns its manifest, wmon.yaml and small files', async () => {
    const v = await verifyArchive(good);
    expect(v.manifest.project).toBe('vt');
    expect(v.config.project).toBe('vt');
    expect(v.fileCount).toBe(5);
    expect(v.small.get('config/prometheus/prometheus.yml')?.toString()).toBe('global: {}\n');
    expect(v.small.has('prometheus/data/01M8MA66BT2WM16W9MXB3XGW43/chunks/000001')).toBe(false);
    expect(v.sha256).toBe(
      createHash('sha256')
        .update(await readFile(good))
        .digest('hex'),
    );
  });

  const cases: Array<[string, () => Promise<string>, string, RegExp]> = [
    [
      'path traversal',
      () =>
        variant('traversal', (e) =>
          insert(e, { path: 'prometheus/data/../../../etc/cron.d/evil', data: Buffer.from('x') }),
        ),
      'ARCHIVE_UNSAFE_ENTRY',
      /"prometheus\/data\/\.\.\/\.\.\/\.\.\/etc\/cron\.d\/evil" has a "\.\." segment/,
    ],
    [
      'an absolute path',
      () => variant('absolute', (e) => insert(e, { path: '/etc/evil', data: Buffer.from('x') })),
      'ARCHIVE_UNSAFE_ENTRY',
      /"\/etc\/evil" has an absolute path/,
    ],
    [
      'a symbolic link out of the folder',
      () =>
        variant('symlink', (e) =>
          insert(e, { path: 'prometheus/data/wal', type: 'SymbolicLink', linkpath: '../../../../etc' }),
        ),
      'ARCHIVE_UNSAFE_ENTRY',
      /is a symbolic link pointing out of the archive's folder \(→ "\.\.\/\.\.\/\.\.\/\.\.\/etc"\)/,
    ],
    [
      'a hard link out of the folder',
      () => variant('hardlink', (e) => insert(e, { path: 'prometheus/data/x', type: 'Link', linkpath: '/etc/shadow' })),
      'ARCHIVE_UNSAFE_ENTRY',
      /is a hard link pointing out of the archive's folder \(→ "\/etc\/shadow"\)/,
    ],
    [
      'a device file',
      () => variant('device', (e) => insert(e, { path: 'prometheus/data/null', type: 'CharacterDevice' })),
      'ARCHIVE_UNSAFE_ENTRY',
      /is a character device/,
    ],
    [
      'a file outside the backup folders',
      () => variant('outside', (e) => insert(e, { path: 'home/.bashrc', data: Buffer.from('x') })),
      'ARCHIVE_UNSAFE_ENTRY',
      /outside the folders a wmon backup has/,
    ],
    [
      'a file twice',
      () => variant('twice', (e) => insert(e, { path: 'wmon.yaml', data: Buffer.from('project: other\n') })),
      'ARCHIVE_UNSAFE_ENTRY',
      /"wmon.yaml" appears twice/,
    ],
    [
      'a truncated gzip',
      async () => {
        const file = path.join(dir, 'truncated.tar.gz');
        const data = await readFile(good);
        await writeFile(file, data.subarray(0, Math.floor(data.length / 2)));
        return file;
      },
      'ARCHIVE_CORRUPT',
      /truncated or corrupted \(gzip: unexpected end of file\)/,
    ],
    [
      'not a gzip file',
      async () => {
        const file = path.join(dir, 'plain.tar.gz');
        await writeFile(file, 'not an archive');
        return file;
      },
      'ARCHIVE_CORRUPT',
      /not a gzip file/,
    ],
    [
      'a file whose checksum does not match',
      () =>
        variant('checksum', (e) =>
          e.map((x) => (x.path.endsWith('000001') ? { ...x, data: Buffer.alloc(70_000, 8) } : x)),
        ),
      'ARCHIVE_CHECKSUM_MISMATCH',
      /chunks\/000001" does not match its checksum/,
    ],
    [
      'a manifest listing a missing file',
      () => variant('missing', (e) => e.filter((x) => !x.path.endsWith('meta.json'))),
      'ARCHIVE_CHECKSUM_MISMATCH',
      /the manifest lists "prometheus\/data\/01M8MA66BT2WM16W9MXB3XGW43\/meta.json", but the archive has no such file/,
    ],
    [
      'an extra file the manifest does not list',
      () => variant('extra', (e) => insert(e, { path: 'config/prometheus/extra.yml', data: Buffer.from('x: 1\n') })),
      'ARCHIVE_CHECKSUM_MISMATCH',
      /"config\/prometheus\/extra.yml" is in the archive but not in the manifest/,
    ],
    [
      'an entry far larger than declared',
      () =>
        variant('larger', (e) =>
          e.map((x) => (x.path.endsWith('meta.json') ? { ...x, data: Buffer.alloc(64 * 1024 * 1024) } : x)),
        ),
      'ARCHIVE_CHECKSUM_MISMATCH',
      /meta.json" is 67108864 bytes in the archive, but the manifest declares \d+ bytes/,
    ],
    [
      'no manifest',
      () => variant('nomanifest', (e) => e.filter((x) => x.path !== 'manifest.json')),
      'ARCHIVE_MANIFEST_INVALID',
      /no manifest.json/,
    ],
    [
      'a newer format version',
      () => variant('future', (e) => withFreshManifest(e, (m) => (m.formatVersion = 4))),
      'ARCHIVE_MANIFEST_INVALID',
      /format version 4; this wmon reads version 3/,
    ],
    [
      'an invalid wmon.yaml',
      () =>
        variant(
          'badconfig',
          (e) =>
            e.map((x) =>
              x.path === 'wmon.yaml' ? { ...x, data: Buffer.from('project: vt\nbindAdress: 0.0.0.0\n') } : x,
            ),
          { fresh: true },
        ),
      'ARCHIVE_CONTENT_INVALID',
      /wmon.yaml in the archive: bindAdress: unknown key/,
    ],
  ];
  for (const [name, make, code, message] of cases) {
    it(`refuses ${name}`, async () => {
      const error = await verifyRefuses(await make());
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });
  }

  it('refuses an archive bigger than the size limit before reading on', async () => {
    const error = await verifyArchive(good, { limits: { maxTotalBytes: 1000 } }).catch(
      (e: unknown) => e as ArchiveError,
    );
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as ArchiveError).code).toBe('ARCHIVE_TOO_LARGE');
  });
});

describe('entry paths and names', () => {
  it('accepts relative paths inside the folder and nothing else', () => {
    expect(entryPathProblem('prometheus/data/01ABC/chunks/000001')).toBeUndefined();
    expect(entryPathProblem('a/../b')).toContain('..');
    expect(entryPathProblem('..')).toContain('..');
    expect(entryPathProblem('/abs')).toBe('an absolute path');
    expect(entryPathProblem('C:/x')).toContain('drive letter');
    expect(entryPathProblem('a\\..\\b')).toContain('backslash');
    expect(entryPathProblem('a//b')).toContain('empty folder name');
    expect(entryPathProblem('./a')).toContain('"." segment');
    expect(entryPathProblem('a\u0000b')).toContain('control character');
    expect(entryPathProblem('')).toBe('an empty path');
    expect(entryPathProblem(`prometheus/data/${'d/'.repeat(29)}f`)).toBeUndefined();
    expect(entryPathProblem(`prometheus/data/${'d/'.repeat(30)}f`)).toBe('a path more than 32 folders deep');
  });

  it('names backups backup_YYYYMMDD_HHMMSS.tar.gz in UTC', () => {
    const name = backupFileName(new Date('2025-05-24T10:15:00Z'));
    expect(name).toBe('backup_20250524_101500.tar.gz');
    expect(isBackupFileName(name)).toBe(true);
    expect(isBackupFileName('backup_2025.tar.gz')).toBe(false);
  });
});
