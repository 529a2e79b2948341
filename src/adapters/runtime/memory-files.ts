/**
 * Files for the in-memory runtime (memory-runtime.ts): a volume's or a container's own files held in
 * memory, a bind mount's on the host disk, one view of a container's files across its mounts, and the
 * engine's archive API over that view (real tar streams, read and written with the `tar` package).
 *
 * What the engines do and this follows: an archive of a folder starts with the folder itself, named by its
 * base name, then everything below it (`data/`, `data/a.txt`, …); an archive of a file holds that file;
 * extracting creates missing parent folders, replaces files, keeps the owners, modes and times the archive
 * gives, and refuses paths that would leave the target folder. Symbolic links are kept as links (never
 * followed inside the view); hard links become copies; devices and FIFOs are refused.
 */
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { Header, Parser, Pax, type ReadEntry } from 'tar';

export interface FileStat {
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly size: number;
  /** Permission bits (e.g. 0o644). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Date;
}

export interface FileMeta {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: Date;
}

/** A file-system error with node's codes (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EROFS, EXDEV, ENOSPC, EINVAL). */
export class FilesError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'FilesError';
  }
}

/** One tree of files, addressed by path components below its root. */
export interface FileTree {
  stat(parts: readonly string[]): Promise<FileStat | null>;
  readdir(parts: readonly string[]): Promise<string[]>;
  readFile(parts: readonly string[]): Promise<Buffer>;
  readlink(parts: readonly string[]): Promise<string>;
  /** Replace or create a file; its folder must exist. */
  writeFile(parts: readonly string[], data: Buffer, meta: FileMeta): Promise<void>;
  /** Create a folder (its parent must exist), or set an existing folder's owner and mode. */
  mkdir(parts: readonly string[], meta: FileMeta): Promise<void>;
  symlink(parts: readonly string[], target: string, meta: FileMeta): Promise<void>;
  /** Remove a file, link or folder with everything in it. */
  remove(parts: readonly string[]): Promise<void>;
  rename(from: readonly string[], to: readonly string[]): Promise<void>;
}

// ---- in memory ---------------------------------------------------------------------------------

interface Meta {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}
type MemNode =
  | (Meta & { kind: 'dir'; children: Map<string, MemNode> })
  | (Meta & { kind: 'file'; data: Buffer })
  | (Meta & { kind: 'symlink'; target: string });

/** Bytes held in memory by every tree of one runtime, against a cap. */
export class ByteBudget {
  used = 0;
  constructor(readonly limit: number) {}

  change(delta: number, what: string): void {
    if (delta > 0 && this.used + delta > this.limit) {
      throw new FilesError(
        'ENOSPC',
        `no space left on device: ${what} would take the in-memory runtime past its ${this.limit} bytes`,
      );
    }
    this.used += delta;
  }
}

function metaOf(meta: FileMeta, kind: MemNode['kind']): Meta {
  return {
    mode: (meta.mode ?? (kind === 'dir' ? 0o755 : kind === 'symlink' ? 0o777 : 0o644)) & 0o7777,
    uid: meta.uid ?? 0,
    gid: meta.gid ?? 0,
    mtime: meta.mtime ?? new Date(),
  };
}

const show = (parts: readonly string[]) => `/${parts.join('/')}`;

function sizeOf(node: MemNode): number {
  if (node.kind === 'file') return node.data.length;
  if (node.kind === 'symlink') return 0;
  let total = 0;
  for (const child of node.children.values()) total += sizeOf(child);
  return total;
}

export class MemoryTree implements FileTree {
  private readonly root: MemNode = { kind: 'dir', children: new Map(), ...metaOf({}, 'dir') };

  constructor(private readonly budget: ByteBudget) {}

  private find(parts: readonly string[]): MemNode | undefined {
    let node: MemNode | undefined = this.root;
    for (const part of parts) {
      if (node?.kind !== 'dir') return undefined;
      node = node.children.get(part);
    }
    return node;
  }

  /** The folder that holds `parts` (which must exist and be a folder). */
  private parent(parts: readonly string[]): Map<string, MemNode> {
    if (parts.length === 0) throw new FilesError('EINVAL', 'the root of a tree cannot be replaced');
    const dir = this.find(parts.slice(0, -1));
    if (dir === undefined) throw new FilesError('ENOENT', `no such file or directory: ${show(parts.slice(0, -1))}`);
    if (dir.kind !== 'dir') throw new FilesError('ENOTDIR', `not a directory: ${show(parts.slice(0, -1))}`);
    return dir.children;
  }

  private node(parts: readonly string[]): MemNode {
    const node = this.find(parts);
    if (node === undefined) throw new FilesError('ENOENT', `no such file or directory: ${show(parts)}`);
    return node;
  }

  async stat(parts: readonly string[]): Promise<FileStat | null> {
    const node = this.find(parts);
    if (node === undefined) return null;
    const size = node.kind === 'file' ? node.data.length : node.kind === 'symlink' ? node.target.length : 0;
    return { kind: node.kind, size, mode: node.mode, uid: node.uid, gid: node.gid, mtime: node.mtime };
  }

  async readdir(parts: readonly string[]): Promise<string[]> {
    const node = this.node(parts);
    if (node.kind !== 'dir') throw new FilesError('ENOTDIR', `not a directory: ${show(parts)}`);
    return [...node.children.keys()].sort();
  }

  async readFile(parts: readonly string[]): Promise<Buffer> {
    const node = this.node(parts);
    if (node.kind === 'dir') throw new FilesError('EISDIR', `is a directory: ${show(parts)}`);
    if (node.kind === 'symlink') throw new FilesError('EINVAL', `is a symbolic link (not followed): ${show(parts)}`);
    return Buffer.from(node.data);
  }

  async readlink(parts: readonly string[]): Promise<string> {
    const node = this.node(parts);
    if (node.kind !== 'symlink') throw new FilesError('EINVAL', `not a symbolic link: ${show(parts)}`);
    return node.target;
  }

  async writeFile(parts: readonly string[], data: Buffer, meta: FileMeta): Promise<void> {
    const dir = this.parent(parts);
    const name = parts[parts.length - 1]!;
    const old = dir.get(name);
    if (old?.kind === 'dir') throw new FilesError('EISDIR', `is a directory: ${show(parts)}`);
    this.budget.change(data.length - (old ? sizeOf(old) : 0), `writing ${show(parts)}`);
    dir.set(name, { kind: 'file', data: Buffer.from(data), ...metaOf(meta, 'file') });
  }

  async mkdir(parts: readonly string[], meta: FileMeta): Promise<void> {
    if (parts.length === 0) {
      Object.assign(this.root, metaOf({ ...this.root, ...meta }, 'dir'));
      return;
    }
    const dir = this.parent(parts);
    const name = parts[parts.length - 1]!;
    const old = dir.get(name);
    if (old?.kind === 'dir') Object.assign(old, metaOf({ ...old, ...meta }, 'dir'));
    else if (old !== undefined) throw new FilesError('EEXIST', `file exists: ${show(parts)}`);
    else dir.set(name, { kind: 'dir', children: new Map(), ...metaOf(meta, 'dir') });
  }

  async symlink(parts: readonly string[], target: string, meta: FileMeta): Promise<void> {
    const dir = this.parent(parts);
    const name = parts[parts.length - 1]!;
    const old = dir.get(name);
    if (old?.kind === 'dir') throw new FilesError('EISDIR', `is a directory: ${show(parts)}`);
    if (old) this.budget.change(-sizeOf(old), `replacing ${show(parts)}`);
    dir.set(name, { kind: 'symlink', target, ...metaOf(meta, 'symlink') });
  }

  async remove(parts: readonly string[]): Promise<void> {
    const dir = this.parent(parts);
    const name = parts[parts.length - 1]!;
    const old = dir.get(name);
    if (old === undefined) throw new FilesError('ENOENT', `no such file or directory: ${show(parts)}`);
    dir.delete(name);
    this.budget.change(-sizeOf(old), `removing ${show(parts)}`);
  }

  async rename(from: readonly string[], to: readonly string[]): Promise<void> {
    const node = this.node(from);
    if (to.length >= from.length && from.every((p, i) => to[i] === p)) {
      if (to.length === from.length) return;
      throw new FilesError('EINVAL', `cannot move ${show(from)} into itself (${show(to)})`);
    }
    const target = this.parent(to);
    const name = to[to.length - 1]!;
    const old = target.get(name);
    if (old?.kind === 'dir' && (node.kind !== 'dir' || old.children.size > 0)) {
      throw new FilesError(node.kind === 'dir' ? 'ENOTEMPTY' : 'EISDIR', `cannot replace ${show(to)}`);
    }
    if (old !== undefined && old.kind !== 'dir' && node.kind === 'dir')
      throw new FilesError('ENOTDIR', `not a directory: ${show(to)}`);
    this.parent(from).delete(from[from.length - 1]!);
    if (old) this.budget.change(-sizeOf(old), `replacing ${show(to)}`);
    target.set(name, node);
  }
}

// ---- on the host (bind mounts) -----------------------------------------------------------------

export class HostTree implements FileTree {
  constructor(private readonly root: string) {}

  private at(parts: readonly string[]): string {
    return path.join(this.root, ...parts);
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new FilesError(code ?? 'EIO', (error as Error).message);
    }
  }

  private async meta(file: string, meta: FileMeta, kind: 'file' | 'dir'): Promise<void> {
    const m = metaOf(meta, kind);
    await chmod(file, m.mode);
    await utimes(file, m.mtime, m.mtime);
    // Engines run as root and keep the archive's owners; so does this, when it can.
    if (process.getuid?.() === 0) await chown(file, m.uid, m.gid);
  }

  async stat(parts: readonly string[]): Promise<FileStat | null> {
    try {
      const s = await lstat(this.at(parts));
      const kind = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'file';
      return { kind, size: kind === 'dir' ? 0 : s.size, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtime };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new FilesError((error as NodeJS.ErrnoException).code ?? 'EIO', (error as Error).message);
    }
  }

  readdir(parts: readonly string[]): Promise<string[]> {
    return this.wrap(async () => (await readdir(this.at(parts))).sort());
  }

  readFile(parts: readonly string[]): Promise<Buffer> {
    return this.wrap(() => readFile(this.at(parts)));
  }

  readlink(parts: readonly string[]): Promise<string> {
    return this.wrap(() => readlink(this.at(parts)));
  }

  writeFile(parts: readonly string[], data: Buffer, meta: FileMeta): Promise<void> {
    return this.wrap(async () => {
      const file = this.at(parts);
      await writeFile(file, data);
      await this.meta(file, meta, 'file');
    });
  }

  mkdir(parts: readonly string[], meta: FileMeta): Promise<void> {
    return this.wrap(async () => {
      const dir = this.at(parts);
      await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      if (!(await lstat(dir)).isDirectory()) throw Object.assign(new Error(`file exists: ${dir}`), { code: 'EEXIST' });
      await this.meta(dir, meta, 'dir');
    });
  }

  symlink(parts: readonly string[], target: string): Promise<void> {
    return this.wrap(async () => {
      await rm(this.at(parts), { force: true });
      await symlink(target, this.at(parts));
    });
  }

  remove(parts: readonly string[]): Promise<void> {
    return this.wrap(async () => {
      await lstat(this.at(parts));
      await rm(this.at(parts), { recursive: true });
    });
  }

  rename(from: readonly string[], to: readonly string[]): Promise<void> {
    return this.wrap(() => rename(this.at(from), this.at(to)));
  }
}

// ---- a container's view across its mounts ------------------------------------------------------

export interface Mount {
  /** Absolute path in the container, e.g. /prometheus. */
  readonly target: string;
  readonly tree: FileTree;
  readonly readOnly: boolean;
}

/** Split an absolute container path into components (`.` dropped, `..` resolved, never above /). */
export function pathParts(p: string): string[] {
  return path.posix
    .resolve('/', p)
    .split('/')
    .filter((s) => s !== '');
}

/**
 * A container's files as its processes see them: the container's own tree, with each mount's tree in
 * place of its target folder. Paths are absolute container paths. Used by exec handlers, tests, and the
 * archive API.
 */
export class ContainerFiles {
  private readonly mounts: { parts: string[]; tree: FileTree; readOnly: boolean }[];

  constructor(
    private readonly own: FileTree,
    mounts: readonly Mount[],
  ) {
    // Deepest first, so a mount inside another mount wins.
    this.mounts = mounts
      .map((m) => ({ parts: pathParts(m.target), tree: m.tree, readOnly: m.readOnly }))
      .sort((a, b) => b.parts.length - a.parts.length);
  }

  private resolve(p: string): { tree: FileTree; parts: string[]; readOnly: boolean; mountRoot: boolean } {
    const parts = pathParts(p);
    for (const m of this.mounts) {
      if (m.parts.length <= parts.length && m.parts.every((s, i) => parts[i] === s)) {
        return {
          tree: m.tree,
          parts: parts.slice(m.parts.length),
          readOnly: m.readOnly,
          mountRoot: parts.length === m.parts.length,
        };
      }
    }
    return { tree: this.own, parts, readOnly: false, mountRoot: parts.length === 0 };
  }

  private writable(p: string): { tree: FileTree; parts: string[]; mountRoot: boolean } {
    const r = this.resolve(p);
    if (r.readOnly) throw new FilesError('EROFS', `read-only file system: ${path.posix.resolve('/', p)}`);
    return r;
  }

  /** Mount points directly inside folder `parts` (they show as folders there). */
  private mountsIn(parts: readonly string[]): string[] {
    return this.mounts
      .filter((m) => m.parts.length === parts.length + 1 && parts.every((s, i) => m.parts[i] === s))
      .map((m) => m.parts[parts.length]!);
  }

  /** Null when there is nothing at `p`. Links are not followed. */
  async stat(p: string): Promise<FileStat | null> {
    const r = this.resolve(p);
    const s = await r.tree.stat(r.parts);
    if (s === null && r.mountRoot) return { kind: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) };
    return s;
  }

  async exists(p: string): Promise<boolean> {
    return (await this.stat(p)) !== null;
  }

  async readdir(p: string): Promise<string[]> {
    const r = this.resolve(p);
    const own = r.mountRoot && (await r.tree.stat(r.parts)) === null ? [] : await r.tree.readdir(r.parts);
    return [...new Set([...own, ...this.mountsIn(pathParts(p))])].sort();
  }

  async readFile(p: string): Promise<Buffer> {
    const r = this.resolve(p);
    return r.tree.readFile(r.parts);
  }

  async readText(p: string): Promise<string> {
    return (await this.readFile(p)).toString('utf8');
  }

  async readlink(p: string): Promise<string> {
    const r = this.resolve(p);
    return r.tree.readlink(r.parts);
  }

  /** Write a file, creating its missing folders (`mkdir -p`). */
  async writeFile(p: string, data: string | Buffer, meta: FileMeta = {}): Promise<void> {
    const parts = pathParts(p);
    await this.mkdir(`/${parts.slice(0, -1).join('/')}`, { recursive: true });
    const r = this.writable(p);
    await r.tree.writeFile(r.parts, typeof data === 'string' ? Buffer.from(data) : data, meta);
  }

  async mkdir(p: string, opts: FileMeta & { readonly recursive?: boolean } = {}): Promise<void> {
    const parts = pathParts(p);
    const { recursive, ...meta } = opts;
    for (let i = recursive ? 1 : parts.length; i <= parts.length; i++) {
      const sub = `/${parts.slice(0, i).join('/')}`;
      const s = await this.stat(sub);
      if (s?.kind === 'dir') {
        if (i < parts.length) continue;
        if (!recursive) throw new FilesError('EEXIST', `file exists: ${sub}`);
        if (Object.keys(meta).length === 0) return;
        // An existing folder takes the owner and mode given (as tar does when it extracts over one).
      } else if (s !== null) {
        throw new FilesError('ENOTDIR', `not a directory: ${sub}`);
      }
      const r = this.writable(sub);
      await r.tree.mkdir(r.parts, i === parts.length ? meta : {});
    }
  }

  async symlink(p: string, target: string, meta: FileMeta = {}): Promise<void> {
    const r = this.writable(p);
    await r.tree.symlink(r.parts, target, meta);
  }

  /** `rm`: a folder only with `recursive`; nothing there is an error unless `force`. */
  async rm(p: string, opts: { readonly recursive?: boolean; readonly force?: boolean } = {}): Promise<void> {
    const s = await this.stat(p);
    if (s === null) {
      if (opts.force) return;
      throw new FilesError('ENOENT', `no such file or directory: ${path.posix.resolve('/', p)}`);
    }
    if (s.kind === 'dir' && !opts.recursive)
      throw new FilesError('EISDIR', `is a directory: ${path.posix.resolve('/', p)}`);
    const r = this.writable(p);
    if (r.mountRoot) {
      // A mount point stays; what is in it goes (as `rm -rf /mountpoint` leaves the busy folder).
      for (const name of await r.tree.readdir(r.parts)) await r.tree.remove([...r.parts, name]);
      throw new FilesError('EBUSY', `device or resource busy: ${path.posix.resolve('/', p)}`);
    }
    await r.tree.remove(r.parts);
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.writable(from);
    const b = this.writable(to);
    if (a.tree !== b.tree || a.mountRoot || b.mountRoot)
      throw new FilesError('EXDEV', `cross-device link: ${from} → ${to}`);
    await a.tree.rename(a.parts, b.parts);
  }

  /** Every file and link below `p` (relative to it, sorted), for tests. */
  async list(p = '/'): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const name of await this.readdir(dir)) {
        const child = path.posix.join(dir, name);
        const s = await this.stat(child);
        if (s?.kind === 'dir') await walk(child, `${rel}${name}/`);
        else out.push(`${rel}${name}`);
      }
    };
    await walk(path.posix.resolve('/', p), '');
    return out.sort();
  }

  /** Total size of the files below `p`. */
  async size(p = '/'): Promise<number> {
    let total = 0;
    const root = path.posix.resolve('/', p);
    for (const rel of await this.list(root)) total += (await this.stat(path.posix.join(root, rel)))?.size ?? 0;
    return total;
  }
}

// ---- the archive API ---------------------------------------------------------------------------

const BLOCK = 512;

function header(
  entry: { path: string; type: 'File' | 'Directory' | 'SymbolicLink'; size: number; linkpath?: string } & Meta,
): Buffer {
  const data = { ...entry, uname: '', gname: '' };
  const block = Buffer.alloc(BLOCK);
  const needPax = new Header(data).encode(block, 0);
  if (!needPax) return block;
  const pax = new Pax({
    path: entry.path,
    size: entry.size,
    mtime: entry.mtime,
    ...(entry.linkpath ? { linkpath: entry.linkpath } : {}),
  });
  return Buffer.concat([pax.encode(), block]);
}

/**
 * The archive the engines' GET /containers/{id}/archive answers: `p` under its base name, and for a folder
 * everything below it (folders as `name/`), in name order.
 */
export async function archiveOf(files: ContainerFiles, p: string): Promise<Buffer> {
  const root = path.posix.resolve('/', p);
  const top = await files.stat(root);
  if (top === null) throw new FilesError('ENOENT', `no such file or directory: ${root}`);
  const chunks: Buffer[] = [];
  const add = async (abs: string, name: string, s: FileStat): Promise<void> => {
    const meta = { mode: s.mode, uid: s.uid, gid: s.gid, mtime: s.mtime };
    if (s.kind === 'dir') {
      chunks.push(header({ path: `${name}/`, type: 'Directory', size: 0, ...meta }));
      for (const child of await files.readdir(abs)) {
        const cs = await files.stat(path.posix.join(abs, child));
        if (cs) await add(path.posix.join(abs, child), `${name}/${child}`, cs);
      }
    } else if (s.kind === 'symlink') {
      chunks.push(header({ path: name, type: 'SymbolicLink', size: 0, linkpath: await files.readlink(abs), ...meta }));
    } else {
      const data = await files.readFile(abs);
      chunks.push(header({ path: name, type: 'File', size: data.length, ...meta }), data);
      if (data.length % BLOCK !== 0) chunks.push(Buffer.alloc(BLOCK - (data.length % BLOCK)));
    }
  };
  await add(root, root === '/' ? '.' : path.posix.basename(root), top);
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}

/** Largest archive extractInto accepts (it holds one entry at a time in memory). */
export const MAX_ENTRY_BYTES = 1024 * 1024 * 1024;

/**
 * What the engines' PUT /containers/{id}/archive does: extract a tar stream into the folder `dir`. Entries
 * are applied in order as they arrive; an error stops there (what was extracted stays, as with the engines).
 */
export async function extractInto(files: ContainerFiles, dir: string, source: Readable | Buffer): Promise<void> {
  const base = path.posix.resolve('/', dir);
  const parser = new Parser({ strict: true });
  let work = Promise.resolve();
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
  };
  const apply = async (entry: ReadEntry, data: Buffer): Promise<void> => {
    const rel = entry.path.replace(/\/+$/, '');
    const target = path.posix.resolve(base, rel);
    if (path.posix.isAbsolute(rel) || (target !== base && !target.startsWith(`${base === '/' ? '' : base}/`))) {
      throw new FilesError('EINVAL', `the archive's entry ${JSON.stringify(entry.path)} points outside ${base}`);
    }
    const meta = {
      mode: entry.mode ?? 0o644,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      mtime: entry.mtime ?? new Date(),
    };
    if (rel === '' || rel === '.') {
      if (entry.type !== 'Directory')
        throw new FilesError('EINVAL', `the archive's entry ${JSON.stringify(entry.path)} is not a file name`);
      return;
    }
    await files.mkdir(path.posix.dirname(target), { recursive: true });
    switch (entry.type) {
      case 'Directory':
        await files.mkdir(target, { recursive: true, ...meta });
        return;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        await files.writeFile(target, data, meta);
        return;
      case 'SymbolicLink':
        await files.symlink(target, entry.linkpath ?? '', meta);
        return;
      case 'Link': {
        const from = path.posix.resolve(base, entry.linkpath ?? '');
        await files.writeFile(target, await files.readFile(from), meta);
        return;
      }
      default:
        throw new FilesError(
          'EINVAL',
          `the archive's entry ${JSON.stringify(entry.path)} is a ${entry.type} (the in-memory runtime holds none)`,
        );
    }
  };
  parser.on('entry', (entry: ReadEntry) => {
    const chunks: Buffer[] = [];
    let size = 0;
    entry.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ENTRY_BYTES)
        fail(new FilesError('EFBIG', `${entry.path} is larger than ${MAX_ENTRY_BYTES} bytes`));
      else chunks.push(c);
    });
    entry.on('end', () => {
      const data = Buffer.concat(chunks);
      work = work.then(async () => {
        if (!failure) await apply(entry, data).catch(fail);
      });
    });
  });
  parser.on('warn', (code: string, message: string | Error) => {
    fail(new FilesError('EINVAL', `${code}: ${message instanceof Error ? message.message : message}`));
  });
  await new Promise<void>((resolve, reject) => {
    const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
    parser.on('end', resolve);
    parser.on('error', reject);
    stream.on('error', reject);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
  await work;
  if (failure) throw failure;
}

/** A host path as a bind mount source must be: an absolute folder that exists. */
export async function hostFolderProblem(source: string): Promise<string | undefined> {
  try {
    const s = await lstat(source);
    return s.isDirectory() ? undefined : `${source} is not a directory`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? `${source}: no such file or directory`
      : (error as Error).message;
  }
}
