import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  PROCESSING_OUTCOMES,
  ROUTES,
  ROUTE_LABELS,
  SERVICE_METRICS,
  knownSeriesNames,
  type LabelName,
  type LabelValue,
  type MetricSpec,
  type ProcessingOutcome,
  type QueueState,
} from '../src/index.js';

const specs = Object.values(SERVICE_METRICS) as MetricSpec[];

describe('metric names', () => {
  it('lists every metric of the spec with a webhook_ prefix and a valid name', () => {
    for (const spec of Object.values(SERVICE_METRICS)) {
      expect(spec.name).toMatch(/^webhook_[a-z_]+$/);
      if (spec.type === 'counter') expect(spec.name).toMatch(/_total$/);
    }
  });

  it('expands histograms into their series names', () => {
    const names = knownSeriesNames();
    expect(names.has('webhook_request_duration_seconds_bucket')).toBe(true);
    expect(names.has('webhook_request_duration_seconds')).toBe(false);
    expect(names.has('up')).toBe(true);
  });
});

describe('label values', () => {
  it('gives value sets only to labels the metric has, each set non-empty, unique and Prometheus-safe', () => {
    for (const spec of specs) {
      for (const [label, values] of Object.entries(spec.values ?? {})) {
        expect(spec.labels, `${spec.name}{${label}}`).toContain(label);
        expect(values.length, `${spec.name}{${label}}`).toBeGreaterThan(0);
        expect(new Set(values).size, `${spec.name}{${label}} has duplicates`).toBe(values.length);
        for (const v of values) expect(v, `${spec.name}{${label}}`).toMatch(/^[A-Za-z0-9_/.-]+$/);
      }
    }
  });

  it('leaves only the labels the service bounds itself without a set: the HTTP status and the event type', () => {
    const open = specs.flatMap((s) => s.labels.filter((l) => !(l in (s.values ?? {}))).map((l) => `${s.name}{${l}}`));
    expect(open.sort()).toEqual([
      'webhook_event_processing_duration_seconds{type}',
      'webhook_events_by_type_total{type}',
      'webhook_request_duration_seconds{status}',
      'webhook_requests_total{status}',
    ]);
  });

  it('names every value in the help text of the metrics that list them', () => {
    // The help texts spell their sets out for people reading /metrics; they must not drift from the sets.
    for (const key of [
      'errorsTotal',
      'eventsProcessed',
      'queueSize',
      'memoryUsage',
      'dbConnections',
      'rateLimited',
    ] as const) {
      const spec = SERVICE_METRICS[key] as MetricSpec;
      const listed = spec.help.match(/\(([^)]*)\)/)?.[1]?.split(', ');
      expect(listed, spec.name).toEqual([...Object.values(spec.values ?? {})[0]!]);
    }
  });

  it('labels every route the service answers, and anything else as other', () => {
    expect(ROUTE_LABELS).toEqual([...Object.values(ROUTES), 'other']);
    expect(SERVICE_METRICS.requestsTotal.values.route).toBe(ROUTE_LABELS);
    expect(SERVICE_METRICS.eventsProcessed.values.outcome).toBe(PROCESSING_OUTCOMES);
  });

  it('types a bounded label by its set and an open one as any string', () => {
    expectTypeOf<LabelName<'eventsProcessed'>>().toEqualTypeOf<'outcome'>();
    expectTypeOf<LabelValue<'eventsProcessed', 'outcome'>>().toEqualTypeOf<ProcessingOutcome>();
    expectTypeOf<LabelValue<'queueSize', 'state'>>().toEqualTypeOf<QueueState>();
    expectTypeOf<LabelValue<'requestsTotal', 'status'>>().toEqualTypeOf<string>();
  });
});
