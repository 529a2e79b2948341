/**
 * Finds and runs promtool for the tests. promtool of the Prometheus CI runs (scripts/versions.env, the
 * oldest wmon supports) is put into .cache/bin by scripts/prom-tools.sh; one on PATH works too.
 * When neither exists the tests fail with the command to run: a missing tool must never look like a pass.
 */
import { constants } from 'node:fs';
import { access, copyFile, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** promtool from `<root>/.cache/bin`, else from the directories of `pathEnv` (default: this repo and PATH). */
export async function findPromtool(
  options: { readonly root?: string; readonly pathEnv?: string } = {},
): Promise<string> {
  const candidates = [
    path.join(options.root ?? REPO_ROOT, '.cache', 'bin', 'promtool'),
    ...(options.pathEnv ?? process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, 'promtool')),
  ];
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }
  throw new Error(
    'promtool was not found in .cache/bin or on PATH. Run scripts/prom-tools.sh once (it puts the promtool ' +
      "of Debian's package at the version in scripts/versions.env into .cache/bin), then run the tests again.",
  );
}

export interface PromtoolResult {
  readonly exitCode: number;
  /** stdout and stderr together, for assertion messages. */
  readonly output: string;
}

/** Run promtool in `cwd`; never throws on a non-zero exit, so tests can show promtool's own output. */
export async function promtool(bin: string, args: readonly string[], cwd: string): Promise<PromtoolResult> {
  const result = await execa(bin, args, { cwd, reject: false, all: true, timeout: 60_000 });
  return { exitCode: result.exitCode ?? -1, output: result.all ?? '' };
}

/** The promtool test files (`*.test.yml`) of a folder, sorted. */
export const listTestFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name.endsWith('.test.yml')).sort();

/** Write `rules` as rules.yml into a new temporary folder under `root`, with the test files of `fromDir`. */
export async function prepareSuite(rules: unknown, fromDir: string, root: string): Promise<string> {
  const dir = await mkdtemp(path.join(root, 'suite-'));
  await writeFile(path.join(dir, 'rules.yml'), stringify(rules, { lineWidth: 0 }));
  for (const name of await listTestFiles(fromDir)) await copyFile(path.join(fromDir, name), path.join(dir, name));
  return dir;
}
