/**
 * Read a tar stream (optionally gzip-compressed) one entry at a time, in order, with backpressure: the
 * handler gets each entry's header and an async iterable of its data, and the next entry is read only
 * once the handler is done (data it did not read is skipped). Parsing is the `tar` package's, in strict
 * mode: a bad header checksum or a truncated archive is an error, never a warning. Nothing is extracted:
 * what happens to the data is the handler's business.
 *
 * In front of the parser, TarFraming follows the archive block by block and lets through only what every
 * tar reader reads the same way (see there): reading stops at the end-of-archive marker, and what follows
 * it is bounded, so no archive costs more than its entries.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { Header, Parser, type ReadEntry } from 'tar';

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

/**
 * Why reading failed: the compression layer; the tar layer, as the parser words it (`tar`) or as a sentence
 * about the archive (`frame`: damaged, truncated, data after the end); or an entry of a kind that tar readers
 * do not all read alike (`entry`, refused).
 */
export class TarReadError extends Error {
  constructor(
    readonly layer: 'gzip' | 'tar' | 'frame' | 'entry',
    message: string,
  ) {
    super(message);
    this.name = 'TarReadError';
  }
}

export type EntryHandler = (header: TarEntryHeader, body: AsyncIterable<Buffer>) => Promise<void>;

export interface TarReadOptions {
  readonly gunzip: boolean;
  /**
   * Zero bytes allowed after the end-of-archive marker: the padding of the last record (GNU tar and bsdtar
   * pad to 10 KiB records; a blocking factor of up to 2048 fits). More, or anything not zero, is refused.
   */
  readonly maxTrailingBytes?: number;
  /**
   * The container engine's own archives may carry pax keys a backup never has (extended attributes as
   * SCHILY.xattr.*, …): with `engine`, those are passed over (the parser ignores them); keys that change what
   * is read (a link target, a type, sparse data, a size) are refused all the same. Default `backup`.
   */
  readonly source?: 'backup' | 'engine';
}

export const MAX_TRAILING_BYTES = 1024 * 1024;
/** A pax extended header's data (wmon writes a path of at most 1024 characters, a size and a time). */
const MAX_PAX_BYTES = 8 * 1024;
const BLOCK = 512;

/** pax keys whose meaning every reader agrees on, and that cannot move data or make a link. */
const PAX_KEYS = new Set(['path', 'size', 'mtime', 'atime', 'ctime', 'uid', 'gid', 'uname', 'gname']);
/** pax keys that change what is read or how: refused even in the engine's archives. */
const PAX_KEYS_REFUSED = /^(linkpath|type|charset|hdrcharset|mode|dev|ino|nlink|SCHILY\.(dev|ino|nlink)|GNU\..*)$/;

/** Entry types, by their type flag, that are read as entries (the verifier decides about each). */
const ENTRY_TYPES = new Map([
  ['0', 'File'],
  ['', 'OldFile'],
  ['7', 'ContiguousFile'],
  ['5', 'Directory'],
  ['1', 'Link'],
  ['2', 'SymbolicLink'],
  ['3', 'CharacterDevice'],
  ['4', 'BlockDevice'],
  ['6', 'FIFO'],
]);
const WITH_DATA = new Set(['0', '', '7']);

function refusedType(flag: string): string {
  switch (flag) {
    case 'g':
      return 'a pax global header (type g), which other tar readers apply to every entry after it';
    case 'L':
    case 'K':
    case 'N':
      return `a GNU long-name header (type ${flag}), which tar readers combine with other headers differently`;
    case 'S':
      return 'a GNU sparse file (type S), whose data other tar readers expand differently';
    default:
      return `an entry of type ${JSON.stringify(flag)}, which a wmon backup never has`;
  }
}

const isZero = (b: Buffer) => {
  for (const x of b) if (x !== 0) return false;
  return true;
};

/**
 * Follows a tar stream block by block and passes it on unchanged, up to and including its end-of-archive
 * marker, refusing what tar readers read differently (so the archive checked is the archive anyone unpacks):
 *  - headers with a bad checksum or a size field that is not plain octal or positive base-256;
 *  - pax global headers, GNU long names and sparse files, any type not in ENTRY_TYPES;
 *  - pax extended headers over 8 KiB, with a record that is not exactly `<length> <key>=<value>\n`, a key
 *    not in PAX_KEYS (GNU.sparse.*, linkpath, charset, SCHILY.*, …), a key twice, a size other than the one in
 *    the header it precedes, or followed by anything but an entry;
 *  - data in an entry other than a regular file (or in a file named like a folder, which is one to the
 *    parser); a lone zero block (GNU tar stops there, others read on);
 *  - after the marker: anything but zeros, or more than maxTrailingBytes of them. Without this, the
 *    `tar` parser keeps appending what follows the marker to one buffer (quadratic in its size).
 * An input that ends before the marker is truncated.
 */
class TarFraming extends Transform {
  private readonly headerBlock = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of the current entry's data (and padding) still to pass on. */
  private dataLeft = 0;
  private paxData: Buffer[] | undefined;
  private paxSize = 0;
  /** Attributes of a pax extended header, waiting for the entry they apply to. */
  private pax: Map<string, string> | undefined;
  private zeroBlocks = 0;
  private sawEnd = false;
  private trailing = 0;

  constructor(
    private readonly maxTrailingBytes: number,
    private readonly source: 'backup' | 'engine',
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.sawEnd ? null : new TarReadError('frame', 'it ends before its end-of-archive marker (truncated)'));
  }

  private consume(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.sawEnd) {
        const rest = chunk.subarray(pos);
        if (!isZero(rest))
          throw new TarReadError(
            'frame',
            "it has data after the tar's end-of-archive marker (tar --ignore-zeros would read it as more entries)",
          );
        this.trailing += rest.length;
        if (this.trailing > this.maxTrailingBytes)
          throw new TarReadError(
            'frame',
            `it has more than ${this.maxTrailingBytes} bytes after the tar's end-of-archive marker`,
          );
        return;
      }
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - pos);
        const part = chunk.subarray(pos, pos + n);
        if (this.paxData) this.paxData.push(part);
        this.push(part);
        this.dataLeft -= n;
        pos += n;
        if (this.dataLeft === 0 && this.paxData) this.endPax();
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
      chunk.copy(this.headerBlock, this.headerFill, pos, pos + n);
      this.headerFill += n;
      pos += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader(Buffer.from(this.headerBlock));
      }
    }
  }

  private onHeader(block: Buffer): void {
    if (isZero(block)) {
      this.zeroBlocks += 1;
      this.push(block);
      if (this.zeroBlocks === 2) {
        if (this.pax) throw new TarReadError('entry', 'a pax extended header is followed by no entry');
        this.sawEnd = true;
      }
      return;
    }
    if (this.zeroBlocks > 0)
      throw new TarReadError('frame', 'a lone zero block before more entries (GNU tar stops reading there)');
    const h = new Header(block);
    const name = h.path ? JSON.stringify(h.path.length > 200 ? `${h.path.slice(0, 200)}…` : h.path) : 'an entry';
    if (!h.cksumValid) throw new TarReadError('frame', `the header of ${name} is damaged (bad checksum)`);
    const size = this.sizeOf(block, name);
    const flag = block[156] === 0 ? '' : String.fromCharCode(block[156]!);
    if (flag === 'x') {
      if (this.pax) throw new TarReadError('entry', 'two pax extended headers in a row');
      if (size > MAX_PAX_BYTES)
        throw new TarReadError('entry', `a pax extended header of ${size} bytes (at most ${MAX_PAX_BYTES})`);
      this.push(block);
      this.paxData = [];
      this.paxSize = size;
      this.dataLeft = Math.ceil(size / BLOCK) * BLOCK;
      if (this.dataLeft === 0) this.endPax();
      return;
    }
    if (!ENTRY_TYPES.has(flag)) throw new TarReadError('entry', `${name} is ${refusedType(flag)}`);
    if (!WITH_DATA.has(flag) && size !== 0)
      throw new TarReadError('entry', `${name} is a ${ENTRY_TYPES.get(flag)!} with ${size} bytes of data`);
    // The `tar` parser (like old tar readers) takes a file whose name ends with / for a folder, and reads no
    // data for a folder: such a file must have none.
    if ((flag === '0' || flag === '') && size !== 0 && (this.pax?.get('path') ?? h.path ?? '').endsWith('/'))
      throw new TarReadError('entry', `${name} is a file named like a folder, with ${size} bytes of data`);
    const paxSize = this.pax?.get('size');
    if (paxSize !== undefined && Number(paxSize) !== size)
      throw new TarReadError(
        'entry',
        `${name}: its pax header gives a size of ${paxSize} bytes, its tar header ${size} (readers would disagree)`,
      );
    this.pax = undefined;
    this.push(block);
    this.dataLeft = Math.ceil(size / BLOCK) * BLOCK;
  }

  /** The size field: octal digits (space or NUL ended), or base-256 (a positive number, first bit set). */
  private sizeOf(block: Buffer, name: string): number {
    const field = block.subarray(124, 136);
    let size: number | undefined;
    if (field[0] === 0x80) {
      size = 0;
      for (const b of field.subarray(1)) size = size * 256 + b;
    } else {
      const text = field.toString('latin1');
      if (/^ *[0-7]+[ \0]*$/.test(text)) size = parseInt(text.trim(), 8);
    }
    if (size === undefined || !Number.isSafeInteger(size))
      throw new TarReadError('frame', `the header of ${name} has a malformed size field`);
    return size;
  }

  /** Check a pax extended header's records: exactly what every reader parses alike, nothing else. */
  private endPax(): void {
    const data = Buffer.concat(this.paxData!).subarray(0, this.paxSize);
    this.paxData = undefined;
    const bad = (what: string) => new TarReadError('entry', `a pax extended header ${what}`);
    const records = new Map<string, string>();
    let pos = 0;
    while (pos < data.length) {
      const space = data.indexOf(0x20, pos);
      const lengthText = space === -1 ? '' : data.toString('latin1', pos, space);
      if (!/^[1-9][0-9]{0,5}$/.test(lengthText)) throw bad('has a malformed record');
      const end = pos + Number(lengthText);
      if (end > data.length || data[end - 1] !== 0x0a) throw bad('has a malformed record');
      const record = data.subarray(space + 1, end - 1);
      const eq = record.indexOf(0x3d);
      if (eq <= 0) throw bad('has a malformed record');
      const key = record.toString('utf8', 0, eq);
      const value = record.toString('utf8', eq + 1);
      if (/[\n\0]/.test(value)) throw bad(`has a newline or NUL in its ${JSON.stringify(key)} value`);
      if (key.startsWith('GNU.sparse.'))
        throw bad('describes a GNU sparse file, which other tar readers expand differently');
      if (key === 'linkpath') throw bad('sets a link target (a wmon backup has no links)');
      if (!PAX_KEYS.has(key) && (this.source === 'backup' || PAX_KEYS_REFUSED.test(key)))
        throw bad(`sets ${JSON.stringify(key.slice(0, 64))}, which a wmon backup never has`);
      if (records.has(key)) throw bad(`sets ${key} twice`);
      if (key === 'size' && !/^[0-9]{1,16}$/.test(value)) throw bad('has a malformed size');
      if (key === 'path' && value === '') throw bad('has an empty path');
      records.set(key, value);
      pos = end;
    }
    this.pax = records;
  }
}

export async function readTar(source: Readable, opts: TarReadOptions, onEntry: EntryHandler): Promise<void> {
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
  const framing = new TarFraming(opts.maxTrailingBytes ?? MAX_TRAILING_BYTES, opts.source ?? 'backup');
  source.on('error', (error) =>
    fail(new TarReadError(gunzip ? 'gzip' : 'tar', `cannot read the archive: ${error.message}`)),
  );
  gunzip?.on('error', (error) => fail(new TarReadError('gzip', error.message)));
  framing.on('error', (error) =>
    fail(error instanceof TarReadError ? error : new TarReadError('frame', (error as Error).message)),
  );
  (gunzip ? source.pipe(gunzip) : source).pipe(framing).pipe(parser as unknown as NodeJS.WritableStream);

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
    framing.destroy();
    throw error;
  }
}
