import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import type { LoadedConfig } from '../core/config/load.js';
import { MAX_PEM_FILE_BYTES, readSmallFileSync } from '../core/config/small-file.js';
import { ConfigError, WmonError } from '../errors.js';
import { PACKAGE_ROOT } from '../package.js';

/**
 * What the bundled webhook service's image is built from: the lockfile, the contract package (@wmon/contract)
 * and the service package, relative to the package root (the Docker build context). service/Dockerfile
 * COPYs exactly these; a test keeps the two lists equal.
 */
export const SERVICE_BUILD_PATHS = [
  'package.json',
  'package-lock.json',
  'contract/package.json',
  'contract/tsconfig.json',
  'contract/tsconfig.build.json',
  'contract/src',
  'service/Dockerfile',
  'service/package.json',
  'service/tsconfig.json',
  'service/tsconfig.build.json',
  'service/src',
] as const;

export const SOURCE_HASH_LABEL = 'wmon.source-hash';

export interface ServiceBuild {
  readonly contextDir: string;
  readonly paths: readonly string[];
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Hash of every input: files, build arguments. An image carrying it is up to date. */
  readonly sourceHash: string;
}

/** Everything needed to build the service image, and the hash that says whether a rebuild is needed. */
export async function serviceBuild(loaded: LoadedConfig): Promise<ServiceBuild> {
  const build = loaded.config.service.build;
  const buildArgs: Record<string, string> = { BASE_IMAGE: build.baseImage, BUILD_IMAGE: build.builderImage };
  if (build.caCertFile) {
    // The certificate travels as a build argument (PEM text), so the context stays the repository's files.
    // Read bounded (a regular file of at most 1 MiB): it was checked when wmon.yaml was loaded, and may have changed.
    const r = readSmallFileSync(path.resolve(loaded.dir, build.caCertFile), MAX_PEM_FILE_BYTES, 'certificate file');
    if (!r.ok) throw new ConfigError(loaded.file, [{ path: 'service.build.caCertFile', message: r.problem }]);
    buildArgs.EXTRA_CA_CERT = r.bytes.toString('utf8');
  }
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const p of SERVICE_BUILD_PATHS) files.push(...(await listFiles(PACKAGE_ROOT, p)));
  if (files.length === 0 || !files.includes('service/Dockerfile')) {
    throw new WmonError(`The webhook service's sources are missing under ${PACKAGE_ROOT} (no service/Dockerfile).`, {
      code: 'SERVICE_SOURCES_MISSING',
      suggestions: [
        'Reinstall wmon, or set components.webhook.image to an image you built, or switch the component off.',
      ],
    });
  }
  for (const f of files.sort())
    hash
      .update(f)
      .update('\0')
      .update(await readFile(path.join(PACKAGE_ROOT, f)))
      .update('\0');
  for (const [k, v] of Object.entries(buildArgs).sort()) hash.update(k).update('=').update(v).update('\0');
  return {
    contextDir: PACKAGE_ROOT,
    paths: [...SERVICE_BUILD_PATHS],
    dockerfile: 'service/Dockerfile',
    buildArgs,
    sourceHash: hash.digest('hex').slice(0, 16),
  };
}

async function listFiles(root: string, rel: string): Promise<string[]> {
  const abs = path.join(root, rel);
  const info = await stat(abs).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return [rel];
  if (!info.isDirectory()) return [];
  const out: string[] = [];
  for (const entry of await readdir(abs, { withFileTypes: true })) {
    out.push(...(await listFiles(root, path.posix.join(rel, entry.name))));
  }
  return out;
}
