/** This wmon package: where it is installed, its version, and the files it ships (templates). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root: src/package.ts and dist/package.js are both one level down. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The starter wmon.yaml (also the README's reference, kept equal by a test). */
export const TEMPLATE_FILE = path.join(PACKAGE_ROOT, 'templates', 'wmon.yaml');

/** The runbooks, one markdown file per alert (`wmon runbook`). */
export const RUNBOOKS_DIR = path.join(PACKAGE_ROOT, 'runbooks');

let cached: string | undefined;

/** This wmon's version (package.json), recorded in every backup. */
export function wmonVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
