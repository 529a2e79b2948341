/**
 * A Docker Engine API on a unix socket that answers only `/_ping` and `/version`, each after a chosen delay:
 * enough for engine detection, as a loaded host's engine answers it.
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface FakeEngineOptions {
  readonly pingDelayMs?: number;
  readonly versionDelayMs?: number;
  /** The body of `/version` (Docker's shape). */
  readonly version?: Record<string, unknown>;
}

export interface FakeEngine {
  readonly socketPath: string;
  close(): Promise<void>;
}

export const DOCKER_VERSION = {
  Version: '27.0.0',
  ApiVersion: '1.46',
  Os: 'linux',
  Arch: 'amd64',
  Components: [{ Name: 'Engine' }],
};

export async function fakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wmon-fake-engine-'));
  const socketPath = path.join(dir, 'engine.sock');
  const later = (ms: number | undefined, answer: () => void) => (ms ? setTimeout(answer, ms) : answer());
  const server = http.createServer((req, res) => {
    if (req.url === '/_ping') later(opts.pingDelayMs, () => res.end('OK'));
    else if (req.url === '/version')
      later(opts.versionDelayMs, () => res.end(JSON.stringify(opts.version ?? DOCKER_VERSION)));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
