import { describe, expect, it } from 'vitest';

import { formatBytes, parseBytes } from '../../../src/core/vocab/bytes.js';

describe('parseBytes', () => {
  it('reads sizes in binary units, with or without i/B and a space', () => {
    expect(parseBytes('100G')).toBe(100 * 1024 ** 3);
    expect(parseBytes('512M')).toBe(512 * 1024 ** 2);
    expect(parseBytes('1.5T')).toBe(1.5 * 1024 ** 4);
    expect(parseBytes('64KiB')).toBe(64 * 1024);
    expect(parseBytes('2 gb')).toBe(2 * 1024 ** 3);
    expect(parseBytes(' 4096 ')).toBe(4096);
    expect(parseBytes('1.5K')).toBe(1536);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['', 'abc', '-1G', '1P', '1e3', 'G', '1,5G', '1.G']) expect(parseBytes(bad), bad).toBeUndefined();
  });

  it('reads back what formatBytes writes', () => {
    for (const n of [0, 512, 1536, 212 * 1024 ** 2, 100 * 1024 ** 3]) {
      const text = formatBytes(n);
      expect(Math.abs(parseBytes(text)! - n), text).toBeLessThanOrEqual(n * 0.05);
    }
  });
});

describe('formatBytes', () => {
  it('writes bytes in the largest binary unit, one decimal above bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(212 * 1024 ** 2)).toBe('212.0 MiB');
    expect(formatBytes(100 * 1024 ** 3)).toBe('100.0 GiB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3072.0 TiB');
  });
});
