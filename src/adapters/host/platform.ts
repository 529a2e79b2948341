/**
 * The machine wmon runs on: its operating system, its Linux distribution (from /etc/os-release) and whether
 * wmon runs as root. `wmon engine install` and `wmon images build` use Debian's tools (apt-get, dpkg-deb)
 * as root; the "no engine" error names the platform's own way to get one.
 */
import { readFile } from 'node:fs/promises';

export interface HostPlatform {
  readonly platform: NodeJS.Platform;
  /** The Linux distribution, when /etc/os-release says. */
  readonly distro: Distro | undefined;
  /** Whether the effective user is root (false off POSIX). */
  readonly root: boolean;
}

export interface Distro {
  /** `ID`: debian, ubuntu, fedora… */
  readonly id: string;
  /** `ID_LIKE`, split: the distributions this one derives from. */
  readonly like: readonly string[];
  /** `PRETTY_NAME`, else `NAME`, else the id. */
  readonly name: string;
}

/** os-release(5): KEY=value lines, values optionally quoted. Bounded: the first 64 KiB are read. */
export function parseOsRelease(text: string): Distro | undefined {
  const values = new Map<string, string>();
  for (const line of text.slice(0, 65_536).split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!.trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) value = value.slice(1, -1);
    values.set(m[1]!, value.replace(/\\(.)/g, '$1'));
  }
  const id = values.get('ID')?.toLowerCase();
  if (!id) return undefined;
  const like = (values.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return { id, like, name: values.get('PRETTY_NAME') || values.get('NAME') || id };
}

/** Debian or a derivative of it (Ubuntu, …): apt-get and Debian's packages are there. */
export function isDebianLike(distro: Distro | undefined): boolean {
  return distro !== undefined && [distro.id, ...distro.like].some((d) => d === 'debian' || d === 'ubuntu');
}

/** This machine. */
export async function hostPlatform(): Promise<HostPlatform> {
  const text = process.platform === 'linux' ? await readFile('/etc/os-release', 'utf8').catch(() => '') : '';
  return {
    platform: process.platform,
    distro: text === '' ? undefined : parseOsRelease(text),
    root: typeof process.getuid === 'function' && process.getuid() === 0,
  };
}
