/**
 * alertmanager.peers with Debian's Alertmanager (the version the local image runs): two members started with the
 * `--cluster.*` flags wmon's stack model gives them find each other and settle into one cluster. Only the listen
 * address differs from the container's: there each member has port 9094 to itself, here they share a host.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { buildStack, CONTAINER_PORTS } from '../../../src/core/model/stack.js';
import { startAlertmanager, type Daemon } from '../../support/debian-daemons.js';
import { freePorts } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

const CONFIG = 'route: {receiver: none}\nreceivers: [{name: none}]\n';
const started: Daemon[] = [];

afterAll(async () => {
  for (const d of started) await d.stop();
}, 30_000);

/** The `--cluster.*` flags of the stack's Alertmanager for this wmon.yaml, listening on `port` of this host. */
function clusterFlags(yaml: string, port: number): string[] {
  const am = buildStack(parseConfigText(yaml, 'wmon.yaml')).components.find((c) => c.id === 'alertmanager')!;
  return am.cmd
    .filter((f) => f.startsWith('--cluster.'))
    .map((f) =>
      f === `--cluster.listen-address=0.0.0.0:${CONTAINER_PORTS.alertmanagerCluster}`
        ? `--cluster.listen-address=127.0.0.1:${port}`
        : f,
    );
}

describe('an Alertmanager HA pair from alertmanager.peers', () => {
  it('the two members join one cluster and say so in their status', async () => {
    const [a, b] = (await freePorts(2)) as [number, number];
    const member = (self: number, peer: number) =>
      `alertmanager:\n  peers: ['127.0.0.1:${peer}']\n  advertiseAddress: '127.0.0.1:${self}'\n  clusterPort: ${self}\n`;
    started.push(await startAlertmanager(CONFIG, clusterFlags(member(a, b), a)));
    started.push(await startAlertmanager(CONFIG, clusterFlags(member(b, a), b)));
    for (const d of started) {
      const status = await eventually(
        `${d.url} in a settled cluster of two`,
        async () => {
          const res = await fetch(`${d.url}/api/v2/status`);
          const s = (await res.json()) as { cluster: { status: string; peers?: Array<{ address: string }> } };
          return s.cluster.status === 'ready' && s.cluster.peers?.length === 2 ? s.cluster : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      expect(status.peers!.map((p) => p.address).sort()).toEqual([`127.0.0.1:${a}`, `127.0.0.1:${b}`].sort());
    }
  }, 120_000);
});
