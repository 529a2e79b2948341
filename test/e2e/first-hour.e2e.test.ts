/**
 * What a new user meets in the first hour, on the real engine: `init` says the stack is up only when it is
 * (an immediate `check` sees every target scraped and Alertmanager known); every image is checked before
 * anything is built or created, and all that cannot be had are named at once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import Docker from 'dockerode';

import { DEFAULT_LIMITS, type ComponentId } from '../../src/core/config/schema.js';
import { LABELS } from '../../src/core/model/container-types.js';
import type { InitResultJson } from '../../src/results.js';

import { wmon } from '../support/cli.js';
import { checkJsonSchema } from '../support/observe.js';
import { freePort } from '../support/ports.js';
import { e2eProject, SERVICE_BUILD_IMAGES, TEST_IMAGES, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;

beforeAll(async () => {
  p = await e2eProject('first hour e2e');
  if (!p) return;
  await p.writeConfig();
}, 60_000);

afterAll(async () => {
  await p?.cleanup();
}, 120_000);

const cli = (args: string[]) => wmon(args, { cwd: p!.dir, timeout: 600_000 });

describe.sequential('the first hour with wmon on a real engine', () => {
  it('refuses once, naming all three unavailable images by their wmon.yaml keys, and builds nothing', async ({
    skip,
  }) => {
    if (!p) return skip();
    const file = path.join(p.dir, 'wmon.yaml');
    const base = await readFile(file, 'utf8');
    // Pulling allowed (no registry answers here), three images nobody has: a component, Loki, the builder.
    await writeFile(
      file,
      base
        .replace('pullPolicy: never', 'pullPolicy: missing')
        .replace(TEST_IMAGES.nodeExporter, 'docker.io/prom/node-exporter:v1.9.1')
        .replace(
          'loki: {enabled: false}',
          `loki: {enabled: true, image: docker.io/grafana/loki:3.5.3, port: ${await freePort()}}`,
        )
        .replace(`builderImage: ${SERVICE_BUILD_IMAGES.builder}`, 'builderImage: docker.io/library/node:20-bookworm'),
    );
    try {
      const dry = await cli(['init', '--dry-run', '--json']);
      expect(dry.exitCode, dry.stderr).toBe(0);
      const images = (JSON.parse(dry.stdout) as InitResultJson).images;
      expect(Object.fromEntries(images.map((i) => [i.key, i.action]))).toEqual({
        'components.prometheus.image': 'present',
        'components.alertmanager.image': 'present',
        'components.nodeExporter.image': 'pull',
        'components.loki.image': 'pull',
        'components.webhook.image': 'build',
        'service.build.builderImage': 'pull',
        'service.build.baseImage': 'present',
      });

      const r = await cli(['init']);
      expect(r.exitCode, r.stderr).toBe(69);
      expect(r.stderr.match(/images the stack needs cannot be had/g)).toHaveLength(1);
      for (const key of ['components.loki.image', 'components.nodeExporter.image', 'service.build.builderImage'])
        expect(r.stderr).toContain(`${key}: `);
      expect(r.stderr).toContain('components.webhook.enabled: false');
      expect(await p.runtime.imageExists(`localhost/wmon/webhook-${p.project}:latest`)).toBe(false);
      expect(await p.runtime.listContainers({ [LABELS.project]: p.project })).toEqual([]);
      expect(await p.runtime.listNetworks({ [LABELS.project]: p.project })).toEqual([]);
    } finally {
      await writeFile(file, base);
    }
  }, 600_000);

  it('init, then an immediate check, exits 0 ten times in a row: every target scraped, Alertmanager known', async ({
    skip,
  }) => {
    if (!p) return skip();
    for (let round = 1; round <= 10; round++) {
      const down = await cli(['down']);
      expect(down.exitCode, `round ${round}: ${down.stderr}`).toBe(0);
      const init = await cli(['init', '--json']);
      expect(init.exitCode, `round ${round}: ${init.stderr}`).toBe(0);
      const check = await cli(['check', '--json']);
      const json = checkJsonSchema.parse(JSON.parse(check.stdout));
      const rows = json.checks.map((c) => `${c.id} ${c.status} ${c.detail}`).join('\n');
      expect(check.exitCode, `round ${round}:\n${rows}`).toBe(0);
      // Not merely OK within a grace period: each target already scraped and up, Alertmanager already known.
      const targets = json.checks.filter((c) => c.id.startsWith('targets.'));
      expect(targets.map((c) => c.id).sort(), `round ${round}`).toEqual(
        ['targets.alertmanager/', 'targets.node-exporter/', 'targets.prometheus/', 'targets.webhook/'].map((prefix) =>
          expect.stringMatching(new RegExp(`^${prefix}`)),
        ),
      );
      for (const t of targets) expect(t.detail, `round ${round}`).toMatch(/ up, scraped /);
      expect(json.checks.find((c) => c.id === 'alerting')?.detail, `round ${round}`).toMatch(/^to http/);
      expect(json.checks.find((c) => c.id === 'rules')?.status, `round ${round}`).toBe('OK');
    }
  }, 1_800_000);

  it('runs each container with its default memory and CPU limits, which init --dry-run shows', async ({ skip }) => {
    if (!p) return skip();
    const dry = await cli(['init', '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const planned = (JSON.parse(dry.stdout) as InitResultJson).containers;
    expect(Object.fromEntries(planned.map((c) => [c.component, [c.memory, c.cpus]]))).toEqual(
      Object.fromEntries(
        planned.map((c) => [
          c.component,
          [DEFAULT_LIMITS[c.component as ComponentId].memory, DEFAULT_LIMITS[c.component as ComponentId].cpus],
        ]),
      ),
    );
    const human = await cli(['init', '--dry-run']);
    expect(human.stdout).toMatch(/node-exporter \S+.*\[memory 128m, 0\.25 CPUs\]/);

    const init = await cli(['init']);
    expect(init.exitCode, init.stderr).toBe(0);
    const docker = new Docker({ socketPath: p.runtime.engine.address.replace(/^unix:\/\//, '') });
    const hostConfig = async (component: string) =>
      (await docker.getContainer(`${p!.project}-${component}`).inspect()).HostConfig;
    expect(await hostConfig('prometheus')).toMatchObject({ Memory: 1024 ** 3, NanoCpus: 1e9 });
    expect(await hostConfig('node-exporter')).toMatchObject({ Memory: 128 * 1024 ** 2, NanoCpus: 0.25e9 });
    expect(await hostConfig('alertmanager')).toMatchObject({ Memory: 256 * 1024 ** 2, NanoCpus: 0.5e9 });
    expect(await hostConfig('webhook')).toMatchObject({ Memory: 512 * 1024 ** 2, NanoCpus: 1e9 });
  }, 600_000);
});
