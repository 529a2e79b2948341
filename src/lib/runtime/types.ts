/**
 * What the rest of wmon knows about containers. No dockerode type crosses this file: commands and the
 * stack model speak only these types; src/lib/runtime/ implements them over dockerode.
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
  readonly readiness?: ReadinessProbe;
  /** Components that must be ready before this one starts. */
  readonly dependsOn: readonly string[];
}
