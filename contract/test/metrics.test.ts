import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  PROBE_SOURCE,
  PROCESSING_OUTCOMES,
  ROUTES,
  ROUTE_LABELS,
  SERVICE_METRICS,
  TRAFFIC_SOURCES,
  isProbeEvent,
  knownSeriesNames,
  probeEvent,
  seriesNamesWithLabel,
  trafficSource,
  type LabelName,
  type LabelValue,
  type MetricSpec,
  type ProcessingOutcome,
  type QueueState,
  type TrafficSource,
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

  it("counts wmon's probe apart on the request and event metrics, with the source label", () => {
    expect([...seriesNamesWithLabel('source')].sort()).toEqual([
      'webhook_event_processing_duration_seconds_bucket',
      'webhook_event_processing_duration_seconds_count',
      'webhook_event_processing_duration_seconds_sum',
      'webhook_events_by_type_total',
      'webhook_events_processed_total',
      'webhook_request_duration_seconds_bucket',
      'webhook_request_duration_seconds_count',
      'webhook_request_duration_seconds_sum',
      'webhook_requests_total',
    ]);
    expect(TRAFFIC_SOURCES).toContain(PROBE_SOURCE);
    const probe = probeEvent();
    expect(isProbeEvent(probe)).toBe(true);
    expect(trafficSource(probe)).toBe('probe');
    // The type, the id prefix and test mode together: a real event never is the probe.
    expect(isProbeEvent({ ...probe, livemode: true })).toBe(false);
    expect(isProbeEvent({ ...probe, id: 'evt_1Nq' })).toBe(false);
    expect(trafficSource({ ...probe, type: 'charge.succeeded' })).toBe('external');
  });

  it('labels every route the service answers, and anything else as other', () => {
    expect(ROUTE_LABELS).toEqual([...Object.values(ROUTES), 'other']);
    expect(SERVICE_METRICS.requestsTotal.values.route).toBe(ROUTE_LABELS);
    expect(SERVICE_METRICS.eventsProcessed.values.outcome).toBe(PROCESSING_OUTCOMES);
  });

  it('types a bounded label by its set and an open one as any string', () => {
    expectTypeOf<LabelName<'eventsProcessed'>>().toEqualTypeOf<'outcome' | 'source'>();
    expectTypeOf<LabelValue<'eventsProcessed', 'source'>>().toEqualTypeOf<TrafficSource>();
    expectTypeOf<LabelValue<'eventsProcessed', 'outcome'>>().toEqualTypeOf<ProcessingOutcome>();
    expectTypeOf<LabelValue<'queueSize', 'state'>>().toEqualTypeOf<QueueState>();
    expectTypeOf<LabelValue<'requestsTotal', 'status'>>().toEqualTypeOf<string>();
  });
});
