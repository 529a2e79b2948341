import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

import { nonRegularKind } from '../vocab/file-kind.js';

/** At most this many bytes of a PEM file named in wmon.yaml (certificates, keys, CA bundles) are read. */
export const MAX_PEM_FILE_BYTES = 1024 * 1024;

/** At most this many bytes of a secret file wmon.yaml names (a password, token, key or URL) are read. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export type SmallFile =
  { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly problem: string };

/**
 * The bytes of a small file wmon.yaml names, or why it cannot be used. Only a regular file of at most
 * `maxBytes` is read: its kind and size are checked before it is opened and again on the open file (the path
 * may change in between), it is opened without blocking (a FIFO cannot make wmon wait for a writer), and never
 * more than the limit is read. `what` names the file in problems, e.g. `certificate file`.
 */
export function readSmallFileSync(file: string, maxBytes: number, what: string): SmallFile {
  const check = (info: ReturnType<typeof statSync> & object): string | undefined => {
    const kind = nonRegularKind(info);
    if (kind) return `${what} ${file} is ${kind}, not a regular file`;
    if (info.size > maxBytes) return `${what} ${file} is ${info.size} bytes; it may have at most ${maxBytes} bytes`;
    return undefined;
  };
  let fd: number | undefined;
  try {
    const before = check(statSync(file));
    if (before) return { ok: false, problem: before };
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const after = check(fstatSync(fd));
    if (after) return { ok: false, problem: after };
    // One byte more than the limit tells a file that grew since it was checked.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) return { ok: false, problem: `${what} ${file} grew beyond ${maxBytes} bytes` };
    }
    return { ok: true, bytes: Buffer.from(buffer.subarray(0, length)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, problem: `${what} ${file} does not exist` };
    if (code === 'EACCES') return { ok: false, problem: `${what} ${file} cannot be read (permission denied)` };
    return { ok: false, problem: `${what} ${file} cannot be read (${code ?? (error as Error).message})` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
