/**
 * A ContainerRuntime held in memory, for tests of everything above the runtime (init/up, down, reset,
 * backup, restore, check) without an engine. It keeps the interface's contract as the real runtime does
 * (test/adapters/runtime/runtime-contract.ts runs against both): names or ids wherever a container is
 * meant, "absent" answered with null/false, every other refusal an EngineError worded as the real one's.
 *
 * What it holds: networks, volumes with real file contents, images (local, or "in the registry" to be
 * pulled), containers with their spec, labels, state and files (their own, and each mount's: a named
 * volume's files are the volume's, a bind mount's are the host folder's), logs, and the archive API as real
 * tar streams. What it does not do: run anything. A container "runs" from start to stop; a test makes it
 * exit (`crashOnStart`, `exit`), writes its logs (`appendLog`), and answers its exec commands
 * (`handleExec`: without a handler, exec fails, naming the command). Builds check the Dockerfile, its base
 * images and the files it copies, and record the tag with its labels; they copy no files into the image.
 * Restart policies are recorded, not applied: a container that exits stays exited.
 *
 * Where Docker and Podman differ, it behaves like Docker unless `engine: 'Podman'` changes a name
 * (default network, volume mount points, tag form), and is strict where they disagree on a refusal
 * (removing a network any container is attached to, a bind mount source that does not exist).
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { Parser, type ReadEntry } from 'tar';

import type * as Runtime from './container-runtime.js';
import {
  bindNotAbsoluteError,
  EngineError,
  imageMissingError,
  nameTakenError,
  noSuchFolderError,
  pullFailedError,
} from './engine-error.js';
import { WmonError } from '../../errors.js';
import { normalizeImageRef, parseImageRef } from './image-ref.js';
import {
  archiveOf,
  ByteBudget,
  ContainerFiles,
  extractInto,
  FilesError,
  HostTree,
  hostFolderProblem,
  MemoryTree,
  type Mount,
} from './memory-files.js';
import { LABELS } from '../../core/model/container-types.js';
import type * as Engine from '../../core/model/container-types.js';

export { ContainerFiles, FilesError, type FileStat } from './memory-files.js';

/** The runtime's methods, by name (for failOn and the call journal). */
export type RuntimeMethod = Exclude<keyof Runtime.ContainerRuntime, 'engine'>;

/** An image a test makes present locally, or available in the registry. */
export interface ImageSeed {
  readonly labels?: Readonly<Record<string, string>>;
  /** Default: derived from the reference. */
  readonly id?: string;
  readonly created?: Date;
  readonly sizeBytes?: number;
  /** Registry digests. Default: none for a local image, one (`<repository>@sha256:…`) for a pulled one. */
  readonly digests?: readonly string[];
  /** Files every container from this image starts with, by absolute path. */
  readonly files?: Readonly<Record<string, string | Buffer>>;
}

export interface MemoryRuntimeOptions {
  /** Which engine it stands for (default Docker). */
  readonly engine?: 'Docker' | 'Podman';
  /** Images present locally, by reference. */
  readonly images?: Readonly<Record<string, ImageSeed>>;
  /** Images a pull can fetch, by reference. Any other pull fails, as one from an unreachable registry does. */
  readonly registry?: Readonly<Record<string, ImageSeed>>;
  /** Bytes all volumes and containers may hold together (default 256 MiB); beyond, writes fail (ENOSPC). */
  readonly maxBytes?: number;
}

/** A failure a test injects (MemoryRuntime.failOn). */
export interface FailureOptions {
  /** Only calls about this container (name or id), network, volume or image. */
  readonly target?: string;
  /** How many calls fail (default 1; Infinity for all). */
  readonly times?: number;
  /** The engine's message (default: says it was injected). */
  readonly message?: string;
  /** The HTTP status the engine answered (default 500). */
  readonly statusCode?: number;
  /** Throw this instead of an EngineError. */
  readonly error?: Error;
}

/** What a test's exec handler is given. */
export interface ExecContext {
  /** Container name. */
  readonly container: string;
  readonly id: string;
  readonly cmd: readonly string[];
  readonly user: string | undefined;
  readonly workdir: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  /** The container's files as its processes see them (mounts included). */
  readonly files: ContainerFiles;
}

/** What an exec handler answers (exit code 0 and no output unless given). */
export interface ExecReply {
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

export type ExecHandler = (ctx: ExecContext) => ExecReply | Promise<ExecReply>;

/** A container event, as the engines' event stream names them. */
export interface ContainerEvent {
  readonly type: 'create' | 'start' | 'die' | 'stop' | 'restart' | 'destroy';
  readonly container: string;
  readonly id: string;
  /** For `die`. */
  readonly exitCode?: number;
}

export interface RuntimeCall {
  readonly method: RuntimeMethod;
  /** The name, id or reference it was about, when there is one. */
  readonly target?: string;
}

/** How a container's process ends when it is made to exit. */
export interface ExitOptions {
  readonly exitCode: number;
  /** Lines it printed before it ended (to stderr). */
  readonly logs?: readonly string[];
  /** The engine's error (a container that could not start), e.g. `exec: "prometheus": not found`. */
  readonly error?: string;
  readonly oomKilled?: boolean;
}

interface MemImage {
  id: string;
  labels: Record<string, string>;
  created: Date;
  sizeBytes: number;
  digests: string[];
  files: Readonly<Record<string, string | Buffer>>;
}

interface MemNetwork {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly index: number;
  readonly predefined: boolean;
}

interface MemVolume {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly tree: MemoryTree;
}

interface LogLine {
  readonly at: Date;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

interface MemContainer {
  readonly id: string;
  readonly name: string;
  readonly spec: Engine.ContainerSpec;
  readonly image: string;
  readonly imageId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly created: Date;
  readonly network: string;
  readonly aliases: readonly string[];
  /** Its own files (not its mounts'). */
  readonly own: MemoryTree;
  readonly files: ContainerFiles;
  readonly logs: LogLine[];
  ip: string;
  state: Engine.ContainerState;
  startedAt: Date | null;
  finishedAt: Date | null;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  health: string | null;
  stopExitCode: number;
}

interface Injection {
  readonly method: RuntimeMethod;
  readonly target: string | undefined;
  remaining: number;
  readonly make: (operation: string) => Error;
}

interface Crash extends ExitOptions {
  remaining: number;
}

interface Handler {
  readonly container: string | undefined;
  readonly prefix: readonly string[];
  readonly handler: ExecHandler;
  readonly order: number;
}

/** An error met while doing what the engine would do, as the engine's refusal (never "unreachable"). */
function refused(operation: string, error: unknown): Error {
  if (error instanceof WmonError) return error;
  return new EngineError(operation, error instanceof Error ? error.message : String(error), { statusCode: 500 });
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function matchesLabels(actual: Readonly<Record<string, string>>, wanted: Engine.LabelFilter): boolean {
  return Object.entries(wanted).every(([k, v]) => k in actual && (v === true || actual[k] === v));
}

function ago(since: Date): string {
  const s = Math.floor((Date.now() - since.getTime()) / 1000);
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  if (s < 3600) return `${Math.floor(s / 60)} minute${s < 120 ? '' : 's'}`;
  return `${Math.floor(s / 3600)} hour${s < 7200 ? '' : 's'}`;
}

/** An engine description for a runtime that is no engine. */
export function memoryEngine(name: 'Docker' | 'Podman' = 'Docker'): Engine.EngineInfo {
  return {
    name,
    version: name === 'Docker' ? '27.3.1' : '4.3.1',
    apiVersion: '1.41',
    os: 'linux',
    arch: 'amd64',
    foundBy: 'in-memory runtime (tests)',
    address: 'memory://',
    endpoint: { kind: 'unix', socketPath: '/nonexistent/wmon-memory-runtime.sock' },
  };
}

export class MemoryRuntime implements Runtime.ContainerRuntime {
  readonly engine: Engine.EngineInfo;
  /** Every call made, in order. */
  readonly calls: RuntimeCall[] = [];
  /** Exec commands no handler answered (they failed). */
  readonly unhandledExecs: { readonly container: string; readonly cmd: readonly string[] }[] = [];

  private readonly budget: ByteBudget;
  private readonly images = new Map<string, MemImage>();
  /** Full reference → image id. */
  private readonly tags = new Map<string, string>();
  private readonly registry = new Map<string, ImageSeed>();
  private readonly networks = new Map<string, MemNetwork>();
  private readonly volumes = new Map<string, MemVolume>();
  private readonly containers = new Map<string, MemContainer>();
  private readonly injections: Injection[] = [];
  private readonly crashes = new Map<string, Crash>();
  private readonly handlers: Handler[] = [];
  private readonly listeners: ((event: ContainerEvent) => void | Promise<void>)[] = [];
  private networkCount = 0;
  private seq = 0;

  constructor(options: MemoryRuntimeOptions = {}) {
    this.engine = memoryEngine(options.engine);
    this.budget = new ByteBudget(options.maxBytes ?? 256 * 1024 * 1024);
    const predefined = this.engine.name === 'Podman' ? 'podman' : 'bridge';
    this.networks.set(predefined, {
      id: sha(predefined),
      name: predefined,
      labels: {},
      index: this.networkCount++,
      predefined: true,
    });
    for (const [ref, seed] of Object.entries(options.images ?? {})) this.addImage(ref, seed);
    for (const [ref, seed] of Object.entries(options.registry ?? {})) this.addToRegistry(ref, seed);
  }

  // ---- what tests set up and look at ----------------------------------------------------------

  /** Make an image present locally (replacing what had the tag). Returns its id. */
  addImage(ref: string, seed: ImageSeed = {}): string {
    const full = normalizeImageRef(ref);
    const id = seed.id ?? `sha256:${sha(`${full}\0${this.seq++}`)}`;
    this.images.set(id, {
      id,
      labels: { ...seed.labels },
      created: seed.created ?? new Date(),
      sizeBytes: seed.sizeBytes ?? 10 * 1024 * 1024,
      digests: [...(seed.digests ?? [])],
      files: { ...seed.files },
    });
    this.retag(full, id);
    return id;
  }

  /** Make an image available to pullImage (and to builds whose FROM names it). */
  addToRegistry(ref: string, seed: ImageSeed = {}): void {
    this.registry.set(normalizeImageRef(ref), seed);
  }

  /**
   * Make the next `times` calls (default 1; Infinity for all) of `method` fail, for `target` only when given
   * (a container's name or id, a network, volume or image reference). The error is an EngineError worded
   * like the real runtime's (`message` and `statusCode`, default 500), or `error` itself.
   */
  failOn(method: RuntimeMethod, opts: FailureOptions = {}): void {
    const target = opts.target === undefined ? undefined : this.targetKey(method, opts.target);
    const message = opts.message ?? 'injected failure (MemoryRuntime.failOn)';
    this.injections.push({
      method,
      target,
      remaining: opts.times ?? 1,
      make: (operation) => opts.error ?? new EngineError(operation, message, { statusCode: opts.statusCode ?? 500 }),
    });
  }

  /**
   * The container named `name` (it need not exist yet) exits right after each of its next `times` starts
   * (default: every start), as a process that fails at once does: start succeeds, then inspect shows it
   * exited with the code.
   */
  crashOnStart(name: string, exit: ExitOptions & { readonly times?: number }): void {
    this.crashes.set(name, { ...exit, remaining: exit.times ?? Infinity });
  }

  /** A running container's process ends now. */
  async exit(nameOrId: string, exit: ExitOptions): Promise<void> {
    const c = this.mustFind(nameOrId, `make ${nameOrId} exit`);
    if (c.state !== 'running') throw new Error(`MemoryRuntime.exit: ${c.name} is ${c.state}, not running`);
    await this.die(c, exit);
  }

  /** The exit code a container's process gives when it is stopped (default 0: it handles SIGTERM). */
  setStopExitCode(nameOrId: string, code: number): void {
    this.mustFind(nameOrId, `configure ${nameOrId}`).stopExitCode = code;
  }

  /** The HEALTHCHECK status inspect reports (null: the image has none). */
  setHealth(nameOrId: string, status: string | null): void {
    this.mustFind(nameOrId, `configure ${nameOrId}`).health = status;
  }

  /** The container prints `text` (one or more lines). */
  appendLog(nameOrId: string, text: string, stream: 'stdout' | 'stderr' = 'stdout', at: Date = new Date()): void {
    const c = this.mustFind(nameOrId, `write to the logs of ${nameOrId}`);
    for (const line of text.replace(/\n$/, '').split('\n')) c.logs.push({ at, stream, text: line });
  }

  /**
   * Answer exec commands that start with `command` (a program name, or the first words of the command;
   * `[]` answers every command), in every container or only in `container` (name). The most specific
   * handler answers: one for the container before one for all, a longer command before a shorter.
   */
  handleExec(command: string | readonly string[], handler: ExecHandler, opts: { container?: string } = {}): void {
    const prefix = typeof command === 'string' ? [command] : [...command];
    this.handlers.push({ container: opts.container, prefix, handler, order: this.handlers.length });
  }

  /** Called at each container event, awaited before the call that caused it returns. */
  onEvent(listener: (event: ContainerEvent) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /** A container's files as its processes see them. */
  files(nameOrId: string): ContainerFiles {
    return this.mustFind(nameOrId, `read the files of ${nameOrId}`).files;
  }

  /** A volume's files, the volume's root as `/`. */
  volumeFiles(name: string): ContainerFiles {
    const v = this.volumes.get(name);
    if (!v) throw new Error(`MemoryRuntime: there is no volume ${name}`);
    return new ContainerFiles(v.tree, []);
  }

  /** Bytes held in volumes and containers. */
  bytesHeld(): number {
    return this.budget.used;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private targetKey(method: RuntimeMethod, target: string): string {
    if (/Image$/.test(method) || method === 'imageExists') return normalizeImageRef(target);
    const c = /Container|^logs$|^exec$|Archive$/.test(method) ? this.find(target) : undefined;
    return c?.name ?? target;
  }

  /** Record the call; throw what a test injected for it. */
  private enter(method: RuntimeMethod, operation: string, target?: string): void {
    const key = target === undefined ? undefined : this.targetKey(method, target);
    this.calls.push({ method, ...(target === undefined ? {} : { target }) });
    const i = this.injections.findIndex(
      (f) => f.method === method && (f.target === undefined || f.target === key || f.target === target),
    );
    if (i < 0) return;
    const injection = this.injections[i]!;
    injection.remaining -= 1;
    if (injection.remaining <= 0) this.injections.splice(i, 1);
    throw injection.make(operation);
  }

  private find(nameOrId: string): MemContainer | undefined {
    const byName = [...this.containers.values()].find((c) => c.name === nameOrId || c.id === nameOrId);
    if (byName) return byName;
    const byPrefix = nameOrId.length >= 3 ? [...this.containers.values()].filter((c) => c.id.startsWith(nameOrId)) : [];
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  private mustFind(nameOrId: string, operation: string): MemContainer {
    const c = this.find(nameOrId);
    if (!c) throw new EngineError(operation, `no such container: ${nameOrId}`, { statusCode: 404 });
    return c;
  }

  private async emit(event: ContainerEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }

  private imageByRef(full: string): MemImage | undefined {
    const id = this.tags.get(full);
    return id === undefined ? undefined : this.images.get(id);
  }

  private tagsOf(id: string): string[] {
    return [...this.tags.entries()].filter(([, v]) => v === id).map(([k]) => this.familiar(k));
  }

  /** How the engine writes a reference: Docker drops `docker.io/` (and `library/`), Podman keeps it whole. */
  private familiar(full: string): string {
    if (this.engine.name === 'Podman') return full;
    return full.replace(/^docker\.io\/(library\/)?/, '');
  }

  private inUse(imageId: string): MemContainer | undefined {
    return [...this.containers.values()].find((c) => c.imageId === imageId);
  }

  /** Point `full` at `id`; the image it named before goes when nothing else uses it. */
  private retag(full: string, id: string): void {
    const before = this.tags.get(full);
    this.tags.set(full, id);
    if (before !== undefined && before !== id && this.tagsOf(before).length === 0 && !this.inUse(before))
      this.images.delete(before);
  }

  private summary(c: MemContainer): Engine.ContainerSummary {
    return {
      id: c.id,
      name: c.name,
      component: c.labels[LABELS.component],
      image: c.image,
      imageId: c.imageId,
      state: c.state,
      status:
        c.state === 'running'
          ? `Up ${ago(c.startedAt ?? c.created)}`
          : c.state === 'exited'
            ? `Exited (${c.exitCode}) ${ago(c.finishedAt ?? c.created)} ago`
            : 'Created',
      labels: { ...c.labels },
      created: new Date(c.created),
      ports: c.state === 'running' ? this.published(c) : [],
    };
  }

  private published(c: MemContainer): Engine.PublishedPort[] {
    return c.spec.ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol ?? 'tcp',
      hostPort: p.hostPort,
      hostIp: p.hostIp,
    }));
  }

  private async die(c: MemContainer, exit: ExitOptions): Promise<void> {
    for (const line of exit.logs ?? []) c.logs.push({ at: new Date(), stream: 'stderr', text: line });
    c.state = 'exited';
    c.exitCode = exit.exitCode;
    c.finishedAt = new Date();
    c.oomKilled = exit.oomKilled === true;
    c.error = exit.error ?? '';
    c.ip = '';
    await this.emit({ type: 'die', container: c.name, id: c.id, exitCode: exit.exitCode });
  }

  // ---- the engine -----------------------------------------------------------------------------

  async ping(): Promise<void> {
    this.enter('ping', 'ping the engine');
  }

  // ---- networks -------------------------------------------------------------------------------

  async ensureNetwork(
    name: string,
    labels: Readonly<Record<string, string>>,
  ): Promise<{ id: string; created: boolean }> {
    this.enter('ensureNetwork', `create network ${name}`, name);
    const existing = this.networks.get(name);
    if (existing) return { id: existing.id, created: false };
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      throw new EngineError(`create network ${name}`, `invalid network name ${JSON.stringify(name)}`, {
        statusCode: 400,
      });
    }
    const id = sha(`network\0${name}\0${this.seq++}`);
    const network = { id, name, labels: { ...labels }, index: this.networkCount++, predefined: false };
    this.networks.set(name, network);
    return { id: network.id, created: true };
  }

  async listNetworks(labels: Engine.LabelFilter): Promise<Engine.NetworkSummary[]> {
    this.enter('listNetworks', 'list networks');
    return [...this.networks.values()]
      .filter((n) => matchesLabels(n.labels, labels))
      .map((n) => ({ id: n.id, name: n.name, labels: { ...n.labels } }));
  }

  async removeNetwork(name: string): Promise<boolean> {
    const operation = `remove network ${name}`;
    this.enter('removeNetwork', operation, name);
    const network = this.networks.get(name);
    if (!network) return false;
    if (network.predefined)
      throw new EngineError(operation, `${name} is a pre-defined network and cannot be removed`, { statusCode: 403 });
    const attached = [...this.containers.values()].filter((c) => c.network === name);
    if (attached.length > 0) {
      const names = attached.map((c) => c.name).join(', ');
      throw new EngineError(operation, `network ${name} has containers attached (${names})`, { statusCode: 403 });
    }
    this.networks.delete(name);
    return true;
  }

  // ---- volumes --------------------------------------------------------------------------------

  private createVolume(name: string, labels: Readonly<Record<string, string>>): MemVolume {
    const volume = { name, labels: { ...labels }, tree: new MemoryTree(this.budget) };
    this.volumes.set(name, volume);
    return volume;
  }

  private mountpoint(name: string): string {
    return this.engine.name === 'Podman'
      ? `/var/lib/containers/storage/volumes/${name}/_data`
      : `/var/lib/docker/volumes/${name}/_data`;
  }

  async ensureVolume(name: string, labels: Readonly<Record<string, string>>): Promise<{ created: boolean }> {
    this.enter('ensureVolume', `create volume ${name}`, name);
    if (this.volumes.has(name)) return { created: false };
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      throw new EngineError(`create volume ${name}`, `invalid volume name ${JSON.stringify(name)}`, {
        statusCode: 400,
      });
    }
    this.createVolume(name, labels);
    return { created: true };
  }

  async listVolumes(labels: Engine.LabelFilter): Promise<Engine.VolumeSummary[]> {
    this.enter('listVolumes', 'list volumes');
    return [...this.volumes.values()]
      .filter((v) => matchesLabels(v.labels, labels))
      .map((v) => ({ name: v.name, labels: { ...v.labels }, mountpoint: this.mountpoint(v.name) }));
  }

  async removeVolume(name: string): Promise<boolean> {
    const operation = `remove volume ${name}`;
    this.enter('removeVolume', operation, name);
    const volume = this.volumes.get(name);
    if (!volume) return false;
    const users = [...this.containers.values()].filter((c) => c.spec.volumes.some((v) => v.volume === name));
    if (users.length > 0) {
      const ids = users.map((c) => c.id).join(', ');
      throw new EngineError(
        operation,
        `volume ${name} is being used by the following container(s): ${ids}: volume is being used`,
        { statusCode: 409 },
      );
    }
    for (const entry of await volume.tree.readdir([])) await volume.tree.remove([entry]);
    this.volumes.delete(name);
    return true;
  }

  // ---- images ---------------------------------------------------------------------------------

  async inspectImage(ref: string): Promise<Engine.ImageInfo | null> {
    const full = normalizeImageRef(ref);
    this.enter('inspectImage', `inspect image ${full}`, full);
    return this.imageInfo(full);
  }

  private imageInfo(full: string): Engine.ImageInfo | null {
    const image = this.imageByRef(full);
    if (!image) return null;
    return {
      id: image.id,
      tags: this.tagsOf(image.id),
      labels: { ...image.labels },
      created: new Date(image.created),
      sizeBytes: image.sizeBytes,
      digests: image.digests.map((d) => this.familiar(d)),
    };
  }

  async imageExists(ref: string): Promise<boolean> {
    const full = normalizeImageRef(ref);
    this.enter('imageExists', `inspect image ${full}`, full);
    return this.imageByRef(full) !== undefined;
  }

  /** Fetch from the registry what it has; the error a failed pull gives otherwise. */
  private fetch(full: string, operation: string, onProgress?: Runtime.ProgressListener): void {
    const seed = this.registry.get(full);
    if (!seed) {
      const { domain, path: repo } = parseImageRef(full);
      throw pullFailedError(
        operation,
        `initializing source docker://${full}: ${domain}/${repo}: no such repository, or no registry reachable`,
      );
    }
    const digest = `sha256:${sha(`digest\0${full}`)}`;
    const ref = parseImageRef(full);
    const id = this.addImage(full, { digests: [`${ref.domain}/${ref.path}@${digest}`], ...seed });
    onProgress?.({ id: id.slice(7, 19), status: 'Pulling fs layer' });
    onProgress?.({
      id: id.slice(7, 19),
      status: 'Download complete',
      current: seed.sizeBytes ?? 1,
      total: seed.sizeBytes ?? 1,
    });
    onProgress?.({ status: `Digest: ${digest}` });
  }

  async pullImage(ref: string, onProgress?: Runtime.ProgressListener): Promise<void> {
    const full = normalizeImageRef(ref);
    const operation = `pull image ${full}`;
    this.enter('pullImage', operation, full);
    this.fetch(full, operation, onProgress);
  }

  async buildImage(options: Runtime.BuildOptions, onProgress?: Runtime.ProgressListener): Promise<{ imageId: string }> {
    const tag = normalizeImageRef(options.tag);
    const operation = `build image ${tag}`;
    this.enter('buildImage', operation, tag);
    const dockerfile = path.posix.normalize(options.dockerfile ?? 'Dockerfile');
    const context = await readContext(options).catch((error: unknown) => {
      throw refused(
        operation,
        `cannot read the build context: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    const text = context.files.get(dockerfile);
    if (text === undefined)
      throw new EngineError(operation, `the build context has no ${dockerfile}`, { statusCode: 500 });
    const steps = instructions(text.toString('utf8'));
    const args = new Map<string, string>();
    const stages = new Map<string, Record<string, string>>();
    let labels: Record<string, string> | undefined;
    let files: Readonly<Record<string, string | Buffer>> = {};
    let sizeBytes = 0;
    const n = steps.length;
    const step = (i: number, line: string) =>
      onProgress?.({ status: this.engine.name === 'Podman' ? `STEP ${i}/${n}: ${line}` : `Step ${i}/${n} : ${line}` });
    for (const [i, { keyword, rest, line }] of steps.entries()) {
      step(i + 1, line);
      const value = substitute(rest, args, options.buildArgs);
      if (keyword === 'ARG') {
        const [name, def] = value.split(/=(.*)/s) as [string, string | undefined];
        args.set(name.trim(), options.buildArgs?.[name.trim()] ?? def ?? '');
      } else if (keyword === 'FROM') {
        const [base, as, stage] = value.split(/\s+/).filter((w) => !w.startsWith('--'));
        if (base === undefined || base === '')
          throw new EngineError(operation, `${line}: no image named`, { statusCode: 500 });
        if (stages.has(base)) {
          labels = { ...stages.get(base) };
        } else if (base === 'scratch') {
          labels = {};
          files = {};
        } else {
          const full = normalizeImageRef(base);
          // A missing base is pulled (`pull`: every base is), as the engines do; one no registry has fails the build.
          if (!this.imageByRef(full) || options.pull === true) {
            if (!this.registry.has(full)) {
              throw new EngineError(operation, `${line}: the image ${full} is not present and no registry has it`, {
                statusCode: 500,
              });
            }
            this.fetch(full, operation, onProgress);
          }
          const image = this.imageByRef(full)!;
          labels = { ...image.labels };
          files = image.files;
          sizeBytes = image.sizeBytes;
        }
        if (as?.toUpperCase() === 'AS' && stage) stages.set(stage, labels);
      } else if (labels === undefined) {
        throw new EngineError(operation, `${line}: no FROM before it`, { statusCode: 500 });
      } else if (keyword === 'LABEL') {
        for (const [k, v] of labelPairs(value)) labels[k] = v;
      } else if (keyword === 'COPY' || keyword === 'ADD') {
        const words = value.split(/\s+/).filter((w) => w !== '');
        if (value.startsWith('[') || words.some((w) => w.startsWith('--from='))) continue; // JSON form, or from a stage
        for (const source of words.filter((w) => !w.startsWith('--')).slice(0, -1)) {
          if (!context.has(source)) {
            throw new EngineError(operation, `${line}: ${source}: no such file or directory in the build context`, {
              statusCode: 500,
            });
          }
        }
      }
    }
    if (labels === undefined) throw new EngineError(operation, `${dockerfile} has no FROM`, { statusCode: 500 });
    const imageId = `sha256:${sha(`build\0${tag}\0${this.seq++}`)}`;
    this.images.set(imageId, {
      id: imageId,
      labels: { ...labels, ...options.labels },
      created: new Date(),
      sizeBytes: sizeBytes + context.bytes,
      digests: [],
      files,
    });
    this.retag(tag, imageId);
    onProgress?.({
      status: this.engine.name === 'Podman' ? `COMMIT ${tag}` : `Successfully tagged ${this.familiar(tag)}`,
    });
    return { imageId };
  }

  async removeImage(ref: string, opts: { force?: boolean } = {}): Promise<boolean> {
    const full = normalizeImageRef(ref);
    const operation = `remove image ${full}`;
    this.enter('removeImage', operation, full);
    const id = this.tags.get(full);
    if (id === undefined) return false;
    const user = this.inUse(id);
    const otherTags = this.tagsOf(id).length > 1;
    if (user && !otherTags && opts.force !== true) {
      throw new EngineError(operation, `image is in use by container ${user.id.slice(0, 12)} (${user.name})`, {
        statusCode: 409,
      });
    }
    this.tags.delete(full);
    if (this.tagsOf(id).length === 0 && !user) this.images.delete(id);
    return true;
  }

  // ---- containers -----------------------------------------------------------------------------

  async listContainers(labels: Engine.LabelFilter): Promise<Engine.ContainerSummary[]> {
    this.enter('listContainers', 'list containers');
    return [...this.containers.values()]
      .filter((c) => matchesLabels(c.labels, labels))
      .reverse()
      .map((c) => this.summary(c));
  }

  async listPublishingContainers(): Promise<Engine.ContainerSummary[]> {
    this.enter('listPublishingContainers', 'list containers');
    return [...this.containers.values()]
      .filter((c) => c.state === 'running' && c.spec.ports.length > 0)
      .reverse()
      .map((c) => this.summary(c));
  }

  async createContainer(spec: Engine.ContainerSpec, network: string): Promise<string> {
    const image = normalizeImageRef(spec.image);
    const operation = `create container ${spec.name} from ${image}`;
    this.enter('createContainer', operation, spec.name);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(spec.name)) {
      const why = `invalid container name (${spec.name}): only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`;
      throw new EngineError(operation, why, { statusCode: 400 });
    }
    for (const b of spec.binds) if (!path.isAbsolute(b.source)) throw bindNotAbsoluteError(b.source, spec.name);
    if (this.find(spec.name)?.name === spec.name) throw nameTakenError(operation, spec.name);
    const img = this.imageByRef(image);
    if (!img) throw imageMissingError(operation, image);
    if (!this.networks.has(network))
      throw new EngineError(operation, `network ${network} not found`, { statusCode: 404 });
    for (const b of spec.binds) {
      const problem = await hostFolderProblem(b.source);
      if (problem) throw new EngineError(operation, `bind mount source ${problem}`, { statusCode: 400 });
    }
    if (this.find(spec.name)?.name === spec.name) throw nameTakenError(operation, spec.name);
    const own = new MemoryTree(this.budget);
    const ownFiles = new ContainerFiles(own, []);
    for (const [file, data] of Object.entries(img.files)) await ownFiles.writeFile(file, data);
    const mounts: Mount[] = [
      ...spec.volumes.map((v) => ({
        target: v.target,
        tree: (this.volumes.get(v.volume) ?? this.createVolume(v.volume, {})).tree,
        readOnly: v.readOnly === true,
      })),
      ...spec.binds.map((b) => ({ target: b.target, tree: new HostTree(b.source), readOnly: b.readOnly === true })),
    ];
    for (const m of mounts) await ownFiles.mkdir(m.target, { recursive: true });
    const id = sha(`container\0${spec.name}\0${this.seq++}\0${randomBytes(8).toString('hex')}`);
    const container: MemContainer = {
      id,
      name: spec.name,
      spec: { ...spec, image },
      image,
      imageId: img.id,
      // As the engines do: the image's labels, under the spec's.
      labels: { ...img.labels, [LABELS.component]: spec.component, ...spec.labels },
      created: new Date(),
      network,
      aliases: [...new Set([spec.component, ...spec.aliases]), id.slice(0, 12)],
      own,
      files: new ContainerFiles(own, mounts),
      logs: [],
      ip: '',
      state: 'created',
      startedAt: null,
      finishedAt: null,
      exitCode: 0,
      oomKilled: false,
      error: '',
      health: null,
      stopExitCode: 0,
    };
    this.containers.set(id, container);
    await this.emit({ type: 'create', container: spec.name, id });
    return id;
  }

  private async start(c: MemContainer, operation: string): Promise<void> {
    for (const p of c.spec.ports) {
      const holder = [...this.containers.values()].find(
        (o) =>
          o !== c &&
          o.state === 'running' &&
          o.spec.ports.some(
            (q) =>
              q.hostPort === p.hostPort &&
              (q.protocol ?? 'tcp') === (p.protocol ?? 'tcp') &&
              (q.hostIp === p.hostIp || ['0.0.0.0', '::'].includes(q.hostIp) || ['0.0.0.0', '::'].includes(p.hostIp)),
          ),
      );
      if (holder) {
        const why = `cannot listen on ${p.hostIp}:${p.hostPort} (held by ${holder.name}): bind: address already in use`;
        throw new EngineError(operation, why, { statusCode: 500 });
      }
    }
    const network = this.networks.get(c.network);
    const octet = 2 + [...this.containers.values()].filter((o) => o.network === c.network && o.ip !== '').length;
    c.ip = `10.89.${network?.index ?? 0}.${octet}`;
    c.state = 'running';
    c.startedAt = new Date();
    c.exitCode = 0;
    c.oomKilled = false;
    c.error = '';
    await this.emit({ type: 'start', container: c.name, id: c.id });
    const crash = this.crashes.get(c.name);
    if (crash && crash.remaining > 0) {
      crash.remaining -= 1;
      await this.die(c, crash);
    }
  }

  private async stop(c: MemContainer): Promise<void> {
    if (c.state !== 'running') return;
    await this.die(c, { exitCode: c.stopExitCode });
    await this.emit({ type: 'stop', container: c.name, id: c.id });
  }

  async startContainer(nameOrId: string): Promise<void> {
    const operation = `start container ${nameOrId}`;
    this.enter('startContainer', operation, nameOrId);
    const c = this.mustFind(nameOrId, operation);
    if (c.state === 'running') return;
    await this.start(c, operation);
  }

  async stopContainer(nameOrId: string, _timeoutSeconds = 10): Promise<void> {
    const operation = `stop container ${nameOrId}`;
    this.enter('stopContainer', operation, nameOrId);
    await this.stop(this.mustFind(nameOrId, operation));
  }

  async restartContainer(nameOrId: string, _timeoutSeconds = 10): Promise<void> {
    const operation = `restart container ${nameOrId}`;
    this.enter('restartContainer', operation, nameOrId);
    const c = this.mustFind(nameOrId, operation);
    await this.stop(c);
    await this.start(c, operation);
    await this.emit({ type: 'restart', container: c.name, id: c.id });
  }

  async removeContainer(nameOrId: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<boolean> {
    const operation = `remove container ${nameOrId}`;
    this.enter('removeContainer', operation, nameOrId);
    const c = this.find(nameOrId);
    if (!c) return false;
    if (c.state === 'running') {
      if (opts.force !== true) {
        const why = `cannot remove container ${c.name}: it is running (stop it first, or force the removal)`;
        throw new EngineError(operation, why, { statusCode: 409 });
      }
      await this.die(c, { exitCode: 137 });
    }
    this.containers.delete(c.id);
    // Its own files go (and free their bytes); its volumes' stay with the volumes.
    for (const name of await c.own.readdir([])) await c.own.remove([name]);
    await this.emit({ type: 'destroy', container: c.name, id: c.id });
    return true;
  }

  async inspectContainer(nameOrId: string): Promise<Engine.ContainerDetails | null> {
    this.enter('inspectContainer', `inspect container ${nameOrId}`, nameOrId);
    const c = this.find(nameOrId);
    if (!c) return null;
    return {
      ...this.summary(c),
      status: c.state,
      running: c.state === 'running',
      exitCode: c.exitCode,
      startedAt: c.startedAt && new Date(c.startedAt),
      finishedAt: c.finishedAt && new Date(c.finishedAt),
      restartCount: 0,
      oomKilled: c.oomKilled,
      error: c.error,
      health: c.health,
      networks: { [c.network]: { ipAddress: c.ip, aliases: [...c.aliases] } },
      user: c.spec.user ?? '',
      readOnlyRootfs: c.spec.readOnlyRootfs === true,
      mounts: [
        ...c.spec.volumes.map((v) => ({
          type: 'volume',
          source: this.mountpoint(v.volume),
          destination: v.target,
          name: v.volume,
        })),
        ...c.spec.binds.map((b) => ({ type: 'bind', source: b.source, destination: b.target })),
      ],
    };
  }

  // ---- output, exec, files --------------------------------------------------------------------

  async logs(nameOrId: string, opts: Runtime.LogsOptions = {}): Promise<Engine.LogsResult> {
    const operation = `read the logs of ${nameOrId}`;
    this.enter('logs', operation, nameOrId);
    const c = this.mustFind(nameOrId, operation);
    // The engines take `since` in whole seconds.
    const since = opts.since ? Math.floor(opts.since.getTime() / 1000) * 1000 : -Infinity;
    let lines = c.logs.filter((l) => l.at.getTime() >= since);
    const tail = opts.tail ?? 100;
    if (tail !== 'all') lines = tail <= 0 ? [] : lines.slice(-tail);
    const text = (l: LogLine) =>
      `${opts.timestamps ? `${l.at.toISOString().replace('Z', '000000Z')} ` : ''}${l.text}\n`;
    return {
      text: lines.map(text).join(''),
      stdout: lines
        .filter((l) => l.stream === 'stdout')
        .map(text)
        .join(''),
      stderr: lines
        .filter((l) => l.stream === 'stderr')
        .map(text)
        .join(''),
    };
  }

  async exec(nameOrId: string, cmd: readonly string[], opts: Runtime.ExecOptions = {}): Promise<Engine.ExecResult> {
    const operation = `run \`${cmd.join(' ')}\` in ${nameOrId}`;
    this.enter('exec', operation, nameOrId);
    const c = this.mustFind(nameOrId, operation);
    if (c.state !== 'running')
      throw new EngineError(operation, `container ${c.name} is not running`, { statusCode: 409 });
    const scoped = (h: Handler) => Number(h.container !== undefined);
    const chosen = this.handlers
      .filter(
        (h) =>
          (h.container === undefined || h.container === c.name || h.container === c.id) &&
          h.prefix.every((w, i) => cmd[i] === w),
      )
      .sort((a, b) => scoped(b) - scoped(a) || b.prefix.length - a.prefix.length || b.order - a.order)[0];
    if (!chosen) {
      this.unhandledExecs.push({ container: c.name, cmd: [...cmd] });
      throw new Error(
        `MemoryRuntime: no exec handler answers \`${cmd.join(' ')}\` in ${c.name}. It runs nothing itself: the test registers ` +
          'what the command does with runtime.handleExec(command, handler).',
      );
    }
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const late = () =>
        reject(
          new EngineError(operation, `no end within ${(timeoutMs / 1000).toFixed(0)} s`, { code: 'EXEC_TIMEOUT' }),
        );
      timer = setTimeout(late, timeoutMs);
      timer.unref();
    });
    try {
      const context: ExecContext = {
        container: c.name,
        id: c.id,
        cmd: [...cmd],
        user: opts.user ?? c.spec.user,
        workdir: opts.workdir,
        env: { ...c.spec.env, ...opts.env },
        files: c.files,
      };
      const reply = await Promise.race([Promise.resolve(chosen.handler(context)), timeout]);
      return { exitCode: reply.exitCode ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
    } finally {
      clearTimeout(timer);
    }
  }

  async getArchive(nameOrId: string, containerPath: string): Promise<Readable> {
    const operation = `copy ${containerPath} out of ${nameOrId}`;
    this.enter('getArchive', operation, nameOrId);
    const c = this.mustFind(nameOrId, operation);
    try {
      return Readable.from([await archiveOf(c.files, containerPath)]);
    } catch (error) {
      if (error instanceof FilesError && error.code === 'ENOENT') {
        const why = `could not find the file ${containerPath} in container ${c.name}: no such file or directory`;
        throw new EngineError(operation, why, { statusCode: 404 });
      }
      throw refused(operation, error);
    }
  }

  async putArchive(nameOrId: string, containerPath: string, tar: Readable | Buffer): Promise<void> {
    const operation = `copy files into ${nameOrId}:${containerPath}`;
    this.enter('putArchive', operation, nameOrId);
    const c = this.find(nameOrId);
    const target = c ? await c.files.stat(containerPath) : null;
    if (!c || target === null) throw noSuchFolderError(operation, containerPath);
    if (target.kind !== 'dir')
      throw new EngineError(operation, `${containerPath} exists but is not a directory`, { statusCode: 400 });
    try {
      await extractInto(c.files, containerPath, tar);
    } catch (error) {
      if (error instanceof FilesError && error.code === 'EROFS') {
        throw new EngineError(operation, `${containerPath} is on a read-only mount: ${error.message}`, {
          statusCode: 403,
        });
      }
      throw refused(operation, error);
    }
  }
}

// ---- builds --------------------------------------------------------------------------------------

interface BuildContextFiles {
  /** Small files by path (the Dockerfile among them). */
  readonly files: Map<string, Buffer>;
  readonly bytes: number;
  has(source: string): boolean;
}

/** What a build would send the engine: every path (files whole when small), and the total size. */
async function readContext(options: Runtime.BuildOptions): Promise<BuildContextFiles> {
  const files = new Map<string, Buffer>();
  const paths = new Set<string>();
  let bytes = 0;
  const keep = (p: string, data: Buffer | undefined) => {
    const rel = path.posix.normalize(p).replace(/^(\.\/)+|\/+$/g, '');
    if (rel === '' || rel === '.') return;
    paths.add(rel);
    if (data) {
      bytes += data.length;
      if (data.length <= 1024 * 1024) files.set(rel, data);
    }
  };
  if ('tar' in options.context) {
    const parser = new Parser({ strict: true });
    parser.on('entry', (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => keep(entry.path, entry.type === 'Directory' ? undefined : Buffer.concat(chunks)));
    });
    const stream = options.context.tar;
    await new Promise<void>((resolve, reject) => {
      parser.on('end', resolve);
      parser.on('error', reject);
      stream.on('error', reject);
      stream.pipe(parser as unknown as NodeJS.WritableStream);
    });
  } else {
    const { dir } = options.context;
    const walk = async (rel: string): Promise<void> => {
      const abs = path.join(dir, rel);
      const s = await lstat(abs);
      if (s.isDirectory()) {
        keep(rel, undefined);
        for (const name of await readdir(abs)) await walk(path.posix.join(rel, name));
      } else {
        keep(rel, s.size <= 1024 * 1024 ? await readFile(abs) : Buffer.alloc(0));
      }
    };
    const listed = options.context.paths ?? (await readdir(dir));
    for (const p of new Set(listed)) await walk(p);
    // The Dockerfile goes along even when not listed (as docker-runtime.ts sends it); when absent, the build says so.
    const dockerfile = options.dockerfile ?? 'Dockerfile';
    if (!paths.has(path.posix.normalize(dockerfile))) await walk(dockerfile).catch(() => undefined);
  }
  return {
    files,
    bytes,
    has(source: string): boolean {
      const rel = path.posix.normalize(source).replace(/^(\.\/)+|^\/+|\/+$/g, '');
      if (rel === '' || rel === '.') return true;
      if (/[*?[]/.test(rel)) return true; // a pattern: the engine matches it; not checked here
      return paths.has(rel) || [...paths].some((p) => p.startsWith(`${rel}/`));
    },
  };
}

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { keyword: string; rest: string; line: string }[] {
  const out: { keyword: string; rest: string; line: string }[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/s.exec(whole);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), rest: m[2]!, line: whole });
  }
  return out;
}

/** `$NAME` and `${NAME}` from the build's ARGs. */
function substitute(
  text: string,
  args: ReadonlyMap<string, string>,
  buildArgs: Readonly<Record<string, string>> | undefined,
): string {
  return text.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    return args.get(name) ?? buildArgs?.[name] ?? '';
  });
}

/** `LABEL a=b "c d"="e f"` → pairs. */
function labelPairs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  const re = /("(?:[^"\\]|\\.)*"|[^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);
  for (const m of text.matchAll(re)) pairs.push([unquote(m[1]!), unquote(m[2]!)]);
  return pairs;
}
