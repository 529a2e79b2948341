/**
 * Archives that tar readers read differently, or that cost more than their entries: each is built here from
 * a real backup, as raw tar headers, and refused (exit 65) by the verifier, which reads up to the
 * end-of-archive marker and no further.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';

import { beforeAll, describe, expect, it } from 'vitest';

import { openArchive } from '../../../src/features/archive/tar-writer.js';
import { readTar, TarReadError } from '../../../src/features/archive/tar-reader.js';
import { ArchiveError, verifyArchive } from '../../../src/features/archive/verify.js';
import {
  readEntries,
  tarOf,
  verifyRefuses,
  withFreshManifest,
  writeSmallBackup,
  type RawEntry,
} from '../../support/archives.js';
import { tempDir } from '../../support/tmp.js';

let dir: string;
let good: RawEntry[];

beforeAll(async () => {
  dir = await tempDir('wmon-hostile-');
  const file = path.join(dir, 'good.tar.gz');
  await writeSmallBackup(file);
  good = await readEntries(file);
});

/** pax records, each `<length> <key>=<value>\n` with the length counting itself. */
function pax(records: ReadonlyArray<[string, string]>): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const rest = ` ${k}=${v}\n`;
      let n = Buffer.byteLength(rest);
      while (String(n).length + Buffer.byteLength(rest) !== n) n = String(n).length + Buffer.byteLength(rest);
      return Buffer.from(`${n}${rest}`);
    }),
  );
}

/** A meta entry (pax header, GNU long name…) of the given tar type holding `data`. */
const meta = (type: string, data: Buffer, name = 'PaxHeader/x'): RawEntry => ({
  path: name,
  type,
  data,
  size: data.length,
});

/** The good backup's entries with `extra` before the manifest (recomputed, so only `extra` is wrong). */
function withEntries(...extra: RawEntry[]): Buffer {
  const entries = withFreshManifest(good);
  return tarOf([...entries.slice(0, -1), ...extra, entries.at(-1)!]);
}

/** The tar without its end-of-archive marker (to splice blocks in). */
const body = (tar: Buffer) => tar.subarray(0, tar.length - 1024);

async function refusal(name: string, tar: Buffer): Promise<ArchiveError> {
  const file = path.join(dir, `${name}.tar.gz`);
  await writeFile(file, gzipSync(tar));
  return verifyRefuses(file);
}

const file = (p: string, text = 'x') => ({ path: p, data: Buffer.from(text) });

describe('entries tar readers read differently are refused', () => {
  const cases: Array<[string, () => Buffer, string, RegExp]> = [
    [
      'a pax global header setting path=../x',
      () => withEntries(meta('GlobalExtendedHeader', pax([['path', '../x']]), 'pax_global_header')),
      'ARCHIVE_UNSAFE_ENTRY',
      /is a pax global header \(type g\), which other tar readers apply to every entry after it/,
    ],
    [
      'a GNU sparse file (type S)',
      () => withEntries({ path: 'prometheus/data/sparse', type: 'SparseFile', data: Buffer.alloc(512), size: 512 }),
      'ARCHIVE_UNSAFE_ENTRY',
      /"prometheus\/data\/sparse" is a GNU sparse file \(type S\)/,
    ],
    [
      'a pax header describing a GNU sparse file',
      () =>
        withEntries(
          meta(
            'ExtendedHeader',
            pax([
              ['GNU.sparse.major', '1'],
              ['GNU.sparse.minor', '0'],
            ]),
          ),
          file('prometheus/data/sparse'),
        ),
      'ARCHIVE_UNSAFE_ENTRY',
      /a pax extended header describes a GNU sparse file/,
    ],
    [
      'a GNU long name (type L)',
      () =>
        withEntries(meta('NextFileHasLongPath', Buffer.from('../../etc/passwd\0'), '././@LongLink'), file('config/x')),
      'ARCHIVE_UNSAFE_ENTRY',
      /is a GNU long-name header \(type L\)/,
    ],
    [
      'a pax header with a link target',
      () => withEntries(meta('ExtendedHeader', pax([['linkpath', '/etc/shadow']])), file('config/x')),
      'ARCHIVE_UNSAFE_ENTRY',
      /a pax extended header sets a link target/,
    ],
    [
      'a pax header with a size other than its header',
      () => withEntries(meta('ExtendedHeader', pax([['size', '4096']])), file('config/x')),
      'ARCHIVE_UNSAFE_ENTRY',
      /"config\/x": its pax header gives a size of 4096 bytes, its tar header 1/,
    ],
    [
      'a pax header with a key wmon never writes',
      () => withEntries(meta('ExtendedHeader', pax([['SCHILY.xattr.security.capability', 'x']])), file('config/x')),
      'ARCHIVE_UNSAFE_ENTRY',
      /sets "SCHILY.xattr.security.capability", which a wmon backup never has/,
    ],
    [
      'a pax header changing how paths are read',
      () => withEntries(meta('ExtendedHeader', pax([['hdrcharset', 'BINARY']])), file('config/x')),
      'ARCHIVE_UNSAFE_ENTRY',
      /sets "hdrcharset"/,
    ],
    [
      'a pax path with a newline (readers split records differently)',
      () => withEntries(meta('ExtendedHeader', pax([['path', 'config/a\n9 path=../b']])), file('config/x')),
      'ARCHIVE_UNSAFE_ENTRY',
      /has a newline or NUL in its "path" value/,
    ],
    [
      'a pax path escaping the folder',
      () => withEntries(meta('ExtendedHeader', pax([['path', 'config/../../x']])), file('config/x')),
      'ARCHIVE_UNSAFE_ENTRY',
      /"config\/\.\.\/\.\.\/x" has a "\.\." segment/,
    ],
    [
      'two pax headers in a row',
      () =>
        withEntries(
          meta('ExtendedHeader', pax([['path', 'config/a']])),
          meta('ExtendedHeader', pax([['path', 'config/b']])),
          file('config/x'),
        ),
      'ARCHIVE_UNSAFE_ENTRY',
      /two pax extended headers in a row/,
    ],
    [
      'a FIFO',
      () => withEntries({ path: 'prometheus/data/fifo', type: 'FIFO' }),
      'ARCHIVE_UNSAFE_ENTRY',
      /"prometheus\/data\/fifo" is a FIFO; backups hold regular files only/,
    ],
    [
      'a block device',
      () => withEntries({ path: 'prometheus/data/sda', type: 'BlockDevice' }),
      'ARCHIVE_UNSAFE_ENTRY',
      /is a block device/,
    ],
    [
      'a folder with data in it (readers skip it or not)',
      () => withEntries({ path: 'config/d/', type: 'Directory', data: Buffer.alloc(512, 1), size: 512 }),
      'ARCHIVE_UNSAFE_ENTRY',
      /"config\/d\/" is a Directory with 512 bytes of data/,
    ],
    [
      'a file named like a folder (old tar readers take it for one)',
      () => withEntries({ path: 'config/d/', type: 'OldFile', data: Buffer.from('x'), size: 1 }),
      'ARCHIVE_UNSAFE_ENTRY',
      /"config\/d\/" is a file named like a folder, with 1 bytes of data/,
    ],
    [
      'a contiguous file named like a folder',
      () => withEntries({ path: 'config/d/', type: 'ContiguousFile', data: Buffer.from('x'), size: 1 }),
      'ARCHIVE_UNSAFE_ENTRY',
      /"config\/d\/" is a file whose name ends with "\/"/,
    ],
    [
      'a lone zero block before more entries (GNU tar stops there, others read on)',
      () => {
        const entries = withFreshManifest(good);
        return Buffer.concat([body(tarOf(entries.slice(0, 2))), Buffer.alloc(512), tarOf(entries.slice(2))]);
      },
      'ARCHIVE_CORRUPT',
      /a lone zero block before more entries/,
    ],
    [
      'an entry hidden after the end-of-archive marker (tar --ignore-zeros reads it)',
      () => Buffer.concat([withEntries(), tarOf([file('config/hidden')])]),
      'ARCHIVE_CORRUPT',
      /it has data after the tar's end-of-archive marker/,
    ],
    [
      'a tar without its end-of-archive marker',
      () => body(withEntries()),
      'ARCHIVE_CORRUPT',
      /it ends before its end-of-archive marker \(truncated\)/,
    ],
    [
      'a malformed size field',
      () => {
        const x = tarOf([file('config/x')]);
        x.write('0000000001x\0', 124, 'latin1');
        x.fill(0x20, 148, 156);
        let sum = 0;
        for (const b of x.subarray(0, 512)) sum += b;
        x.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
        return Buffer.concat([body(withEntries()), x]);
      },
      'ARCHIVE_CORRUPT',
      /the header of "config\/x" has a malformed size field/,
    ],
  ];
  for (const [name, make, code, message] of cases) {
    it(`refuses ${name}`, async () => {
      const error = await refusal(name.replaceAll(/\W+/g, '-'), make());
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });
  }

  it('refuses a pax header bigger than 8 KiB', async () => {
    const error = await refusal(
      'big-pax',
      withEntries(meta('ExtendedHeader', pax([['path', 'c'.repeat(9000)]])), file('config/x')),
    );
    expect(error).toMatchObject({
      code: 'ARCHIVE_UNSAFE_ENTRY',
      message: expect.stringMatching(/a pax extended header of 90\d\d bytes \(at most 8192\)/),
    });
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO given as the archive, without waiting on it', async () => {
    const fifo = path.join(await tempDir(), 'backup.tar.gz');
    execFileSync('mkfifo', [fifo]);
    await expect(verifyArchive(fifo)).rejects.toMatchObject({
      code: 'ARCHIVE_NOT_FOUND',
      exit: 65,
      message: expect.stringContaining('it is a FIFO (named pipe), not a regular file'),
    });
  });

  it("refuses a backup whose wmon.yaml is an alias bomb or over 1 MiB, as the archive's problem (65)", async () => {
    const bomb =
      'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n' +
      'bcdefghij'
        .split('')
        .map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]\n`)
        .join('');
    for (const [name, text, message] of [
      ['bomb', bomb, /wmon.yaml in the archive: \(aliases\): aliases \(\*name\) expand to more than the 100 copies/],
      [
        'huge',
        `project: vt\n${'#'.repeat(1100 * 1024)}\n`,
        /wmon.yaml in the archive: \(file\): it is 1126413 bytes; a wmon.yaml may have at most 1048576 bytes/,
      ],
    ] as const) {
      const entries = withFreshManifest(
        good.map((e) => (e.path === 'wmon.yaml' ? { ...e, data: Buffer.from(text) } : e)),
      );
      const error = await refusal(`config-${name}`, tarOf(entries));
      expect(error.code).toBe('ARCHIVE_CONTENT_INVALID');
      expect(error.message).toMatch(message);
    }
  });

  it('accepts the zero padding tar writes after the marker (10 KiB records)', async () => {
    const tar = withEntries();
    const padded = Buffer.concat([tar, Buffer.alloc(10240 - (tar.length % 10240) + 10240)]);
    const f = path.join(dir, 'padded.tar.gz');
    await writeFile(f, gzipSync(padded));
    await expect(verifyArchive(f)).resolves.toMatchObject({ fileCount: 5 });
  });

  it('accepts long paths as wmon writes them (a pax header with path, size and mtime)', async () => {
    const f = path.join(dir, 'long.tar.gz');
    const w = await openArchive(f);
    const long = `prometheus/data/${'a'.repeat(150)}/${'b'.repeat(150)}`;
    await w.tar.addBuffer(long, Buffer.from('data'));
    await w.finish({ path: 'manifest.json', data: Buffer.from('{}') });
    const seen: string[] = [];
    await readTar(createReadStream(f), { gunzip: true }, async (h) => {
      seen.push(h.path);
    });
    expect(seen).toEqual([long, 'manifest.json']);
  });
});

describe('what follows the end-of-archive marker is bounded', () => {
  /** The good backup, then `zeros` zero bytes in the same gzip stream: streamed, never all in memory. */
  async function withTrailingZeros(name: string, zeros: number): Promise<string> {
    const f = path.join(dir, `${name}.tar.gz`);
    const tar = withEntries();
    const chunk = Buffer.alloc(1024 * 1024);
    async function* source() {
      yield tar;
      for (let left = zeros; left > 0; left -= chunk.length)
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    }
    await pipeline(Readable.from(source()), createGzip({ level: 1 }), createWriteStream(f));
    return f;
  }

  it('refuses a backup with 1 GiB of zeros after the marker, having read a fraction of it', async () => {
    const f = await withTrailingZeros('gib', 1024 ** 3);
    const size = (await stat(f)).size;
    let read = 0;
    const error = await verifyArchive(f, { onProgress: (n) => (read = n) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveError);
    expect(error).toMatchObject({ code: 'ARCHIVE_CORRUPT', exit: 65 });
    expect((error as Error).message).toContain("it has more than 1048576 bytes after the tar's end-of-archive marker");
    // About a thousandth of the 1 GiB is compressed data; the reader stopped long before its end.
    expect(size).toBeGreaterThan(4 * 1024 * 1024);
    expect(read).toBeLessThan(size / 2);

    // Any reader of archives (the restore reads Prometheus's data a second time through it) stops alike.
    let compressed = 0;
    const counting = new Transform({
      transform(c: Buffer, _e, done) {
        compressed += c.length;
        done(null, c);
      },
    });
    const second = await readTar(createReadStream(f).pipe(counting), { gunzip: true }, async () => undefined).catch(
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(TarReadError);
    expect((second as TarReadError).layer).toBe('frame');
    expect(compressed).toBeLessThan(1024 * 1024);
  }, 120_000);

  it('accepts up to 1 MiB of zeros after the marker', async () => {
    const f = await withTrailingZeros('mib', 1024 * 1024 - 1024);
    await expect(verifyArchive(f)).resolves.toMatchObject({ fileCount: 5 });
  });
});
