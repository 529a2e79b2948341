/**
 * The ContainerRuntime contract: what every runtime must do, the same way, for wmon to work on it. Run
 * against the real engine (runtime-contract.integration.test.ts: Docker, or Podman's Docker API) and
 * against the in-memory runtime (memory-runtime.test.ts), so tests that use the in-memory one test code
 * that will meet the same answers from a real engine.
 *
 * Where Podman and Docker answer differently (an existing network name, putArchive to a missing folder,
 * short image names), the contract states what wmon relies on: the runtime layer makes both answer so.
 * What cannot be the same is left to the target: how a container is made to run until stopped or to
 * exit by itself with a code (a command for a real engine, a hook for the in-memory one).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureImage, type ContainerRuntime } from '../../../src/adapters/runtime/container-runtime.js';
import { EngineError } from '../../../src/adapters/runtime/engine-error.js';
import { LABELS, type ContainerSpec } from '../../../src/core/model/container-types.js';
import { readTarStream, tarOf, type RawEntry } from '../../support/archives.js';
import { failure } from '../../support/failures.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

export interface ContractTarget {
  /** Names the suite, e.g. `the real engine`. */
  readonly name: string;
  /** The runtime, or undefined to skip (no engine outside CI). */
  readonly runtime: ContainerRuntime | undefined;
  /** A present image (with a POSIX shell for real engines), whose containers the target can run. */
  readonly image: string;
  /** The spec, changed so that its container runs until it is stopped. */
  runsUntilStopped(spec: ContainerSpec): ContainerSpec;
  /** The spec, changed so that its container prints `line` to stderr and exits with `code` soon after it starts. */
  exitsWith(spec: ContainerSpec, code: number, line: string): ContainerSpec;
}

const untilDone = { timeoutMs: 30_000, intervalMs: 100 };

/** Entry paths as the engines name them, folders without their trailing slash. */
const paths = (entries: readonly RawEntry[]) => entries.map((e) => e.path.replace(/\/$/, '')).sort();
const text = (entries: readonly RawEntry[], p: string) => entries.find((e) => e.path === p)?.data?.toString('utf8');

export function runtimeContract(target: ContractTarget): void {
  const id = `wmon-contract-${randomBytes(4).toString('hex')}`;
  const labels = { [LABELS.project]: id, [LABELS.managedBy]: 'wmon-tests' };
  const network = `${id}-net`;
  const volume = `${id}-data`;
  const builtTag = `localhost/${id}/built:1`;

  describe.skipIf(target.runtime === undefined)(`the ContainerRuntime contract: ${target.name}`, () => {
    const rt = target.runtime!;
    let spec: ContainerSpec;
    let hostPort: number;

    beforeAll(async () => {
      hostPort = await freePort();
      spec = target.runsUntilStopped({
        name: `${id}-main`,
        component: 'main',
        image: target.image,
        ports: [{ containerPort: 9100, hostPort, hostIp: '127.0.0.1' }],
        volumes: [{ volume, target: '/data' }],
        binds: [],
        aliases: ['primary'],
        labels: { ...labels, [LABELS.configHash]: 'abc123' },
        restartPolicy: 'no',
        dependsOn: [],
      });
    });

    afterAll(async () => {
      for (const c of await rt.listContainers({ [LABELS.project]: id }))
        await rt.removeContainer(c.id, { force: true });
      await rt.removeImage(builtTag, { force: true });
      for (const v of await rt.listVolumes({ [LABELS.project]: id })) await rt.removeVolume(v.name);
      await rt.removeVolume(volume);
      await rt.removeNetwork(network);
    });

    it('answers a ping and says which engine it is', async () => {
      await rt.ping();
      expect(['Docker', 'Podman']).toContain(rt.engine.name);
      expect(rt.engine.apiVersion).toMatch(/^1\.\d+$/);
    });

    it('creates a network once, even when asked twice at once, and lists it by label', async () => {
      const [a, b] = await Promise.all([rt.ensureNetwork(network, labels), rt.ensureNetwork(network, labels)]);
      expect([a.created, b.created].sort()).toEqual([false, true]);
      expect(b.id).toBe(a.id);
      expect(await rt.ensureNetwork(network, labels)).toEqual({ id: a.id, created: false });
      expect(await rt.listNetworks({ [LABELS.project]: id })).toEqual([{ id: a.id, name: network, labels }]);
      expect((await rt.listNetworks({ [LABELS.project]: id, [LABELS.managedBy]: true })).map((n) => n.name)).toEqual([
        network,
      ]);
      expect(await rt.listNetworks({ [LABELS.project]: id, [LABELS.managedBy]: 'someone-else' })).toEqual([]);
      expect((await rt.listNetworks({})).map((n) => n.name)).toContain(network);
    });

    it('creates a volume once, and lists it by label (`true`: any value)', async () => {
      expect(await rt.ensureVolume(volume, labels)).toEqual({ created: true });
      expect(await rt.ensureVolume(volume, labels)).toEqual({ created: false });
      const listed = await rt.listVolumes({ [LABELS.project]: id, [LABELS.managedBy]: true });
      expect(listed.map((v) => v.name)).toEqual([volume]);
      expect(listed[0]?.labels).toEqual(labels);
      expect(listed[0]?.mountpoint).toEqual(expect.any(String));
      expect(await rt.listVolumes({ [LABELS.project]: id, [LABELS.managedBy]: 'wmon' })).toEqual([]);
      expect(await rt.listVolumes({ [LABELS.project]: `${id}-other` })).toEqual([]);
    });

    it('inspects images under their full reference only; absent ones are null, false, or IMAGE_MISSING', async () => {
      const info = await rt.inspectImage(target.image);
      expect(info).toMatchObject({
        id: expect.stringMatching(/^(sha256:)?[0-9a-f]{64}$/),
        labels: expect.any(Object),
        digests: expect.any(Array),
      });
      expect(info?.tags).toContain(target.image);
      expect(info?.sizeBytes).toBeGreaterThan(0);
      expect(await rt.imageExists(target.image)).toBe(true);
      expect(await ensureImage(rt, target.image, 'missing')).toBe('present');

      const absent = `localhost/${id}/absent:1`;
      expect(await rt.inspectImage(absent)).toBeNull();
      expect(await rt.imageExists(absent)).toBe(false);
      // Podman alone would find a local image by the last part of a short name: never through wmon.
      expect(await rt.imageExists(target.image.split('/').pop()!)).toBe(false);
      expect(await rt.removeImage(absent)).toBe(false);
      await expect(ensureImage(rt, absent, 'missing')).rejects.toMatchObject({ code: 'IMAGE_MISSING', exit: 69 });
    });

    it('fails a pull that no registry can answer with one clear error', async () => {
      await expect(rt.pullImage(`docker.io/wmontest/${id}:0`)).rejects.toMatchObject({
        code: 'IMAGE_PULL_FAILED',
        exit: 69,
      });
      expect(await rt.imageExists(`docker.io/wmontest/${id}:0`)).toBe(false);
    });

    it("builds an image: the tag, with the labels given, the Dockerfile's and the base image's", async () => {
      const base = await rt.inspectImage(target.image);
      const dockerfile = [
        `FROM ${target.image}`,
        'ARG GREETING=unset',
        'LABEL test.greeting=$GREETING',
        'COPY hello.txt /hello.txt',
        '',
      ].join('\n');
      const context = Readable.from([
        tarOf([
          { path: 'Dockerfile', data: Buffer.from(dockerfile) },
          { path: 'hello.txt', data: Buffer.from('hi\n') },
        ]),
      ]);
      const lines: string[] = [];
      const { imageId } = await rt.buildImage(
        { context: { tar: context }, tag: builtTag, buildArgs: { GREETING: 'hello' }, labels },
        (e) => lines.push(e.status),
      );
      expect(lines.join('\n')).toMatch(/COPY hello\.txt/);
      const built = await rt.inspectImage(builtTag);
      expect(built?.id).toBe(imageId);
      expect(built?.tags).toContain(builtTag);
      expect(built?.labels).toEqual({ ...base?.labels, 'test.greeting': 'hello', ...labels });

      // A file the Dockerfile copies must be in the context.
      const bad = Readable.from([
        tarOf([{ path: 'Dockerfile', data: Buffer.from(`FROM ${target.image}\nCOPY missing.txt /m\n`) }]),
      ]);
      await expect(rt.buildImage({ context: { tar: bad }, tag: `${builtTag}-bad` })).rejects.toMatchObject({
        exit: 69,
      });
      expect(await rt.imageExists(`${builtTag}-bad`)).toBe(false);
    });

    it('creates a container: created, not running, with its labels, aliases and volume', async () => {
      const containerId = await rt.createContainer(spec, network);
      expect(containerId).toMatch(/^[0-9a-f]{64}$/);
      const details = await rt.inspectContainer(spec.name);
      expect(details).toMatchObject({
        id: containerId,
        name: spec.name,
        component: 'main',
        image: target.image,
        state: 'created',
        running: false,
        startedAt: null,
        finishedAt: null,
        restartCount: 0,
        oomKilled: false,
      });
      const image = await rt.inspectImage(target.image);
      expect(details?.imageId).toBe(image?.id);
      // The engines give a container its image's labels too, under the spec's.
      expect(details?.labels).toEqual({
        ...image?.labels,
        ...labels,
        [LABELS.component]: 'main',
        [LABELS.configHash]: 'abc123',
      });
      expect(details?.networks[network]?.aliases).toEqual(expect.arrayContaining(['primary', 'main']));
      expect(details?.mounts).toEqual([
        expect.objectContaining({ type: 'volume', destination: '/data', name: volume }),
      ]);
      expect(details?.created).toBeInstanceOf(Date);
      expect(await rt.inspectContainer(containerId)).toMatchObject({ name: spec.name });
      expect((await rt.logs(spec.name)).text).toBe('');
    });

    it('creates a container with a read-only root file system, a tmpfs and a user, and inspect reports them', async () => {
      expect(await rt.inspectContainer(spec.name)).toMatchObject({ readOnlyRootfs: false });
      const locked: ContainerSpec = {
        ...spec,
        name: `${id}-locked`,
        ports: [],
        volumes: [],
        aliases: [],
        user: '65534:65534',
        readOnlyRootfs: true,
        tmpfs: { '/tmp': 'rw,noexec,nosuid,size=1m' },
      };
      await rt.createContainer(locked, network);
      try {
        expect(await rt.inspectContainer(locked.name)).toMatchObject({ readOnlyRootfs: true, user: '65534:65534' });
      } finally {
        await rt.removeContainer(locked.name, { force: true });
      }
    });

    it('refuses a second container of the same name, and one from an absent image', async () => {
      await expect(rt.createContainer(spec, network)).rejects.toMatchObject({ code: 'CONTAINER_NAME_TAKEN', exit: 75 });
      const absent = { ...spec, name: `${id}-noimage`, image: `localhost/${id}/absent:1` };
      await expect(rt.createContainer(absent, network)).rejects.toMatchObject({ code: 'IMAGE_MISSING', exit: 69 });
      expect(await rt.inspectContainer(absent.name)).toBeNull();
    });

    it('lists containers by label: every key present, equal to the value, `true` for any value', async () => {
      const listed = await rt.listContainers({ [LABELS.project]: id, [LABELS.component]: 'main' });
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ name: spec.name, component: 'main', image: target.image, state: 'created' });
      expect(listed[0]?.created).toBeInstanceOf(Date);
      expect((await rt.listContainers({ [LABELS.project]: id, [LABELS.configHash]: true })).map((c) => c.name)).toEqual(
        [spec.name],
      );
      expect(await rt.listContainers({ [LABELS.project]: id, [LABELS.configHash]: 'other' })).toEqual([]);
      expect(await rt.listContainers({ [LABELS.project]: id, 'wmon.no-such-label': true })).toEqual([]);
    });

    it('starts a container (twice is no error); it runs and publishes its port', async () => {
      await rt.startContainer(spec.name);
      await rt.startContainer(spec.name);
      const details = await rt.inspectContainer(spec.name);
      expect(details).toMatchObject({
        state: 'running',
        running: true,
        ports: [{ containerPort: 9100, protocol: 'tcp', hostPort, hostIp: '127.0.0.1' }],
      });
      expect(details?.startedAt).toBeInstanceOf(Date);
      const publishing = await rt.listPublishingContainers();
      expect(publishing.find((c) => c.name === spec.name)?.ports).toEqual([
        { containerPort: 9100, protocol: 'tcp', hostPort, hostIp: '127.0.0.1' },
      ]);
      expect((await rt.listContainers({ [LABELS.project]: id }))[0]?.state).toBe('running');
    });

    it('refuses to remove a running container unless forced', async () => {
      await expect(rt.removeContainer(spec.name)).rejects.toBeInstanceOf(EngineError);
      expect((await rt.inspectContainer(spec.name))?.running).toBe(true);
    });

    it('copies files into a volume and out again (putArchive → getArchive), owners and modes kept', async () => {
      await rt.putArchive(
        spec.name,
        '/data',
        tarOf([
          { path: 'note.txt', data: Buffer.from('hello from the host\n'), mode: 0o640, uid: 65534, gid: 65534 },
          { path: 'sub/', type: 'Directory', mode: 0o750 },
          { path: 'sub/deep.txt', data: Buffer.from('deep\n') },
        ]),
      );
      const all = await readTarStream(await rt.getArchive(spec.name, '/data'));
      expect(paths(all)).toEqual(['data', 'data/note.txt', 'data/sub', 'data/sub/deep.txt']);
      expect(text(all, 'data/note.txt')).toBe('hello from the host\n');
      expect(all.find((e) => e.path === 'data/note.txt')).toMatchObject({
        type: 'File',
        mode: 0o640,
        uid: 65534,
        gid: 65534,
      });
      expect(all.find((e) => e.path.replace(/\/$/, '') === 'data/sub')).toMatchObject({
        type: 'Directory',
        mode: 0o750,
      });

      const one = await readTarStream(await rt.getArchive(spec.name, '/data/sub/deep.txt'));
      expect(one.map((e) => [e.path, e.data?.toString('utf8')])).toEqual([['deep.txt', 'deep\n']]);
      const sub = await readTarStream(await rt.getArchive(spec.name, '/data/sub'));
      expect(paths(sub)).toEqual(['sub', 'sub/deep.txt']);

      // Replacing a file replaces its contents.
      await rt.putArchive(
        spec.name,
        '/data/sub',
        Readable.from([tarOf([{ path: 'deep.txt', data: Buffer.from('replaced\n') }])]),
      );
      expect(text(await readTarStream(await rt.getArchive(spec.name, '/data/sub/deep.txt')), 'deep.txt')).toBe(
        'replaced\n',
      );
    });

    it('refuses to copy into a folder that does not exist, or out of a path that does not', async () => {
      await expect(
        rt.putArchive(spec.name, '/data/no/such/dir', tarOf([{ path: 'x', data: Buffer.from('x') }])),
      ).rejects.toMatchObject({ statusCode: 404 });
      await expect(rt.getArchive(spec.name, '/data/no-such-file')).rejects.toMatchObject({
        code: 'ENGINE_NOT_FOUND',
        statusCode: 404,
      });
      await expect(rt.putArchive(`${id}-absent`, '/data', tarOf([]))).rejects.toMatchObject({ statusCode: 404 });
    });

    it("shows a volume's files to every container that mounts it", async () => {
      const reader = target.runsUntilStopped({
        ...spec,
        name: `${id}-reader`,
        component: 'reader',
        ports: [],
        aliases: [],
        volumes: [{ volume, target: '/mnt/shared', readOnly: true }],
      });
      await rt.createContainer(reader, network);
      const files = await readTarStream(await rt.getArchive(reader.name, '/mnt/shared/note.txt'));
      expect(text(files, 'note.txt')).toBe('hello from the host\n');
      await expect(rt.removeVolume(volume)).rejects.toBeInstanceOf(EngineError); // in use
      expect(await rt.removeContainer(reader.name, { force: true })).toBe(true);
    });

    it('stops a container (a stopped one is no error) and inspects it after', async () => {
      await rt.stopContainer(spec.name, 5);
      await rt.stopContainer(spec.name, 5);
      const stopped = await rt.inspectContainer(spec.name);
      expect(stopped).toMatchObject({ state: 'exited', running: false, exitCode: expect.any(Number) });
      expect(stopped?.finishedAt).toBeInstanceOf(Date);
      expect((await rt.listPublishingContainers()).map((c) => c.name)).not.toContain(spec.name);
      await expect(rt.exec(spec.name, ['true'])).rejects.toBeInstanceOf(EngineError);
      // A stopped container's files are still there.
      expect(text(await readTarStream(await rt.getArchive(spec.name, '/data/note.txt')), 'note.txt')).toBe(
        'hello from the host\n',
      );
    });

    it('restarts a stopped container, and starts an exited one again', async () => {
      await rt.restartContainer(spec.name, 5);
      expect(await rt.inspectContainer(spec.name)).toMatchObject({ state: 'running', running: true });
      await rt.stopContainer(spec.name, 5);
      await rt.startContainer(spec.name);
      expect(await rt.inspectContainer(spec.name)).toMatchObject({ state: 'running', running: true });
    });

    it('reports a container that exited by itself: its exit code and its output', async () => {
      const failing = target.exitsWith(
        { ...spec, name: `${id}-failing`, component: 'failing', ports: [], volumes: [], aliases: [] },
        3,
        'something went wrong',
      );
      await rt.createContainer(failing, network);
      await rt.startContainer(failing.name);
      const exited = await eventually(
        'the container exits',
        async () => {
          const d = await rt.inspectContainer(failing.name);
          return d?.state === 'exited' ? d : undefined;
        },
        untilDone,
      );
      expect(exited).toMatchObject({ running: false, exitCode: 3 });
      expect(exited.finishedAt).toBeInstanceOf(Date);
      expect((await rt.listContainers({ [LABELS.project]: id, [LABELS.component]: 'failing' }))[0]?.state).toBe(
        'exited',
      );
      const logs = await rt.logs(failing.name);
      expect(logs.stderr).toBe('something went wrong\n');
      expect(logs.text).toContain('something went wrong\n');
      expect((await rt.logs(failing.name, { tail: 0 })).text).toBe('');
    });

    it('answers "absent" with null or false, and refuses anything else on an absent container with a 404', async () => {
      const absent = `${id}-absent`;
      expect(await rt.inspectContainer(absent)).toBeNull();
      expect(await rt.removeContainer(absent)).toBe(false);
      for (const call of [
        () => rt.startContainer(absent),
        () => rt.stopContainer(absent),
        () => rt.restartContainer(absent),
        () => rt.logs(absent),
        () => rt.exec(absent, ['true']),
        () => rt.getArchive(absent, '/'),
      ]) {
        expect(await failure(call(), EngineError)).toMatchObject({
          statusCode: 404,
          code: 'ENGINE_NOT_FOUND',
          exit: 69,
        });
      }
    });

    it('removes containers (forced when running), then volumes and networks; again answers false', async () => {
      expect(await rt.removeContainer(spec.name, { force: true })).toBe(true);
      expect(await rt.removeContainer(spec.name)).toBe(false);
      expect(await rt.inspectContainer(spec.name)).toBeNull();
      expect(await rt.removeContainer(`${id}-failing`)).toBe(true);
      // The named volume outlived its container, with its files.
      expect((await rt.listVolumes({ [LABELS.project]: id })).map((v) => v.name)).toEqual([volume]);
      expect(await rt.removeVolume(volume)).toBe(true);
      expect(await rt.removeVolume(volume)).toBe(false);
      expect(await rt.removeNetwork(network)).toBe(true);
      expect(await rt.removeNetwork(network)).toBe(false);
      expect(await rt.removeImage(builtTag)).toBe(true);
      expect(await rt.removeImage(builtTag)).toBe(false);
      expect(await rt.imageExists(target.image)).toBe(true);
    });
  });
}
