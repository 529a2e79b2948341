/**
 * A stack rendered as `wmon up` lays it out, with the secret files wmon.yaml names: for the tests of the
 * credentials Prometheus reads from its secrets folder (remote write, extra scrape jobs).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { parse } from 'yaml';
import { expect } from 'vitest';

import { writeRenderedFiles } from '../../src/adapters/stack-dir/files.js';
import { materializeSecrets } from '../../src/adapters/stack-dir/secrets.js';
import { parseConfigText } from '../../src/core/config/load.js';
import { containerSpecs } from '../../src/core/model/containers.js';
import { buildStack } from '../../src/core/model/stack.js';
import { renderStack } from '../../src/core/render/index.js';
import { tempDir } from './tmp.js';
import { promTool } from './tools.js';

/** The parts of the rendered prometheus.yml the tests read. */
export interface RenderedPrometheusYml {
  global: { external_labels: Record<string, string> };
  alerting: { alert_relabel_configs?: unknown };
  remote_write?: unknown;
  scrape_configs: Array<Record<string, unknown> & { job_name: string }>;
}

/**
 * wmon.yaml (`yaml`) in a fresh folder (`prefix`…) beside `secretFiles` (name → contents, 0600), the stack
 * rendered and its secrets laid out under .wmon, and the containers' specs.
 */
export async function renderedWithSecrets(prefix: string, yaml: string, secretFiles: Record<string, string>) {
  const dir = await tempDir(prefix);
  for (const [name, contents] of Object.entries(secretFiles)) {
    await writeFile(path.join(dir, name), contents, { mode: 0o600 });
  }
  const config = parseConfigText(yaml, 'wmon.yaml');
  const loaded = { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config };
  const stackDir = path.join(dir, '.wmon');
  const secrets = await materializeSecrets(loaded, stackDir);
  const { files } = renderStack(config);
  await writeRenderedFiles(stackDir, files);
  const promYml = path.join(stackDir, 'prometheus/prometheus.yml');
  const prometheus = parse(await readFile(promYml, 'utf8')) as RenderedPrometheusYml;
  const specs = containerSpecs(buildStack(config), { stackDir, secretMounts: secrets.mounts });
  return {
    dir,
    stackDir,
    files,
    secrets,
    prometheus,
    promYml,
    specs,
    spec: (id: string) => specs.find((s) => s.component === id)!,
  };
}

/** `promtool check config` (with `flags`, e.g. --syntax-only) on `file`: its exit code and what it printed. */
export async function promtoolCheck(file: string, ...flags: string[]) {
  const r = await execa(promTool('promtool'), ['check', 'config', ...flags, file], { reject: false, all: true });
  return { exitCode: r.exitCode, output: r.all ?? '' };
}

/**
 * Each of `values` (file name in Prometheus's secrets folder → value) is in its file there and nowhere else:
 * not in a rendered file, not in a container's settings; and the folder is mounted into Prometheus.
 */
export async function expectOnlyInSecretsFolder(
  r: Awaited<ReturnType<typeof renderedWithSecrets>>,
  values: Record<string, string>,
): Promise<string> {
  const folder = r.secrets.mounts.prometheus!;
  expect(folder).toBe(path.join(r.stackDir, 'secrets/prometheus'));
  for (const [file, value] of Object.entries(values)) {
    expect(await readFile(path.join(folder, file), 'utf8')).toBe(value);
    for (const f of r.files) expect(f.contents, f.path).not.toContain(value);
    for (const spec of r.specs) expect(JSON.stringify(spec), spec.name).not.toContain(value);
  }
  expect(r.spec('prometheus').binds).toContainEqual({ source: folder, target: '/run/secrets/wmon', readOnly: true });
  return folder;
}
