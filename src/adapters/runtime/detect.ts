/**
 * Finding the container engine: an ordered list of strategies, each proposing candidate endpoints (or
 * saying why it has none), each candidate confirmed by `GET /_ping` and `GET /version` within a deadline.
 * The first that answers wins and is cached. Everything the strategies look at (environment, home
 * directory, files, the ping itself) is injected, so tests drive every path without an engine.
 *
 * Order: DOCKER_HOST (authoritative, like the docker CLI: when set, nothing else is tried), DOCKER_CONTEXT
 * (authoritative) or the current context in ~/.docker/config.json, /var/run/docker.sock, Docker
 * Desktop's sockets in ~/.docker, Podman rootful /run/podman/podman.sock, Podman rootless
 * $XDG_RUNTIME_DIR/podman/podman.sock.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WmonError } from '../../errors.js';
import { isDebianLike, parseOsRelease, type Distro } from '../host/platform.js';
import { endpointAddress, engineGet, parseDockerHost } from './endpoint.js';
import type { EngineEndpoint, EngineInfo } from '../../core/model/container-types.js';

export const PING_TIMEOUT_MS = 3000;
/**
 * An engine that answered its ping is there: its `/version` gets longer. Podman's asks conmon and runc for
 * theirs (through the package manager), which takes 4-7 s on a loaded host.
 */
export const VERSION_TIMEOUT_MS = 20_000;

export type PathKind = 'socket' | 'other' | 'missing' | 'denied';

/** What the engine says about itself, before wmon knows how it was found. */
export type EngineIdentity = Pick<EngineInfo, 'name' | 'version' | 'apiVersion' | 'os' | 'arch'>;

export type ProbeResult =
  { readonly ok: true; readonly identity: EngineIdentity } | { readonly ok: false; readonly reason: string };

export interface DetectDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  /** Effective user id (for /run/user/<uid> when XDG_RUNTIME_DIR is unset); undefined off POSIX. */
  readonly uid: number | undefined;
  statPath(file: string): Promise<PathKind>;
  /** A file's text, or undefined when it cannot be read. */
  readFile(file: string): Promise<string | undefined>;
  probe(endpoint: EngineEndpoint, timeoutMs: number): Promise<ProbeResult>;
  readonly pingTimeoutMs?: number;
  /** The operating system, for the "how to get an engine" advice; default this process's. */
  readonly platform?: NodeJS.Platform;
}

/** What the advice of the "no engine" error depends on. */
export interface EngineAdviceHost {
  readonly platform: NodeJS.Platform;
  readonly distro?: Distro | undefined;
  readonly root?: boolean;
}

export interface EngineCandidate {
  readonly endpoint: EngineEndpoint;
  /** Extra words for this candidate, e.g. `context "colima"`. */
  readonly note?: string;
}

/**
 * A strategy's answer: candidates to ping (`authoritative`: when none answers, stop there), nothing to
 * offer (`skipped`), or a setting that is explicitly set but unusable (`invalid`: stop there too, rather
 * than silently use another engine than the one the user named).
 */
export type StrategyAnswer =
  | { readonly candidates: readonly EngineCandidate[]; readonly authoritative?: boolean }
  | { readonly skipped: string }
  | { readonly invalid: string };

export interface DetectionStrategy {
  /** Human name, e.g. `Podman (rootful)`. */
  readonly name: string;
  find(deps: DetectDeps): Promise<StrategyAnswer>;
}

/** One line of the report when nothing answered. */
export interface DetectionAttempt {
  readonly strategy: string;
  readonly address?: string;
  readonly outcome: 'skipped' | 'missing' | 'not-a-socket' | 'denied' | 'unreachable' | 'invalid' | 'ok';
  readonly detail: string;
}

function unixCandidate(socketPath: string, note?: string): EngineCandidate {
  return note === undefined
    ? { endpoint: { kind: 'unix', socketPath } }
    : { endpoint: { kind: 'unix', socketPath }, note };
}

export const dockerHostStrategy: DetectionStrategy = {
  name: 'DOCKER_HOST',
  async find({ env, homedir }) {
    const value = env.DOCKER_HOST;
    if (value === undefined || value.trim() === '') return { skipped: 'not set' };
    const parsed = parseDockerHost(value, env, homedir);
    if (!parsed.ok) return { invalid: `DOCKER_HOST=${value}: ${parsed.reason}` };
    return { candidates: [{ endpoint: parsed.endpoint }], authoritative: true };
  },
};

/** Docker CLI contexts (Colima, Rancher Desktop, OrbStack, Docker Desktop set one). */
export const dockerContextStrategy: DetectionStrategy = {
  name: 'Docker context',
  async find(deps) {
    const configDir =
      deps.env.DOCKER_CONFIG && deps.env.DOCKER_CONFIG !== ''
        ? deps.env.DOCKER_CONFIG
        : path.join(deps.homedir, '.docker');
    const explicit = deps.env.DOCKER_CONTEXT !== undefined && deps.env.DOCKER_CONTEXT !== '';
    let name = deps.env.DOCKER_CONTEXT;
    if (!explicit) {
      const config = await deps.readFile(path.join(configDir, 'config.json'));
      if (config === undefined) return { skipped: `no ${path.join(configDir, 'config.json')}` };
      try {
        const current = (JSON.parse(config) as { currentContext?: unknown }).currentContext;
        name = typeof current === 'string' ? current : undefined;
      } catch {
        return { skipped: `${path.join(configDir, 'config.json')} is not valid JSON` };
      }
    }
    if (name === undefined || name === '' || name === 'default')
      return { skipped: 'no context other than the default is selected' };
    const id = createHash('sha256').update(name).digest('hex');
    const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
    const meta = await deps.readFile(metaFile);
    if (meta === undefined) {
      const why = `context "${name}" has no ${metaFile}`;
      return explicit ? { invalid: `DOCKER_CONTEXT=${name}: ${why}` } : { skipped: why };
    }
    let host: unknown;
    try {
      host = (JSON.parse(meta) as { Endpoints?: { docker?: { Host?: unknown } } }).Endpoints?.docker?.Host;
    } catch {
      return { skipped: `${metaFile} is not valid JSON` };
    }
    if (typeof host !== 'string' || host === '') return { skipped: `context "${name}" has no Docker endpoint` };
    const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
    const tlsEnv =
      (await deps.statPath(tlsDir)) === 'other' ? { DOCKER_CERT_PATH: tlsDir, DOCKER_TLS_VERIFY: '1' } : {};
    const parsed = parseDockerHost(host, tlsEnv, deps.homedir);
    if (!parsed.ok)
      return explicit
        ? { invalid: `context "${name}": ${parsed.reason}` }
        : { skipped: `context "${name}": ${parsed.reason}` };
    return { candidates: [{ endpoint: parsed.endpoint, note: `context "${name}"` }], authoritative: explicit };
  },
};

/** A strategy that tries well-known socket paths (none when `paths` says why it has none). */
function socketStrategy(name: string, paths: (deps: DetectDeps) => readonly string[] | string): DetectionStrategy {
  return {
    name,
    async find(deps) {
      const found = paths(deps);
      return typeof found === 'string' ? { skipped: found } : { candidates: found.map((p) => unixCandidate(p)) };
    },
  };
}

export const dockerSocketStrategy = socketStrategy('Docker socket', () => ['/var/run/docker.sock']);

export const dockerDesktopStrategy = socketStrategy('Docker Desktop', ({ homedir }) => [
  path.join(homedir, '.docker', 'run', 'docker.sock'),
  path.join(homedir, '.docker', 'desktop', 'docker.sock'),
]);

export const podmanRootfulStrategy = socketStrategy('Podman (rootful)', () => ['/run/podman/podman.sock']);

export const podmanRootlessStrategy = socketStrategy('Podman (rootless)', ({ env, uid }) => {
  const runtimeDir =
    env.XDG_RUNTIME_DIR !== undefined && env.XDG_RUNTIME_DIR !== ''
      ? env.XDG_RUNTIME_DIR
      : uid === undefined
        ? undefined
        : `/run/user/${uid}`;
  return runtimeDir === undefined ? 'XDG_RUNTIME_DIR is not set' : [path.join(runtimeDir, 'podman', 'podman.sock')];
});

/** Why a socket path cannot be an engine, before asking it anything; undefined when it is a socket. */
function socketProblem(kind: PathKind, socketPath: string): Pick<DetectionAttempt, 'outcome' | 'detail'> | undefined {
  switch (kind) {
    case 'missing':
      return { outcome: 'missing', detail: `no socket at ${socketPath}` };
    case 'other':
      return { outcome: 'not-a-socket', detail: `${socketPath} exists but is not a socket` };
    case 'denied':
      return { outcome: 'denied', detail: `permission denied on ${socketPath}` };
    default:
      return undefined;
  }
}

export const DEFAULT_STRATEGIES: readonly DetectionStrategy[] = [
  dockerHostStrategy,
  dockerContextStrategy,
  dockerSocketStrategy,
  dockerDesktopStrategy,
  podmanRootfulStrategy,
  podmanRootlessStrategy,
];

/**
 * Ask an endpoint `GET /_ping` within `timeoutMs`. Its headers name the engine (Docker: `Server: Docker/27.3.1
 * (linux)`; Podman: `Libpod-Api-Version`) and its API version; only when they do not is `GET /version` asked
 * too (a slow answer there is still an engine): Podman's /version runs conmon and runc, which takes a second
 * or more, and `wmon check` from cron should not wait for it.
 */
export async function probeEngine(endpoint: EngineEndpoint, timeoutMs: number): Promise<ProbeResult> {
  try {
    const ping = await engineGet(endpoint, '/_ping', timeoutMs);
    if (ping.status !== 200)
      return { ok: false, reason: `answered HTTP ${ping.status} to /_ping${excerpt(ping.body)}` };
    const fromPing = identityFromPing(ping.headers);
    if (fromPing) return { ok: true, identity: fromPing };
    const version = await engineGet(endpoint, '/version', Math.max(timeoutMs, VERSION_TIMEOUT_MS));
    if (version.status !== 200)
      return { ok: false, reason: `answered HTTP ${version.status} to /version${excerpt(version.body)}` };
    return { ok: true, identity: identityFromVersion(JSON.parse(version.body) as unknown) };
  } catch (error) {
    return { ok: false, reason: describeConnectError(error) };
  }
}

/**
 * The engine as its `/_ping` headers describe it, or undefined when they do not say enough (name, version
 * and API version). The ping does not tell the architecture: `arch` is then empty.
 */
export function identityFromPing(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): EngineIdentity | undefined {
  const header = (name: string): string => {
    const v = headers[name];
    return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
  };
  const apiVersion = header('api-version');
  // `Libpod/4.3.1 (linux)` or `Docker/27.3.1 (linux)`
  const server = /^(Libpod|Docker)\/(\S+)(?: \(([^)]*)\))?/.exec(header('server'));
  const libpod = header('libpod-api-version');
  const name = libpod !== '' || server?.[1] === 'Libpod' ? 'Podman' : server?.[1] === 'Docker' ? 'Docker' : undefined;
  const version = libpod || server?.[2] || '';
  if (!name || !version || !apiVersion) return undefined;
  return { name, version, apiVersion, os: header('ostype') || server?.[3] || '', arch: '' };
}

function excerpt(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  return text === '' ? '' : `: ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`;
}

function describeConnectError(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: nothing serves the API there (a stale socket, or the engine stopped)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: your user may not use this socket';
    case 'ENOENT':
      return 'no such socket';
    case 'ETIMEDOUT':
      return message;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${message})`;
    default:
      return typeof code === 'string' ? `${code}: ${message}` : message;
  }
}

/** Docker's and Podman's /version, reduced to what wmon reports. */
export function identityFromVersion(body: unknown): EngineIdentity {
  const v = (typeof body === 'object' && body !== null ? body : {}) as {
    Version?: unknown;
    ApiVersion?: unknown;
    Os?: unknown;
    Arch?: unknown;
    Components?: unknown;
  };
  const components = Array.isArray(v.Components) ? (v.Components as { Name?: unknown; Version?: unknown }[]) : [];
  const podman = components.find((c) => typeof c.Name === 'string' && /podman/i.test(c.Name));
  const str = (x: unknown): string => (typeof x === 'string' ? x : '');
  return {
    name: podman ? 'Podman' : 'Docker',
    version: str(podman?.Version) || str(v.Version),
    apiVersion: str(v.ApiVersion),
    os: str(v.Os),
    arch: str(v.Arch),
  };
}

export function defaultDetectDeps(): DetectDeps {
  return {
    env: process.env,
    homedir: os.homedir(),
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    async statPath(file) {
      try {
        const s = await stat(file);
        return s.isSocket() ? 'socket' : 'other';
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return code === 'EACCES' || code === 'EPERM' ? 'denied' : 'missing';
      }
    },
    async readFile(file) {
      try {
        return await readFile(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    probe: probeEngine,
  };
}

/** Try the strategies in order; the engine that answers, or every attempt when none did. */
export async function findEngine(
  deps: DetectDeps,
  strategies: readonly DetectionStrategy[] = DEFAULT_STRATEGIES,
): Promise<{ readonly engine: EngineInfo | undefined; readonly attempts: readonly DetectionAttempt[] }> {
  const attempts: DetectionAttempt[] = [];
  const timeout = deps.pingTimeoutMs ?? PING_TIMEOUT_MS;
  for (const strategy of strategies) {
    const answer = await strategy.find(deps);
    if ('skipped' in answer) {
      attempts.push({ strategy: strategy.name, outcome: 'skipped', detail: answer.skipped });
      continue;
    }
    if ('invalid' in answer) {
      attempts.push({ strategy: strategy.name, outcome: 'invalid', detail: answer.invalid });
      break;
    }
    for (const candidate of answer.candidates) {
      const address = endpointAddress(candidate.endpoint);
      const label = candidate.note === undefined ? strategy.name : `${strategy.name} (${candidate.note})`;
      if (candidate.endpoint.kind === 'unix') {
        const problem = socketProblem(
          await deps.statPath(candidate.endpoint.socketPath),
          candidate.endpoint.socketPath,
        );
        if (problem !== undefined) {
          attempts.push({ strategy: label, address, ...problem });
          continue;
        }
      }
      const result = await deps.probe(candidate.endpoint, timeout);
      if (result.ok) {
        attempts.push({
          strategy: label,
          address,
          outcome: 'ok',
          detail: `${result.identity.name} ${result.identity.version}`,
        });
        return { engine: { ...result.identity, foundBy: label, address, endpoint: candidate.endpoint }, attempts };
      }
      attempts.push({
        strategy: label,
        address,
        outcome: /permission denied/.test(result.reason) ? 'denied' : 'unreachable',
        detail: result.reason,
      });
    }
    if (answer.authoritative === true) break;
  }
  return { engine: undefined, attempts };
}

/** The one error for "no engine": every attempt, and what to do. */
export function noEngineError(
  attempts: readonly DetectionAttempt[],
  env: Readonly<Record<string, string | undefined>>,
  host: EngineAdviceHost = { platform: process.platform },
): WmonError {
  const width = Math.max(...attempts.map((a) => a.strategy.length));
  const lines = attempts.map((a) => `  ${a.strategy.padEnd(width)}  ${a.detail}`);
  const suggestions: string[] = [];
  const dockerHostSet = env.DOCKER_HOST !== undefined && env.DOCKER_HOST.trim() !== '';
  if (dockerHostSet) {
    suggestions.push(
      `DOCKER_HOST is set (${env.DOCKER_HOST}), so no other place was tried: fix it, or unset it to let wmon look in the usual places.`,
    );
  }
  if (!dockerHostSet && env.DOCKER_CONTEXT !== undefined && env.DOCKER_CONTEXT !== '') {
    suggestions.push(
      `DOCKER_CONTEXT is set (${env.DOCKER_CONTEXT}), so the default places were not tried: start that engine, or unset DOCKER_CONTEXT.`,
    );
  }
  if (attempts.some((a) => a.outcome === 'denied')) {
    suggestions.push(
      'Permission denied: add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), or use rootless Podman.',
    );
  }
  suggestions.push(
    "Start Docker (Docker Desktop, or `sudo systemctl start docker`), or Podman's API service (`systemctl --user start podman.socket`, or `sudo systemctl start podman.socket`).",
    'Or point DOCKER_HOST at a running engine, e.g. `export DOCKER_HOST=unix:///run/podman/podman.sock`.',
    installAdvice(host),
  );
  return new WmonError(`No container engine answered. Tried:\n${lines.join('\n')}`, {
    code: 'ENGINE_NOT_FOUND',
    suggestions,
  });
}

/** The platform's own way to get an engine; on Debian and Ubuntu, also `wmon engine install`. */
export function installAdvice(host: EngineAdviceHost): string {
  const { platform, distro } = host;
  if (platform === 'darwin') {
    return 'No engine installed? Install Docker Desktop (https://docs.docker.com/desktop/setup/install/mac-install/) and start it, or Podman (`brew install podman && podman machine init && podman machine start`).';
  }
  if (platform === 'win32') {
    return 'No engine installed? Install Docker Desktop (https://docs.docker.com/desktop/setup/install/windows-install/) and start it, or Podman Desktop (https://podman-desktop.io).';
  }
  if (platform !== 'linux') return "No engine installed? Install Docker or Podman from your system's packages.";
  const ids = distro === undefined ? [] : [distro.id, ...distro.like];
  if (isDebianLike(distro)) {
    const wmon = host.root === true ? '`wmon engine install`' : '`sudo wmon engine install`';
    return `No engine installed? On ${distro!.name}: ${wmon} installs Podman from its packages and serves the Docker API (it asks first), or install Docker (\`sudo apt-get install docker.io\`) or Podman (\`sudo apt-get install podman\`, then \`systemctl --user start podman.socket\`) yourself.`;
  }
  if (ids.some((d) => ['fedora', 'rhel', 'centos'].includes(d))) {
    return 'No engine installed? `sudo dnf install podman`, then `systemctl --user start podman.socket` (or Docker: `sudo dnf install moby-engine`, then `sudo systemctl start docker`).';
  }
  if (ids.some((d) => ['arch', 'archlinux'].includes(d))) {
    return 'No engine installed? `sudo pacman -S podman`, then `systemctl --user start podman.socket` (or `sudo pacman -S docker`, then `sudo systemctl start docker`).';
  }
  if (ids.some((d) => ['suse', 'opensuse', 'sles'].includes(d) || d.startsWith('opensuse'))) {
    return 'No engine installed? `sudo zypper install podman`, then `systemctl --user start podman.socket` (or `sudo zypper install docker`).';
  }
  return "No engine installed? Install your distribution's podman or docker package (and start podman.socket or docker).";
}

const cache = new Map<string, Promise<EngineInfo>>();

function cacheKey(deps: DetectDeps): string {
  const keys = [
    'DOCKER_HOST',
    'DOCKER_CONTEXT',
    'DOCKER_CONFIG',
    'DOCKER_TLS_VERIFY',
    'DOCKER_CERT_PATH',
    'XDG_RUNTIME_DIR',
  ];
  return JSON.stringify([deps.homedir, deps.uid, ...keys.map((k) => deps.env[k] ?? null)]);
}

/**
 * The engine to use: the first strategy's candidate that answers a ping. Cached per environment for the
 * life of the process (a failure is not cached). Throws a WmonError (exit `unavailable`) that lists every
 * attempt when nothing answers.
 */
export function detectEngine(
  deps: DetectDeps = defaultDetectDeps(),
  strategies: readonly DetectionStrategy[] = DEFAULT_STRATEGIES,
): Promise<EngineInfo> {
  const key = strategies === DEFAULT_STRATEGIES ? cacheKey(deps) : undefined;
  const cached = key === undefined ? undefined : cache.get(key);
  if (cached) return cached;
  const pending = findEngine(deps, strategies).then(async ({ engine, attempts }) => {
    if (engine === undefined) throw noEngineError(attempts, deps.env, await adviceHost(deps));
    return engine;
  });
  if (key !== undefined) {
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/** Forget cached detections (tests; or after the user started an engine). */
export function clearEngineCache(): void {
  cache.clear();
}

async function adviceHost(deps: DetectDeps): Promise<EngineAdviceHost> {
  const platform = deps.platform ?? process.platform;
  if (platform !== 'linux') return { platform };
  const text = await deps.readFile('/etc/os-release');
  return { platform, distro: text === undefined ? undefined : parseOsRelease(text), root: deps.uid === 0 };
}
