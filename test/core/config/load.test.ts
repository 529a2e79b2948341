import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig, parseConfigText } from '../../../src/core/config/load.js';
import { ConfigError, EXIT_CODES, WmonError } from '../../../src/errors.js';
import { tempDir } from '../../support/tmp.js';

/** Load a wmon.yaml text and return the single problem it reports (or fail). */
async function problems(text: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const dir = await tempDir();
  const file = path.join(dir, 'wmon.yaml');
  await writeFile(file, text);
  try {
    await loadConfig(file, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loading wmon.yaml', () => {
  it('gives every default for an empty file', () => {
    const config = parseConfigText('', 'wmon.yaml');
    expect(config.bindAddress).toBe('127.0.0.1');
    expect(config.stackDir).toBe('.wmon');
    expect(config.components.prometheus).toMatchObject({ enabled: true, port: 9090 });
    expect(config.components.grafana.image).toMatch(/^docker\.io\/grafana\/grafana:/);
    expect(config.alerts.errorRatePercent).toEqual({ critical: 10, warning: 5, criticalFor: '5m', warningFor: '15m' });
    expect(config.alerts.latencyP95Ms.critical).toBe(1000);
    expect(config.notifications).toEqual({});
  });

  it('uses the defaults when the file is missing and init allows it, and fails clearly otherwise', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'wmon.yaml');
    const loaded = await loadConfig(file, { allowMissing: true });
    expect(loaded.exists).toBe(false);
    expect(Object.isFrozen(loaded.config.components)).toBe(true);
    await expect(loadConfig(file)).rejects.toMatchObject({
      exit: EXIT_CODES.config.code,
      message: expect.stringContaining('does not exist'),
    });
  });

  it('reports a wrong type with its path and line', async () => {
    const e = await problems('components:\n  grafana:\n    enabled: "yes"\n');
    expect(e.issues).toEqual([
      { path: 'components.grafana.enabled', message: 'must be a boolean, got string "yes" (line 3)' },
    ]);
    expect(e.message).toContain('wmon.yaml is invalid');
    expect(e.exit).toBe(78);
  });

  it('rejects an unknown key with a did-you-mean hint', async () => {
    const e = await problems('components:\n  grafna:\n    enabled: false\n');
    expect(e.issues).toEqual([{ path: 'components.grafna', message: 'unknown key; did you mean "grafana"? (line 2)' }]);
  });

  it('lists the known keys when nothing is close', async () => {
    const e = await problems('prometheus:\n  zzz: 1\n');
    expect(e.issues[0]?.message).toMatch(
      /^unknown key; known keys here: configFragment, evaluationInterval, externalLabels, extraScrapeConfigs, remoteWrite, replicaLabel, retention, scrapeInterval/,
    );
  });

  it("rejects a Loki retention below Loki's 24h minimum", async () => {
    const e = await problems('loki:\n  retention: 12h\n');
    expect(e.issues).toEqual([
      { path: 'loki.retention', message: 'must be at least 24h (the shortest retention Loki supports) (line 2)' },
    ]);
    expect(parseConfigText('loki:\n  retention: 1d\n', 'wmon.yaml').loki.retention).toBe('1d');
  });

  it('rejects a bad port', async () => {
    const e = await problems('components:\n  prometheus:\n    port: 70000\n');
    expect(e.issues).toEqual([
      { path: 'components.prometheus.port', message: 'must be a port number (an integer from 1 to 65535) (line 3)' },
    ]);
  });

  it('rejects two components on one host port', async () => {
    const e = await problems('components:\n  alertmanager:\n    port: 9090\n');
    expect(e.issues).toEqual([
      {
        path: 'components.alertmanager.port',
        message: 'port 9090 is already used by components.prometheus.port; give each component its own port (line 3)',
      },
    ]);
  });

  it('rejects a bad URL', async () => {
    const e = await problems('grafana:\n  externalUrl: grafana.local\n');
    expect(e.issues).toEqual([
      { path: 'grafana.externalUrl', message: 'must be an absolute URL such as https://grafana.example.com (line 2)' },
    ]);
  });

  it('rejects a bad bind address and image reference', async () => {
    const e = await problems('bindAddress: localhost\ncomponents:\n  loki:\n    image: grafana/loki\n');
    expect(e.issues.map((i) => i.path)).toEqual(['bindAddress', 'components.loki.image']);
  });

  it('rejects a missing secret file, naming the path and the file', async () => {
    const e = await problems('notifications:\n  slack:\n    webhookUrl:\n      file: secrets/slack-url\n');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.path).toBe('notifications.slack.webhookUrl.file');
    expect(e.issues[0]?.message).toMatch(/^secret file .*secrets\/slack-url does not exist$/);
  });

  it('rejects an unset secret variable and a secret of the wrong shape, without printing its value', async () => {
    const unset = await problems('notifications:\n  pagerduty:\n    routingKey: {env: PD_KEY}\n');
    expect(unset.issues).toEqual([
      { path: 'notifications.pagerduty.routingKey.env', message: 'environment variable PD_KEY is not set' },
    ]);
    const wrong = await problems('notifications:\n  slack:\n    webhookUrl: {env: SLACK_URL}\n', {
      SLACK_URL: 'not-a-url-hunter2',
    });
    expect(wrong.issues).toEqual([
      {
        path: 'notifications.slack.webhookUrl',
        message: 'environment variable SLACK_URL must hold an https:// Slack incoming-webhook URL',
      },
    ]);
    expect(wrong.message).not.toContain('hunter2');
  });

  it('accepts secrets from variables and files', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'pd'), 'abcdefghijklmnopqrstuvwxyz012345\n');
    const file = path.join(dir, 'wmon.yaml');
    await writeFile(
      file,
      'notifications:\n  slack:\n    webhookUrl: {env: SLACK_URL}\n  pagerduty:\n    routingKey: {file: pd}\n',
    );
    const loaded = await loadConfig(file, { env: { SLACK_URL: 'https://hooks.slack.test/services/T/B/X' } });
    expect(loaded.config.notifications.pagerduty?.routingKey).toEqual({ file: 'pd' });
  });

  it('checks the secrets of the webhook, Teams, Opsgenie and heartbeat receivers', async () => {
    const yaml =
      'notifications:\n  webhook:\n    url: {env: HOOK}\n  msteams:\n    webhookUrl: {env: TEAMS}\n' +
      '  opsgenie:\n    apiKey: {file: og-key}\n  heartbeat:\n    url: {env: BEAT}\n';
    const e = await problems(yaml, {
      HOOK: 'ftp://x',
      TEAMS: 'http://plain.example.com/hook',
      BEAT: 'https://hc.example.com/ping/1',
    });
    expect(e.issues).toEqual([
      { path: 'notifications.webhook.url', message: 'environment variable HOOK must hold an http:// or https:// URL' },
      { path: 'notifications.msteams.webhookUrl', message: 'environment variable TEAMS must hold an https:// URL' },
      {
        path: 'notifications.opsgenie.apiKey.file',
        message: expect.stringMatching(/^secret file .*og-key does not exist$/),
      },
    ]);
    expect(e.message).not.toContain('plain.example.com');
  });

  it('rejects a secret reference giving both env and file', async () => {
    const e = await problems('grafana:\n  adminPassword: {env: A, file: b}\n');
    expect(e.issues).toEqual([
      {
        path: 'grafana.adminPassword',
        message: 'give exactly one of env (an environment variable name) or file (a path) (line 2)',
      },
    ]);
  });

  it('reports every problem at once, in file order', async () => {
    const e = await problems(
      'project: Bad Name\ncomponents:\n  loki: {port: 0}\nalerts:\n  cpuPercent: {warning: -1}\n',
    );
    expect(e.issues.map((i) => i.path)).toEqual(['project', 'components.loki.port', 'alerts.cpuPercent.warning']);
  });

  it('rejects a critical threshold below its warning', async () => {
    const e = await problems('alerts:\n  latencyP95Ms: {critical: 400}\n');
    expect(e.issues).toEqual([
      { path: 'alerts.latencyP95Ms.critical', message: 'must be greater than latencyP95Ms.warning (500) (line 2)' },
    ]);
  });

  it('reports YAML syntax errors with line and column', async () => {
    const e = await problems('components:\n  grafana: {enabled: true\n');
    expect(e.issues[0]?.path).toMatch(/^line \d+, column \d+$/);
    // The position is said once, in front, not repeated at the end of the message.
    for (const i of e.issues) expect(i.message).not.toMatch(/line \d+, column \d+/);
    const dup = await problems('project: a\nproject: b\n');
    expect(dup.issues).toEqual([{ path: 'project', message: 'is set twice (lines 1 and 2); keep one' }]);
  });

  it('rejects a file that is not a mapping', async () => {
    const e = await problems('- a\n- b\n');
    expect(e.issues).toEqual([{ path: '(root)', message: 'must be a mapping of settings (key: value)' }]);
  });

  it('is a WmonError with next steps', async () => {
    const e = await problems('foo: 1\n');
    expect(e).toBeInstanceOf(WmonError);
    expect(e.suggestions.length).toBeGreaterThan(0);
  });
});
