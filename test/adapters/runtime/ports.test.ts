import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkPorts,
  describePortCheck,
  findListeningProcess,
  parseProcNetTcp,
  portConflictError,
  tryBind,
  type PortCheck,
} from '../../../src/adapters/runtime/ports.js';
import type { ContainerSummary } from '../../../src/core/model/container-types.js';
import { freePort } from '../../support/ports.js';

const servers: net.Server[] = [];

async function listen(host: string, port = 0): Promise<number> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, resolve);
  });
  return (server.address() as net.AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('host port checks', () => {
  it('binds a free port for a moment and leaves it free', async () => {
    const port = await freePort();
    expect(await tryBind(port, '127.0.0.1')).toEqual({ free: true });
    expect(await tryBind(port, '127.0.0.1')).toEqual({ free: true });
    const [check] = await checkPorts([{ port, host: '127.0.0.1', component: 'prometheus' }]);
    expect(check).toEqual({ port, host: '127.0.0.1', component: 'prometheus', status: 'free' });
  });

  it('names this very process as the holder of a port it listens on', async () => {
    const port = await listen('127.0.0.1');
    const [check] = await checkPorts([{ port, host: '127.0.0.1', component: 'prometheus' }]);
    expect(check).toMatchObject({ status: 'taken', holder: { kind: 'process', pid: process.pid } });
    if (check?.status !== 'taken' || check.holder.kind !== 'process') throw new Error('unreachable');
    // comm and cmdline as /proc shows them (a runner may retitle its workers, so no exact name here).
    expect(check.holder.command).not.toBe('');
    expect(check.holder.cmdline).not.toBe('');
    expect(describePortCheck(check)).toBe(
      `port ${port} (prometheus) on 127.0.0.1 is taken by process ${process.pid} (${check.holder.cmdline})`,
    );
  });

  it('sees a wildcard listener as holding the loopback address too', async () => {
    const port = await listen('0.0.0.0');
    const [check] = await checkPorts([{ port, host: '127.0.0.1' }]);
    expect(check).toMatchObject({ status: 'taken', holder: { kind: 'process', pid: process.pid } });
  });

  it('names the container that publishes the port before looking at processes', async () => {
    const port = await listen('127.0.0.1');
    const container: ContainerSummary = {
      id: 'abc123',
      name: 'wmon-demo-prometheus',
      component: 'prometheus',
      image: 'docker.io/prom/prometheus:v3.5.0',
      imageId: 'sha256:1',
      state: 'running',
      status: 'Up 2 minutes',
      labels: { 'wmon.project': 'demo' },
      created: new Date(),
      ports: [{ containerPort: 9090, protocol: 'tcp', hostPort: port, hostIp: '127.0.0.1' }],
    };
    const [check] = await checkPorts([{ port, host: '127.0.0.1', component: 'prometheus' }], {
      publishingContainers: async () => [container],
    });
    expect(check).toMatchObject({ status: 'taken', holder: { kind: 'container', name: 'wmon-demo-prometheus' } });
    expect(describePortCheck(check as PortCheck)).toBe(
      `port ${port} (prometheus) on 127.0.0.1 is taken by container wmon-demo-prometheus (docker.io/prom/prometheus:v3.5.0)`,
    );
    // The caller may accept its own containers (a re-run of `init`).
    expect(
      portConflictError([check as PortCheck], (h) => h.kind === 'container' && h.labels['wmon.project'] === 'demo'),
    ).toBeUndefined();
  });

  it('reports two components asking for the same port', async () => {
    const port = await freePort();
    const checks = await checkPorts([
      { port, host: '127.0.0.1', component: 'grafana' },
      { port, host: '0.0.0.0', component: 'loki' },
    ]);
    expect(checks[1]).toMatchObject({ status: 'duplicate', otherComponent: 'grafana' });
    expect(describePortCheck(checks[1] as PortCheck)).toBe(
      `port ${port} (loki) on 0.0.0.0 is also configured for grafana`,
    );
  });

  it('explains an address that is not on this machine', async () => {
    const [check] = await checkPorts([{ port: 9090, host: '192.0.2.1', component: 'prometheus' }]);
    expect(check).toMatchObject({ status: 'unusable', reason: '192.0.2.1 is not an address of this machine' });
  });

  it('builds one conflict error (exit 75) for everything taken', async () => {
    const a = await listen('127.0.0.1');
    const b = await listen('127.0.0.1');
    const checks = await checkPorts([
      { port: a, host: '127.0.0.1', component: 'prometheus' },
      { port: b, host: '127.0.0.1', component: 'grafana' },
      { port: await freePort(), host: '127.0.0.1', component: 'loki' },
    ]);
    const error = portConflictError(checks);
    expect(error?.exit).toBe(75);
    expect(error?.code).toBe('PORT_TAKEN');
    expect(error?.message.split('\n')).toEqual([
      '2 host ports are not available:',
      expect.stringMatching(
        new RegExp(`^  port ${a} \\(prometheus\\) on 127.0.0.1 is taken by process ${process.pid} `),
      ),
      expect.stringMatching(new RegExp(`^  port ${b} \\(grafana\\) on 127.0.0.1 is taken by process ${process.pid} `)),
    ]);
    expect(portConflictError(checks.slice(2))).toBeUndefined();
  });
});

describe('/proc parsing', () => {
  const TCP = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0',
    '   2: 0100007F:2382 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0',
  ].join('\n');
  const TCP6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000000000000:2383 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000000000000000000001000000:2384 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5252 1 0000000000000000 100 0 0 10 0',
  ].join('\n');

  it('reads LISTEN sockets with their addresses and inodes', () => {
    expect(parseProcNetTcp(TCP)).toEqual([
      { address: '127.0.0.1', port: 9090, inode: 4242 },
      { address: '0.0.0.0', port: 80, inode: 4343 },
    ]);
    expect(parseProcNetTcp(TCP6)).toEqual([
      { address: '::', port: 9091, inode: 5151 },
      { address: '::1', port: 9092, inode: 5252 },
    ]);
  });

  it('finds the process whose file descriptor is the listening socket', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'wmon-proc-'));
    try {
      await mkdir(path.join(root, 'net'));
      await writeFile(path.join(root, 'net', 'tcp'), TCP);
      await writeFile(path.join(root, 'net', 'tcp6'), TCP6);
      for (const [pid, fds, comm, cmdline] of [
        ['17', { 0: '/dev/null', 3: 'socket:[1111]' }, 'sshd', ['sshd', '-D', ''].join('\x00')],
        [
          '1234',
          { 0: '/dev/null', 5: 'socket:[4242]' },
          'python3',
          ['python3', '-m', 'http.server', '9090', ''].join('\x00'),
        ],
      ] as const) {
        await mkdir(path.join(root, pid, 'fd'), { recursive: true });
        for (const [fd, target] of Object.entries(fds)) await symlink(target, path.join(root, pid, 'fd', fd));
        await writeFile(path.join(root, pid, 'comm'), `${comm}\n`);
        await writeFile(path.join(root, pid, 'cmdline'), cmdline);
      }
      await mkdir(path.join(root, 'self'));
      expect(await findListeningProcess(9090, root)).toEqual({
        pid: 1234,
        command: 'python3',
        cmdline: 'python3 -m http.server 9090',
        address: '127.0.0.1',
      });
      expect(await findListeningProcess(9091, root)).toBeUndefined(); // listening, but no visible owner
      expect(await findListeningProcess(7777, root)).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
