/**
 * A streaming tar writer: headers from the `tar` package (ustar, with a pax header when a path needs one),
 * file data streamed through with its sha256 computed on the way, backpressure respected, nothing
 * buffered beyond a small batch. It writes regular files only, owned by root with fixed modes, so an
 * archive depends on nothing but the files' contents, paths and times.
 *
 * `openArchive` writes a `.tar.gz` to a temporary name beside the target and links it into place only
 * once complete (a reader never sees half a backup, and an existing file is never overwritten).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';

import { Header, Pax } from 'tar';

const BLOCK = 512;
const BATCH = 256 * 1024;

export interface WrittenFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface EntryOptions {
  readonly mtime?: Date;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Sees every chunk of the file's data (e.g. to keep a small file's contents). */
  readonly onChunk?: (chunk: Buffer) => void;
}

/** Resolve when `stream` drains; reject if it fails or closes first. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (error: Error) => done(error);
    const onClose = () => done(new Error('the output closed'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

export class TarWriter {
  /** Every file written, in order. */
  readonly files: WrittenFile[] = [];
  /** File bytes written so far (for progress). */
  bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed: Error | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (error) => {
      this.failed ??= error;
    });
  }

  private async push(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (chunk.length >= BATCH) {
      await this.flush();
      await this.write(chunk);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.write(data);
  }

  private async write(data: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.out.write(data)) await drained(this.out);
  }

  private async header(entryPath: string, size: number, type: 'File' | 'Directory', opts: EntryOptions): Promise<void> {
    const data = {
      path: entryPath,
      mode: opts.mode ?? (type === 'File' ? 0o644 : 0o755),
      uid: opts.uid ?? 0,
      gid: opts.gid ?? 0,
      size,
      mtime: opts.mtime ?? new Date(),
      type,
      uname: '',
      gname: '',
    };
    const block = Buffer.alloc(BLOCK);
    const needPax = new Header(data).encode(block, 0);
    if (needPax) await this.push(new Pax({ path: entryPath, size, mtime: data.mtime }).encode());
    await this.push(block);
  }

  private async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest !== 0) await this.push(Buffer.alloc(BLOCK - rest));
  }

  async addBuffer(entryPath: string, data: Buffer, opts: EntryOptions = {}): Promise<WrittenFile> {
    return this.addStream(entryPath, data.length, [data], opts);
  }

  /** A directory entry (to give it an owner and mode when extracted). */
  async addDirectory(entryPath: string, opts: EntryOptions = {}): Promise<void> {
    await this.header(entryPath.endsWith('/') ? entryPath : `${entryPath}/`, 0, 'Directory', opts);
  }

  /** A file of exactly `size` bytes from `body`; anything else is an error (the header is already out). */
  async addStream(
    entryPath: string,
    size: number,
    body: AsyncIterable<Buffer> | Iterable<Buffer>,
    opts: EntryOptions = {},
  ): Promise<WrittenFile> {
    await this.header(entryPath, size, 'File', opts);
    const hash = createHash('sha256');
    let written = 0;
    for await (const chunk of body) {
      written += chunk.length;
      if (written > size) throw new Error(`${entryPath}: more data than its declared ${size} bytes`);
      hash.update(chunk);
      opts.onChunk?.(chunk);
      this.bytes += chunk.length;
      await this.push(chunk);
    }
    if (written !== size) throw new Error(`${entryPath}: ${written} bytes instead of the declared ${size}`);
    await this.pad(size);
    const file = { path: entryPath, size, sha256: hash.digest('hex') };
    this.files.push(file);
    return file;
  }

  /** A file from the local disk, streamed. */
  async addFile(entryPath: string, localPath: string, opts: EntryOptions = {}): Promise<WrittenFile> {
    const s = await stat(localPath);
    return this.addStream(entryPath, s.size, createReadStream(localPath, { highWaterMark: 1024 * 1024 }), {
      mtime: s.mtime,
      ...opts,
    });
  }

  /** The end-of-archive marker (two zero blocks); then the output is ended. */
  async end(): Promise<void> {
    await this.push(Buffer.alloc(BLOCK * 2));
    await this.flush();
    this.out.end();
  }
}

export interface ArchiveResult {
  readonly file: string;
  /** Size of the .tar.gz. */
  readonly bytes: number;
  /** sha256 of the .tar.gz. */
  readonly sha256: string;
}

export interface ArchiveWriter {
  readonly tar: TarWriter;
  /** Compressed bytes written so far. */
  compressedBytes(): number;
  /** Write the last entry, finish, sync and link the file into place. */
  finish(lastEntry: { readonly path: string; readonly data: Buffer }): Promise<ArchiveResult>;
  /** Give up: nothing is left behind. */
  abort(): Promise<void>;
}

/** Start writing `file` (a .tar.gz). It appears under its name only when finish() completes. */
export async function openArchive(file: string, opts: { level?: number } = {}): Promise<ArchiveWriter> {
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.partial-${randomBytes(4).toString('hex')}`);
  const gzip = createGzip({ level: opts.level ?? zlibConstants.Z_DEFAULT_COMPRESSION, chunkSize: 64 * 1024 });
  const hash = createHash('sha256');
  let compressed = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      compressed += chunk.length;
      done(null, chunk);
    },
  });
  const handle = await open(partial, 'wx', 0o600);
  const out = handle.createWriteStream({ highWaterMark: 1024 * 1024 });
  const written = pipeline(gzip, tap, out);
  written.catch(() => undefined); // observed in finish()/abort()
  const tar = new TarWriter(gzip);
  let closed = false;
  return {
    tar,
    compressedBytes: () => compressed,
    async finish(last) {
      await tar.addBuffer(last.path, last.data);
      await tar.end();
      await written;
      const sync = await open(partial, 'r');
      try {
        await sync.sync();
      } finally {
        await sync.close();
      }
      // link() refuses to replace an existing file: a backup is never overwritten.
      await link(partial, file);
      await rm(partial, { force: true });
      closed = true;
      return { file, bytes: compressed, sha256: hash.digest('hex') };
    },
    async abort() {
      if (closed) return;
      closed = true;
      gzip.destroy();
      out.destroy();
      await written.catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
}
