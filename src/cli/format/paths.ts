import path from 'node:path';

/** A path as a user in the current folder reads it: relative when inside it, absolute otherwise. */
export function shortPath(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}
