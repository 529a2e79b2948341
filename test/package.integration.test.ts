/**
 * The published package: `npm pack` of this repository, installed from the tarball into an empty folder as a
 * user would, runs — the contract package it imports ships inside it (bundleDependencies), and so do the
 * sources the service image is built from. Needs the build (`npm test` builds first) and npm's cache or
 * registry for wmon's own dependencies.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

import { SERVICE_BUILD_PATHS } from '../src/ops/service-image.js';
import { REPO, wmon } from './support/cli.js';
import { tempDir } from './support/tmp.js';

interface PackResult {
  readonly filename: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
  readonly bundled: readonly string[];
}

let dir: string;
let packed: PackResult;
let installed: string;

beforeAll(async () => {
  for (const built of ['dist/commands', 'contract/dist/index.js']) {
    if (!existsSync(path.join(REPO, built))) throw new Error(`${built} is missing: run \`npm run build\` first.`);
  }
  dir = await tempDir('wmon-pack-');
  // --ignore-scripts: pack what is built (prepack would rebuild dist/ under the other tests' feet).
  const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
  packed = (JSON.parse(pack.stdout) as PackResult[])[0]!;
  const app = path.join(dir, 'app');
  await mkdir(app);
  await execa('npm', ['init', '-y'], { cwd: app });
  await execa(
    'npm',
    ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(dir, packed.filename)],
    {
      cwd: app,
      timeout: 300_000,
    },
  );
  installed = app;
}, 360_000);

describe('the published package', () => {
  it('bundles @wmon/contract (built) and ships the sources the service image is built from', () => {
    const files = new Set(packed.files.map((f) => f.path));
    expect(packed.bundled).toEqual(['@wmon/contract']);
    expect(files).toContain('node_modules/@wmon/contract/package.json');
    expect(files).toContain('node_modules/@wmon/contract/dist/index.js');
    expect(
      [...files].filter((f) => f.startsWith('node_modules/') && !f.startsWith('node_modules/@wmon/contract/')),
    ).toEqual([]);
    // npm never packs package-lock.json, whatever `files` says.
    for (const p of SERVICE_BUILD_PATHS.filter((p) => p !== 'package-lock.json')) {
      expect(
        [...files].some((f) => f === p || f.startsWith(`${p}/`)),
        p,
      ).toBe(true);
    }
  });

  it('installs from the tarball alone and answers --version', async () => {
    expect(existsSync(path.join(installed, 'node_modules/wmon/node_modules/@wmon/contract/dist/index.js'))).toBe(true);
    const r = await execa(path.join(installed, 'node_modules/.bin/wmon'), ['--version'], {
      cwd: installed,
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wmon\/0\.\d+\.\d+ /);
  });

  it('renders the stack exactly as the repository does', async () => {
    const out = path.join(dir, 'rendered');
    const r = await execa(path.join(installed, 'node_modules/.bin/wmon'), ['render', '--out', out], {
      cwd: installed,
      env: { NO_COLOR: '1' },
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Rendered 11 files /m);

    const reference = path.join(dir, 'reference');
    const ours = await wmon(['render', '--out', reference], { cwd: installed });
    expect(ours.exitCode, ours.stderr).toBe(0);
    const list = async (root: string) =>
      (await readdir(root, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
        .sort();
    const files = await list(out);
    expect(files).toEqual(await list(reference));
    expect(files).toContain('prometheus/rules/webhook-alerts.yml');
    for (const f of files)
      expect(await readFile(path.join(out, f), 'utf8'), f).toBe(await readFile(path.join(reference, f), 'utf8'));
  });
});
