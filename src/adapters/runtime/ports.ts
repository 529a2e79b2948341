/**
 * Host port checks, before anything is created: bind each configured address:port for a moment; when
 * that fails, find who holds it — a container publishing it (the engine's port forwarder would
 * otherwise show up as conmon, docker-proxy or rootlessport), else a local process, found through
 * /proc/net/tcp{,6} (the listening socket's inode) and /proc/<pid>/fd (who has that socket). Best effort:
 * without root only your own processes are visible.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { WmonError } from '../../errors.js';
import type { ContainerSummary } from '../../core/model/container-types.js';

export interface PortRequest {
  readonly port: number;
  /** Address to bind, e.g. 127.0.0.1 (wmon's default) or 0.0.0.0. */
  readonly host: string;
  /** Who wants it, e.g. `prometheus`. */
  readonly component?: string;
}

export type PortHolder =
  | {
      readonly kind: 'container';
      readonly id: string;
      readonly name: string;
      readonly image: string;
      readonly labels: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'process'; readonly pid: number; readonly command: string; readonly cmdline: string }
  | { readonly kind: 'unknown'; readonly detail: string };

export type PortCheck = PortRequest &
  (
    | { readonly status: 'free' }
    | { readonly status: 'taken'; readonly holder: PortHolder }
    /** The address cannot be bound at all (EADDRNOTAVAIL: not an address of this host; EACCES: port < 1024). */
    | { readonly status: 'unusable'; readonly reason: string }
    /** Two components ask for the same address and port. */
    | { readonly status: 'duplicate'; readonly otherComponent: string }
  );

export interface PortCheckDeps {
  /** Running containers that publish ports (ContainerRuntime.listPublishingContainers); none when absent. */
  readonly publishingContainers?: () => Promise<readonly ContainerSummary[]>;
  /** Default `/proc`. */
  readonly procRoot?: string;
}

/** Bind address:port for a moment. `free`, or the error code (EADDRINUSE, EACCES, EADDRNOTAVAIL...). */
export function tryBind(
  port: number,
  host: string,
): Promise<{ readonly free: true } | { readonly free: false; readonly code: string; readonly message: string }> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve({ free: false, code: error.code ?? 'UNKNOWN', message: error.message });
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve({ free: true }));
    });
  });
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

function addressesOverlap(a: string, b: string): boolean {
  return (
    WILDCARDS.has(a) ||
    WILDCARDS.has(b) ||
    a === b ||
    (a === 'localhost' && b === '127.0.0.1') ||
    (a === '127.0.0.1' && b === 'localhost')
  );
}

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  readonly inode: number;
}

function hexToIpv4(hex: string): string {
  // Four bytes in host (little-endian) order.
  const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return bytes.join('.');
}

function hexToIpv6(hex: string): string {
  const groups: string[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    const le = [6, 4, 2, 0].map((i) => w.slice(i, i + 2)).join('');
    groups.push(le.slice(0, 4), le.slice(4, 8));
  }
  const full = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full.startsWith('0:0:0:0:0:ffff:')) {
    const [hi = '0', lo = '0'] = full.split(':').slice(6);
    const n = (parseInt(hi, 16) << 16) | parseInt(lo, 16);
    return `::ffff:${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}`;
  }
  return full.replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** LISTEN sockets from the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const result: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue; // 0A = TCP_LISTEN
    const [addrHex = '', portHex = ''] = (f[1] ?? '').split(':');
    const inode = Number(f[9]);
    if (!Number.isFinite(inode) || inode === 0) continue;
    result.push({
      address: addrHex.length === 8 ? hexToIpv4(addrHex) : hexToIpv6(addrHex),
      port: parseInt(portHex, 16),
      inode,
    });
  }
  return result;
}

/** The process listening on a TCP port, if this user can see it. */
export async function findListeningProcess(
  port: number,
  procRoot = '/proc',
): Promise<
  { readonly pid: number; readonly command: string; readonly cmdline: string; readonly address: string } | undefined
> {
  const sockets: ListeningSocket[] = [];
  for (const file of ['net/tcp', 'net/tcp6']) {
    try {
      sockets.push(...parseProcNetTcp(await readFile(path.join(procRoot, file), 'utf8')));
    } catch {
      // no IPv6, or no /proc: nothing to add
    }
  }
  const wanted = new Map<string, ListeningSocket>(
    sockets.filter((s) => s.port === port).map((s) => [`socket:[${s.inode}]`, s]),
  );
  if (wanted.size === 0) return undefined;
  let pids: string[];
  try {
    pids = (await readdir(procRoot)).filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(path.join(procRoot, pid, 'fd'));
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await readlink(path.join(procRoot, pid, 'fd', fd));
      } catch {
        continue;
      }
      const socket = wanted.get(target);
      if (!socket) continue;
      const read = async (name: string): Promise<string> => {
        try {
          return await readFile(path.join(procRoot, pid, name), 'utf8');
        } catch {
          return '';
        }
      };
      const command = (await read('comm')).trim();
      const cmdline = (await read('cmdline'))
        .split('\0')
        .filter((a) => a !== '')
        .join(' ');
      return { pid: Number(pid), command, cmdline: cmdline || command, address: socket.address };
    }
  }
  return undefined;
}

/** Who holds a port that could not be bound. */
export async function findPortHolder(port: number, host: string, deps: PortCheckDeps = {}): Promise<PortHolder> {
  if (deps.publishingContainers) {
    try {
      for (const c of await deps.publishingContainers()) {
        if (c.ports.some((p) => p.hostPort === port && p.protocol === 'tcp' && addressesOverlap(p.hostIp, host))) {
          return { kind: 'container', id: c.id, name: c.name, image: c.image, labels: c.labels };
        }
      }
    } catch {
      // the engine check comes later and says what is wrong with it
    }
  }
  const proc = await findListeningProcess(port, deps.procRoot);
  if (proc) return { kind: 'process', pid: proc.pid, command: proc.command, cmdline: proc.cmdline };
  return {
    kind: 'unknown',
    detail: "a process wmon cannot see (another user's, or in another network namespace)",
  };
}

/** Check every requested port: duplicates among the requests first, then a bind on each. */
export async function checkPorts(requests: readonly PortRequest[], deps: PortCheckDeps = {}): Promise<PortCheck[]> {
  return Promise.all(
    requests.map(async (req, i): Promise<PortCheck> => {
      const earlier = requests.slice(0, i).find((o) => o.port === req.port && addressesOverlap(o.host, req.host));
      if (earlier)
        return { ...req, status: 'duplicate', otherComponent: earlier.component ?? `${earlier.host}:${earlier.port}` };
      const bind = await tryBind(req.port, req.host);
      if (bind.free) return { ...req, status: 'free' };
      if (bind.code !== 'EADDRINUSE') {
        const why =
          bind.code === 'EADDRNOTAVAIL'
            ? `${req.host} is not an address of this machine`
            : bind.code === 'EACCES'
              ? `binding port ${req.port} needs privileges (ports below 1024)`
              : bind.message;
        return { ...req, status: 'unusable', reason: why };
      }
      return { ...req, status: 'taken', holder: await findPortHolder(req.port, req.host, deps) };
    }),
  );
}

function holderText(holder: PortHolder): string {
  switch (holder.kind) {
    case 'container':
      return `container ${holder.name} (${holder.image})`;
    case 'process':
      return `process ${holder.pid} (${holder.cmdline})`;
    case 'unknown':
      return holder.detail;
  }
}

/** One line, e.g. `port 9090 (prometheus) on 127.0.0.1 is taken by process 1234 (python3 -m http.server)`. */
export function describePortCheck(check: PortCheck): string {
  const who = check.component === undefined ? '' : ` (${check.component})`;
  const where = `port ${check.port}${who} on ${check.host}`;
  switch (check.status) {
    case 'free':
      return `${where} is free`;
    case 'taken':
      return `${where} is taken by ${holderText(check.holder)}`;
    case 'unusable':
      return `${where} cannot be used: ${check.reason}`;
    case 'duplicate':
      return `${where} is also configured for ${check.otherComponent}`;
  }
}

/**
 * The error for the checks that failed (exit `conflict`), or undefined when all are usable. `isOurs`
 * marks holders that are fine, e.g. this stack's own running containers on a re-run.
 */
export function portConflictError(
  checks: readonly PortCheck[],
  isOurs: (holder: PortHolder) => boolean = () => false,
): WmonError | undefined {
  const bad = checks.filter((c) => c.status !== 'free' && !(c.status === 'taken' && isOurs(c.holder)));
  if (bad.length === 0) return undefined;
  const suggestions = ['Stop what holds the port, or choose another host port for that component in wmon.yaml.'];
  if (bad.some((c) => c.status === 'taken' && c.holder.kind === 'unknown')) {
    suggestions.push("To see who holds a port: `sudo ss -ltnp 'sport = :PORT'`.");
  }
  return new WmonError(
    `${bad.length === 1 ? 'A host port is' : `${bad.length} host ports are`} not available:\n${bad.map((c) => `  ${describePortCheck(c)}`).join('\n')}`,
    { code: 'PORT_TAKEN', suggestions },
  );
}
