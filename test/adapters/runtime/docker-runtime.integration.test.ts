/**
 * The runtime layer against the real engine (Podman here, Docker elsewhere), on the images
 * scripts/engine/build-images.sh builds. Every object is named wmon-test-<random> and removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage } from '../../../src/adapters/runtime/container-runtime.js';
import { checkPorts, describePortCheck } from '../../../src/adapters/runtime/ports.js';
import { ReadinessError, readinessUrl, waitForHttp } from '../../../src/adapters/runtime/readiness.js';
import { LABELS, type ContainerSpec } from '../../../src/core/model/container-types.js';
import { readTarStream, tarOf } from '../../support/archives.js';
import { runtimeForTests, TEST_IMAGES } from '../../support/engine.js';
import { freePort } from '../../support/ports.js';
import { tempDir } from '../../support/tmp.js';

const runtime = await runtimeForTests('runtime integration tests', [TEST_IMAGES.nodeExporter]);

const id = `wmon-test-${randomBytes(4).toString('hex')}`;
const labels = { [LABELS.project]: id, [LABELS.managedBy]: 'wmon-tests' };
const network = `${id}-net`;
const volume = `${id}-data`;
const builtTag = `localhost/${id}/built:1`;
/** A tar stream of text files. */
const tarOfTexts = (files: Record<string, string>) =>
  Readable.from([tarOf(Object.entries(files).map(([p, t]) => ({ path: p, data: Buffer.from(t) })))]);

/** Every file in a tar stream, by path, as text. */
async function readTar(stream: Readable): Promise<Map<string, string>> {
  return new Map(
    (await readTarStream(stream)).filter((e) => e.type === 'File').map((e) => [e.path, e.data!.toString('utf8')]),
  );
}

describe.skipIf(runtime === undefined)(`runtime against the real engine (${id})`, () => {
  const rt = runtime!;
  let hostPort: number;
  let configDir: string;
  let spec: ContainerSpec;

  beforeAll(async () => {
    hostPort = await freePort();
    configDir = await tempDir(`${id}-`);
    // The bind-mounted directory serves as node_exporter's textfile directory: a metric in it proves the mount.
    await writeFile(
      path.join(configDir, 'wmon_test.prom'),
      '# HELP wmon_test_metric A test metric.\n# TYPE wmon_test_metric gauge\nwmon_test_metric 42\n',
    );
    await chmod(configDir, 0o755);
    await chmod(path.join(configDir, 'wmon_test.prom'), 0o644);
    spec = {
      name: `${id}-node-exporter`,
      component: 'node-exporter',
      image: TEST_IMAGES.nodeExporter,
      cmd: ['--collector.textfile.directory=/textfile', '--web.listen-address=:9100'],
      ports: [{ containerPort: 9100, hostPort, hostIp: '127.0.0.1' }],
      volumes: [{ volume, target: '/data' }],
      binds: [{ source: configDir, target: '/textfile', readOnly: true }],
      aliases: ['exporter'],
      labels: { ...labels, [LABELS.configHash]: 'abc123' },
      restartPolicy: 'no',
      memoryBytes: 128 * 1024 * 1024,
      readiness: { path: '/metrics', containerPort: 9100 },
      dependsOn: [],
    };
  });

  afterAll(async () => {
    for (const c of await rt.listContainers({ [LABELS.project]: id }))
      await rt.removeContainer(c.id, { force: true, volumes: true });
    await rt.removeImage(builtTag, { force: true });
    for (const v of await rt.listVolumes({ [LABELS.project]: id })) await rt.removeVolume(v.name);
    await rt.removeNetwork(network);
  });

  it('knows which engine it talks to', async () => {
    await rt.ping();
    expect(['Docker', 'Podman']).toContain(rt.engine.name);
    expect(rt.engine.apiVersion).toMatch(/^1\.\d+$/);
    console.info(
      `engine: ${rt.engine.name} ${rt.engine.version} (API ${rt.engine.apiVersion}) via ${rt.engine.foundBy} at ${rt.engine.address}`,
    );
  });

  it('creates a network once, even when asked twice at the same time', async () => {
    const [a, b] = await Promise.all([rt.ensureNetwork(network, labels), rt.ensureNetwork(network, labels)]);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    expect(a.id).toBe(b.id);
    const again = await rt.ensureNetwork(network, labels);
    expect(again).toEqual({ id: a.id, created: false });
    expect((await rt.listNetworks({ [LABELS.project]: id })).map((n) => n.name)).toEqual([network]);
  });

  it('creates a volume once', async () => {
    expect(await rt.ensureVolume(volume, labels)).toEqual({ created: true });
    expect(await rt.ensureVolume(volume, labels)).toEqual({ created: false });
    const volumes = await rt.listVolumes({ [LABELS.project]: id, [LABELS.managedBy]: true });
    expect(volumes.map((v) => v.name)).toEqual([volume]);
    expect(volumes[0]?.labels[LABELS.managedBy]).toBe('wmon-tests');
  });

  it('never resolves short names: only the full local reference exists', async () => {
    expect(await rt.imageExists(TEST_IMAGES.nodeExporter)).toBe(true);
    // Podman alone would match node-exporter:1.5 to localhost/wmon/node-exporter:1.5 by its last component.
    expect(await rt.imageExists('node-exporter:1.5')).toBe(false);
    expect(await ensureImage(rt, TEST_IMAGES.nodeExporter, 'missing')).toBe('present');
    await expect(ensureImage(rt, `localhost/${id}/absent:1`, 'missing')).rejects.toMatchObject({
      code: 'IMAGE_MISSING',
      exit: 69,
    });
    // A pull that fails (no registry here; elsewhere: no such repository) is one clear error, not a hang.
    await expect(rt.pullImage(`docker.io/wmontest/${id}:0`)).rejects.toMatchObject({
      code: 'IMAGE_PULL_FAILED',
      exit: 69,
    });
    const info = await rt.inspectImage(TEST_IMAGES.nodeExporter);
    expect(info?.labels['wmon.input-hash']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('sees the host port free before, then taken by the container', async () => {
    const [before] = await checkPorts([{ port: hostPort, host: '127.0.0.1', component: 'node-exporter' }]);
    expect(before?.status).toBe('free');

    const containerId = await rt.createContainer(spec, network);
    expect(containerId).toMatch(/^[0-9a-f]{64}$/);
    await expect(rt.createContainer(spec, network)).rejects.toMatchObject({ exit: 75 }); // the name is taken
    await rt.startContainer(spec.name);
    await rt.startContainer(spec.name); // already running: not an error

    const [after] = await checkPorts([{ port: hostPort, host: '127.0.0.1', component: 'node-exporter' }], {
      publishingContainers: () => rt.listPublishingContainers(),
    });
    expect(after).toMatchObject({ status: 'taken', holder: { kind: 'container', name: spec.name } });
    expect(describePortCheck(after!)).toBe(
      `port ${hostPort} (node-exporter) on 127.0.0.1 is taken by container ${spec.name} (${TEST_IMAGES.nodeExporter})`,
    );
  });

  it('becomes ready over HTTP from the host, with the bind mount in place', async () => {
    const url = readinessUrl(spec);
    expect(url).toBe(`http://127.0.0.1:${hostPort}/metrics`);
    const ready = await waitForHttp({
      url: url!,
      name: 'node-exporter',
      timeoutMs: 30_000,
      bodyIncludes: 'wmon_test_metric 42',
    });
    expect(ready.status).toBe(200);
  });

  it('inspects and lists the container with our summary types', async () => {
    const details = await rt.inspectContainer(spec.name);
    expect(details).toMatchObject({
      name: spec.name,
      component: 'node-exporter',
      image: TEST_IMAGES.nodeExporter,
      state: 'running',
      running: true,
      ports: [{ containerPort: 9100, protocol: 'tcp', hostPort, hostIp: '127.0.0.1' }],
    });
    expect(details?.labels).toMatchObject({
      ...labels,
      [LABELS.component]: 'node-exporter',
      [LABELS.configHash]: 'abc123',
    });
    expect(details?.startedAt).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - details!.startedAt!.getTime())).toBeLessThan(120_000);
    expect(details?.networks[network]?.aliases).toEqual(expect.arrayContaining(['exporter', 'node-exporter']));
    expect(details?.mounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'volume', destination: '/data', name: volume }),
        expect.objectContaining({ type: 'bind', source: configDir, destination: '/textfile' }),
      ]),
    );
    const listed = await rt.listContainers({ [LABELS.project]: id, [LABELS.component]: 'node-exporter' });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: details!.id,
      name: spec.name,
      component: 'node-exporter',
      state: 'running',
      imageId: details!.imageId,
    });
    expect(listed[0]?.created).toBeInstanceOf(Date);
    expect(await rt.listContainers({ [LABELS.project]: `${id}-other` })).toEqual([]);
    expect(await rt.inspectContainer(`${id}-absent`)).toBeNull();
  });

  it('reads the logs as text', async () => {
    const logs = await rt.logs(spec.name, { tail: 200 });
    expect(logs.text).toContain('Listening on');
    // Every line is node_exporter's own (log/slog's logfmt since 1.9): no frame headers left in the text.
    for (const line of logs.text.trimEnd().split('\n')) expect(line).toMatch(/^time=\S+ level=[A-Z]+ source=/);
  });

  it('runs commands with exec: exit code, stdout and stderr apart', async () => {
    const result = await rt.exec(spec.name, ['sh', '-c', 'echo out; echo err >&2; id -un; exit 3']);
    expect(result).toEqual({ exitCode: 3, stdout: 'out\nnobody\n', stderr: 'err\n' });
    const root = await rt.exec(spec.name, ['id', '-u'], { user: '0' });
    expect(root.stdout.trim()).toBe('0');
  });

  it('resolves other containers by alias on the stack network', async () => {
    const client: ContainerSpec = {
      ...spec,
      name: `${id}-client`,
      component: 'client',
      entrypoint: ['/bin/sleep'],
      cmd: ['300'],
      ports: [],
      volumes: [],
      binds: [],
      aliases: [],
    };
    await rt.createContainer(client, network);
    await rt.startContainer(client.name);
    const result = await rt.exec(client.name, ['wget', '-q', '-O', '-', 'http://exporter:9100/metrics']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('wmon_test_metric 42');
    expect(await rt.removeContainer(client.name, { force: true })).toBe(true);
  });

  it('copies files in and out (putArchive / getArchive) of a named volume', async () => {
    await rt.putArchive(spec.name, '/data', tarOfTexts({ 'note.txt': 'hello from the host\n', 'b.txt': 'second\n' }));
    const files = await readTar(await rt.getArchive(spec.name, '/data'));
    expect(files.get('data/note.txt')).toBe('hello from the host\n');
    expect(files.get('data/b.txt')).toBe('second\n');
    const single = await readTar(await rt.getArchive(spec.name, '/data/note.txt'));
    expect([...single.entries()]).toEqual([['note.txt', 'hello from the host\n']]);
    expect((await rt.exec(spec.name, ['cat', '/data/note.txt'])).stdout).toBe('hello from the host\n');
    // Docker refuses a missing target directory (Podman would create it): both refuse through wmon.
    await expect(rt.putArchive(spec.name, '/no/such/dir', Buffer.alloc(1024))).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(rt.getArchive(spec.name, '/no/such/file')).rejects.toMatchObject({ code: 'ENGINE_NOT_FOUND' });
  });

  it('stops and removes, and says when there was nothing to remove', async () => {
    await rt.stopContainer(spec.name, 2);
    await rt.stopContainer(spec.name, 2); // already stopped: not an error
    const stopped = await rt.inspectContainer(spec.name);
    expect(stopped).toMatchObject({ running: false, state: 'exited' });
    expect(stopped?.finishedAt).toBeInstanceOf(Date);
    expect(await rt.removeContainer(spec.name, { volumes: true })).toBe(true);
    expect(await rt.removeContainer(spec.name)).toBe(false);
    expect(await rt.inspectContainer(spec.name)).toBeNull();
    // The named volume outlives the container.
    expect((await rt.listVolumes({ [LABELS.project]: id })).map((v) => v.name)).toEqual([volume]);
  });

  it('gives up waiting as soon as a container has exited, with its logs in the error', async () => {
    const broken: ContainerSpec = { ...spec, name: `${id}-broken`, cmd: ['--no-such-flag'], volumes: [], binds: [] };
    await rt.createContainer(broken, network);
    await rt.startContainer(broken.name);
    const started = Date.now();
    const error: unknown = await waitForHttp({
      url: readinessUrl(broken)!,
      name: 'node-exporter',
      timeoutMs: 30_000,
      giveUpIf: async () => {
        const d = await rt.inspectContainer(broken.name);
        return d && !d.running && d.state === 'exited' ? `the container exited with code ${d.exitCode}` : undefined;
      },
      diagnose: async () => `its last log lines:\n${(await rt.logs(broken.name, { tail: 5 })).text}`,
    }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error).toBeInstanceOf(ReadinessError);
    expect((error as Error).message).toMatch(/gave up: the container exited with code [1-9]/);
    expect((error as Error).message).toContain('no-such-flag');
    expect(await rt.removeContainer(broken.name, { force: true })).toBe(true);
  });

  it('builds an image from a tar context, with build args and labels', async () => {
    const lines: string[] = [];
    const dockerfile = [
      `FROM ${TEST_IMAGES.nodeExporter}`,
      'ARG GREETING=unset',
      'LABEL test.greeting=$GREETING',
      'COPY hello.txt /hello.txt',
      '',
    ].join('\n');
    const { imageId } = await rt.buildImage(
      {
        context: { tar: tarOfTexts({ Dockerfile: dockerfile, 'hello.txt': 'built by wmon\n' }) },
        tag: builtTag,
        buildArgs: { GREETING: 'hi' },
        labels,
      },
      (e) => lines.push(e.status),
    );
    expect(imageId).toMatch(/^(sha256:)?[0-9a-f]{64}$/);
    expect(lines.join('\n')).toMatch(/COPY hello.txt/i);
    const info = await rt.inspectImage(builtTag);
    expect(info?.labels).toMatchObject({ 'test.greeting': 'hi', [LABELS.project]: id });

    // And the image runs: a container from it prints the copied file.
    const runner: ContainerSpec = {
      ...spec,
      name: `${id}-built`,
      image: builtTag,
      entrypoint: ['/bin/cat'],
      cmd: ['/hello.txt'],
      ports: [],
      volumes: [],
      binds: [],
    };
    await rt.createContainer(runner, network);
    await rt.startContainer(runner.name);
    for (let i = 0; i < 50 && (await rt.inspectContainer(runner.name))?.running; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await rt.logs(runner.name)).text).toBe('built by wmon\n');
    expect(await rt.removeContainer(runner.name, { force: true })).toBe(true);
  });

  it('builds from a directory with only the listed paths', async () => {
    const dir = await tempDir(`${id}-`);
    await writeFile(path.join(dir, 'Containerfile'), `FROM ${TEST_IMAGES.nodeExporter}\nCOPY a.txt /a.txt\n`);
    await writeFile(path.join(dir, 'a.txt'), 'a\n');
    await rt.buildImage({ context: { dir, paths: ['a.txt'] }, dockerfile: 'Containerfile', tag: builtTag });
    expect(await rt.imageExists(builtTag)).toBe(true);
    // A file that is not listed is not sent: COPY of it fails.
    const bad = await tempDir(`${id}-`);
    await writeFile(path.join(bad, 'Dockerfile'), `FROM ${TEST_IMAGES.nodeExporter}\nCOPY secret.env /secret.env\n`);
    await writeFile(path.join(bad, 'secret.env'), 'TOKEN=never-sent\n');
    await expect(rt.buildImage({ context: { dir: bad, paths: [] }, tag: `${builtTag}-bad` })).rejects.toMatchObject({
      exit: 69,
    });
  });

  it('removes volumes and networks, idempotently', async () => {
    for (const c of await rt.listContainers({ [LABELS.project]: id })) await rt.removeContainer(c.id, { force: true });
    expect(await rt.removeVolume(volume)).toBe(true);
    expect(await rt.removeVolume(volume)).toBe(false);
    expect(await rt.removeNetwork(network)).toBe(true);
    expect(await rt.removeNetwork(network)).toBe(false);
  });
});
