/**
 * Read a tar stream (optionally gzip-compressed) one entry at a time, in order, with backpressure: the
 * handler gets each entry's header and an async iterable of its data, and the next entry is read only
 * once the handler is done (data it did not read is skipped). Parsing is the `tar` package's, in strict
 * mode: a bad header checksum or a truncated archive is an error, never a warning. Nothing is extracted:
 * what happens to the data is the handler's business.
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { Parser, type ReadEntry } from 'tar';

export interface TarEntryHeader {
  /** As the archive names it (after pax/GNU long-name headers), untouched: check it before use. */
  readonly path: string;
  /** The `tar` package's type name: File, OldFile, Directory, SymbolicLink, Link, CharacterDevice, … */
  readonly type: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Date | undefined;
  /** Target of a link. */
  readonly linkpath: string | undefined;
}

/** Why reading failed: the compression layer, or the tar layer. */
export class TarReadError extends Error {
  constructor(
    readonly layer: 'gzip' | 'tar',
    message: string,
  ) {
    super(message);
    this.name = 'TarReadError';
  }
}

export type EntryHandler = (header: TarEntryHeader, body: AsyncIterable<Buffer>) => Promise<void>;

export async function readTar(source: Readable, opts: { gunzip: boolean }, onEntry: EntryHandler): Promise<void> {
  const parser = new Parser({ strict: true });
  const queue: ReadEntry[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let current: ReadEntry | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: Error) => {
    failure ??= error;
    // Unblock a handler waiting for data that will never come.
    if (current && current.listenerCount('error') > 0) current.emit('error', failure);
    poke();
  };

  parser.on('entry', (entry: ReadEntry) => {
    entry.pause();
    queue.push(entry);
    poke();
  });
  parser.on('warn', (code: string, message: string | Error) =>
    fail(new TarReadError('tar', `${code}: ${String(message instanceof Error ? message.message : message)}`)),
  );
  parser.on('error', (error: Error) => fail(new TarReadError('tar', error.message)));
  parser.on('end', () => {
    ended = true;
    poke();
  });

  // The Parser is a writable in all but name: pipe() into it (stream.pipeline wants a real stream).
  const gunzip = opts.gunzip ? createGunzip() : undefined;
  source.on('error', (error) =>
    fail(new TarReadError(gunzip ? 'gzip' : 'tar', `cannot read the archive: ${error.message}`)),
  );
  gunzip?.on('error', (error) => fail(new TarReadError('gzip', error.message)));
  (gunzip ? source.pipe(gunzip) : source).pipe(parser as unknown as NodeJS.WritableStream);

  try {
    for (;;) {
      if (failure) throw failure;
      const entry = queue.shift();
      if (entry) {
        current = entry;
        const header: TarEntryHeader = {
          path: entry.path,
          type: entry.type,
          size: entry.size ?? 0,
          mode: entry.mode ?? 0,
          uid: entry.uid ?? 0,
          gid: entry.gid ?? 0,
          mtime: entry.mtime,
          linkpath: entry.linkpath,
        };
        await onEntry(header, entry as unknown as AsyncIterable<Buffer>);
        if (!entry.emittedEnd) {
          await new Promise<void>((resolve, reject) => {
            entry.once('end', resolve);
            entry.once('error', reject);
            entry.resume();
          });
        }
        current = undefined;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure) throw failure;
  } catch (error) {
    source.destroy();
    gunzip?.destroy();
    throw error;
  }
}
