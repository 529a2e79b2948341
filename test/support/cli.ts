import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO, 'bin/run.js');

/**
 * Run the built `wmon` binary as a user would (a real process, real exit code). `npm test` builds first;
 * running a test file alone needs `npm run build`.
 */
export async function wmon(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<CliResult> {
  if (!existsSync(path.join(REPO, 'dist/commands'))) throw new Error('dist/ is missing: run `npm run build` first.');
  const r = await execa('node', [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { NO_COLOR: '1', ...opts.env },
    reject: false,
    timeout: opts.timeout ?? 120_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `wmon … --json`: the run, and its stdout parsed (undefined when it is not JSON, e.g. a crash). */
export async function wmonJson<T>(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<CliResult & { readonly json: T }> {
  const r = await wmon([...args, '--json'], opts);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = undefined;
  }
  return { ...r, json: parsed as T };
}

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The run's stdout as JSON, checked by `schema`; a failure shows the exit code, stdout and stderr. */
export function jsonOutput<T>(r: CliResult, schema: { parse(v: unknown): T }): T {
  try {
    return schema.parse(JSON.parse(r.stdout));
  } catch (error) {
    throw new Error(`${String(error)}\nexit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
