import { describe, expect, it } from 'vitest';
import { SERVICE_METRICS, knownSeriesNames } from '../../../src/core/vocab/metric-names.js';

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
