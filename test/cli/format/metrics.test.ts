import { describe, expect, it } from 'vitest';

import { chalk } from '../../../src/cli/colors.js';
import { formatMetrics, formatValue } from '../../../src/cli/format/metrics.js';
import { FIGURES } from '../../../src/features/metrics/figures.js';
import {
  METRIC_FIGURE_KEYS,
  type MetricFigureJson,
  type MetricFigureKey,
  type MetricsResultJson,
} from '../../../src/results.js';
import { plainOutput } from '../../support/colour.js';

plainOutput();

describe('a figure in its unit', () => {
  it('reads as people write it', () => {
    expect(formatValue(2.4137, 'per_second')).toBe('2.414/s');
    expect(formatValue(12.44, 'per_second')).toBe('12.4/s');
    expect(formatValue(1.234, 'percent')).toBe('1.23 %');
    expect(formatValue(37.06, 'percent')).toBe('37.1 %');
    expect(formatValue(87.4, 'ms')).toBe('87 ms');
    expect(formatValue(4.567, 'ms')).toBe('4.57 ms');
    expect(formatValue(1300, 'ms')).toBe('1.3 s');
    expect(formatValue(212 * 1024 ** 2, 'bytes')).toBe('212 MiB');
    expect(formatValue(1.5 * 1024 ** 3, 'bytes')).toBe('1.5 GiB');
    expect(formatValue(1, 'boolean')).toBe('up');
    expect(formatValue(0, 'boolean')).toBe('down');
    expect(formatValue(3, 'count')).toBe('3');
    expect(formatValue(null, 'ms')).toBe('–');
  });
});

function result(overrides: Partial<Record<MetricFigureKey, Partial<MetricFigureJson>>>): MetricsResultJson {
  const figures = Object.fromEntries(
    METRIC_FIGURE_KEYS.map((k) => [
      k,
      {
        label: FIGURES[k].label,
        unit: FIGURES[k].unit,
        value: null,
        status: 'no_data',
        thresholds: {},
        ...overrides[k],
      },
    ]),
  ) as Record<MetricFigureKey, MetricFigureJson>;
  return {
    project: 'demo',
    prometheusUrl: 'http://127.0.0.1:9090',
    window: '5m',
    windowSeconds: 300,
    at: '2026-12-01T10:00:00.123Z',
    status: 'critical',
    figures,
    counts: {
      requests: { total: 11, byStatus: { '200': 8, '400': 3, '500': 0 } },
      errors: { total: 3, byType: { signature: 3 } },
      events: {
        received: 6,
        byType: { 'invoice.paid': 4, 'charge.succeeded': 2 },
        processed: { success: 6, duplicate: 2 },
      },
      signatureFailures: { total: 3, byReason: { mismatch: 2, expired: 1 } },
      rateLimited: { total: 0, byScope: {} },
    },
  };
}

const sample = result({
  requestRate: { value: 0.0367, status: 'ok' },
  errorRate: { value: 27.27, status: 'critical', thresholds: { warning: 1, critical: 10 } },
  latencyP95: { value: 1300, status: 'warning', thresholds: { warning: 500, critical: 2000 } },
  memoryRss: { value: 212 * 1024 ** 2, status: 'ok' },
  dbUp: { value: 1, status: 'ok' },
  cacheUp: { value: 0, status: 'critical' },
});

describe('wmon metrics, for people', () => {
  it('leads with the project, the window, the time and the verdict', () => {
    expect(formatMetrics(sample).split('\n')[0]).toBe(
      'demo: the webhook service over the last 5m, at 2026-12-01 10:00:00Z — CRITICAL',
    );
  });

  it('shows each figure in its unit with the thresholds it is judged by, in sections', () => {
    const lines = formatMetrics(sample).split('\n');
    const line = (label: string) =>
      lines
        .find((l) => l.trimStart().startsWith(label))!
        .replace(/\s+/g, ' ')
        .trim();
    expect(lines).toEqual(
      expect.arrayContaining(['Traffic', 'Events and queue', 'Resources', 'Database and cache', 'Security and limits']),
    );
    expect(line('Request rate')).toBe('Request rate 0.037/s');
    expect(line('Error rate')).toBe('Error rate 27.3 % warning ≥ 1 %, critical ≥ 10 %');
    expect(line('Latency p95')).toBe('Latency p95 1.3 s warning ≥ 500 ms, critical ≥ 2 s');
    expect(line('Latency p50')).toBe('Latency p50 –');
    expect(line('Memory (RSS)')).toBe('Memory (RSS) 212 MiB');
    expect(line('Database up')).toBe('Database up up critical when down');
    expect(line('Cache up')).toBe('Cache up down critical when down');
    // Values line up in one column.
    const valueEnd = (label: string, value: string) => {
      const l = lines.find((x) => x.trimStart().startsWith(label))!;
      return l.indexOf(value, label.length) + value.length;
    };
    expect(
      new Set([
        valueEnd('Request rate', '0.037/s'),
        valueEnd('Error rate', '27.3 %'),
        valueEnd('Memory (RSS)', '212 MiB'),
      ]).size,
    ).toBe(1);
  });

  it('ends with the exact counts, broken down where they are not zero', () => {
    const text = formatMetrics(sample);
    expect(text.slice(text.indexOf('Counts over 5m (exact)'))).toBe(
      [
        'Counts over 5m (exact)',
        '  requests            11 (200: 8, 400: 3)',
        '  errors              3 (signature: 3)',
        '  events received     6 (invoice.paid: 4, charge.succeeded: 2)',
        '  events processed    8 (success: 6, duplicate: 2)',
        '  signature failures  3 (mismatch: 2, expired: 1)',
        '  rate limited        0',
      ].join('\n'),
    );
  });

  it('colours each value by its status on a terminal', () => {
    chalk.level = 1;
    const text = formatMetrics(sample);
    expect(text).toContain(chalk.red.bold('    27.3 %'));
    expect(text).toContain(chalk.yellow('     1.3 s'));
    expect(text).toContain(chalk.green('   0.037/s'));
  });
});
