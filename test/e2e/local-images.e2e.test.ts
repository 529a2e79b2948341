/**
 * An air-gapped host's path, on the real engine: `wmon images build` makes the components' images from
 * Debian's packages and records them in wmon.yaml; `wmon init` then brings the stack up from that file with
 * no other change and no registry. The images the suite shares are reused (same inputs: seconds); one is
 * really built, under a name of this run's own (Node Exporter, the smallest), and is what the stack runs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ImagesBuildResultJson, InitResultJson } from '../../src/results.js';
import { wmon } from '../support/cli.js';
import { e2eProject, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;
let repository: string;

beforeAll(async () => {
  p = await e2eProject('local images e2e');
  if (!p) return;
  repository = `localhost/wmon-${p.project}`;
  // What a user starts from: the default (registry) images, the default components. Only what several
  // stacks on one machine need differs: the project's name, ports and the webhook image's name.
  await writeFile(
    path.join(p.dir, 'wmon.yaml'),
    `# my stack
project: ${p.project}
pullPolicy: never   # this host reaches no registry
prometheus: {scrapeInterval: 2s, evaluationInterval: 2s}
components:
  prometheus: {port: ${p.ports.prometheus}}
  alertmanager: {port: ${p.ports.alertmanager}}
  nodeExporter: {port: ${p.ports.nodeExporter}}
  webhook: {image: localhost/wmon/webhook-${p.project}:latest, port: ${p.ports.webhook}}
  blackboxExporter: {port: ${p.ports.blackboxExporter}}
`,
  );
}, 60_000);

afterAll(async () => {
  if (!p) return;
  await p.cleanup();
  await p.runtime.removeImage(`${repository}/node-exporter:1.9`, { force: true }).catch(() => false);
}, 120_000);

const build = async (...args: string[]) => {
  const r = await wmon(['images', 'build', '--json', ...args], { cwd: p!.dir, timeout: 1_800_000 });
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as ImagesBuildResultJson;
};

describe.sequential('wmon images build, then wmon init, on a real engine', () => {
  it('records every image of the stack in wmon.yaml, reusing the images with the same inputs', async ({ skip }) => {
    if (!p) return skip();
    const result = await build();
    expect(result.images.map((i) => [i.component, i.ref])).toEqual([
      ['prometheus', 'localhost/wmon/prometheus:3.5'],
      ['alertmanager', 'localhost/wmon/alertmanager:0.28'],
      ['nodeExporter', 'localhost/wmon/node-exporter:1.9'],
      ['webhook', 'localhost/wmon/node:20-slim'],
      ['webhook', 'localhost/wmon/node:20'],
      ['blackboxExporter', 'localhost/wmon/blackbox-exporter:0.26'],
    ]);
    expect(result.images.find((i) => i.name === 'node-exporter')?.runs).toMatch(/^node_exporter, version 1\.9\./);
    expect(result.disabled).toEqual(['grafana', 'loki', 'jaeger']);
    const text = await readFile(path.join(p.dir, 'wmon.yaml'), 'utf8');
    expect(text).toContain('# my stack');
    // Keys were added (the file had no image settings), so the yaml Document wrote it again: comments kept.
    expect(text).toContain('# this host reaches no registry');
  }, 1_800_000);

  it('really builds an image that is not there, and records it', async ({ skip }) => {
    if (!p) return skip();
    const result = await build('--component', 'nodeExporter', '--repository', repository);
    expect(result.images).toMatchObject([
      { component: 'nodeExporter', ref: `${repository}/node-exporter:1.9`, status: 'built' },
    ]);
    expect(await p.runtime.inspectImage(`${repository}/node-exporter:1.9`)).not.toBeNull();
    // Built again with the same inputs: kept.
    const again = await build('--component', 'nodeExporter', '--repository', repository, '--print');
    expect(again.images[0]).toMatchObject({ status: 'present', id: result.images[0]!.id });
  }, 600_000);

  it('init brings the stack up from that wmon.yaml alone', async ({ skip }) => {
    if (!p) return skip();
    const r = await wmon(['init', '--json'], { cwd: p.dir, timeout: 600_000 });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const init = JSON.parse(r.stdout) as InitResultJson;
    expect(Object.fromEntries(init.containers.map((c) => [c.component, c.image]))).toEqual({
      prometheus: 'localhost/wmon/prometheus:3.5',
      alertmanager: 'localhost/wmon/alertmanager:0.28',
      nodeExporter: `${repository}/node-exporter:1.9`,
      webhook: `localhost/wmon/webhook-${p.project}:latest`,
      blackboxExporter: 'localhost/wmon/blackbox-exporter:0.26',
    });
    expect(init.images.every((i) => i.action === 'present' || i.action === 'built')).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${p.ports.nodeExporter}/metrics`)).text();
    expect(metrics).toMatch(/^node_exporter_build_info\{.*version="1\.9\./m);
  }, 600_000);
});
