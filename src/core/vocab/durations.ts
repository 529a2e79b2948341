import { WmonError } from '../../errors.js';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Seconds in a Prometheus duration such as `5m`, `1h30m` or `24h`; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const s = text.trim();
  if (!/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1);
  return total;
}

/** A Prometheus duration for a number of seconds, in the largest unit that divides it (`300` → `5m`). */
export function formatDuration(seconds: number): string {
  const whole = Math.max(1, Math.round(seconds));
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (whole % size === 0) return `${whole / size}${unit}`;
  }
  return `${whole}s`;
}

/** A human duration: `45 s`, `4 min`, `2 h 5 min`, `3 d 4 h`. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86_400)} d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`;
}

export interface Window {
  /** As the user wrote it, e.g. `5m`. */
  readonly text: string;
  readonly seconds: number;
}

/** The longest `--window`: 31 days. */
const MAX_WINDOW_SECONDS = 31 * 86_400;

/** Read a `--window` as written: a Prometheus duration of at most 31 days. */
export function parseWindowText(text: string, flag = '--window'): Window {
  const seconds = durationSeconds(text);
  if (seconds === undefined) {
    throw new WmonError(`${flag} ${JSON.stringify(text)} is not a duration.`, {
      code: 'WINDOW_INVALID',
      suggestions: [`Give a Prometheus duration such as 5m, 1h or 24h.`],
    });
  }
  if (seconds > MAX_WINDOW_SECONDS) {
    throw new WmonError(`${flag} ${text} is longer than 31 days.`, {
      code: 'WINDOW_TOO_LONG',
      suggestions: ['Use 31d or less.'],
    });
  }
  return { text, seconds };
}

/**
 * Read `--window`: a Prometheus duration of at least two scrape intervals (a rate needs two samples) and
 * at most 31 days.
 */
export function parseWindow(text: string, scrapeIntervalSeconds: number, flag = '--window'): Window {
  const window = parseWindowText(text, flag);
  const min = 2 * scrapeIntervalSeconds;
  if (window.seconds < min) {
    throw new WmonError(
      `${flag} ${text} is shorter than two scrape intervals (${formatDuration(min)}): a rate needs two samples.`,
      {
        code: 'WINDOW_TOO_SHORT',
        suggestions: [`Use ${formatDuration(min)} or more.`],
      },
    );
  }
  return window;
}
