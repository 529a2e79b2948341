import { z } from 'zod';

/**
 * Sample values as Prometheus (and Loki, and the text exposition format) write them: decimal or
 * exponent notation, `NaN`, `+Inf`, `-Inf` (and `Inf`). JSON has no such floats, hence strings.
 * Returns undefined for anything else, so callers can report a bad response.
 */
export function parseSampleValue(raw: string): number | undefined {
  const s = raw.trim();
  switch (s) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    default: {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
      const n = Number(s);
      return Number.isNaN(n) ? undefined : n;
    }
  }
}

/** One sample: Unix time in seconds (with milliseconds) and its value (NaN and ±Infinity included). */
export interface Sample {
  readonly time: number;
  readonly value: number;
}

const sampleValue = z
  .string()
  .refine((s) => parseSampleValue(s) !== undefined, 'not a sample value')
  .transform((s) => parseSampleValue(s) ?? Number.NaN);

/** `[<unix seconds>, "<value>"]`, the sample pair of Prometheus's and Loki's query results. */
export const sampleSchema = z.tuple([z.number(), sampleValue]).transform(([time, value]): Sample => ({ time, value }));
