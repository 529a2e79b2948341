import http from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { parseConfigText, type LoadedConfig } from '../../src/core/config/load.js';
import type { Daemon } from './debian-daemons.js';
import { tempDir } from './tmp.js';

/** `yaml` as wmon.yaml in a fresh folder (`prefix`…) with an empty stack directory, loaded as a command would. */
export async function loadedConfigIn(prefix: string, yaml: string): Promise<LoadedConfig> {
  const dir = await tempDir(prefix);
  const file = path.join(dir, 'wmon.yaml');
  await writeFile(file, yaml);
  await mkdir(path.join(dir, '.wmon'), { recursive: true });
  return { file, dir, config: parseConfigText(yaml, file), exists: true };
}

/** Stop a real daemon and the stand-in server beside it (either may not have started). */
export async function stopDaemonAndServer(daemon: Daemon | undefined, server: http.Server | undefined): Promise<void> {
  await daemon?.stop();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
}
