/**
 * Image references, always fully qualified before they reach an engine: Podman resolves short names
 * through its own search list (and matches local images by their last path component: `node:20` finds
 * `localhost/wmon/node:20`), Docker through docker.io. `prom/prometheus` means the same everywhere only
 * as `docker.io/prom/prometheus:latest`.
 */
import { WmonError } from '../../errors.js';

export interface ImageRef {
  /** Registry host, e.g. `docker.io`, `quay.io`, `localhost`, `registry.example:5000`. */
  readonly domain: string;
  /** Repository path, e.g. `library/node`, `prom/prometheus`, `wmon/prometheus`. */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Parse a reference the way Docker's distribution/reference does, with Docker Hub as the default registry. */
export function parseImageRef(ref: string): ImageRef {
  const invalid = (why: string): WmonError =>
    new WmonError(`Invalid image reference "${ref}": ${why}`, {
      code: 'IMAGE_REF_INVALID',
      suggestions: ['Use a full reference such as docker.io/prom/prometheus:v3.5.0.'],
    });
  let rest = ref.trim();
  if (rest === '') throw invalid('it is empty');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(`"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first;
    parts.shift();
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  for (const part of parts) {
    if (!PATH_COMPONENT.test(part))
      throw invalid(`"${part}" is not a valid repository name component (lower case letters, digits, . _ -)`);
  }
  return { domain, path: parts.join('/'), tag, digest };
}

/** `prom/prometheus` → `docker.io/prom/prometheus:latest`; `localhost/wmon/node:20` unchanged. */
export function normalizeImageRef(ref: string): string {
  const r = parseImageRef(ref);
  const tag = r.tag ?? (r.digest === undefined ? 'latest' : undefined);
  return `${r.domain}/${r.path}${tag === undefined ? '' : `:${tag}`}${r.digest === undefined ? '' : `@${r.digest}`}`;
}

/** Images under `localhost/` exist only where they were built: there is nothing to pull. */
export function isLocalOnlyImage(ref: string): boolean {
  return parseImageRef(ref).domain === 'localhost';
}
