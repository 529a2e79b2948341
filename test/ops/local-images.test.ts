/**
 * `wmon images build` and `wmon engine install` as operations: the machine check, the script's contract
 * (its stdout lines; a failure's last lines), what is written into wmon.yaml, and init's advice when a pull
 * fails. The scripts themselves run in test/e2e/local-images.e2e.test.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { HostPlatform } from '../../src/adapters/host/platform.js';
import type { ProbeResult } from '../../src/adapters/runtime/detect.js';
import { ScriptError, type runScript } from '../../src/adapters/host/scripts.js';
import { loadConfig } from '../../src/core/config/load.js';
import { WmonError } from '../../src/errors.js';
import { installEngine, planEngineInstall } from '../../src/ops/engine-install.js';
import { buildLocalImages } from '../../src/ops/images-build.js';
import { recordingReporter } from '../../src/ops/steps.js';
import { initStack } from '../../src/ops/up.js';
import { TEMPLATE_FILE } from '../../src/package.js';
import { failure } from '../support/failures.js';
import { memoryStack, UP } from '../support/memory-stack.js';

const DEBIAN_ROOT: HostPlatform = {
  platform: 'linux',
  distro: { id: 'debian', like: [], name: 'Debian GNU/Linux 12 (bookworm)' },
  root: true,
};
const host = (h: HostPlatform) => async () => h;

/** build-images.sh as far as its contract goes: it makes the images it is asked for and reports each. */
function fakeBuilder(s: { runtime: { addImage(ref: string): string } }, calls: string[][]): typeof runScript {
  return async (script, args, opts) => {
    calls.push([script, ...args]);
    const repo = opts.env?.WMON_IMAGE_REPOSITORY ?? 'localhost/wmon';
    const names: Record<string, [string, string][]> = {
      prometheus: [['prometheus', `${repo}/prometheus:3.5`]],
      alertmanager: [['alertmanager', `${repo}/alertmanager:0.28`]],
      'node-exporter': [['node-exporter', `${repo}/node-exporter:1.9`]],
      node: [
        ['node-slim', `${repo}/node:20-slim`],
        ['node-full', `${repo}/node:20`],
      ],
    };
    const made = names[args.at(-1)!]!;
    for (const [, ref] of made) s.runtime.addImage(ref);
    opts.onLine(`images: built ${made[0]![1]} in 1.0s`);
    opts.onLine(`images: ${made[0]![1]} runs version 1 (from the fake)`);
    return { stdout: made.map(([n, ref]) => `${n} ${ref} built`).join('\n') };
  };
}

describe('wmon images build (the operation)', () => {
  it('builds each component, records the images in wmon.yaml keeping its comments, and switches off what has no source', async () => {
    const s = await memoryStack({ webhook: true });
    await s.writeConfig('# my own comment\n');
    const calls: string[][] = [];
    const reporter = recordingReporter();
    const result = await buildLocalImages(await s.open(), { template: TEMPLATE_FILE }, reporter, {
      host: host(DEBIAN_ROOT),
      runScript: fakeBuilder(s, calls),
    });
    expect(calls).toEqual([
      ['engine/build-images.sh', 'prometheus'],
      ['engine/build-images.sh', 'alertmanager'],
      ['engine/build-images.sh', 'node-exporter'],
      ['engine/build-images.sh', 'node'],
    ]);
    expect(result.images.map((i) => [i.component, i.ref, i.status])).toEqual([
      ['prometheus', 'localhost/wmon/prometheus:3.5', 'built'],
      ['alertmanager', 'localhost/wmon/alertmanager:0.28', 'built'],
      ['nodeExporter', 'localhost/wmon/node-exporter:1.9', 'built'],
      ['webhook', 'localhost/wmon/node:20-slim', 'built'],
      ['webhook', 'localhost/wmon/node:20', 'built'],
    ]);
    expect(result.images[0]!.runs).toBe('version 1 (from the fake)');
    expect(result.written).toBe(true);
    expect(result.disabled).toEqual(['grafana', 'loki', 'jaeger']);
    expect(reporter.events).toContain('start Build the Node Exporter image');
    expect(reporter.events).toContain("start Build the webhook service's base images");

    const text = await readFile(s.configFile, 'utf8');
    expect(text).toContain('# my own comment');
    const { config } = await loadConfig(s.configFile);
    expect(config.components.prometheus.image).toBe('localhost/wmon/prometheus:3.5');
    expect(config.components.alertmanager.image).toBe('localhost/wmon/alertmanager:0.28');
    expect(config.components.nodeExporter.image).toBe('localhost/wmon/node-exporter:1.9');
    expect(config.service.build).toMatchObject({
      baseImage: 'localhost/wmon/node:20-slim',
      builderImage: 'localhost/wmon/node:20',
    });
    expect([config.components.grafana, config.components.loki, config.components.jaeger].map((c) => c.enabled)).toEqual(
      [false, false, false],
    );
  });

  it('with --print, writes nothing and gives the lines to add', async () => {
    const s = await memoryStack();
    const before = await readFile(s.configFile, 'utf8');
    const result = await buildLocalImages(
      await s.open(),
      { template: TEMPLATE_FILE, print: true, components: ['nodeExporter'], repository: 'localhost/acme' },
      undefined,
      { host: host(DEBIAN_ROOT), runScript: fakeBuilder(s, []) },
    );
    expect(await readFile(s.configFile, 'utf8')).toBe(before);
    expect(result.written).toBe(false);
    expect(result.yaml).toBe(
      'components:\n  nodeExporter:\n    image: localhost/acme/node-exporter:1.9\n  grafana:\n    enabled: false\n  loki:\n    enabled: false\n  jaeger:\n    enabled: false\n',
    );
  });

  it('creates wmon.yaml from the defaults when there is none, then records the images in it', async () => {
    const s = await memoryStack();
    const ctx = await s.open();
    const file = path.join(s.dir, 'fresh', 'wmon.yaml');
    await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(file)));
    const loaded = await loadConfig(file, { allowMissing: true });
    const result = await buildLocalImages(
      ctx.withConfig(loaded),
      { template: TEMPLATE_FILE, components: ['prometheus'] },
      undefined,
      { host: host(DEBIAN_ROOT), runScript: fakeBuilder(s, []) },
    );
    expect(result.configCreated).toBe(true);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# wmon.yaml: the monitoring stack for your Stripe webhook handler.');
    expect((await loadConfig(file)).config.components.prometheus.image).toBe('localhost/wmon/prometheus:3.5');
  });

  it.each([
    [
      'on Fedora',
      { platform: 'linux', distro: { id: 'fedora', like: [], name: 'Fedora Linux 40' }, root: true },
      'this is Fedora Linux 40',
    ],
    ['on macOS', { platform: 'darwin', distro: undefined, root: false }, 'this is macOS'],
    ['as a user', { ...DEBIAN_ROOT, root: false }, 'it runs as root'],
  ] as const)('refuses %s before anything runs', async (_name, machine, expected) => {
    const s = await memoryStack();
    const calls: string[][] = [];
    const error = await failure(
      buildLocalImages(await s.open(), { template: TEMPLATE_FILE }, undefined, {
        host: host(machine as HostPlatform),
        runScript: fakeBuilder(s, calls),
      }),
      WmonError,
    );
    expect(error.code).toBe('PLATFORM_UNSUPPORTED');
    expect(error.exit).toBe(69);
    expect(error.message).toContain(expected);
    expect(calls).toEqual([]);
  });

  it("reports a failed build with the script's last lines, and leaves wmon.yaml alone", async () => {
    const s = await memoryStack();
    const before = await readFile(s.configFile, 'utf8');
    const failing: typeof runScript = async () => {
      throw new ScriptError('engine/build-images.sh', {
        kind: 'failed',
        exitCode: 100,
        timedOut: false,
        tail: 'E: Unable to fetch some archives',
      });
    };
    const error = await failure(
      buildLocalImages(await s.open(), { template: TEMPLATE_FILE }, undefined, {
        host: host(DEBIAN_ROOT),
        runScript: failing,
      }),
      WmonError,
    );
    expect(error.code).toBe('LOCAL_IMAGE_BUILD_FAILED');
    expect(error.message).toContain('Building the Prometheus image failed');
    expect(error.message).toContain('E: Unable to fetch some archives');
    expect(await readFile(s.configFile, 'utf8')).toBe(before);
  });
});

describe("init's advice when a pull fails", () => {
  it('suggests wmon images build', async () => {
    const s = await memoryStack();
    await s.writeConfig('');
    const ctx = await s.open();
    // An image no registry has: the in-memory engine fails its pull as an unreachable registry does.
    const text = (await readFile(s.configFile, 'utf8')).replace(
      /docker\.io\/prom\/node-exporter:v1\.9\.1/,
      'docker.io/prom/node-exporter:v1.9.9',
    );
    await import('node:fs/promises').then((fs) => fs.writeFile(s.configFile, text));
    const error = await failure(initStack(ctx.withConfig(await loadConfig(s.configFile)), UP), WmonError);
    expect(error.code).toBe('IMAGE_MISSING');
    expect(error.message).toContain('components.nodeExporter.image');
    expect(error.suggestions.join('\n')).toContain('`sudo wmon images build`');
  });
});

describe('wmon engine install (the operation)', () => {
  const deps = (present: boolean, calls: string[]) => ({
    host: host(DEBIAN_ROOT),
    onPath: async () => present,
    readFile: async () => (present ? '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' : undefined),
    probe: async (): Promise<ProbeResult> => {
      // The engine answers once the script ran (or when it was there).
      return present || calls.length > 0
        ? {
            ok: true as const,
            identity: { name: 'Podman', version: '4.3.1', apiVersion: '1.41', os: 'linux', arch: 'amd64' },
          }
        : { ok: false as const, reason: 'no such socket' };
    },
    runScript: (async (script: string) => {
      calls.push(script);
      return { stdout: 'DOCKER_HOST=unix:///run/podman/podman.sock' };
    }) as typeof runScript,
  });

  it('plans what is missing, installs it with the shipped script, and checks the engine answers', async () => {
    const calls: string[] = [];
    const plan = await planEngineInstall(deps(false, calls));
    expect(plan.items.map((i) => i.status)).toEqual(['install', 'install', 'install']);
    expect(calls).toEqual([]);
    const result = await installEngine(plan, deps(false, calls));
    expect(calls).toEqual(['engine/install.sh']);
    expect(result).toMatchObject({
      changed: true,
      dockerHost: 'unix:///run/podman/podman.sock',
      engine: { name: 'Podman', version: '4.3.1' },
    });
    expect(result.items.map((i) => i.status)).toEqual(['installed', 'installed', 'installed']);
  });

  it('does nothing when everything is there', async () => {
    const calls: string[] = [];
    const reporter = recordingReporter();
    const plan = await planEngineInstall(deps(true, calls));
    const result = await installEngine(plan, deps(true, calls), reporter);
    expect(calls).toEqual([]);
    expect(result.changed).toBe(false);
    expect(reporter.events).toContain('skip Install Podman and start its API service: everything is there already');
  });

  it('refuses a user who is not root, naming sudo', async () => {
    const error = await failure(
      planEngineInstall({ ...deps(false, []), host: host({ ...DEBIAN_ROOT, root: false }) }),
      WmonError,
    );
    expect(error.code).toBe('PLATFORM_UNSUPPORTED');
    expect(error.suggestions).toEqual(['Run it as root: `sudo wmon engine install`.']);
  });
});
