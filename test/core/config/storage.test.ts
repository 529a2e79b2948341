import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig, parseConfigText } from '../../../src/core/config/load.js';
import { RESERVED_HEADERS } from '../../../src/core/config/storage.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../support/tmp.js';

/** The problems wmon.yaml's text is refused with, by key (or fail when it is accepted). */
function refused(yaml: string): Record<string, string> {
  try {
    parseConfigText(yaml, 'wmon.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries(
      (error as ConfigError).issues.map((i) => [i.path, i.message.replace(/ \(line \d+\)$/, '')]),
    );
  }
  throw new Error('expected the configuration to be refused');
}

const endpoint = (extra: string) =>
  `prometheus:\n  remoteWrite:\n  - url: https://mimir.example.com/api/v1/push\n${extra}`;

describe('prometheus.remoteWrite, prometheus.externalLabels and alertmanager in wmon.yaml', () => {
  it('accepts a full configuration and defaults to none of it', () => {
    const none = parseConfigText('', 'wmon.yaml');
    expect(none.prometheus.remoteWrite).toEqual([]);
    expect(none.prometheus.externalLabels).toEqual({});
    expect(none.alertmanager).toEqual({ peers: [], clusterPort: 9094 });

    const c = parseConfigText(
      `${endpoint(`    headers: {X-Scope-OrgID: team-a}
    basicAuth: {username: wmon, password: {file: mimir-password}}
    queue: {capacity: 10000, maxShards: 10, minShards: 2, maxSamplesPerSend: 2000, batchSendDeadline: 5s}
    writeRelabel: [{action: keep, regex: "webhook_.*"}]
  - url: http://thanos-receive:19291/api/v1/receive
    name: thanos
    bearerToken: {env: THANOS_TOKEN}
`)}  externalLabels: {cluster: eu-1, replica: a, __replica__: a}
  replicaLabel: replica
alertmanager:
  peers: [am-b.example.com:9094, '[fd00::2]:9094']
  advertiseAddress: 10.0.0.1:9094
`,
      'wmon.yaml',
    );
    expect(c.prometheus.remoteWrite[0]).toMatchObject({
      headers: { 'X-Scope-OrgID': 'team-a' },
      writeRelabel: [{ action: 'keep', sourceLabels: ['__name__'], regex: 'webhook_.*' }],
    });
    expect(c.prometheus.remoteWrite[1]).toMatchObject({ name: 'thanos', bearerToken: { env: 'THANOS_TOKEN' } });
    expect(c.alertmanager.peers).toHaveLength(2);
  });

  it('refuses bad endpoints, naming each key', () => {
    expect(
      refused(
        endpoint(`    basicAuth: {username: a, password: {file: p}}
    bearerToken: {file: t}
  - url: ftp://mimir.example.com/push
  - url: https://user:secret@mimir.example.com/api/v1/push
  - url: http://vm:8428/api/v1/write
    queue: {capacity: 0, minShards: 5, maxShards: 2, batchSendDeadline: soon}
    writeRelabel: [{action: replace, regex: a}, {action: drop, regex: "(?!webhook_)"}, {action: keep, regex: "(a"}]
`),
      ),
    ).toEqual({
      'prometheus.remoteWrite[0].bearerToken': 'give basicAuth or bearerToken, not both',
      'prometheus.remoteWrite[1].url': 'must be an http(s) URL such as https://mimir.example.com/api/v1/push',
      'prometheus.remoteWrite[2].url':
        'must not hold credentials (they would be written into prometheus.yml): use basicAuth or bearerToken',
      'prometheus.remoteWrite[3].queue.capacity': 'must be at least 1',
      'prometheus.remoteWrite[3].queue.minShards': 'minShards must not be greater than maxShards',
      'prometheus.remoteWrite[3].queue.batchSendDeadline': 'must be a Prometheus duration such as 30s, 5m or 1h',
      'prometheus.remoteWrite[3].writeRelabel[0].action': 'must be one of "keep", "drop"',
      'prometheus.remoteWrite[3].writeRelabel[1].regex':
        'must be an RE2 regular expression: Prometheus has no lookahead or lookbehind',
      'prometheus.remoteWrite[3].writeRelabel[2].regex': expect.stringMatching(/^is not a valid regular expression/),
    });
  });

  it('refuses every header Prometheus reserves, bad header names and a header named twice', () => {
    for (const header of [...RESERVED_HEADERS, 'User-Agent', 'AUTHORIZATION']) {
      const problems = refused(endpoint(`    headers: {${header}: x}\n`));
      expect(problems[`prometheus.remoteWrite[0].headers.${header}`], header).toMatch(
        /^is a header Prometheus sets itself and refuses to change/,
      );
    }
    expect(refused(endpoint(`    headers: {Authorization: Bearer x}\n`))).toEqual({
      'prometheus.remoteWrite[0].headers.Authorization':
        'is a header Prometheus sets itself and refuses to change: use basicAuth or bearerToken',
    });
    expect(
      refused(endpoint(`    headers: {X-Scope-OrgID: a, x-scope-orgid: b, "bad name": c, X-Long: "a\\nb"}\n`)),
    ).toEqual({
      'prometheus.remoteWrite[0].headers.x-scope-orgid': 'is named twice (header names are case-insensitive)',
      'prometheus.remoteWrite[0].headers.bad name': 'must be an HTTP header name such as X-Scope-OrgID',
      'prometheus.remoteWrite[0].headers.X-Long': 'must be one line of text (no control characters)',
    });
  });

  it('bounds the counts: endpoints, headers, relabel rules, labels, peers', () => {
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(', ');
    expect(
      refused(`prometheus:\n  remoteWrite: [${many(11, (i) => `{url: 'http://r${i}:9090/api/v1/write'}`)}]\n`),
    ).toEqual({ 'prometheus.remoteWrite': 'at most 10 remote-write endpoints' });
    expect(refused(endpoint(`    headers: {${many(21, (i) => `X-H${i}: v`)}}\n`))).toEqual({
      'prometheus.remoteWrite[0].headers': 'at most 20 headers',
    });
    expect(refused(endpoint(`    writeRelabel: [${many(21, () => '{action: keep, regex: a}')}]\n`))).toEqual({
      'prometheus.remoteWrite[0].writeRelabel': 'at most 20 rules',
    });
    expect(refused(`prometheus:\n  externalLabels: {${many(21, (i) => `l${i}: v`)}}\n`)).toEqual({
      'prometheus.externalLabels': 'at most 20 labels',
    });
    expect(
      refused(`alertmanager:\n  advertiseAddress: 10.0.0.1:9094\n  peers: [${many(11, (i) => `am${i}:9094`)}]\n`),
    ).toEqual({ 'alertmanager.peers': 'at most 10 peers' });
  });

  it('refuses two endpoints with the same name', () => {
    expect(
      refused(
        `prometheus:\n  remoteWrite:\n  - {url: 'http://a:9090/api/v1/write', name: remote-write-2}\n  - {url: 'http://b:9090/api/v1/write'}\n`,
      ),
    ).toEqual({
      'prometheus.remoteWrite[1].name':
        'the name remote-write-2 is also the name of prometheus.remoteWrite[0]: give each endpoint its own',
    });
  });

  it('refuses bad external labels, wmon’s own labels, and a replicaLabel that is not one of them', () => {
    expect(refused(`prometheus:\n  externalLabels: {1st: a, cluster: '', project: x, environment: y}\n`)).toEqual({
      'prometheus.externalLabels.1st':
        'must be a label name: letters, digits and underscores, not starting with a digit (at most 128)',
      'prometheus.externalLabels.cluster': 'must not be empty',
      'prometheus.externalLabels.project': 'is set by wmon from the top-level project key: set that instead',
      'prometheus.externalLabels.environment': 'is set by wmon from the top-level environment key: set that instead',
    });
    expect(refused(`prometheus:\n  externalLabels: {cluster: a}\n  replicaLabel: replica\n`)).toEqual({
      'prometheus.replicaLabel':
        'must be one of the labels in prometheus.externalLabels (the one that differs between replicas)',
    });
  });

  it('refuses peers without an advertise address, bad peers, and a cluster port another component has', () => {
    expect(refused('alertmanager:\n  peers: [am-b:9094, am-c, am-d:70000]\n')).toEqual({
      'alertmanager.advertiseAddress': expect.stringMatching(
        /^give the address the peers reach this Alertmanager's cluster port at/,
      ),
      'alertmanager.peers[1]':
        'must be host:port (a port from 1 to 65535), such as alertmanager-b.example.com:9094 or 10.0.0.2:9094',
      'alertmanager.peers[2]':
        'must be host:port (a port from 1 to 65535), such as alertmanager-b.example.com:9094 or 10.0.0.2:9094',
    });
    expect(
      refused('alertmanager:\n  peers: [am-b:9094]\n  advertiseAddress: 10.0.0.1:9090\n  clusterPort: 9090\n'),
    ).toEqual({
      'alertmanager.clusterPort':
        'port 9090 is already used by components.prometheus.port; give each component its own port',
    });
    expect(refused('alertmanager:\n  peers: [am-b:9094]\n  advertiseAddress: am-a.example.com:9094\n')).toEqual({
      'alertmanager.advertiseAddress':
        'must be ip:port (Alertmanager takes no host name here), such as 10.0.0.1:9094 or [fd00::1]:9094',
    });
    expect(
      parseConfigText('alertmanager:\n  peers: [am-b:9094]\n  advertiseAddress: "[fd00::1]:9094"\n', 'wmon.yaml')
        .alertmanager.advertiseAddress,
    ).toBe('[fd00::1]:9094');
    // Without peers there is no cluster listener: its port is nobody's.
    expect(parseConfigText('alertmanager:\n  clusterPort: 9090\n', 'wmon.yaml').alertmanager.clusterPort).toBe(9090);
  });

  it('checks that the password and token files exist and hold a usable value, never printing it', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'token'), 'two words\n');
    await writeFile(
      path.join(dir, 'wmon.yaml'),
      `prometheus:\n  remoteWrite:\n  - url: http://a:9090/api/v1/write\n    basicAuth: {username: a, password: {file: missing}}\n  - url: http://b:9090/api/v1/write\n    bearerToken: {file: token}\n`,
    );
    const error = await loadConfig(path.join(dir, 'wmon.yaml'), { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toEqual([
      {
        path: 'prometheus.remoteWrite[0].basicAuth.password.file',
        message: `secret file ${path.join(dir, 'missing')} does not exist`,
      },
      {
        path: 'prometheus.remoteWrite[1].bearerToken',
        message: 'file token must hold a bearer token (one word, no spaces)',
      },
    ]);
    expect(JSON.stringify(issues)).not.toContain('two words');
  });
});
