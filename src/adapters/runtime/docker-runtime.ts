/**
 * ContainerRuntime over dockerode: Docker's Engine API, and Podman's Docker-compatible one. No dockerode
 * type leaves this file. Where the two engines differ, this file makes them behave the same:
 * - an existing network name: Docker answers 409, Podman 500 → inspect first, and treat "already exists"
 *   on create (a race) as success;
 * - putArchive to a missing directory: Docker answers 404, Podman creates it → check the path first, so
 *   both refuse;
 * - errors inside 200 streams (pull, build) → read every JSON line and throw on `error`;
 * - exec exit codes that Podman reports a moment after the stream ends → poll exec inspect briefly;
 * - health status that Podman never updates without systemd → exposed as is, never waited on;
 * - a host port still held for a moment after its container stopped (Podman's API service) → start retries.
 */
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Docker from 'dockerode';
import { create as createTar } from 'tar';
import { WmonError } from '../../errors.js';
import type {
  BuildOptions,
  ContainerRuntime,
  ExecOptions,
  LogsOptions,
  ProgressListener,
} from './container-runtime.js';
import { loadTls } from './endpoint.js';
import {
  bindNotAbsoluteError,
  EngineError,
  engineMessage,
  imageMissingError,
  nameTakenError,
  noSuchFolderError,
  pullFailedError,
  statusOf,
  toEngineError,
} from './engine-error.js';
import { normalizeImageRef } from './image-ref.js';
import { demultiplex } from './stream-demux.js';
import {
  LABELS,
  type ContainerDetails,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
  type EngineInfo,
  type ExecResult,
  type ImageInfo,
  type LabelFilter,
  type LogsResult,
  type NetworkSummary,
  type PublishedPort,
  type VolumeSummary,
} from '../../core/model/container-types.js';

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

function toState(value: unknown): ContainerState {
  const s = typeof value === 'string' ? value.toLowerCase() : '';
  if (s === 'configured' || s === 'initialized') return 'created'; // Podman's pre-start states
  if (s === 'stopped') return 'exited';
  return (STATES as readonly string[]).includes(s) ? (s as ContainerState) : 'unknown';
}

function toDate(value: unknown): Date | null {
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value !== 'string' || value === '' || value.startsWith('0001-01-01')) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

function labelFilters(labels: LabelFilter): string[] {
  return Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

function matchesLabels(actual: Readonly<Record<string, string>>, wanted: LabelFilter): boolean {
  return Object.entries(wanted).every(([k, v]) => k in actual && (v === true || actual[k] === v));
}

function protocolOf(value: unknown): PublishedPort['protocol'] {
  return value === 'udp' || value === 'sctp' ? value : 'tcp';
}

/** Read a JSON-lines progress stream (pull, build) to its end, throwing on an `error` line. */
function readJsonLines(stream: NodeJS.ReadableStream, onLine: (obj: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let buffered = '';
    let failed: Error | undefined;
    const handle = (line: string): void => {
      const trimmed = line.trim();
      if (trimmed === '' || failed) return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(trimmed) as Record<string, unknown>;
      } catch {
        obj = { stream: trimmed };
      }
      const detail = obj.errorDetail as { message?: unknown } | undefined;
      const error =
        typeof obj.error === 'string' ? obj.error : typeof detail?.message === 'string' ? detail.message : undefined;
      if (error !== undefined) {
        failed = new Error(error.trim());
        return;
      }
      onLine(obj);
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        handle(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      handle(buffered + decoder.end());
      if (failed) reject(failed);
      else resolve();
    });
  });
}

function readAll(stream: NodeJS.ReadableStream, timeoutMs: number, onTimeout: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`no end within ${(timeoutMs / 1000).toFixed(0)} s`));
    }, timeoutMs);
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RawPort {
  IP?: string;
  PrivatePort?: number;
  PublicPort?: number;
  Type?: string;
}

export class DockerRuntime implements ContainerRuntime {
  readonly engine: EngineInfo;
  private readonly docker: Docker;

  constructor(engine: EngineInfo) {
    this.engine = engine;
    const e = engine.endpoint;
    // No keep-alive: a HEAD answer (infoArchive, before putArchive) otherwise leaves its socket open in Node's
    // keep-alive pool, still referenced, and the process never exits.
    // (docker-modem takes `agent`; @types/dockerode does not list it.)
    const agent = { agent: new http.Agent({ keepAlive: false }) } as Partial<Docker.DockerOptions>;
    this.docker =
      e.kind === 'unix'
        ? new Docker({ socketPath: e.socketPath, ...agent })
        : new Docker({
            host: e.host,
            port: e.port,
            protocol: e.tls ? 'https' : 'http',
            ...(e.tls ? loadTls(e.tls.certPath) : agent),
          });
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toEngineError(operation, error);
    }
  }

  /** Run fn; a 404 answer means "absent" and yields `absent`. */
  private async orAbsent<T, A>(operation: string, fn: () => Promise<T>, absent: A): Promise<T | A> {
    try {
      return await fn();
    } catch (error) {
      if (statusOf(error) === 404) return absent;
      throw toEngineError(operation, error);
    }
  }

  async ping(): Promise<void> {
    await this.call('ping the engine', () => this.docker.ping());
  }

  // ---- networks -------------------------------------------------------------------------------

  private async networkId(name: string): Promise<string | null> {
    const info = await this.orAbsent(
      `inspect network ${name}`,
      () => this.docker.getNetwork(name).inspect() as Promise<{ Id?: string; Name?: string }>,
      null,
    );
    // Docker also resolves id prefixes: only an exact name counts.
    if (info === null || (info.Name !== undefined && info.Name !== name)) return null;
    return info.Id ?? name;
  }

  async ensureNetwork(
    name: string,
    labels: Readonly<Record<string, string>>,
  ): Promise<{ id: string; created: boolean }> {
    const existing = await this.networkId(name);
    if (existing !== null) return { id: existing, created: false };
    try {
      const network = await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Labels: { ...labels },
        CheckDuplicate: true,
      });
      return { id: network.id, created: true };
    } catch (error) {
      // Created meanwhile by someone else: Docker says 409, Podman 500 "network name ... already used".
      const status = statusOf(error);
      if (status === 409 || (status === 500 && /already (exists|used|in use)/i.test(engineMessage(error)))) {
        const id = await this.networkId(name);
        if (id !== null) return { id, created: false };
      }
      throw toEngineError(`create network ${name}`, error);
    }
  }

  async listNetworks(labels: LabelFilter): Promise<NetworkSummary[]> {
    const list = await this.call('list networks', () =>
      this.docker.listNetworks({ filters: { label: labelFilters(labels) } }),
    );
    return list
      .map((n) => ({ id: n.Id, name: n.Name, labels: { ...(n.Labels ?? {}) } }))
      .filter((n) => matchesLabels(n.labels, labels));
  }

  async removeNetwork(name: string): Promise<boolean> {
    if ((await this.networkId(name)) === null) return false;
    return this.orAbsent(
      `remove network ${name}`,
      async () => {
        await this.docker.getNetwork(name).remove();
        return true;
      },
      false,
    );
  }

  // ---- volumes --------------------------------------------------------------------------------

  async ensureVolume(name: string, labels: Readonly<Record<string, string>>): Promise<{ created: boolean }> {
    const exists = await this.orAbsent(
      `inspect volume ${name}`,
      async () => {
        await this.docker.getVolume(name).inspect();
        return true;
      },
      false,
    );
    if (exists) return { created: false };
    await this.call(`create volume ${name}`, () => this.docker.createVolume({ Name: name, Labels: { ...labels } }));
    return { created: true };
  }

  async listVolumes(labels: LabelFilter): Promise<VolumeSummary[]> {
    const answer = await this.call('list volumes', () =>
      this.docker.listVolumes({ filters: { label: labelFilters(labels) } }),
    );
    return (answer.Volumes ?? [])
      .map((v) => ({ name: v.Name, labels: { ...(v.Labels ?? {}) }, mountpoint: v.Mountpoint }))
      .filter((v) => matchesLabels(v.labels, labels));
  }

  async removeVolume(name: string): Promise<boolean> {
    return this.orAbsent(
      `remove volume ${name}`,
      async () => {
        await this.docker.getVolume(name).remove();
        return true;
      },
      false,
    );
  }

  // ---- images ---------------------------------------------------------------------------------

  async inspectImage(ref: string): Promise<ImageInfo | null> {
    const full = normalizeImageRef(ref);
    const info = await this.orAbsent(`inspect image ${full}`, () => this.docker.getImage(full).inspect(), null);
    if (info === null) return null;
    return {
      id: info.Id,
      tags: info.RepoTags ?? [],
      labels: { ...(info.Config?.Labels ?? {}) },
      created: toDate(info.Created),
      sizeBytes: info.Size,
      digests: info.RepoDigests ?? [],
    };
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.inspectImage(ref)) !== null;
  }

  async pullImage(ref: string, onProgress?: ProgressListener): Promise<void> {
    const full = normalizeImageRef(ref);
    const operation = `pull image ${full}`;
    const failed = (error: unknown): WmonError => {
      const wrapped = toEngineError(operation, error);
      if (!(wrapped instanceof EngineError) || wrapped.code === 'ENGINE_UNREACHABLE') return wrapped;
      return pullFailedError(operation, engineMessage(error), wrapped.statusCode);
    };
    try {
      const stream = (await this.docker.pull(full)) as NodeJS.ReadableStream;
      await readJsonLines(stream, (obj) => {
        if (!onProgress) return;
        const detail = (obj.progressDetail ?? {}) as { current?: unknown; total?: unknown };
        onProgress({
          ...(typeof obj.id === 'string' ? { id: obj.id } : {}),
          status: typeof obj.status === 'string' ? obj.status : JSON.stringify(obj),
          ...(typeof detail.current === 'number' ? { current: detail.current } : {}),
          ...(typeof detail.total === 'number' ? { total: detail.total } : {}),
        });
      });
    } catch (error) {
      throw failed(error);
    }
    if (!(await this.imageExists(full))) {
      throw new EngineError(`pull image ${full}`, 'the engine reported success, but the image is not there', {
        code: 'IMAGE_PULL_FAILED',
      });
    }
  }

  async buildImage(options: BuildOptions, onProgress?: ProgressListener): Promise<{ imageId: string }> {
    const tag = normalizeImageRef(options.tag);
    const dockerfile = options.dockerfile ?? 'Dockerfile';
    let context: NodeJS.ReadableStream;
    if ('tar' in options.context) {
      context = options.context.tar;
    } else {
      const { dir } = options.context;
      let paths = options.context.paths ? [...options.context.paths] : await readdir(dir);
      if (options.context.paths && !paths.some((p) => path.normalize(p) === path.normalize(dockerfile)))
        paths = [...paths, dockerfile];
      context = Readable.from(createTar({ cwd: dir, portable: true }, paths));
    }
    const replaced = await this.inspectImage(tag);
    let imageId: string | undefined;
    await this.call(`build image ${tag}`, async () => {
      const stream = await this.docker.buildImage(context, {
        t: tag,
        dockerfile,
        ...(options.buildArgs ? { buildargs: { ...options.buildArgs } } : {}),
        ...(options.labels ? { labels: { ...options.labels } } : {}),
        ...(options.pull === true ? { pull: true } : {}),
        rm: true,
        forcerm: true,
      });
      await readJsonLines(stream, (obj) => {
        const aux = obj.aux as { ID?: unknown } | undefined;
        if (typeof aux?.ID === 'string') imageId = aux.ID;
        if (typeof obj.stream === 'string' && onProgress) {
          for (const line of obj.stream.split('\n')) if (line.trim() !== '') onProgress({ status: line.trimEnd() });
        }
      });
    });
    const built = await this.inspectImage(tag);
    if (built === null)
      throw new EngineError(`build image ${tag}`, 'the engine reported success, but no image has that tag', {
        code: 'IMAGE_BUILD_FAILED',
      });
    // The image that had this tag before is now dangling: remove it, unless a container still uses it.
    if (replaced !== null && replaced.id !== built.id)
      await this.docker
        .getImage(replaced.id)
        .remove()
        .catch(() => undefined);
    return { imageId: built.id || imageId || '' };
  }

  async removeImage(ref: string, opts: { force?: boolean } = {}): Promise<boolean> {
    const full = normalizeImageRef(ref);
    return this.orAbsent(
      `remove image ${full}`,
      async () => {
        await this.docker.getImage(full).remove({ force: opts.force === true });
        return true;
      },
      false,
    );
  }

  // ---- containers -----------------------------------------------------------------------------

  private summarize(c: Docker.ContainerInfo): ContainerSummary {
    const labels = { ...(c.Labels ?? {}) };
    const ports = ((c.Ports ?? []) as RawPort[])
      .filter((p) => typeof p.PublicPort === 'number' && p.PublicPort > 0)
      .map((p) => ({
        containerPort: p.PrivatePort ?? 0,
        protocol: protocolOf(p.Type),
        hostPort: p.PublicPort ?? 0,
        hostIp: p.IP ?? '0.0.0.0',
      }));
    return {
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      component: labels[LABELS.component],
      image: c.Image,
      imageId: c.ImageID,
      state: toState(c.State),
      status: c.Status ?? '',
      labels,
      created: new Date(c.Created * 1000),
      ports,
    };
  }

  async listContainers(labels: LabelFilter): Promise<ContainerSummary[]> {
    const list = await this.call('list containers', () =>
      this.docker.listContainers({ all: true, filters: { label: labelFilters(labels) } }),
    );
    return list.map((c) => this.summarize(c)).filter((c) => matchesLabels(c.labels, labels));
  }

  async listPublishingContainers(): Promise<ContainerSummary[]> {
    const list = await this.call('list containers', () =>
      this.docker.listContainers({ filters: { status: ['running'] } }),
    );
    return list.map((c) => this.summarize(c)).filter((c) => c.ports.length > 0);
  }

  async createContainer(spec: ContainerSpec, network: string): Promise<string> {
    const image = normalizeImageRef(spec.image);
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/${p.protocol ?? 'tcp'}`;
      exposed[key] = {};
      // Podman 4's netavark turns an explicit HostIp 0.0.0.0 into a DNAT rule for destination 0.0.0.0/32
      // only, so the port answers on no address at all; an empty HostIp means every address on both engines.
      const hostIp = this.engine.name === 'Podman' && p.hostIp === '0.0.0.0' ? '' : p.hostIp;
      (bindings[key] ??= []).push({ HostIp: hostIp, HostPort: String(p.hostPort) });
    }
    const binds: string[] = [];
    for (const v of spec.volumes) binds.push(`${v.volume}:${v.target}${v.readOnly ? ':ro' : ''}`);
    for (const b of spec.binds) {
      if (!path.isAbsolute(b.source)) throw bindNotAbsoluteError(b.source, spec.name);
      binds.push(`${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`);
    }
    const aliases = [...new Set([spec.component, ...spec.aliases])];
    const options: Docker.ContainerCreateOptions = {
      name: spec.name,
      Image: image,
      Labels: { [LABELS.component]: spec.component, ...spec.labels },
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ExposedPorts: exposed,
      HostConfig: {
        NetworkMode: network,
        PortBindings: bindings,
        Binds: binds,
        RestartPolicy: {
          Name: spec.restartPolicy,
          ...(spec.restartPolicy === 'on-failure' ? { MaximumRetryCount: 5 } : {}),
        },
        ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes } : {}),
        ...(spec.nanoCpus !== undefined ? { NanoCpus: spec.nanoCpus } : {}),
        ...(spec.readOnlyRootfs ? { ReadonlyRootfs: true } : {}),
        ...(spec.tmpfs ? { Tmpfs: { ...spec.tmpfs } } : {}),
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: aliases } } },
      ...(spec.cmd ? { Cmd: [...spec.cmd] } : {}),
      ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
      ...(spec.user !== undefined ? { User: spec.user } : {}),
    };
    const operation = `create container ${spec.name} from ${image}`;
    try {
      return (await this.docker.createContainer(options)).id;
    } catch (error) {
      // A taken name: Docker answers 409, Podman 500 "... that name is already in use".
      const status = statusOf(error);
      if (status === 409 || (status === 500 && /name .* is already in use/i.test(engineMessage(error))))
        throw nameTakenError(operation, spec.name);
      if (status === 404) throw imageMissingError(operation, image);
      throw toEngineError(operation, error);
    }
  }

  async startContainer(nameOrId: string): Promise<void> {
    // A container started again soon after it stopped can find its host port still held for a few
    // seconds (Podman's API service keeps the port's socket until it is collected): retry for a while.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await this.docker.getContainer(nameOrId).start();
        return;
      } catch (error) {
        if (statusOf(error) === 304) return; // already running
        if (/address already in use/i.test(engineMessage(error)) && Date.now() < deadline) {
          await sleep(1000);
          continue;
        }
        throw toEngineError(`start container ${nameOrId}`, error);
      }
    }
  }

  async stopContainer(nameOrId: string, timeoutSeconds = 10): Promise<void> {
    try {
      await this.docker.getContainer(nameOrId).stop({ t: timeoutSeconds });
    } catch (error) {
      if (statusOf(error) === 304) return; // already stopped
      throw toEngineError(`stop container ${nameOrId}`, error);
    }
  }

  async restartContainer(nameOrId: string, timeoutSeconds = 10): Promise<void> {
    await this.call(`restart container ${nameOrId}`, () =>
      this.docker.getContainer(nameOrId).restart({ t: timeoutSeconds }),
    );
  }

  async removeContainer(nameOrId: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<boolean> {
    return this.orAbsent(
      `remove container ${nameOrId}`,
      async () => {
        await this.docker.getContainer(nameOrId).remove({ force: opts.force === true, v: opts.volumes === true });
        return true;
      },
      false,
    );
  }

  async inspectContainer(nameOrId: string): Promise<ContainerDetails | null> {
    const info = await this.orAbsent(
      `inspect container ${nameOrId}`,
      () => this.docker.getContainer(nameOrId).inspect(),
      null,
    );
    if (info === null) return null;
    const labels = { ...(info.Config?.Labels ?? {}) };
    const ports: PublishedPort[] = [];
    for (const [key, list] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
      const [port, proto] = key.split('/');
      for (const b of list ?? []) {
        if (b.HostPort === '' || b.HostPort === undefined) continue;
        ports.push({
          containerPort: Number(port),
          protocol: protocolOf(proto),
          hostPort: Number(b.HostPort),
          hostIp: b.HostIp || '0.0.0.0',
        });
      }
    }
    const networks: Record<string, { ipAddress: string; aliases: string[] }> = {};
    for (const [name, n] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
      networks[name] = { ipAddress: n.IPAddress ?? '', aliases: n.Aliases ?? [] };
    }
    const state = info.State;
    const health = state.Health?.Status;
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      component: labels[LABELS.component],
      image: info.Config?.Image ?? '',
      imageId: info.Image,
      state: toState(state.Status),
      status: state.Status,
      labels,
      created: toDate(info.Created) ?? new Date(0),
      ports,
      running: state.Running === true,
      exitCode: typeof state.ExitCode === 'number' ? state.ExitCode : null,
      startedAt: toDate(state.StartedAt),
      finishedAt: toDate(state.FinishedAt),
      restartCount: info.RestartCount ?? 0,
      oomKilled: state.OOMKilled === true,
      error: state.Error ?? '',
      health: health === undefined || health === '' ? null : health,
      networks,
      user: info.Config?.User ?? '',
      readOnlyRootfs: info.HostConfig?.ReadonlyRootfs === true,
      mounts: (info.Mounts ?? []).map((m) => ({
        type: m.Type ?? '',
        source: m.Source ?? '',
        destination: m.Destination ?? '',
        ...(m.Name ? { name: m.Name } : {}),
      })),
    };
  }

  // ---- output, exec, files --------------------------------------------------------------------

  async logs(nameOrId: string, opts: LogsOptions = {}): Promise<LogsResult> {
    const buf = await this.call(`read the logs of ${nameOrId}`, () =>
      this.docker.getContainer(nameOrId).logs({
        follow: false,
        stdout: true,
        stderr: true,
        ...(opts.tail === 'all' ? {} : { tail: opts.tail ?? 100 }),
        timestamps: opts.timestamps === true,
        ...(opts.since ? { since: Math.floor(opts.since.getTime() / 1000) } : {}),
      }),
    );
    return demultiplex(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
  }

  async exec(nameOrId: string, cmd: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const operation = `run \`${cmd.join(' ')}\` in ${nameOrId}`;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return this.call(operation, async () => {
      const exec = await this.docker.getContainer(nameOrId).exec({
        Cmd: [...cmd],
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: false,
        Tty: false,
        ...(opts.user !== undefined ? { User: opts.user } : {}),
        ...(opts.workdir !== undefined ? { WorkingDir: opts.workdir } : {}),
        ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      let raw: Buffer;
      try {
        raw = await readAll(stream, timeoutMs, () => (stream as unknown as { destroy?: () => void }).destroy?.());
      } catch (error) {
        throw new EngineError(operation, error instanceof Error ? error.message : String(error), {
          code: 'EXEC_TIMEOUT',
        });
      }
      const { stdout, stderr } = demultiplex(raw);
      // Podman may still report Running (and no exit code) for a moment after the stream ended.
      for (let i = 0; i < 50; i++) {
        const info = await exec.inspect();
        if (!info.Running && typeof info.ExitCode === 'number') return { exitCode: info.ExitCode, stdout, stderr };
        await sleep(50);
      }
      throw new EngineError(operation, 'the command ended but the engine reports no exit code', {
        code: 'EXEC_NO_EXIT_CODE',
      });
    });
  }

  async getArchive(nameOrId: string, containerPath: string): Promise<Readable> {
    const stream = await this.call(`copy ${containerPath} out of ${nameOrId}`, () =>
      this.docker.getContainer(nameOrId).getArchive({ path: containerPath }),
    );
    return stream instanceof Readable ? stream : Readable.from(stream as AsyncIterable<Buffer>);
  }

  async putArchive(nameOrId: string, containerPath: string, tar: Readable | Buffer): Promise<void> {
    const operation = `copy files into ${nameOrId}:${containerPath}`;
    const container = this.docker.getContainer(nameOrId);
    // Podman would create a missing directory, Docker refuses with 404: refuse on both.
    try {
      await container.infoArchive({ path: containerPath });
    } catch (error) {
      if (statusOf(error) === 404) throw noSuchFolderError(operation, containerPath);
      throw toEngineError(operation, error);
    }
    await this.call(operation, async () => {
      const answer = (await container.putArchive(tar, { path: containerPath })) as unknown;
      // dockerode resolves with the response stream: drain it so the request completes.
      if (answer && typeof (answer as Readable).resume === 'function') {
        await new Promise<void>((resolve, reject) => {
          (answer as Readable).on('end', resolve).on('error', reject).resume();
        });
      }
    });
  }
}

/** A runtime for an engine found by detectEngine(). */
export function createDockerRuntime(engine: EngineInfo): ContainerRuntime {
  return new DockerRuntime(engine);
}
