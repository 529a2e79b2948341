/**
 * Hostile input through the built `wmon`, as a user would meet it: an alias bomb in wmon.yaml is a
 * configuration error (78) for every command that reads it, and in a backup's wmon.yaml an archive error
 * (65); a FIFO given as the configuration or as the archive is refused at once, never waited on.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { jsonOutput, wmon } from '../support/cli.js';
import { readEntries, tarOf, withFreshManifest, writeEntries, writeSmallBackup } from '../support/archives.js';
import { tempDir } from '../support/tmp.js';
import { ALIAS_BOMB } from '../support/hostile.js';

const errorJson = z.object({ error: z.object({ code: z.string(), message: z.string(), exit: z.number() }) });

const posix = process.platform !== 'win32';
let good: string;

beforeAll(async () => {
  good = path.join(await tempDir(), 'backup_20250101_000000.tar.gz');
  await writeSmallBackup(good);
});

describe('hostile input through the CLI', () => {
  it('an alias bomb in wmon.yaml is a configuration error (78) in every command that reads it', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'wmon.yaml'), ALIAS_BOMB);
    for (const args of [['render'], ['init', '--dry-run'], ['metrics'], ['report'], ['restore', '--dry-run', good]]) {
      const r = await wmon([...args, '--json'], { cwd: dir, timeout: 60_000 });
      expect(r.exitCode, args.join(' ')).toBe(78);
      const { error } = jsonOutput(r, errorJson);
      expect(error, args.join(' ')).toMatchObject({ code: 'CONFIG_TOO_LARGE', exit: 78 });
      expect(error.message).toContain('aliases (*name) expand to more than the 100 copies');
    }
  });

  it("an alias bomb in a backup's wmon.yaml refuses the archive (65)", async () => {
    const dir = await tempDir();
    const bomb = path.join(dir, 'bomb.tar.gz');
    const entries = await readEntries(good);
    await writeEntries(
      bomb,
      withFreshManifest(entries.map((e) => (e.path === 'wmon.yaml' ? { ...e, data: Buffer.from(ALIAS_BOMB) } : e))),
    );
    const r = await wmon(['restore', '--dry-run', bomb, '--json'], { cwd: dir, timeout: 60_000 });
    expect(r.exitCode).toBe(65);
    const { error } = jsonOutput(r, errorJson);
    expect(error).toMatchObject({ code: 'ARCHIVE_CONTENT_INVALID', exit: 65 });
    expect(error.message).toContain('wmon.yaml in the archive: (aliases): aliases (*name) expand to more than');
  });

  it('restore --dry-run refuses zeros after the tar end marker instead of reading them', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'zeros.tar.gz');
    const tar = tarOf(withFreshManifest(await readEntries(good)));
    async function* source() {
      yield tar;
      for (let i = 0; i < 16; i++) yield Buffer.alloc(1024 * 1024);
    }
    await pipeline(Readable.from(source()), createGzip(), createWriteStream(f));
    const r = await wmon(['restore', '--dry-run', f, '--json'], { cwd: dir, timeout: 60_000 });
    expect(r.exitCode).toBe(65);
    expect(jsonOutput(r, errorJson).error).toMatchObject({
      code: 'ARCHIVE_CORRUPT',
      message: expect.stringContaining("more than 1048576 bytes after the tar's end-of-archive marker"),
    });
  });

  it.skipIf(!posix)('a FIFO as --config (78) or as the archive (65) is refused, not waited on', async () => {
    const dir = await tempDir();
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const render = await wmon(['render', '--config', fifo, '--json'], { cwd: dir, timeout: 30_000 });
    expect(render.exitCode).toBe(78);
    expect(jsonOutput(render, errorJson).error).toMatchObject({
      code: 'CONFIG_UNREADABLE',
      message: `${fifo} is a FIFO (named pipe), not a regular file: wmon reads its configuration from a file.`,
    });
    const restore = await wmon(['restore', '--dry-run', fifo, '--json'], { cwd: dir, timeout: 30_000 });
    expect(restore.exitCode).toBe(65);
    expect(jsonOutput(restore, errorJson).error).toMatchObject({
      code: 'ARCHIVE_NOT_FOUND',
      message: expect.stringContaining('it is a FIFO (named pipe), not a regular file'),
    });
  });
});
