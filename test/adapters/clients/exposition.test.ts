import { describe, expect, it } from 'vitest';
import {
  ExpositionParseError,
  findSamples,
  parseExposition,
  parseSampleValue,
} from '../../../src/adapters/clients/index.js';

// What prom-client 15 serves for a labelled histogram, a counter and a gauge (its exact layout).
const PROM_CLIENT = `# HELP webhook_request_duration_seconds HTTP request duration.
# TYPE webhook_request_duration_seconds histogram
webhook_request_duration_seconds_bucket{le="0.1",route="/webhooks/stripe",status="200"} 1
webhook_request_duration_seconds_bucket{le="1",route="/webhooks/stripe",status="200"} 1
webhook_request_duration_seconds_bucket{le="+Inf",route="/webhooks/stripe",status="200"} 1
webhook_request_duration_seconds_sum{route="/webhooks/stripe",status="200"} 0.05
webhook_request_duration_seconds_count{route="/webhooks/stripe",status="200"} 1
webhook_request_duration_seconds_bucket{le="0.1",route="/webhooks/stripe",status="500"} 0
webhook_request_duration_seconds_bucket{le="1",route="/webhooks/stripe",status="500"} 0
webhook_request_duration_seconds_bucket{le="+Inf",route="/webhooks/stripe",status="500"} 1
webhook_request_duration_seconds_sum{route="/webhooks/stripe",status="500"} 2
webhook_request_duration_seconds_count{route="/webhooks/stripe",status="500"} 1

# HELP webhook_errors_total Errors by type.
# TYPE webhook_errors_total counter
webhook_errors_total{type="signature"} 2

# HELP webhook_db_up 1 when the database answers.
# TYPE webhook_db_up gauge
webhook_db_up 1
`;

describe('Prometheus text exposition parser', () => {
  it('keeps every series of a labelled histogram under its family, with labels, sum and count', () => {
    const families = parseExposition(PROM_CLIENT);
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['webhook_request_duration_seconds', 'histogram'],
      ['webhook_errors_total', 'counter'],
      ['webhook_db_up', 'gauge'],
    ]);
    const histogram = families[0];
    expect(histogram?.help).toBe('HTTP request duration.');
    expect(histogram?.samples).toHaveLength(10);
    expect(findSamples(families, 'webhook_request_duration_seconds_count', { status: '500' })).toEqual([
      {
        name: 'webhook_request_duration_seconds_count',
        labels: { route: '/webhooks/stripe', status: '500' },
        value: 1,
        timestampMs: undefined,
      },
    ]);
    expect(findSamples(families, 'webhook_request_duration_seconds_bucket', { le: '+Inf' })).toHaveLength(2);
    expect(findSamples(families, 'webhook_db_up')[0]?.value).toBe(1);
  });

  it('reads escapes, special values, timestamps, summaries and untyped series', () => {
    const text = [
      '# HELP odd A help with a \\\\ backslash\\nand a newline',
      '# TYPE odd gauge',
      'odd{path="C:\\\\temp",quote="say \\"hi\\"",nl="a\\nb",} NaN',
      'odd{path="x"} +Inf 1700000000000',
      'odd{path="y"} -Inf',
      '# TYPE rpc summary',
      'rpc{quantile="0.5"} 1e-3',
      'rpc_sum 12.5',
      'rpc_count 7',
      '# a plain comment',
      'untyped_thing 42',
    ].join('\n');
    const families = parseExposition(text);
    const odd = families.find((f) => f.name === 'odd');
    expect(odd?.help).toBe('A help with a \\ backslash\nand a newline');
    expect(odd?.samples[0]?.labels).toEqual({ path: 'C:\\temp', quote: 'say "hi"', nl: 'a\nb' });
    expect(odd?.samples[0]?.value).toBeNaN();
    expect(odd?.samples[1]).toMatchObject({ value: Number.POSITIVE_INFINITY, timestampMs: 1700000000000 });
    expect(odd?.samples[2]?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(families.find((f) => f.name === 'rpc')?.samples.map((s) => [s.name, s.value])).toEqual([
      ['rpc', 0.001],
      ['rpc_sum', 12.5],
      ['rpc_count', 7],
    ]);
    expect(families.find((f) => f.name === 'untyped_thing')).toMatchObject({
      type: 'untyped',
      samples: [{ value: 42 }],
    });
  });

  it('says which line is wrong', () => {
    expect(() => parseExposition('ok 1\nbroken{a="1" 2')).toThrow(ExpositionParseError);
    expect(() => parseExposition('ok 1\nbroken{a="1" 2')).toThrow(/line 2/);
    expect(() => parseExposition('m abc')).toThrow(/"abc" is not a number/);
    expect(() => parseExposition('# TYPE m timer')).toThrow(/unknown metric type/);
  });
});

describe('sample values', () => {
  it('parses what Prometheus writes and nothing else', () => {
    expect(parseSampleValue('1')).toBe(1);
    expect(parseSampleValue('1e+00')).toBe(1);
    expect(parseSampleValue('-0.25')).toBe(-0.25);
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseSampleValue('')).toBeUndefined();
    expect(parseSampleValue('1,5')).toBeUndefined();
    expect(parseSampleValue('Infinity')).toBeUndefined();
  });
});
