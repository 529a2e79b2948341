import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ComponentId } from '../../core/config/schema.js';

/**
 * What wmon last applied, kept in <stackDir>/state.json: each component's rendered-files hash once its
 * container had picked the files up (created, restarted or reloaded). A container label cannot be changed
 * after creation, so this file is what tells "files changed since the last reload". Losing it is harmless:
 * the next run reloads once.
 */
export const STATE_FILE = 'state.json';

export interface StackState {
  readonly version: 1;
  readonly components: Partial<Record<ComponentId, { readonly filesHash: string; readonly appliedAt: string }>>;
}

export async function readState(stackDir: string): Promise<StackState> {
  try {
    const parsed = JSON.parse(await readFile(path.join(stackDir, STATE_FILE), 'utf8')) as Partial<StackState>;
    if (parsed.version === 1 && parsed.components && typeof parsed.components === 'object') return parsed as StackState;
  } catch {
    // missing or unreadable: nothing applied yet
  }
  return { version: 1, components: {} };
}

export async function writeState(stackDir: string, state: StackState): Promise<void> {
  await mkdir(stackDir, { recursive: true });
  const file = path.join(stackDir, STATE_FILE);
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

export function appliedHashes(state: StackState): Partial<Record<ComponentId, string>> {
  const out: Partial<Record<ComponentId, string>> = {};
  for (const [id, v] of Object.entries(state.components) as Array<[ComponentId, { filesHash: string }]>)
    out[id] = v.filesHash;
  return out;
}
