import { execFileSync } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { CONFIG_LIMITS, loadConfig, parseConfigText } from '../../../src/core/config/load.js';
import { ConfigError, EXIT_CODES, WmonError } from '../../../src/errors.js';
import { tempDir } from '../../support/tmp.js';
import { ALIAS_BOMB } from '../../support/hostile.js';

async function fileWith(text: string): Promise<string> {
  const file = path.join(await tempDir(), 'wmon.yaml');
  await writeFile(file, text);
  return file;
}

async function refusal(file: string): Promise<WmonError> {
  try {
    await loadConfig(file, { env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(WmonError);
    return error as WmonError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('the bounds of wmon.yaml', () => {
  it('refuses a 50 MB file from its size, before reading it', async () => {
    const file = path.join(await tempDir(), 'wmon.yaml');
    const fh = await open(file, 'w');
    await fh.truncate(50 * 1000 * 1000); // sparse: nothing is written
    await fh.close();
    const e = await refusal(file);
    expect(e).toMatchObject({ code: 'CONFIG_TOO_LARGE', exit: EXIT_CODES.config.code });
    expect(e.message).toContain('it is 50000000 bytes; a wmon.yaml may have at most 1048576 bytes (1 MiB)');
  });

  it('refuses 100 000 keys, written one per line (over 1 MiB) or in one mapping (under it)', async () => {
    let lines = 'components:\n';
    for (let i = 0; i < 100_000; i++) lines += `  k${i}: 1\n`;
    expect((await refusal(await fileWith(lines))).code).toBe('CONFIG_TOO_LARGE');

    const keys = Array.from({ length: 100_000 }, (_, i) => `${i.toString(36)}: 1`);
    const flow = `components: {${keys.join(', ')}}\n`;
    expect(flow.length).toBeLessThan(CONFIG_LIMITS.maxBytes);
    const e = await refusal(await fileWith(flow));
    expect(e.code).toBe('CONFIG_TOO_LARGE');
    expect(e.message).toContain(
      'it has more than 10000 keys, values and list items (at line 1); a wmon.yaml may have at most 10000 of them',
    );
  });

  it('refuses an alias bomb as a configuration error (exit 78), not as a bug', async () => {
    const e = await refusal(await fileWith(ALIAS_BOMB));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toMatchObject({ code: 'CONFIG_TOO_LARGE', exit: 78 });
    expect(e.message).toContain('aliases (*name) expand to more than the 100 copies');
  });

  it('still accepts aliases used in moderation', () => {
    const config = parseConfigText(
      'alerts:\n  cpuPercent: &t {warning: 70, for: 5m}\n  memoryPercent: *t\n',
      'wmon.yaml',
    );
    expect(config.alerts.memoryPercent).toMatchObject({ warning: 70, for: '5m' });
  });

  it('refuses nesting deeper than 32, in flow and in block style', () => {
    const flow = `x: ${'['.repeat(200_000)}`;
    expect(() => parseConfigText(flow, 'wmon.yaml')).toThrow(/nests lists and mappings more than 32 deep/);
    const block = `x:\n  ${'- '.repeat(40)}leaf\n`;
    let text = '';
    for (let i = 0; i < 40; i++) text += `${' '.repeat(i)}k${i}:\n`;
    for (const t of [block, text]) {
      try {
        parseConfigText(t, 'wmon.yaml');
        throw new Error('expected a refusal');
      } catch (error) {
        expect(error).toMatchObject({
          code: 'CONFIG_TOO_LARGE',
          message: expect.stringContaining('more than 32 deep'),
        });
      }
    }
  });

  it('refuses a value longer than 64 KiB', () => {
    expect(() => parseConfigText(`project: "${'x'.repeat(70_000)}"\n`, 'wmon.yaml')).toThrow(
      /line 1 has a key, value or comment of 70002 characters; a wmon.yaml may have at most 65536 characters in one/,
    );
  });

  it('names a key set twice with both lines', () => {
    try {
      parseConfigText('project: a\nbindAddress: 127.0.0.1\nproject: b\n', 'wmon.yaml');
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        { path: 'project', message: 'is set twice (lines 1 and 3); keep one' },
      ]);
    }
  });

  it('lists at most 50 problems, and says how many more there are', () => {
    let text = 'components:\n';
    for (let i = 0; i < 3000; i++) text += `  zz${i}: 1\n`;
    try {
      parseConfigText(text, 'wmon.yaml');
      throw new Error('expected a refusal');
    } catch (error) {
      const issues = (error as ConfigError).issues;
      expect(issues).toHaveLength(51);
      expect(issues[0]).toMatchObject({ path: 'components.zz0', message: expect.stringMatching(/\(line 2\)$/) });
      expect(issues[50]).toEqual({ path: '…', message: 'and 2950 more problems' });
    }
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a FIFO given as the configuration, without waiting on it',
    async () => {
      const file = path.join(await tempDir(), 'wmon.yaml');
      execFileSync('mkfifo', [file]);
      const e = await refusal(file);
      expect(e).toMatchObject({ code: 'CONFIG_UNREADABLE', exit: 78 });
      expect(e.message).toContain('is a FIFO (named pipe), not a regular file');
    },
  );

  it('refuses a folder and a device given as the configuration', async () => {
    const dir = path.join(await tempDir(), 'wmon.yaml');
    await mkdir(dir);
    expect((await refusal(dir)).message).toContain('is a folder, not a regular file');
    if (process.platform !== 'win32') {
      const e = await refusal('/dev/zero');
      expect(e).toMatchObject({ code: 'CONFIG_UNREADABLE', message: expect.stringContaining('a character device') });
    }
  });
});
