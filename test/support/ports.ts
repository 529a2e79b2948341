import net from 'node:net';

/**
 * A TCP port on `host` that was free a moment ago (bound to port 0, then released). Another process may
 * take it before the caller binds it: fine for tests, where ports are only handed to what starts next.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
