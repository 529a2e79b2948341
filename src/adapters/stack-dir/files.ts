import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { WmonError } from '../../errors.js';
import type { RenderedFile } from '../../core/render/index.js';

/** Lists what wmon wrote last time, so files of a component switched off can be removed (and nothing else). */
export const RENDERED_INDEX = '.rendered.json';

export interface WriteResult {
  readonly dir: string;
  readonly created: readonly string[];
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Write rendered files under `dir`: each file atomically (temporary file, then rename, so a running
 * component never reads half a file), untouched when its contents are the same, and files wmon rendered
 * before but no longer renders are removed. Files wmon did not write are never touched.
 */
export async function writeRenderedFiles(
  dir: string,
  files: readonly Pick<RenderedFile, 'path' | 'contents'>[],
): Promise<WriteResult> {
  const root = path.resolve(dir);
  const created: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  const removed: string[] = [];
  try {
    await mkdir(root, { recursive: true });
    const previous = await readIndex(root);
    for (const file of files) {
      const target = path.join(root, ...file.path.split('/'));
      const existing = await readFile(target, 'utf8').catch(() => undefined);
      if (existing === file.contents) {
        unchanged.push(file.path);
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
      await writeFile(tmp, file.contents, { mode: 0o644 });
      await rename(tmp, target);
      (existing === undefined ? created : changed).push(file.path);
    }
    const current = new Set(files.map((f) => f.path));
    for (const old of previous) {
      if (current.has(old) || old.includes('..') || path.isAbsolute(old)) continue;
      await rm(path.join(root, ...old.split('/')), { force: true });
      removed.push(old);
    }
    await writeFile(path.join(root, RENDERED_INDEX), `${JSON.stringify([...current].sort(), null, 2)}\n`);
  } catch (error) {
    throw new WmonError(`Cannot write the rendered configuration to ${root}: ${(error as Error).message}`, {
      code: 'RENDER_WRITE_FAILED',
      suggestions: ['Check that the folder is writable (or choose another with --out / stackDir in wmon.yaml).'],
    });
  }
  return { dir: root, created, changed, unchanged, removed };
}

/** What writeRenderedFiles would do, without writing anything (for --dry-run). */
export async function diffRenderedFiles(
  dir: string,
  files: readonly RenderedFile[],
): Promise<Omit<WriteResult, 'dir'>> {
  const root = path.resolve(dir);
  const created: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const file of files) {
    const existing = await readFile(path.join(root, ...file.path.split('/')), 'utf8').catch(() => undefined);
    (existing === undefined ? created : existing === file.contents ? unchanged : changed).push(file.path);
  }
  const current = new Set(files.map((f) => f.path));
  const removed = (await readIndex(root)).filter((p) => !current.has(p));
  return { created, changed, unchanged, removed };
}

async function readIndex(root: string): Promise<string[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(root, RENDERED_INDEX), 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}
