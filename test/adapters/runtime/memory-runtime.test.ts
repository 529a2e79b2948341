/**
 * The in-memory runtime: the shared contract (the same suite the real engine passes), then what only it
 * has: the hooks tests use to make containers fail, exit, print and answer exec, and the parts of the
 * engines it models (pulls from a registry, builds, port conflicts, bind mounts, read-only mounts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { ensureImage } from '../../../src/adapters/runtime/container-runtime.js';
import { EngineError } from '../../../src/adapters/runtime/engine-error.js';
import { MemoryRuntime, type ContainerEvent } from '../../../src/adapters/runtime/memory-runtime.js';
import { LABELS, type ContainerSpec } from '../../../src/core/model/container-types.js';
import type { Stack } from '../../../src/core/model/stack.js';
import { copyVolume } from '../../../src/features/archive/prometheus-data.js';
import { TarWriter } from '../../../src/features/archive/tar-writer.js';
import { readTarStream, tarOf } from '../../support/archives.js';
import { failure } from '../../support/failures.js';
import { tempDir } from '../../support/tmp.js';
import { runtimeContract } from './runtime-contract.js';

const IMAGE = 'localhost/wmon/node-exporter:1.5';
const IMAGE_LABELS = { 'org.opencontainers.image.source': 'wmon scripts/engine/build-images.sh' };

const contractRuntime = new MemoryRuntime({ images: { [IMAGE]: { labels: IMAGE_LABELS } } });
runtimeContract({
  name: 'the in-memory runtime',
  runtime: contractRuntime,
  image: IMAGE,
  runsUntilStopped: (spec) => spec,
  exitsWith: (spec, code, line) => {
    contractRuntime.crashOnStart(spec.name, { exitCode: code, logs: [line] });
    return spec;
  },
});

function spec(name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name,
    component: name,
    image: IMAGE,
    ports: [],
    volumes: [],
    binds: [],
    aliases: [],
    labels: { [LABELS.project]: 'demo' },
    restartPolicy: 'unless-stopped',
    dependsOn: [],
    ...extra,
  };
}

async function running(rt: MemoryRuntime, name: string, extra: Partial<ContainerSpec> = {}): Promise<void> {
  await rt.ensureNetwork('net', {});
  await rt.createContainer(spec(name, extra), 'net');
  await rt.startContainer(name);
}

describe('the in-memory runtime: failures a test injects', () => {
  it('fails the next call of a method, for one container only, worded as the engine would', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await rt.ensureNetwork('net', {});
    await rt.createContainer(spec('web-a'), 'net');
    await rt.createContainer(spec('web-b'), 'net');
    rt.failOn('startContainer', { target: 'web-b', message: 'OCI runtime error: permission denied' });
    await rt.startContainer('web-a');
    const error = await failure(rt.startContainer('web-b'), EngineError);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({
      message: 'Container engine: could not start container web-b: OCI runtime error: permission denied',
      exit: 69,
    });
    expect((await rt.inspectContainer('web-b'))?.state).toBe('created');
    await rt.startContainer('web-b'); // once only
    expect((await rt.inspectContainer('web-b'))?.running).toBe(true);
  });

  it('matches a target by name or id, fails as many times as asked, or throws the error given', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await rt.ensureNetwork('net', {});
    const id = await rt.createContainer(spec('web-a'), 'net');
    rt.failOn('removeContainer', { target: id, times: 2, statusCode: 409 });
    expect(await failure(rt.removeContainer('web-a'), EngineError)).toMatchObject({
      code: 'ENGINE_CONFLICT',
      exit: 75,
    });
    expect(await failure(rt.removeContainer(id), EngineError)).toMatchObject({ code: 'ENGINE_CONFLICT' });
    expect(await rt.removeContainer('web-a')).toBe(true);
    const boom = new Error('the socket closed');
    rt.failOn('listContainers', { error: boom });
    expect(await failure(rt.listContainers({}), Error)).toBe(boom);
    expect(await rt.listContainers({})).toEqual([]);
    expect(rt.calls.filter((c) => c.method === 'removeContainer')).toEqual([
      { method: 'removeContainer', target: 'web-a' },
      { method: 'removeContainer', target: id },
      { method: 'removeContainer', target: 'web-a' },
    ]);
  });

  it('makes a container exit right after it starts, every time or as often as asked', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    rt.crashOnStart('db', { exitCode: 2, logs: ['FATAL: bad config'], error: '', times: 1 });
    await running(rt, 'db');
    expect(await rt.inspectContainer('db')).toMatchObject({ state: 'exited', running: false, exitCode: 2 });
    expect((await rt.logs('db')).stderr).toBe('FATAL: bad config\n');
    await rt.startContainer('db');
    expect(await rt.inspectContainer('db')).toMatchObject({ state: 'running', exitCode: 0 });
  });

  it('makes a running container exit later (out of memory, say); one that is not running cannot', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web');
    await rt.exit('web', { exitCode: 137, oomKilled: true });
    expect(await rt.inspectContainer('web')).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: true });
    await expect(rt.exit('web', { exitCode: 1 })).rejects.toThrow('web is exited, not running');
    rt.setStopExitCode('web', 143);
    await rt.startContainer('web');
    await rt.stopContainer('web');
    expect((await rt.inspectContainer('web'))?.exitCode).toBe(143);
    rt.setHealth('web', 'starting');
    expect((await rt.inspectContainer('web'))?.health).toBe('starting');
  });

  it('tells listeners each container event, and waits for them', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    const events: string[] = [];
    let served = false;
    rt.onEvent(async (e: ContainerEvent) => {
      events.push(`${e.type} ${e.container}${e.exitCode === undefined ? '' : ` ${e.exitCode}`}`);
      if (e.type === 'start') served = await Promise.resolve(true);
    });
    await running(rt, 'web');
    expect(served).toBe(true);
    await rt.restartContainer('web');
    await rt.removeContainer('web', { force: true });
    expect(events).toEqual([
      'create web',
      'start web',
      'die web 0',
      'stop web',
      'start web',
      'restart web',
      'die web 137',
      'destroy web',
    ]);
  });
});

describe('the in-memory runtime: exec runs nothing, a test answers it', () => {
  it('fails a command no handler answers, naming it, and keeps a list of them', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web');
    const error = await failure(rt.exec('web', ['promtool', 'check', 'config', '/etc/prometheus.yml']), Error);
    expect(error.message).toContain('no exec handler answers `promtool check config /etc/prometheus.yml` in web');
    expect(error.message).toContain('runtime.handleExec');
    expect(rt.unhandledExecs).toEqual([
      { container: 'web', cmd: ['promtool', 'check', 'config', '/etc/prometheus.yml'] },
    ]);
  });

  it("answers with the most specific handler: the container's, then the longest command", async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web-a');
    await running(rt, 'web-b');
    rt.handleExec([], () => ({ exitCode: 127, stderr: 'sh: not found\n' }));
    rt.handleExec('id', () => ({ stdout: 'nobody\n' }));
    rt.handleExec(['id', '-u'], ({ user }) => ({ stdout: `${user === '0' ? 0 : 65534}\n` }));
    rt.handleExec('id', () => ({ stdout: 'root\n' }), { container: 'web-b' });
    expect(await rt.exec('web-a', ['id', '-un'])).toEqual({ exitCode: 0, stdout: 'nobody\n', stderr: '' });
    expect(await rt.exec('web-a', ['id', '-u'], { user: '0' })).toEqual({ exitCode: 0, stdout: '0\n', stderr: '' });
    expect(await rt.exec('web-b', ['id', '-u'])).toEqual({ exitCode: 0, stdout: 'root\n', stderr: '' });
    expect(await rt.exec('web-a', ['wget', 'x'])).toEqual({ exitCode: 127, stdout: '', stderr: 'sh: not found\n' });
  });

  it("gives a handler the container's files, mounts included, so what it does shows", async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: { files: { '/etc/hostname': 'web\n' } } } });
    await rt.ensureVolume('data', {});
    await running(rt, 'web', { volumes: [{ volume: 'data', target: '/prometheus' }] });
    await rt.putArchive(
      'web',
      '/prometheus',
      tarOf([
        { path: 'snapshots/1/chunk', data: Buffer.from('x') },
        { path: 'keep', data: Buffer.from('k') },
      ]),
    );
    rt.handleExec(['rm', '-rf'], async ({ cmd, files }) => {
      for (const p of cmd.slice(2)) await files.rm(p, { recursive: true, force: true });
      return {};
    });
    rt.handleExec('cat', async ({ cmd, files }) => ({ stdout: await files.readText(cmd[1]!) }));
    await rt.exec('web', ['rm', '-rf', '/prometheus/snapshots']);
    expect(await rt.volumeFiles('data').list()).toEqual(['keep']);
    expect((await rt.exec('web', ['cat', '/etc/hostname'])).stdout).toBe('web\n');
  });

  it('gives up on a handler that does not answer within the timeout', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web');
    rt.handleExec('sleep', () => new Promise(() => undefined));
    expect(await failure(rt.exec('web', ['sleep', '1000'], { timeoutMs: 20 }), EngineError)).toMatchObject({
      code: 'EXEC_TIMEOUT',
    });
  });
});

describe('the in-memory runtime: logs a test writes', () => {
  it('keeps stdout and stderr in order, with tail, since and timestamps', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web');
    rt.appendLog('web', 'one\ntwo', 'stdout', new Date('2026-01-01T00:00:00.250Z'));
    rt.appendLog('web', 'oops', 'stderr', new Date('2026-01-01T00:00:05Z'));
    rt.appendLog('web', 'three\n', 'stdout', new Date('2026-01-01T00:00:10Z'));
    expect(await rt.logs('web')).toEqual({
      text: 'one\ntwo\noops\nthree\n',
      stdout: 'one\ntwo\nthree\n',
      stderr: 'oops\n',
    });
    expect((await rt.logs('web', { tail: 2 })).text).toBe('oops\nthree\n');
    expect((await rt.logs('web', { since: new Date('2026-01-01T00:00:05.900Z') })).text).toBe('oops\nthree\n');
    expect((await rt.logs('web', { tail: 1, timestamps: true })).text).toBe('2026-01-01T00:00:10.000000000Z three\n');
  });
});

describe('the in-memory runtime: images', () => {
  it('pulls what the registry has (with a digest), and fails what it has not', async () => {
    const rt = new MemoryRuntime({
      registry: { 'prom/prometheus:v3.5.0': { labels: { 'org.opencontainers.image.version': '3.5.0' } } },
    });
    const progress: string[] = [];
    expect(await ensureImage(rt, 'prom/prometheus:v3.5.0', 'missing', (e) => progress.push(e.status))).toBe('pulled');
    expect(progress).toContain('Download complete');
    const info = await rt.inspectImage('docker.io/prom/prometheus:v3.5.0');
    expect(info).toMatchObject({
      tags: ['prom/prometheus:v3.5.0'],
      labels: { 'org.opencontainers.image.version': '3.5.0' },
    });
    expect(info?.digests).toEqual([expect.stringMatching(/^prom\/prometheus@sha256:[0-9a-f]{64}$/)]);
    expect(await ensureImage(rt, 'prom/prometheus:v3.5.0', 'missing')).toBe('present');
    await expect(rt.pullImage('grafana/grafana:12.0.0')).rejects.toMatchObject({ code: 'IMAGE_PULL_FAILED', exit: 69 });
    await expect(ensureImage(rt, 'grafana/grafana:12.0.0', 'never')).rejects.toMatchObject({ code: 'IMAGE_MISSING' });
  });

  it('writes references as the engine does: Docker shortens docker.io ones, Podman keeps them whole', async () => {
    const podman = new MemoryRuntime({ engine: 'Podman', images: { 'prom/prometheus:v3.5.0': {} } });
    expect((await podman.inspectImage('prom/prometheus:v3.5.0'))?.tags).toEqual(['docker.io/prom/prometheus:v3.5.0']);
    expect((await podman.listNetworks({})).map((n) => n.name)).toEqual(['podman']);
    const docker = new MemoryRuntime({ images: { 'prom/prometheus:v3.5.0': {} } });
    expect((await docker.listNetworks({})).map((n) => n.name)).toEqual(['bridge']);
    await expect(docker.removeNetwork('bridge')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('builds from a folder with only the listed paths; a missing base image or file fails the build', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'Containerfile'),
      'FROM localhost/wmon/node:20 AS build\nCOPY src /src\nFROM localhost/wmon/node:20-slim\nCOPY --from=build /src /app\n',
    );
    await mkdir(path.join(dir, 'src'));
    await writeFile(path.join(dir, 'src', 'main.js'), 'console.log(1)\n');
    await writeFile(path.join(dir, 'secret.env'), 'TOKEN=never-sent\n');
    const rt = new MemoryRuntime({
      engine: 'Podman',
      images: { 'localhost/wmon/node:20': {}, 'localhost/wmon/node:20-slim': { labels: { base: 'slim' } } },
    });
    const steps: string[] = [];
    const tag = 'localhost/wmon/service:1';
    const { imageId } = await rt.buildImage(
      { context: { dir, paths: ['src'] }, dockerfile: 'Containerfile', tag, labels: { 'wmon.source-hash': 'abc' } },
      (e) => steps.push(e.status),
    );
    expect(steps).toEqual([
      'STEP 1/4: FROM localhost/wmon/node:20 AS build',
      'STEP 2/4: COPY src /src',
      'STEP 3/4: FROM localhost/wmon/node:20-slim',
      'STEP 4/4: COPY --from=build /src /app',
      `COMMIT ${tag}`,
    ]);
    expect(await rt.inspectImage(tag)).toMatchObject({
      id: imageId,
      labels: { base: 'slim', 'wmon.source-hash': 'abc' },
    });

    await writeFile(path.join(dir, 'Dockerfile'), 'FROM localhost/wmon/node:20\nCOPY secret.env /secret.env\n');
    await expect(rt.buildImage({ context: { dir, paths: [] }, tag })).rejects.toThrow(
      /secret\.env: no such file or directory in the build context/,
    );
    await writeFile(path.join(dir, 'Dockerfile'), 'ARG BASE=localhost/wmon/absent:1\nFROM $BASE\n');
    await expect(rt.buildImage({ context: { dir, paths: [] }, tag })).rejects.toThrow(
      /localhost\/wmon\/absent:1 is not present and no registry has it/,
    );
    await expect(
      rt.buildImage({ context: { dir, paths: [] }, tag, buildArgs: { BASE: 'localhost/wmon/node:20' } }),
    ).resolves.toMatchObject({ imageId: expect.any(String) });
    await expect(rt.buildImage({ context: { dir, paths: [] }, dockerfile: 'Nope', tag })).rejects.toThrow(
      /the build context has no Nope/,
    );
  });

  it('removes the image a rebuild replaced, unless a container still uses it; refuses removing one in use', async () => {
    const rt = new MemoryRuntime({ images: { 'localhost/wmon/node:20': {} } });
    const context = () => ({
      tar: Readable.from([tarOf([{ path: 'Dockerfile', data: Buffer.from('FROM localhost/wmon/node:20\n') }])]),
    });
    const tag = 'localhost/wmon/service:1';
    const first = await rt.buildImage({ context: context(), tag });
    await rt.ensureNetwork('net', {});
    await rt.createContainer(spec('web', { image: tag }), 'net');
    const second = await rt.buildImage({ context: context(), tag });
    expect(second.imageId).not.toBe(first.imageId);
    expect((await rt.inspectContainer('web'))?.imageId).toBe(first.imageId);
    await expect(rt.removeImage(tag)).resolves.toBe(true); // the new one: no container uses it
    await rt.buildImage({ context: context(), tag });
    await rt.removeContainer('web');
    await rt.createContainer(spec('web2', { image: tag }), 'net');
    expect(await failure(rt.removeImage(tag), EngineError)).toMatchObject({ code: 'ENGINE_CONFLICT', exit: 75 });
    expect(await rt.removeImage(tag, { force: true })).toBe(true);
    expect(await rt.imageExists(tag)).toBe(false);
  });
});

describe('the in-memory runtime: what the engine refuses', () => {
  it('refuses to start a container on a host port another running container holds', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    const port = { containerPort: 9090, hostPort: 19090, hostIp: '127.0.0.1' };
    await running(rt, 'one', { ports: [port] });
    await rt.createContainer(spec('two', { ports: [{ ...port, hostIp: '0.0.0.0' }] }), 'net');
    const error = await failure(rt.startContainer('two'), EngineError);
    expect(error.message).toMatch(/could not start container two: .*held by one.*address already in use/);
    await rt.stopContainer('one');
    await rt.startContainer('two');
    expect((await rt.listPublishingContainers()).map((c) => c.name)).toEqual(['two']);
  });

  it('refuses to remove a network a container is attached to, even a stopped one', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web');
    await rt.stopContainer('web');
    expect(await failure(rt.removeNetwork('net'), EngineError)).toMatchObject({ statusCode: 403 });
    await rt.removeContainer('web');
    expect(await rt.removeNetwork('net')).toBe(true);
    await expect(rt.createContainer(spec('late'), 'net')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses an archive entry that would land outside the target folder, and an unsupported entry type', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web', { volumes: [{ volume: 'data', target: '/data' }] });
    await expect(
      rt.putArchive('web', '/data', tarOf([{ path: '../etc/passwd', data: Buffer.from('root::0:0::/:/bin/sh\n') }])),
    ).rejects.toThrow(/points outside \/data/);
    await expect(rt.putArchive('web', '/data', tarOf([{ path: 'dev', type: 'CharacterDevice' }]))).rejects.toThrow(
      /CharacterDevice/,
    );
    expect(await rt.files('web').exists('/etc/passwd')).toBe(false);
    expect(await rt.volumeFiles('data').list()).toEqual([]);
  });

  it('holds no more bytes than it was given: a copy past that fails as a full disk', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} }, maxBytes: 1000 });
    await running(rt, 'web', { volumes: [{ volume: 'data', target: '/data' }] });
    await rt.putArchive('web', '/data', tarOf([{ path: 'a', data: Buffer.alloc(600) }]));
    expect(
      await failure(rt.putArchive('web', '/data', tarOf([{ path: 'b', data: Buffer.alloc(600) }])), EngineError),
    ).toMatchObject({
      message: expect.stringContaining('ENOSPC'),
    });
    await rt.putArchive('web', '/data', tarOf([{ path: 'a', data: Buffer.alloc(900) }])); // replacing frees the old bytes
    expect(rt.bytesHeld()).toBe(900);
  });

  it('keeps a stream that fails mid-copy from looking like a finished copy', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web', { volumes: [{ volume: 'data', target: '/data' }] });
    const stream = new PassThrough();
    const put = rt.putArchive('web', '/data', stream);
    stream.write(tarOf([{ path: 'a', data: Buffer.from('a') }]).subarray(0, 1024));
    stream.destroy(new Error('the archive changed after it was verified'));
    await expect(put).rejects.toThrow('the archive changed after it was verified');
  });
});

describe('the in-memory runtime: bind mounts are the host folder', () => {
  it('reads and writes the host folder through the archive API; read-only ones refuse', async () => {
    const host = await tempDir();
    await mkdir(path.join(host, 'conf'));
    await writeFile(path.join(host, 'conf', 'prometheus.yml'), 'global: {}\n');
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await running(rt, 'web', {
      binds: [
        { source: path.join(host, 'conf'), target: '/etc/prometheus', readOnly: true },
        { source: host, target: '/work' },
      ],
    });
    const entries = await readTarStream(await rt.getArchive('web', '/etc/prometheus'));
    expect(entries.map((e) => [e.path, e.data?.toString('utf8')])).toEqual([
      ['prometheus/', ''],
      ['prometheus/prometheus.yml', 'global: {}\n'],
    ]);
    await expect(
      rt.putArchive('web', '/etc/prometheus', tarOf([{ path: 'x.yml', data: Buffer.from('x') }])),
    ).rejects.toMatchObject({ statusCode: 403 });
    await rt.putArchive(
      'web',
      '/work',
      tarOf([{ path: 'out/result.txt', data: Buffer.from('written through the container\n') }]),
    );
    expect(await readFile(path.join(host, 'out', 'result.txt'), 'utf8')).toBe('written through the container\n');
    expect((await rt.inspectContainer('web'))?.mounts).toEqual([
      { type: 'bind', source: path.join(host, 'conf'), destination: '/etc/prometheus' },
      { type: 'bind', source: host, destination: '/work' },
    ]);
  });

  it('refuses a bind mount whose source is relative or missing', async () => {
    const rt = new MemoryRuntime({ images: { [IMAGE]: {} } });
    await rt.ensureNetwork('net', {});
    await expect(
      rt.createContainer(spec('web', { binds: [{ source: 'conf', target: '/c' }] }), 'net'),
    ).rejects.toMatchObject({ code: 'BIND_NOT_ABSOLUTE', exit: 1 });
    await expect(
      rt.createContainer(spec('web', { binds: [{ source: '/nonexistent/wmon', target: '/c' }] }), 'net'),
    ).rejects.toThrow(/no such file or directory/);
    expect(await rt.inspectContainer('web')).toBeNull();
    await expect(rt.createContainer(spec('w'), 'net')).rejects.toMatchObject({ statusCode: 400 }); // Docker's names have two characters or more
  });
});

describe('the in-memory runtime under the code that copies volume data', () => {
  it("copies Prometheus's whole data folder out through a helper container, as a backup does", async () => {
    const rt = new MemoryRuntime({ images: { 'localhost/wmon/prometheus:2.42': {} } });
    await rt.ensureVolume('demo-prometheus-data', {});
    const data = rt.volumeFiles('demo-prometheus-data');
    const ulid = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
    await data.writeFile(
      `/${ulid}/meta.json`,
      JSON.stringify({ ulid, minTime: 1000, maxTime: 2000, stats: { numSeries: 3 } }),
    );
    await data.writeFile(`/${ulid}/chunks/000001`, Buffer.alloc(3000, 7));
    await data.writeFile('/wal/00000000', 'wal');
    await data.writeFile('/lock', '');
    await data.writeFile('/queries.active', '');
    const out = new PassThrough();
    const archive = readTarStream(out);
    const tar = new TarWriter(out);
    const stack = { project: 'demo', network: 'demo-net' } as Stack;
    const copy = await copyVolume(
      {
        runtime: rt,
        stack,
        container: 'demo-prometheus',
        volume: 'demo-prometheus-data',
        dataDir: '/prometheus',
        image: 'localhost/wmon/prometheus:2.42',
      },
      tar,
    );
    await tar.end();
    expect(copy).toMatchObject({
      files: 3,
      bytes: 3000 + 3 + JSON.stringify({ ulid, minTime: 1000, maxTime: 2000, stats: { numSeries: 3 } }).length,
    });
    expect(copy.blocks).toEqual([{ ulid, minTime: 1000, maxTime: 2000, numSeries: 3 }]);
    expect((await archive).map((e) => e.path).sort()).toEqual([
      `prometheus/data/${ulid}/chunks/000001`,
      `prometheus/data/${ulid}/meta.json`,
      'prometheus/data/wal/00000000',
    ]);
    // The helper container and the network it needed are gone again.
    expect(await rt.listContainers({})).toEqual([]);
    expect((await rt.listNetworks({})).map((n) => n.name)).toEqual(['bridge']);
    expect(rt.calls.find((c) => c.method === 'createContainer')).toBeDefined();
  });
});
