import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Path of promtool or amtool: scripts/prom-tools.sh puts Debian's in .cache/bin; else PATH. Fails loudly
 * (never skips) when absent, since CI installs them.
 */
export function promTool(name: 'promtool' | 'amtool'): string {
  const dirs = [path.join(repo, '.cache/bin'), ...(process.env.PATH ?? '').split(path.delimiter)];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next folder
    }
  }
  throw new Error(`${name} not found in .cache/bin or on PATH: run scripts/prom-tools.sh (CI does this in .ci/run).`);
}
