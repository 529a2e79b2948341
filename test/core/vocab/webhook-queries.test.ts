import { knownSeriesNames } from '@wmon/contract';
import { describe, expect, it } from 'vitest';

import { checkPromql } from '../../../src/core/render/promql.js';
import {
  PROBE_ROUTES,
  WEBHOOK_TRAFFIC_MATCH,
  processingSuccessRatio,
  series,
} from '../../../src/core/vocab/webhook-queries.js';

describe('series: selectors of the service metrics, typed by the contract', () => {
  it('writes equality, set and negated matchers', () => {
    expect(series('queueSize')).toBe('webhook_queue_size');
    expect(series('queueSize', { state: 'pending' })).toBe('webhook_queue_size{state="pending"}');
    expect(series('eventsProcessed', { outcome: ['success', 'dead_letter'] })).toBe(
      'webhook_events_processed_total{outcome=~"success|dead_letter"}',
    );
    expect(series('eventsProcessed', { outcome: { not: 'duplicate' } })).toBe(
      'webhook_events_processed_total{outcome!="duplicate"}',
    );
    expect(series('requestsTotal', { route: '/webhooks/stripe', status: '200' })).toBe(
      'webhook_requests_total{route="/webhooks/stripe", status="200"}',
    );
    expect(series('requestDuration', WEBHOOK_TRAFFIC_MATCH, '_bucket')).toBe(
      'webhook_request_duration_seconds_bucket{route!~"/metrics|/healthz|/readyz|/webhooks/stripe/reachability", source!="probe"}',
    );
  });

  it('quotes open label values for PromQL, and escapes regular-expression characters in sets', () => {
    const q = series('eventsByType', { type: ['charge.succeeded', 'a"b\\c'] });
    expect(q).toBe('webhook_events_by_type_total{type=~"charge\\\\.succeeded|a\\"b\\\\\\\\c"}');
    expect(checkPromql(q, { knownNames: knownSeriesNames() })).toEqual([]);
  });

  it('accepts only the contract label values of a bounded label (checked by the compiler)', () => {
    // @ts-expect-error: not an outcome the service emits
    expect(series('eventsProcessed', { outcome: 'succeeded' })).toContain('succeeded');
    // @ts-expect-error: not a label of this metric
    expect(series('queueSize', { outcome: 'success' })).toContain('outcome');
    expect(PROBE_ROUTES).toEqual(['/metrics', '/healthz', '/readyz', '/webhooks/stripe/reachability']);
  });

  it('computes the processing success ratio from the contract outcomes', () => {
    expect(processingSuccessRatio('5m')).toBe(
      'sum(rate(webhook_events_processed_total{outcome="success", source!="probe"}[5m])) / ' +
        '(sum(rate(webhook_events_processed_total{outcome!="duplicate", source!="probe"}[5m])) > 0)',
    );
  });
});
