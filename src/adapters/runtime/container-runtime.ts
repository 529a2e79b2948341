/**
 * The container engine as wmon uses it. Commands and the stack speak only this interface and the types in
 * types.ts; docker-runtime.ts implements it over dockerode (Docker, and Podman's Docker-compatible API).
 *
 * Conventions: names or ids are accepted wherever a container is meant; "absent" is an answer, not an
 * error (inspect → null, remove → false); everything else the engine refuses is an EngineError
 * (a WmonError). Image references are normalized to full references before they reach the engine.
 */
import type { Readable } from 'node:stream';
import type {
  ContainerDetails,
  ContainerSpec,
  ContainerSummary,
  EngineInfo,
  ExecResult,
  ImageInfo,
  LabelFilter,
  LogsResult,
  NetworkSummary,
  ProgressEvent,
  VolumeSummary,
} from '../../core/model/container-types.js';
import { isLocalOnlyImage, normalizeImageRef } from './image-ref.js';
import { WmonError } from '../../errors.js';

export type ProgressListener = (event: ProgressEvent) => void;

/** A build context: a directory (all of it, or only `paths` relative to it), or a ready tar stream. */
export type BuildContext = { readonly dir: string; readonly paths?: readonly string[] } | { readonly tar: Readable };

export interface BuildOptions {
  readonly context: BuildContext;
  /** Path of the Dockerfile inside the context. Default `Dockerfile`. */
  readonly dockerfile?: string;
  /** Full reference to tag the result with, e.g. `localhost/wmon/service:0.1.0`. */
  readonly tag: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  /** Try to pull newer base images (default false: use what is local, pull what is missing). */
  readonly pull?: boolean;
}

export interface ExecOptions {
  readonly user?: string;
  readonly workdir?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Give up (and report) after this long. Default 60 s. */
  readonly timeoutMs?: number;
}

export interface LogsOptions {
  /** Last N lines (default 100); `all` for everything. */
  readonly tail?: number | 'all';
  /** Only lines since this time. */
  readonly since?: Date;
  readonly timestamps?: boolean;
}

export interface ContainerRuntime {
  /** The engine (name, version, API version, how it was found). */
  readonly engine: EngineInfo;

  ping(): Promise<void>;

  /** Create the network unless one by that name exists. `created` says which happened. */
  ensureNetwork(
    name: string,
    labels: Readonly<Record<string, string>>,
  ): Promise<{ readonly id: string; readonly created: boolean }>;
  listNetworks(labels: LabelFilter): Promise<NetworkSummary[]>;
  /** False when there was no such network. */
  removeNetwork(name: string): Promise<boolean>;

  /** Create the named volume unless it exists. */
  ensureVolume(name: string, labels: Readonly<Record<string, string>>): Promise<{ readonly created: boolean }>;
  listVolumes(labels: LabelFilter): Promise<VolumeSummary[]>;
  /** False when there was no such volume. A volume still in use is an error. */
  removeVolume(name: string): Promise<boolean>;

  imageExists(ref: string): Promise<boolean>;
  /** Null when absent. */
  inspectImage(ref: string): Promise<ImageInfo | null>;
  /** Pull one image; the engine's progress goes to onProgress; failures inside the stream are thrown. */
  pullImage(ref: string, onProgress?: ProgressListener): Promise<void>;
  /**
   * Build and tag an image; returns its id. Build output lines go to onProgress. The image the tag named
   * before is removed unless a container still uses it (no dangling images pile up across rebuilds).
   */
  buildImage(options: BuildOptions, onProgress?: ProgressListener): Promise<{ readonly imageId: string }>;
  removeImage(ref: string, opts?: { readonly force?: boolean }): Promise<boolean>;

  /** Containers (running or not) carrying every label in the filter. */
  listContainers(labels: LabelFilter): Promise<ContainerSummary[]>;
  /** Every running container that publishes a host port (for the port check), whoever owns it. */
  listPublishingContainers(): Promise<ContainerSummary[]>;
  /** Create (not start) a container from a spec, attached to `network` with the spec's aliases. Returns its id. */
  createContainer(spec: ContainerSpec, network: string): Promise<string>;
  startContainer(nameOrId: string): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutSeconds. A stopped container is not an error. */
  stopContainer(nameOrId: string, timeoutSeconds?: number): Promise<void>;
  restartContainer(nameOrId: string, timeoutSeconds?: number): Promise<void>;
  /** False when there was no such container. `volumes` also removes its anonymous volumes. */
  removeContainer(nameOrId: string, opts?: { readonly force?: boolean; readonly volumes?: boolean }): Promise<boolean>;
  /** Null when there is no such container. */
  inspectContainer(nameOrId: string): Promise<ContainerDetails | null>;

  /** The container's output as text (stdout and stderr demultiplexed). */
  logs(nameOrId: string, opts?: LogsOptions): Promise<LogsResult>;
  /** Run a command in a running container and collect its exit code and output. */
  exec(nameOrId: string, cmd: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** A tar stream of `path` (file or directory) inside the container. */
  getArchive(nameOrId: string, path: string): Promise<Readable>;
  /** Extract a tar stream into the directory `path` inside the container (which must exist: Docker 404s). */
  putArchive(nameOrId: string, path: string, tar: Readable | Buffer): Promise<void>;
}

export type PullPolicy = 'missing' | 'always' | 'never';

/**
 * Make an image available under its full reference, by the pull policy: `missing` pulls only what is not
 * local (Podman answers a pull of a local-only image with an error hidden in a 200 stream after seconds,
 * so never pull what exists), `never` only checks, `always` pulls anything not under localhost/.
 * Returns what happened.
 */
export async function ensureImage(
  runtime: ContainerRuntime,
  ref: string,
  policy: PullPolicy,
  onProgress?: ProgressListener,
): Promise<'present' | 'pulled'> {
  const full = normalizeImageRef(ref);
  const present = await runtime.imageExists(full);
  if (present && (policy !== 'always' || isLocalOnlyImage(full))) return 'present';
  if (!present && (policy === 'never' || isLocalOnlyImage(full))) {
    throw new WmonError(
      `Image ${full} is not present${isLocalOnlyImage(full) ? ' (a localhost/ image is built, not pulled)' : ' and pulling is turned off'}.`,
      {
        code: 'IMAGE_MISSING',
        suggestions: isLocalOnlyImage(full)
          ? ['Build it first (contributors: `sudo scripts/engine/build-images.sh`).']
          : [`Pull it yourself (\`docker pull ${full}\`), or allow pulling in wmon.yaml.`],
      },
    );
  }
  await runtime.pullImage(full, onProgress);
  return 'pulled';
}
