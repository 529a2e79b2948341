import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll } from 'vitest';

const made: string[] = [];

// Registered once, when a test file imports this module (at collection): a hook registered from inside a
// running test would never run, and its folders would be left behind.
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A temporary folder removed after the test file's tests (wherever it is made: in a test, a hook, or at the top). */
export async function tempDir(prefix = 'wmon-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
