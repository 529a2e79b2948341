/**
 * `wmon check` gives the container engine its own --timeout to answer the ping: an engine on a loaded
 * host that takes longer than the 3 s default is still found, instead of the engine line saying UNKNOWN.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { createHealthContext } from '../../../src/features/health/context.js';
import { clearEngineCache, PING_TIMEOUT_MS } from '../../../src/adapters/runtime/index.js';
import { fakeEngine, type FakeEngine } from '../../support/fakes/engine.js';

const PING_DELAY_MS = PING_TIMEOUT_MS + 500;

describe('the engine ping in wmon check', () => {
  let dir: string;
  let engine: FakeEngine;
  let dockerHost: string | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wmon-engine-timeout-'));
    // A Docker API that answers its ping late, as an engine on a loaded host does.
    engine = await fakeEngine({ pingDelayMs: PING_DELAY_MS });
    dockerHost = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${engine.socketPath}`;
    clearEngineCache();
  });

  afterEach(async () => {
    if (dockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = dockerHost;
    clearEngineCache();
    await engine.close();
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
