import net from 'node:net';

/**
 * A TCP port on `host` that was free a moment ago (bound to port 0, then released). Another process may
 * take it before the caller binds it: fine for tests, where ports are only handed to what starts next.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return (await freePorts(1, host))[0]!;
}

/**
 * `count` distinct free ports: each stays bound until all are found, so the kernel never hands the same one
 * out twice (calling freePort() in a row can, since each is released before the next is asked for).
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, resolve);
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
