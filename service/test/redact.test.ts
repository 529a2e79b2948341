import { describe, expect, it } from 'vitest';
import { createRedactor, redactUrls, urlCredentials } from '../src/observability/redact.js';

describe('credential redaction', () => {
  it('masks the user-info of every URL, and password-like query parameters', () => {
    expect(redactUrls('connect postgres://app:s3cret@db:5432/x failed')).toBe(
      'connect postgres://***@db:5432/x failed',
    );
    expect(redactUrls('{"url":"rediss://:tok3n@cache:6380/0"}')).toBe('{"url":"rediss://***@cache:6380/0"}');
    expect(redactUrls('postgres://db/x?sslmode=require&password=s3cret&x=1')).toBe(
      'postgres://db/x?sslmode=require&password=***&x=1',
    );
    expect(redactUrls('http://loki:3100/loki/api/v1/push')).toBe('http://loki:3100/loki/api/v1/push');
  });

  it('masks each configured secret wherever it appears, decoded or not, and leaves short values alone', () => {
    const secrets = [...urlCredentials('postgres://app:p%40ss%2Fw0rd@db/x'), 'whsec_abc123', 'ab'];
    const redact = createRedactor(secrets);
    expect(redact('auth p@ss/w0rd and p%40ss%2Fw0rd, whsec_abc123')).toBe('auth *** and ***, ***');
    expect(redact('a tab and a b')).toBe('a tab and a b');
    expect(urlCredentials('not a url')).toEqual([]);
  });
});
