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
  /** Headers of the `/_ping` answer (PODMAN_PING_HEADERS, DOCKER_PING_HEADERS); none by default. */
  readonly pingHeaders?: Readonly<Record<string, string>>;
  /** Called for each request, with its path. */
  readonly onRequest?: (url: string) => void;
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

/** The headers Podman 4.3's `/_ping` answers with (seen on the real engine). */
export const PODMAN_PING_HEADERS = {
  'Api-Version': '1.41',
  'Libpod-Api-Version': '4.3.1',
  'Libpod-Buildah-Version': '1.28.2',
  Server: 'Libpod/4.3.1 (linux)',
  'Docker-Experimental': 'true',
};

/** The headers Docker's `/_ping` answers with (Docker Engine API reference, GET /_ping). */
export const DOCKER_PING_HEADERS = {
  'Api-Version': '1.47',
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'Docker/27.3.1 (linux)',
};

export async function fakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wmon-fake-engine-'));
  const socketPath = path.join(dir, 'engine.sock');
  const later = (ms: number | undefined, answer: () => void) => (ms ? setTimeout(answer, ms) : answer());
  const server = http.createServer((req, res) => {
    opts.onRequest?.(req.url ?? '');
    if (req.url === '/_ping') later(opts.pingDelayMs, () => res.writeHead(200, opts.pingHeaders ?? {}).end('OK'));
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
