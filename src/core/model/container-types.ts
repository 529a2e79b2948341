/**
 * What the rest of wmon knows about containers. No dockerode type crosses this file: commands and the
 * stack model speak only these types; src/adapters/runtime/ implements them over dockerode.
 */

/** Labels every wmon object carries. */
export const LABELS = {
  project: 'wmon.project',
  component: 'wmon.component',
  configHash: 'wmon.config-hash',
  managedBy: 'wmon.managed-by',
} as const;

export interface PortBinding {
  /** Port inside the container, e.g. 9090. */
  readonly containerPort: number;
  readonly protocol?: 'tcp' | 'udp';
  /** Port on the host. */
  readonly hostPort: number;
  /** Host address to bind, 127.0.0.1 by default (never 0.0.0.0 unless the user asked). */
  readonly hostIp: string;
}

export interface VolumeMount {
  /** Named volume (created by wmon, labelled) mounted at target. */
  readonly volume: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

export interface BindMount {
  /** Absolute host directory (the component's rendered config directory). Always a directory, never a
   * single file: files are replaced atomically by rename, which a single-file bind mount would not see. */
  readonly source: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

export interface ReadinessProbe {
  /** HTTP path on the component's main port, e.g. /-/ready. */
  readonly path: string;
  /** Which container port the probe targets (reached through its host binding). */
  readonly containerPort: number;
  /** Optional check of the response body beyond status 200 (e.g. Grafana's database ok). */
  readonly bodyIncludes?: string;
  /** Credentials the probe sends (wmon.yaml's `auth`); never part of the container itself. */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** The component answers HTTPS (`auth.tls`): what the probe trusts. */
  readonly tls?: ClientTls;
}

/** What a client of an HTTPS component trusts: PEM certificates, and the name the certificate must be valid for. */
export interface ClientTls {
  readonly ca: readonly string[];
  readonly serverName: string;
}

export interface ContainerSpec {
  /** Container name, e.g. `wmon-demo-prometheus`. */
  readonly name: string;
  /** Stack component id, e.g. `prometheus`. */
  readonly component: string;
  /** Full image reference (never a short name: Podman and Docker resolve those differently). */
  readonly image: string;
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly ports: readonly PortBinding[];
  readonly volumes: readonly VolumeMount[];
  readonly binds: readonly BindMount[];
  /** DNS names on the stack network (the component id is always one). */
  readonly aliases: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly restartPolicy: 'no' | 'on-failure' | 'unless-stopped' | 'always';
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
  /** The image's file system mounted read-only: only volumes, binds and tmpfs mounts are writable. */
  readonly readOnlyRootfs?: boolean;
  /** tmpfs mounts: target → mount options (e.g. `/tmp` → `rw,noexec,nosuid,size=64m`). */
  readonly tmpfs?: Readonly<Record<string, string>>;
  readonly readiness?: ReadinessProbe;
  /** Components that must be ready before this one starts. */
  readonly dependsOn: readonly string[];
}

/** How to reach an engine's API. */
export type EngineEndpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      /**
       * TLS (DOCKER_TLS_VERIFY set, or port 2376): `ca.pem`, `cert.pem`, `key.pem` from `certPath` when
       * present; `verify` checks the engine's certificate against them.
       */
      readonly tls: { readonly certPath?: string; readonly verify: boolean } | null;
    };

/** The engine wmon found, as confirmed by its API. */
export interface EngineInfo {
  /** `Docker` or `Podman` (from its ping's headers, else /version's components). */
  readonly name: 'Docker' | 'Podman';
  /** Engine version, e.g. `4.3.1` or `27.3.1`. */
  readonly version: string;
  /** Docker API version the engine speaks, e.g. `1.41`. */
  readonly apiVersion: string;
  readonly os: string;
  /** The engine's architecture, e.g. `amd64`; empty when its ping told the rest and /version was not asked. */
  readonly arch: string;
  /** How it was found, e.g. `DOCKER_HOST` or `Podman (rootful)`. */
  readonly foundBy: string;
  /** e.g. `unix:///run/podman/podman.sock`. */
  readonly address: string;
  readonly endpoint: EngineEndpoint;
}

export type ContainerState =
  'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead' | 'unknown';

/** A port a container publishes on the host. */
export interface PublishedPort {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly hostPort: number;
  /** `0.0.0.0` / `::` when published on every address. */
  readonly hostIp: string;
}

/** One container from a listing (ours or, for the port check, anyone's). */
export interface ContainerSummary {
  readonly id: string;
  /** Without Docker's leading slash. */
  readonly name: string;
  /** The `wmon.component` label, when present. */
  readonly component: string | undefined;
  /** Image reference the container was created from. */
  readonly image: string;
  readonly imageId: string;
  readonly state: ContainerState;
  /** The engine's human status, e.g. `Up 3 minutes`. */
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly created: Date;
  readonly ports: readonly PublishedPort[];
}

/** A container inspected: its state in detail. */
export interface ContainerDetails extends ContainerSummary {
  readonly running: boolean;
  readonly exitCode: number | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly restartCount: number;
  readonly oomKilled: boolean;
  /** The engine's error for a container that failed to start, else empty. */
  readonly error: string;
  /**
   * Docker HEALTHCHECK status when the image has one. Podman never runs health checks without systemd
   * (it stays `starting`): never wait on this, probe readiness over HTTP (readiness.ts).
   */
  readonly health: string | null;
  readonly networks: Readonly<Record<string, { readonly ipAddress: string; readonly aliases: readonly string[] }>>;
  /** The user it runs as (`Config.User`: name or uid[:gid]); empty when the image's default (root unless set). */
  readonly user: string;
  readonly readOnlyRootfs: boolean;
  readonly mounts: readonly {
    readonly type: string;
    readonly source: string;
    readonly destination: string;
    readonly name?: string;
  }[];
}

export interface ImageInfo {
  readonly id: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly created: Date | null;
  readonly sizeBytes: number;
  /** Registry digests (`docker.io/prom/prometheus@sha256:…`); empty for images built or loaded locally. */
  readonly digests: readonly string[];
}

export interface VolumeSummary {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly mountpoint: string;
}

export interface NetworkSummary {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Label filter: every key must be present, and equal the value when one is given (`true`: any value). */
export type LabelFilter = Readonly<Record<string, string | true>>;

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LogsResult {
  /** stdout and stderr interleaved in the order the engine sent them. */
  readonly text: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** A progress line from a pull or a build, flattened from the engine's JSON messages. */
export interface ProgressEvent {
  /** Layer id for pulls, absent for builds. */
  readonly id?: string;
  /** e.g. `Downloading`, or a build output line (`STEP 2/5: RUN npm ci`). */
  readonly status: string;
  readonly current?: number;
  readonly total?: number;
}
