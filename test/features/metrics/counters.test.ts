import { describe, expect, it } from 'vitest';

import { exactIncrease } from '../../../src/features/metrics/counters.js';
import { durationSeconds, formatDuration, parseWindow } from '../../../src/core/vocab/durations.js';

const s = (...values: number[]) => values.map((value, i) => ({ time: i, value }));

describe('exactIncrease', () => {
  it('counts rises from the baseline, without extrapolation', () => {
    expect(exactIncrease(10, s(10, 12, 12, 15))).toBe(5);
  });
  it('counts a series born in the window from zero', () => {
    expect(exactIncrease(undefined, s(3, 3, 7))).toBe(7);
  });
  it('treats a drop as a restart that counts again from zero', () => {
    expect(exactIncrease(100, s(104, 2, 5))).toBe(4 + 2 + 3);
  });
  it('ignores NaN samples (staleness markers)', () => {
    expect(exactIncrease(1, s(2, Number.NaN, 4))).toBe(3);
  });
});

describe('windows', () => {
  it('reads Prometheus durations', () => {
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('5x')).toBeUndefined();
    expect(formatDuration(300)).toBe('5m');
    expect(formatDuration(86_400)).toBe('1d');
  });
  it('needs two scrape intervals and refuses nonsense', () => {
    expect(parseWindow('5m', 15)).toEqual({ text: '5m', seconds: 300 });
    expect(() => parseWindow('20s', 15)).toThrow(/shorter than two scrape intervals \(30s\)/);
    expect(() => parseWindow('soon', 15)).toThrow(/is not a duration/);
    expect(() => parseWindow('40d', 15)).toThrow(/longer than 31 days/);
  });
});
