/**
 * The shell scripts wmon ships (scripts/ in the package: `wmon engine install` runs
 * scripts/engine/install.sh, `wmon images build` runs scripts/engine/build-images.sh), run as child
 * processes: stderr is their progress, one line at a time; stdout their result. Bounded in time and output.
 */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { execa } from 'execa';

import { PACKAGE_ROOT } from '../../package.js';

export const SCRIPTS_DIR = path.join(PACKAGE_ROOT, 'scripts');

export interface ScriptRun {
  /** Their stdout, trimmed. */
  readonly stdout: string;
}

export type ScriptFailure =
  | { readonly kind: 'missing'; readonly file: string }
  | {
      readonly kind: 'failed';
      readonly exitCode: number | undefined;
      readonly timedOut: boolean;
      readonly tail: string;
    };

export class ScriptError extends Error {
  constructor(
    readonly script: string,
    readonly failure: ScriptFailure,
  ) {
    super(
      failure.kind === 'missing'
        ? `${failure.file} is missing from the installed package`
        : failure.timedOut
          ? `${script} did not finish in time`
          : `${script} failed (exit ${failure.exitCode ?? 'unknown'})`,
    );
  }
}

const TAIL_LINES = 20;
const MAX_LINE = 2000;

/**
 * Run `scripts/<script>` with `args`, calling `onLine` with each line it prints on stderr. Rejects with a
 * ScriptError holding its last stderr lines when it fails or runs past `timeoutMs`.
 */
export async function runScript(
  script: string,
  args: readonly string[],
  opts: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs: number; onLine(line: string): void },
): Promise<ScriptRun> {
  const file = path.join(SCRIPTS_DIR, script);
  try {
    await access(file, constants.X_OK);
  } catch {
    throw new ScriptError(script, { kind: 'missing', file });
  }
  const child = execa(file, args, {
    env: opts.env ?? {},
    reject: false,
    timeout: opts.timeoutMs,
    // stdout (the result) is kept, bounded; stderr (progress) is read line by line below, not kept.
    buffer: { stdout: true, stderr: false },
    maxBuffer: 1_000_000,
    stdin: 'ignore',
    stderr: 'pipe',
    // Started from / so that nothing depends on the caller's folder (the engine service outlives this run).
    cwd: '/',
  });
  const tail: string[] = [];
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (raw) => {
    const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}…` : raw;
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    opts.onLine(line);
  });
  const result = await child;
  if (result.failed) {
    throw new ScriptError(script, {
      kind: 'failed',
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      tail: tail.join('\n'),
    });
  }
  return { stdout: String(result.stdout).trim() };
}

/** Whether `name` is an executable on PATH. */
export async function onPath(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    try {
      await access(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this one
    }
  }
  return false;
}
