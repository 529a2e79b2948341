/**
 * `wmon check`'s remote-write lines, read through the real Prometheus (the version CI runs) from its own
 * remote-storage metrics: Prometheus runs the remote_write section wmon renders, sending to a receiver that
 * takes everything, one that refuses (401: Prometheus drops the samples) and an address nobody listens on
 * (Prometheus retries).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { parseConfigText, type LoadedConfig } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import { createHealthContext } from '../../../src/features/health/context.js';
import { remoteWriteTasks } from '../../../src/features/health/checks/remote-write.js';
import { runTasks } from '../../../src/features/health/runner.js';
import type { CheckResultJson } from '../../../src/results.js';
import { startPrometheus, type Daemon } from '../../support/debian-daemons.js';
import { freePort } from '../../support/ports.js';
import { loadedConfigIn, stopDaemonAndServer } from '../../support/loaded-config.js';
import { eventually } from '../../support/wait.js';

let server: http.Server;
let prometheus: Daemon | undefined;
let loaded: LoadedConfig;
const received = { ok: 0, refused: 0 };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    const refused = req.url?.startsWith('/refused') ?? false;
    received[refused ? 'refused' : 'ok']++;
    res.writeHead(refused ? 401 : 204);
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const receiver = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const nobody = `http://127.0.0.1:${await freePort()}/api/v1/write`;
  const yaml = (promPort: number) => `components:
  prometheus: {port: ${promPort}}
prometheus:
  remoteWrite:
  - {url: '${receiver}/ok/api/v1/write', name: ok, queue: {batchSendDeadline: 1s}}
  - {url: '${receiver}/refused/api/v1/write', name: refused, queue: {batchSendDeadline: 1s}}
  - {url: '${nobody}', name: down, queue: {batchSendDeadline: 1s, minBackoff: 50ms, maxBackoff: 200ms}}
`;
  // What wmon renders for these endpoints, in a Prometheus that scrapes itself every second.
  const rendered = parse(
    renderStack(parseConfigText(yaml(9090), 'wmon.yaml')).files.find((f) => f.path === 'prometheus/prometheus.yml')!
      .contents,
  ) as { remote_write: unknown[] };
  prometheus = await startPrometheus((port) => ({
    'prometheus.yml': stringify({
      global: { scrape_interval: '1s' },
      scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }],
      remote_write: rendered.remote_write,
    }),
  }));
  loaded = await loadedConfigIn('wmon-remote-write-check-', yaml(prometheus.port));
}, 60_000);

afterAll(() => stopDaemonAndServer(prometheus, server));

/** The remote-write rows `wmon check` gives now. */
function check(): Promise<CheckResultJson[]> {
  return runTasks(remoteWriteTasks(createHealthContext(loaded, { timeoutMs: 5000 })));
}

/** Whether each endpoint has been seen sending, refused and retried. */
function allSeen(rows: readonly CheckResultJson[]): boolean {
  const detail = (id: string) => rows.find((c) => c.id === `remote-write.${id}`)?.detail ?? '';
  return (
    /^sending to /.test(detail('ok')) &&
    /refused \d+ samples/.test(detail('refused')) &&
    /samples retried/.test(detail('down'))
  );
}

describe('wmon check: remote write, through the real Prometheus', () => {
  it('one line per endpoint: sending, refused samples dropped, an unreachable receiver retried', async () => {
    const wait = { timeoutMs: 60_000, intervalMs: 1000 };
    const rows = await eventually(
      'each endpoint seen sending, refused and retried',
      async () => {
        const r = await check();
        return allSeen(r) ? r : undefined;
      },
      wait,
    );
    expect(rows.map((r) => [r.id, r.status, r.component, r.check])).toEqual([
      ['remote-write.ok', 'OK', 'prometheus', 'remote write'],
      ['remote-write.refused', 'WARNING', 'prometheus', 'remote write'],
      ['remote-write.down', 'WARNING', 'prometheus', 'remote write'],
    ]);
    expect(rows.find((r) => r.id === 'remote-write.down')?.detail).toMatch(/^nothing sent yet; \d+ samples retried/);
    expect(received.ok).toBeGreaterThan(0);
    expect(received.refused).toBeGreaterThan(0);
  }, 90_000);

  it('has no line without remoteWrite', () => {
    const none = { ...loaded, config: parseConfigText('', loaded.file) };
    expect(remoteWriteTasks(createHealthContext(none, { timeoutMs: 5000 }))).toEqual([]);
  });
});
