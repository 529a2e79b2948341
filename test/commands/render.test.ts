import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { wmon } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** The documented shape of `wmon render --json` (README, "JSON output"). */
const renderJson = z.strictObject({
  configFile: z.string(),
  configExists: z.boolean(),
  outDir: z.string(),
  components: z.array(z.string()),
  files: z.array(
    z.strictObject({
      path: z.string(),
      component: z.string(),
      bytes: z.number().int().positive(),
      sha256: z.string().regex(/^[a-f0-9]{64}$/),
      status: z.enum(['created', 'changed', 'unchanged']),
      kind: z.string().nullable(),
    }),
  ),
  removed: z.array(z.string()),
  warnings: z.array(z.string()),
  target: z.enum(['local', 'kubernetes', 'compose']),
});

const errorJson = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), exit: z.number(), suggestions: z.array(z.string()) }),
});

describe('wmon render', () => {
  it('renders the defaults into --out and prints the documented JSON', async () => {
    const dir = await tempDir();
    const r = await wmon(['render', '--out', 'stack', '--json'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const json = renderJson.parse(JSON.parse(r.stdout));
    expect(json.configExists).toBe(false);
    expect(json.outDir).toBe(path.join(dir, 'stack'));
    expect(json.files.every((f) => f.status === 'created')).toBe(true);
    expect(json.warnings).toHaveLength(4);
    const prom = await readFile(path.join(dir, 'stack/prometheus/prometheus.yml'), 'utf8');
    expect(json.files.find((f) => f.path === 'prometheus/prometheus.yml')?.bytes).toBe(Buffer.byteLength(prom));

    const again = renderJson.parse(
      JSON.parse((await wmon(['render', '--out', 'stack', '--json'], { cwd: dir })).stdout),
    );
    expect(again.files.every((f) => f.status === 'unchanged')).toBe(true);
  });

  it('renders into the stack directory of wmon.yaml by default, and says what it did', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'wmon.yaml'), 'stackDir: monitoring\ncomponents:\n  loki: {enabled: false}\n');
    const r = await wmon(['render'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `Rendered 10 files for jaeger, webhook, nodeExporter, blackboxExporter, alertmanager, prometheus, grafana into ${path.join(dir, 'monitoring')}`,
    );
    expect(r.stdout).toContain('+ prometheus/prometheus.yml');
    expect(r.stdout).not.toContain('\u001b['); // NO_COLOR
  });

  it('refuses an invalid wmon.yaml with exit 78, every problem by path, and no stack trace', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'wmon.yaml'), 'components:\n  grafna: {}\n  prometheus: {port: 0}\n');
    const r = await wmon(['render'], { cwd: dir });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toContain('components.grafna: unknown key; did you mean "grafana"? (line 2)');
    expect(r.stderr).toMatch(/components\.prometheus\.port: must be a port number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const j = await wmon(['render', '--json'], { cwd: dir });
    expect(j.exitCode).toBe(78);
    const { error } = errorJson.parse(JSON.parse(j.stdout));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', exit: 78 });
  });

  it('takes the configuration path from WMON_CONFIG', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'other.yaml'), 'project: shop\n');
    const r = await wmon(['render', '--out', 'x', '--json'], { cwd: dir, env: { WMON_CONFIG: 'other.yaml' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).configFile).toBe(path.join(dir, 'other.yaml'));
  });

  it('renders Kubernetes manifests with --target kubernetes, listing each file with its kind', async () => {
    const dir = await tempDir();
    const r = await wmon(['render', '--target', 'kubernetes', '--out', 'k8s', '--json'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const json = renderJson.parse(JSON.parse(r.stdout));
    expect(json.target).toBe('kubernetes');
    const kinds = json.files.map((f) => `${f.path} ${f.kind}`);
    for (const kind of ['PrometheusRule', 'AlertmanagerConfig', 'Deployment', 'ServiceMonitor']) {
      expect(kinds.filter((k) => k.endsWith(` ${kind}`)).length, kind).toBe(1);
    }
    expect(kinds).toContain('kustomization.yaml Kustomization');
    for (const f of json.files) {
      const text = await readFile(path.join(dir, 'k8s', f.path), 'utf8');
      expect(Buffer.byteLength(text), f.path).toBe(f.bytes);
    }
    // The local render's JSON says what it is too, and its files have no kind.
    const local = renderJson.parse(
      JSON.parse((await wmon(['render', '--out', 'local', '--json'], { cwd: dir })).stdout),
    );
    expect(local.target).toBe('local');
    expect(local.files.every((f) => f.kind === null)).toBe(true);
  });

  it('refuses --target kubernetes or compose without --out, or into the stack directory (exit 2)', async () => {
    const dir = await tempDir();
    for (const args of [
      ['--target', 'compose'],
      ['--target', 'kubernetes', '--out', '.wmon'],
    ]) {
      const r = await wmon(['render', ...args, '--json'], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(errorJson.parse(JSON.parse(r.stdout)).error.code).toBe('RENDER_OUT_REQUIRED');
    }
    const bad = await wmon(['render', '--target', 'helm', '--out', 'x'], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/local, kubernetes, compose/);
  });

  it('says clearly when the output folder cannot be written (exit 73)', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'blocker'), 'a file, not a folder');
    const r = await wmon(['render', '--out', 'blocker/stack'], { cwd: dir });
    expect(r.exitCode).toBe(73);
    expect(r.stderr).toContain('Cannot write the rendered configuration');
  });
});

describe('help', () => {
  it('shows examples and exit codes at the root, and examples for render', async () => {
    const root = await wmon(['--help']);
    expect(root.stdout).toContain('EXAMPLES');
    expect(root.stdout).toContain('78  wmon.yaml or a secret it refers to is invalid or missing');
    const render = await wmon(['render', '--help']);
    expect(render.stdout).toContain('EXAMPLES');
    expect(render.stdout).toContain('$ wmon render --out deploy/monitoring');
  });

  it('documents wmon engine install and wmon images build with examples', async () => {
    const install = await wmon(['engine', 'install', '--help']);
    expect(install.exitCode).toBe(0);
    expect(install.stdout).toContain('EXAMPLES');
    expect(install.stdout).toContain('sudo wmon engine install --yes');
    expect(install.stdout).toContain('-y, --yes');
    const images = await wmon(['images', 'build', '--help']);
    expect(images.exitCode).toBe(0);
    expect(images.stdout).toContain('EXAMPLES');
    expect(images.stdout).toContain('sudo wmon images build --print');
    expect(images.stdout).toContain('--repository=REPOSITORY');
  });
});
