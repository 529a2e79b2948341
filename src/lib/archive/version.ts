import { readFileSync } from 'node:fs';
import path from 'node:path';

import { PACKAGE_ROOT } from '../stack/service-image.js';

let cached: string | undefined;

/** This wmon's version (package.json), recorded in every backup. */
export function wmonVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
