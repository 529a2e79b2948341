/**
 * `wmon check` gives the container engine its own --timeout to answer the ping: an engine on a loaded
 * host that takes longer than the 3 s default is still found, instead of the engine line saying UNKNOWN.
 */
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { createHealthContext } from '../../../src/features/health/context.js';
import { clearEngineCache, PING_TIMEOUT_MS } from '../../../src/adapters/runtime/index.js';

const PING_DELAY_MS = PING_TIMEOUT_MS + 500;

describe('the engine ping in wmon check', () => {
  let dir: string;
  let server: http.Server;
  let dockerHost: string | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wmon-engine-timeout-'));
    const socketPath = path.join(dir, 'engine.sock');
    // A Docker API that answers its ping late, as an engine on a loaded host does.
    server = http.createServer((req, res) => {
      if (req.url === '/_ping') setTimeout(() => res.end('OK'), PING_DELAY_MS);
      else if (req.url === '/version')
        res.end(
          JSON.stringify({
            Version: '27.0.0',
            ApiVersion: '1.46',
            Os: 'linux',
            Arch: 'amd64',
            Components: [{ Name: 'Engine' }],
          }),
        );
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    dockerHost = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${socketPath}`;
    clearEngineCache();
  });

  afterEach(async () => {
    if (dockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = dockerHost;
    clearEngineCache();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const context = async (timeoutMs: number) => {
    const file = path.join(dir, 'wmon.yaml');
    await writeFile(file, '{}\n');
    return createHealthContext({ file, dir, config: parseConfigText('{}\n', file), exists: true }, { timeoutMs });
  };

  it('waits up to the check timeout for the ping', async () => {
    const ctx = await context(PING_DELAY_MS + 3000);
    await expect(ctx.runtime()).resolves.toBeDefined();
  });

  it('still gives up at the default when the check timeout is shorter', async () => {
    const ctx = await context(1000);
    await expect(ctx.runtime()).rejects.toThrow(/DOCKER_HOST +no answer within 3\.0 s/);
  });
});
