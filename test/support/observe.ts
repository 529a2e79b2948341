/**
 * Shared by the observe commands' integration and end-to-end tests: the documented --json shapes of
 * `wmon check`, `wmon metrics` and `wmon report` as zod schemas (strict: a field the README does not
 * document fails), signed webhook traffic with known exact counts, and waiting for Prometheus to see it.
 */
import { expect } from 'vitest';
import { z } from 'zod';

import type { PrometheusClient, ScrapeTarget } from '../../src/adapters/clients/index.js';
import { METRIC_FIGURE_KEYS } from '../../src/results.js';
import { loadFixtures, postSignedEvent, withFreshId } from '../../service/src/send.js';
import { eventually, type EventuallyOptions } from './wait.js';

const status = z.enum(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']);
const record = z.record(z.string(), z.number());

export const checkJsonSchema = z.strictObject({
  status,
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  summary: z.string().regex(/^WMON (OK|WARNING|CRITICAL|UNKNOWN) - /),
  project: z.string(),
  configFile: z.string(),
  startedAt: z.iso.datetime(),
  durationMs: z.number().int().nonnegative(),
  counts: z.strictObject({
    OK: z.number().int(),
    WARNING: z.number().int(),
    CRITICAL: z.number().int(),
    UNKNOWN: z.number().int(),
  }),
  checks: z.array(
    z.strictObject({
      id: z.string().min(1),
      component: z.string().min(1),
      check: z.string().min(1),
      status,
      detail: z.string(),
      differences: z.array(z.string()),
      durationMs: z.number().int().nonnegative(),
    }),
  ),
  alerts: z.array(
    z.strictObject({
      name: z.string(),
      severity: z.string(),
      state: z.enum(['pending', 'firing']),
      activeAt: z.string().nullable(),
      firingSince: z.string().nullable(),
      summary: z.string(),
      labels: z.record(z.string(), z.string()),
    }),
  ),
});
export type CheckJson = z.infer<typeof checkJsonSchema>;

const figure = z.strictObject({
  label: z.string(),
  value: z.number().nullable(),
  unit: z.enum(['per_second', 'percent', 'ms', 'bytes', 'count', 'boolean']),
  status: z.enum(['ok', 'info', 'warning', 'critical', 'no_data']),
  thresholds: z.strictObject({
    info: z.number().optional(),
    warning: z.number().optional(),
    critical: z.number().optional(),
  }),
});

const counts = z.strictObject({
  requests: z.strictObject({ total: z.number(), byStatus: record }),
  errors: z.strictObject({ total: z.number(), byType: record }),
  events: z.strictObject({ received: z.number(), byType: record, processed: record }),
  signatureFailures: z.strictObject({ total: z.number(), byReason: record }),
  rateLimited: z.strictObject({ total: z.number(), byScope: record }),
});

export const metricsJsonSchema = z.strictObject({
  project: z.string(),
  prometheusUrl: z.string().url(),
  window: z.string(),
  windowSeconds: z.number().positive(),
  at: z.iso.datetime(),
  status: z.enum(['ok', 'info', 'warning', 'critical']),
  figures: z.strictObject(
    Object.fromEntries(METRIC_FIGURE_KEYS.map((k) => [k, figure])) as Record<
      (typeof METRIC_FIGURE_KEYS)[number],
      typeof figure
    >,
  ),
  counts,
});
export type MetricsJson = z.infer<typeof metricsJsonSchema>;

const points = z.array(z.tuple([z.number().int(), z.number().nullable()]));

export const reportJsonSchema = z.strictObject({
  project: z.string(),
  environment: z.string(),
  generatedAt: z.iso.datetime(),
  window: z.string(),
  windowSeconds: z.number().positive(),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  prometheusUrl: z.string().url(),
  charts: z.strictObject({
    from: z.iso.datetime(),
    seconds: z.number().positive(),
    stepSeconds: z.number().positive(),
    clamped: z.boolean(),
  }),
  verdict: z.enum(['passed', 'warning', 'critical']),
  failOn: z.enum(['critical', 'warning', 'never']),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  availability: z.strictObject({
    webhookPercent: z.number().min(0).max(100).nullable(),
    targets: z.array(z.strictObject({ job: z.string(), instance: z.string(), percent: z.number().min(0).max(100) })),
    series: points,
  }),
  requests: z.strictObject({
    total: z.number(),
    ratePerSecond: z.number().nullable(),
    byStatus: record,
    series: points,
  }),
  errors: z.strictObject({ ratePercent: z.number().nullable(), total: z.number(), byType: record, series: points }),
  latency: z.strictObject({
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
    p99Ms: z.number().nullable(),
    series: points,
  }),
  events: z.strictObject({
    received: z.number(),
    byType: z.array(z.strictObject({ type: z.string(), count: z.number() })),
    processed: record,
  }),
  signatureFailures: z.strictObject({ total: z.number(), byReason: record }),
  rateLimited: z.strictObject({ total: z.number(), byScope: record }),
  alerts: z.array(
    z.strictObject({
      name: z.string(),
      severity: z.string(),
      labels: z.record(z.string(), z.string()),
      firstFiringAt: z.iso.datetime(),
      lastFiringAt: z.iso.datetime(),
      firingAtEnd: z.boolean(),
      episodes: z.number().int().positive(),
      firingSeconds: z.number().nonnegative(),
    }),
  ),
  testCases: z.array(
    z.strictObject({
      id: z.string(),
      suite: z.enum(['slo', 'alerts']),
      name: z.string(),
      severity: z.enum(['critical', 'warning', 'info']),
      status: z.enum(['passed', 'failed', 'no_data']),
      message: z.string(),
      value: z.number().nullable(),
      threshold: z.number().nullable(),
      unit: z.enum(['per_second', 'percent', 'ms', 'bytes', 'count', 'boolean']).nullable(),
    }),
  ),
});
export type ReportJsonParsed = z.infer<typeof reportJsonSchema>;

/** What `sendTraffic` sent: the exact counts `wmon metrics` must show. */
export interface SentTraffic {
  readonly valid: number;
  readonly duplicates: number;
  readonly badSignatures: number;
  readonly byType: Record<string, number>;
}

/**
 * Signed traffic in `batches` rounds `pauseMs` apart (so rates see increases between scrapes): per round,
 * two new valid events (fixtures of different types), one duplicate of an earlier event (from the second
 * round on) and one event signed with a wrong secret. Every answer is checked.
 */
export async function sendTraffic(
  webhookUrl: string,
  secret: string,
  opts: { batches?: number; pauseMs?: number } = {},
): Promise<SentTraffic> {
  const fixtures = [...loadFixtures().values()].filter((f) => !f.type.includes('verbatim'));
  const batches = opts.batches ?? 3;
  const sent: string[] = [];
  const byType: Record<string, number> = {};
  let duplicates = 0;
  let bad = 0;
  let n = 0;
  const post = async (payload: string, badSignature = false) => {
    const r = await postSignedEvent({ url: webhookUrl, secret, payload, badSignature });
    const want = badSignature ? 400 : 200;
    if (r.status !== want)
      throw new Error(
        `expected HTTP ${want} for ${badSignature ? 'a bad signature' : 'an event'}, got ${r.status}: ${r.body}`,
      );
    return r;
  };
  for (let b = 0; b < batches; b++) {
    if (b > 0) await new Promise((r) => setTimeout(r, opts.pauseMs ?? 2500));
    for (let i = 0; i < 2; i++) {
      const fixture = fixtures[n++ % fixtures.length];
      if (!fixture) throw new Error('no fixtures');
      const payload = JSON.stringify(withFreshId(fixture));
      await post(payload);
      sent.push(payload);
      byType[fixture.type] = (byType[fixture.type] ?? 0) + 1;
    }
    if (b > 0) {
      const again = sent[b - 1];
      if (again) {
        const r = await post(again);
        if (!/duplicate/.test(r.body)) throw new Error(`expected a duplicate answer, got ${r.body}`);
        duplicates++;
      }
    }
    await post(JSON.stringify(withFreshId(fixtures[0]!)), true);
    bad++;
  }
  return { valid: sent.length, duplicates, badSignatures: bad, byType };
}

/** The sum of an instant query's samples (NaN when it is not a vector). */
export async function promSum(prom: PrometheusClient, expr: string): Promise<number> {
  const r = await prom.query(expr);
  return r.resultType === 'vector' ? r.result.reduce((s, x) => s + x.sample.value, 0) : Number.NaN;
}

/** Wait until Prometheus has `count` targets, every one up; returns them. */
export function targetsUp(prom: PrometheusClient, count: number, wait?: EventuallyOptions): Promise<ScrapeTarget[]> {
  return eventually(
    'every target up',
    async () => {
      const t = await prom.targets();
      return t.length === count && t.every((x) => x.health === 'up') ? t : undefined;
    },
    wait,
  );
}

/** Wait until Prometheus has scraped every request and processed event of `traffic`. */
export async function trafficScraped(
  prom: PrometheusClient,
  traffic: SentTraffic,
  wait?: EventuallyOptions,
): Promise<void> {
  const requests = traffic.valid + traffic.duplicates + traffic.badSignatures;
  await eventually(
    'Prometheus scraped all the traffic',
    async () =>
      (await promSum(prom, 'webhook_requests_total{route="/webhooks/stripe"}')) === requests &&
      (await promSum(prom, 'webhook_events_processed_total{outcome="success"}')) === traffic.valid
        ? true
        : undefined,
    wait,
  );
}

/** `wmon metrics --json` counts exactly what `sendTraffic` sent: requests by status, failures, events. */
export function expectCountsOf(m: MetricsJson, traffic: SentTraffic): void {
  expect(m.counts.requests).toEqual({
    total: traffic.valid + traffic.duplicates + traffic.badSignatures,
    byStatus: { '200': traffic.valid + traffic.duplicates, '400': traffic.badSignatures },
  });
  expect(m.counts.signatureFailures.total).toBe(traffic.badSignatures);
  expect(m.counts.signatureFailures.byReason.signature_mismatch).toBe(traffic.badSignatures);
  expect(m.counts.errors).toMatchObject({ total: traffic.badSignatures, byType: { signature: traffic.badSignatures } });
  expect(m.counts.events.received).toBe(traffic.valid);
  expect(Object.fromEntries(Object.entries(m.counts.events.byType).filter(([, n]) => n > 0))).toEqual(traffic.byType);
  expect(m.counts.events.processed).toMatchObject({
    success: traffic.valid,
    duplicate: traffic.duplicates,
    failure: 0,
    dead_letter: 0,
  });
  expect(m.counts.rateLimited.total).toBe(0);
}
