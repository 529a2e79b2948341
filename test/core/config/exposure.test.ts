import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { isLoopback } from '../../../src/core/config/schema.js';
import { ConfigError } from '../../../src/errors.js';

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 'wmon.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

const LOOPBACK_ONLY = 'components:\n  loki: {bindAddress: 127.0.0.1}\n  jaeger: {bindAddress: 127.0.0.1}\n';

describe('a stack published beyond loopback', () => {
  it('knows loopback addresses from the others', () => {
    for (const a of ['127.0.0.1', '127.3.2.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      expect(isLoopback(a), a).toBe(true);
    }
    for (const a of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'fe80::1', '128.0.0.1', '::ffff:10.0.0.1']) {
      expect(isLoopback(a), a).toBe(false);
    }
  });

  it('is refused without auth, naming the key and both ways out', () => {
    const [problem, ...rest] = problems(`bindAddress: 0.0.0.0\n${LOOPBACK_ONLY}`);
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^bindAddress: 0\.0\.0\.0 is not a loopback address\./);
    expect(problem).toContain(
      'Prometheus, Alertmanager, the node exporter, and the blackbox exporter would answer anyone',
    );
    expect(problem).toContain('add an auth section (auth: {username: wmon, password: {env: WMON_AUTH_PASSWORD}})');
    expect(problem).toContain('or bind them to 127.0.0.1');
  });

  it('names the component key when only one component is published', () => {
    expect(problems('components:\n  alertmanager: {bindAddress: 10.0.0.5}\n')).toEqual([
      expect.stringMatching(
        /^components\.alertmanager\.bindAddress: 10\.0\.0\.5 is not a loopback address\. Alertmanager would answer anyone who reaches 10\.0\.0\.5 without a password/,
      ),
    ]);
  });

  it('never publishes Loki or Jaeger (no authentication of their own), even with auth', () => {
    const [problem] = problems('bindAddress: "::"\nauth: {}\n');
    expect(problem).toContain('Loki and Jaeger have no authentication of their own');
    expect(problem).toContain('components.loki.bindAddress: 127.0.0.1, components.jaeger.bindAddress: 127.0.0.1');
    expect(problem).not.toContain('Prometheus');
  });

  it('is accepted with auth, and the webhook service and Grafana (which log in) may be published alone', () => {
    expect(problems(`bindAddress: 0.0.0.0\nauth: {username: ops}\n${LOOPBACK_ONLY}`)).toEqual([]);
    expect(problems('components:\n  webhook: {bindAddress: 0.0.0.0}\n  grafana: {bindAddress: 0.0.0.0}\n')).toEqual([]);
    const config = parseConfigText(`bindAddress: 0.0.0.0\nauth: {}\n${LOOPBACK_ONLY}`, 'wmon.yaml');
    expect(config.auth).toEqual({ username: 'wmon' });
  });

  it('refuses a bad auth username, and unknown auth keys', () => {
    expect(problems('auth: {username: "a b"}\n')).toEqual([
      expect.stringMatching(/^auth\.username: must be 1 to 64 letters, digits, dots, dashes or underscores/),
    ]);
    expect(problems('auth: {user: x}\n')).toEqual([expect.stringMatching(/^auth\.user: unknown key/)]);
  });
});
