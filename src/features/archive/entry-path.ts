/**
 * Entry paths of an archive that is not trusted yet. An entry must stay inside the folder it is extracted
 * to, whatever the platform: relative, POSIX separators only, no `.` or `..` segment, no empty segment, no
 * control character, no drive letter, bounded length and depth. Returns what is wrong, or undefined.
 */
export function entryPathProblem(p: string, maxLength = 1024, maxDepth = 32): string | undefined {
  if (p === '') return 'an empty path';
  if (p.length > maxLength) return `a path longer than ${maxLength} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'a control character in the path';
  if (p.includes('\\')) return 'a backslash in the path (only / separates folders)';
  if (p.startsWith('/')) return 'an absolute path';
  if (/^[A-Za-z]:/.test(p)) return 'a drive letter (an absolute Windows path)';
  const segments = (p.endsWith('/') ? p.slice(0, -1) : p).split('/');
  if (segments.length > maxDepth) return `a path more than ${maxDepth} folders deep`;
  for (const s of segments) {
    if (s === '') return 'an empty folder name (//)';
    if (s === '..') return 'a ".." segment (it would escape the folder)';
    if (s === '.') return 'a "." segment';
    if (s.length > 255) return 'a file name longer than 255 characters';
  }
  return undefined;
}

/** The path as an archive names it, shown to a person: quoted, control characters made visible. */
export function showPath(p: string): string {
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p);
}
