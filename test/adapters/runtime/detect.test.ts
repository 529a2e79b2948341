import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WmonError } from '../../../src/errors.js';
import {
  clearEngineCache,
  defaultDetectDeps,
  detectEngine,
  findEngine,
  identityFromVersion,
  identityFromPing,
  probeEngine,
  type DetectDeps,
  type PathKind,
  type ProbeResult,
} from '../../../src/adapters/runtime/detect.js';
import { endpointAddress, parseDockerHost } from '../../../src/adapters/runtime/endpoint.js';
import type { EngineEndpoint } from '../../../src/core/model/container-types.js';
import { failure } from '../../support/failures.js';
import { DOCKER_PING_HEADERS, fakeEngine, PODMAN_PING_HEADERS } from '../../support/fakes/engine.js';

const PODMAN: ProbeResult = {
  ok: true,
  identity: { name: 'Podman', version: '4.3.1', apiVersion: '1.41', os: 'linux', arch: 'amd64' },
};
const DOCKER: ProbeResult = {
  ok: true,
  identity: { name: 'Docker', version: '27.3.1', apiVersion: '1.47', os: 'linux', arch: 'amd64' },
};

interface Fake {
  env?: Record<string, string>;
  /** Paths that exist, and what they are. */
  paths?: Record<string, PathKind>;
  files?: Record<string, string>;
  /** Answers by endpoint address; anything else refuses. */
  answers?: Record<string, ProbeResult>;
  uid?: number;
  platform?: NodeJS.Platform;
}

function fakeDeps(fake: Fake): DetectDeps & { probed: string[] } {
  const probed: string[] = [];
  return {
    env: fake.env ?? {},
    homedir: '/home/ada',
    uid: fake.uid ?? 1000,
    platform: fake.platform ?? 'linux',
    statPath: async (file) => fake.paths?.[file] ?? 'missing',
    readFile: async (file) => fake.files?.[file],
    probe: async (endpoint: EngineEndpoint) => {
      const address = endpointAddress(endpoint);
      probed.push(address);
      return (
        fake.answers?.[address] ?? {
          ok: false,
          reason: 'connection refused: nothing serves the API there (a stale socket, or the engine stopped)',
        }
      );
    },
    probed,
  };
}

/** Why detection found no engine (the cache cleared first, so that it really looks). */
function detectionFailure(deps: DetectDeps): Promise<WmonError> {
  clearEngineCache();
  return failure(detectEngine(deps), WmonError);
}

afterEach(() => clearEngineCache());

describe('engine detection strategies', () => {
  it('reports every strategy and how to fix it when nothing answers', async () => {
    const error = await detectionFailure(fakeDeps({ env: { XDG_RUNTIME_DIR: '/run/user/1000' } }));
    expect(error.exit).toBe(69);
    expect(error.code).toBe('ENGINE_NOT_FOUND');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('No container engine answered. Tried:');
    expect(error.message).toMatch(/DOCKER_HOST\s+not set/);
    expect(error.message).toMatch(/Docker context\s+no \/home\/ada\/\.docker\/config\.json/);
    expect(error.message).toMatch(/Docker socket\s+no socket at \/var\/run\/docker\.sock/);
    expect(error.message).toContain('no socket at /home/ada/.docker/run/docker.sock');
    expect(error.message).toContain('no socket at /home/ada/.docker/desktop/docker.sock');
    expect(error.message).toMatch(/Podman \(rootful\)\s+no socket at \/run\/podman\/podman\.sock/);
    expect(error.message).toMatch(/Podman \(rootless\)\s+no socket at \/run\/user\/1000\/podman\/podman\.sock/);
    const advice = error.suggestions.join('\n');
    expect(advice).toContain('Start Docker');
    expect(advice).toContain('DOCKER_HOST=unix:///run/podman/podman.sock');
    expect(advice).toContain("Install your distribution's podman or docker package");
  });

  const BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n';
  const NOBLE = 'PRETTY_NAME="Ubuntu 24.04.2 LTS"\nID=ubuntu\nID_LIKE=debian\n';

  it.each([
    [
      'Debian, as root',
      'linux',
      BOOKWORM,
      0,
      'On Debian GNU/Linux 12 (bookworm): `wmon engine install` installs Podman',
    ],
    ['Ubuntu, as a user', 'linux', NOBLE, 1000, 'On Ubuntu 24.04.2 LTS: `sudo wmon engine install` installs Podman'],
    ['Fedora', 'linux', 'ID=fedora\n', 1000, '`sudo dnf install podman`'],
    [
      'macOS',
      'darwin',
      undefined,
      501,
      'Install Docker Desktop (https://docs.docker.com/desktop/setup/install/mac-install/)',
    ],
    [
      'Windows',
      'win32',
      undefined,
      undefined,
      'Install Docker Desktop (https://docs.docker.com/desktop/setup/install/windows-install/)',
    ],
  ] as const)('names how to get an engine on %s', async (_name, platform, osRelease, uid, expected) => {
    const deps = fakeDeps({
      platform,
      ...(uid === undefined ? {} : { uid }),
      ...(osRelease === undefined ? {} : { files: { '/etc/os-release': osRelease } }),
    });
    const advice = (await detectionFailure(deps)).suggestions.join('\n');
    expect(advice).toContain(expected);
    if (platform === 'linux' && osRelease !== BOOKWORM && osRelease !== NOBLE)
      expect(advice).not.toContain('wmon engine install');
    if (platform !== 'linux') expect(advice).not.toContain('apt-get');
  });

  it('uses DOCKER_HOST first', async () => {
    const deps = fakeDeps({
      env: { DOCKER_HOST: 'unix:///tmp/engine.sock' },
      paths: { '/tmp/engine.sock': 'socket', '/var/run/docker.sock': 'socket' },
      answers: { 'unix:///tmp/engine.sock': PODMAN, 'unix:///var/run/docker.sock': DOCKER },
    });
    const engine = await detectEngine(deps);
    expect(engine).toMatchObject({
      name: 'Podman',
      version: '4.3.1',
      foundBy: 'DOCKER_HOST',
      address: 'unix:///tmp/engine.sock',
    });
    expect(engine.endpoint).toEqual({ kind: 'unix', socketPath: '/tmp/engine.sock' });
  });

  it('tries nothing else when DOCKER_HOST is set but does not answer, and says so', async () => {
    const deps = fakeDeps({
      env: { DOCKER_HOST: 'unix:///tmp/dead.sock' },
      paths: { '/tmp/dead.sock': 'socket', '/var/run/docker.sock': 'socket' },
      answers: { 'unix:///var/run/docker.sock': DOCKER },
    });
    const error = await detectionFailure(deps);
    expect(deps.probed).toEqual(['unix:///tmp/dead.sock']);
    expect(error.message).toMatch(/DOCKER_HOST\s+connection refused/);
    expect(error.message).not.toContain('Docker socket');
    expect(error.suggestions[0]).toContain('DOCKER_HOST is set (unix:///tmp/dead.sock), so no other place was tried');
  });

  it('refuses an unusable DOCKER_HOST instead of silently using another engine', async () => {
    const deps = fakeDeps({
      env: { DOCKER_HOST: 'ssh://me@build-box' },
      paths: { '/var/run/docker.sock': 'socket' },
      answers: { 'unix:///var/run/docker.sock': DOCKER },
    });
    const error = await detectionFailure(deps);
    expect(deps.probed).toEqual([]);
    expect(error.message).toContain('ssh:// endpoints are not supported');
  });

  it("reaches DOCKER_HOST over TCP with Docker's TLS variables", async () => {
    const deps = fakeDeps({
      env: { DOCKER_HOST: 'tcp://engine.internal:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      answers: { 'tcp://engine.internal:2376 (TLS)': DOCKER },
    });
    const engine = await detectEngine(deps);
    expect(engine.endpoint).toEqual({
      kind: 'tcp',
      host: 'engine.internal',
      port: 2376,
      tls: { certPath: '/certs', verify: true },
    });
  });

  it('parses DOCKER_HOST forms', () => {
    expect(parseDockerHost('tcp://10.0.0.5', {}, '/home/ada')).toEqual({
      ok: true,
      endpoint: { kind: 'tcp', host: '10.0.0.5', port: 2375, tls: null },
    });
    expect(parseDockerHost('localhost:2375', {}, '/home/ada')).toEqual({
      ok: true,
      endpoint: { kind: 'tcp', host: 'localhost', port: 2375, tls: null },
    });
    expect(parseDockerHost('tcp://h:2376', {}, '/home/ada')).toEqual({
      ok: true,
      endpoint: { kind: 'tcp', host: 'h', port: 2376, tls: { certPath: '/home/ada/.docker', verify: false } },
    });
    expect(parseDockerHost('tcp://[::1]:2375', {}, '/h')).toMatchObject({
      ok: true,
      endpoint: { host: '::1', port: 2375 },
    });
    expect(parseDockerHost('unix://relative.sock', {}, '/h').ok).toBe(false);
    expect(parseDockerHost('npipe:////./pipe/docker_engine', {}, '/h').ok).toBe(false);
  });

  it('finds /var/run/docker.sock', async () => {
    const engine = await detectEngine(
      fakeDeps({ paths: { '/var/run/docker.sock': 'socket' }, answers: { 'unix:///var/run/docker.sock': DOCKER } }),
    );
    expect(engine).toMatchObject({ name: 'Docker', foundBy: 'Docker socket' });
  });

  it('goes on when a socket exists but refuses the ping (an engine that stopped)', async () => {
    const deps = fakeDeps({
      paths: { '/var/run/docker.sock': 'socket', '/run/podman/podman.sock': 'socket' },
      answers: { 'unix:///run/podman/podman.sock': PODMAN },
    });
    const { engine, attempts } = await findEngine(deps);
    expect(engine?.foundBy).toBe('Podman (rootful)');
    expect(attempts.find((a) => a.strategy === 'Docker socket')).toMatchObject({
      outcome: 'unreachable',
      detail: expect.stringContaining('connection refused'),
    });
  });

  it("finds Docker Desktop's sockets in the home directory", async () => {
    const engine = await detectEngine(
      fakeDeps({
        paths: { '/home/ada/.docker/desktop/docker.sock': 'socket' },
        answers: { 'unix:///home/ada/.docker/desktop/docker.sock': DOCKER },
      }),
    );
    expect(engine).toMatchObject({
      foundBy: 'Docker Desktop',
      address: 'unix:///home/ada/.docker/desktop/docker.sock',
    });
  });

  it('finds rootless Podman under XDG_RUNTIME_DIR, or /run/user/<uid> without it', async () => {
    const withXdg = await detectEngine(
      fakeDeps({
        env: { XDG_RUNTIME_DIR: '/xdg' },
        paths: { '/xdg/podman/podman.sock': 'socket' },
        answers: { 'unix:///xdg/podman/podman.sock': PODMAN },
      }),
    );
    expect(withXdg).toMatchObject({ name: 'Podman', foundBy: 'Podman (rootless)' });
    clearEngineCache();
    const withoutXdg = await detectEngine(
      fakeDeps({
        uid: 1234,
        paths: { '/run/user/1234/podman/podman.sock': 'socket' },
        answers: { 'unix:///run/user/1234/podman/podman.sock': PODMAN },
      }),
    );
    expect(withoutXdg.address).toBe('unix:///run/user/1234/podman/podman.sock');
  });

  it("follows the Docker CLI's current context (Colima, Rancher Desktop...)", async () => {
    const id = createHash('sha256').update('colima').digest('hex');
    const engine = await detectEngine(
      fakeDeps({
        files: {
          '/home/ada/.docker/config.json': JSON.stringify({ currentContext: 'colima' }),
          [`/home/ada/.docker/contexts/meta/${id}/meta.json`]: JSON.stringify({
            Name: 'colima',
            Endpoints: { docker: { Host: 'unix:///home/ada/.colima/default/docker.sock' } },
          }),
        },
        paths: { '/home/ada/.colima/default/docker.sock': 'socket', '/var/run/docker.sock': 'socket' },
        answers: { 'unix:///home/ada/.colima/default/docker.sock': DOCKER, 'unix:///var/run/docker.sock': DOCKER },
      }),
    );
    expect(engine).toMatchObject({
      foundBy: 'Docker context (context "colima")',
      address: 'unix:///home/ada/.colima/default/docker.sock',
    });
  });

  it('stops at an explicit DOCKER_CONTEXT that does not exist', async () => {
    const deps = fakeDeps({
      env: { DOCKER_CONTEXT: 'nope' },
      paths: { '/var/run/docker.sock': 'socket' },
      answers: { 'unix:///var/run/docker.sock': DOCKER },
    });
    const error = await detectionFailure(deps);
    expect(deps.probed).toEqual([]);
    expect(error.message).toContain('DOCKER_CONTEXT=nope: context "nope" has no');
    expect(error.suggestions.join('\n')).toContain('DOCKER_CONTEXT is set (nope)');
  });

  it('explains a socket it may not use', async () => {
    const error = await detectionFailure(fakeDeps({ paths: { '/var/run/docker.sock': 'denied' } }));
    expect(error.message).toMatch(/Docker socket\s+permission denied on \/var\/run\/docker\.sock/);
    expect(error.suggestions.join('\n')).toContain('docker group');
  });

  it('says when a path exists but is no socket', async () => {
    const error = await detectionFailure(fakeDeps({ paths: { '/run/podman/podman.sock': 'other' } }));
    expect(error.message).toContain('/run/podman/podman.sock exists but is not a socket');
  });

  it('caches the engine it found, per environment', async () => {
    const deps = fakeDeps({
      paths: { '/var/run/docker.sock': 'socket' },
      answers: { 'unix:///var/run/docker.sock': DOCKER },
    });
    await detectEngine(deps);
    await detectEngine(deps);
    expect(deps.probed).toEqual(['unix:///var/run/docker.sock']);
    clearEngineCache();
    await detectEngine(deps);
    expect(deps.probed).toHaveLength(2);
  });

  it('does not cache a failure', async () => {
    const paths: Record<string, PathKind> = {};
    const deps = { ...fakeDeps({ paths, answers: { 'unix:///var/run/docker.sock': DOCKER } }) };
    await expect(detectEngine(deps)).rejects.toThrow(/No container engine/);
    paths['/var/run/docker.sock'] = 'socket';
    await expect(detectEngine(deps)).resolves.toMatchObject({ name: 'Docker' });
  });

  it("tells Podman from Docker by /version's components", () => {
    expect(
      identityFromVersion({
        Version: '4.3.1',
        ApiVersion: '1.41',
        Os: 'linux',
        Arch: 'amd64',
        Components: [{ Name: 'Podman Engine', Version: '4.3.1' }],
      }),
    ).toEqual({ name: 'Podman', version: '4.3.1', apiVersion: '1.41', os: 'linux', arch: 'amd64' });
    expect(
      identityFromVersion({
        Version: '27.3.1',
        ApiVersion: '1.47',
        Os: 'linux',
        Arch: 'arm64',
        Components: [{ Name: 'Engine', Version: '27.3.1' }],
      }),
    ).toMatchObject({
      name: 'Docker',
      version: '27.3.1',
    });
  });
});

describe('identityFromPing', () => {
  it("names Podman and Docker from their ping's headers, without the architecture", () => {
    const lower = (h: Record<string, string>) =>
      Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect(identityFromPing(lower(PODMAN_PING_HEADERS))).toEqual({
      name: 'Podman',
      version: '4.3.1',
      apiVersion: '1.41',
      os: 'linux',
      arch: '',
    });
    expect(identityFromPing(lower(DOCKER_PING_HEADERS))).toEqual({
      name: 'Docker',
      version: '27.3.1',
      apiVersion: '1.47',
      os: 'linux',
      arch: '',
    });
  });

  it('says nothing when the headers do not name the engine, its version and API version', () => {
    expect(identityFromPing({})).toBeUndefined();
    expect(identityFromPing({ 'api-version': '1.41' })).toBeUndefined();
    expect(identityFromPing({ server: 'Docker/27.3.1 (linux)' })).toBeUndefined();
    expect(identityFromPing({ 'api-version': '1.41', server: 'nginx/1.25' })).toBeUndefined();
  });
});

describe('probeEngine (the real ping)', () => {
  it("does not ask /version when the ping's headers name the engine (Podman's /version takes seconds)", async () => {
    const asked: string[] = [];
    const engine = await fakeEngine({
      pingHeaders: PODMAN_PING_HEADERS,
      versionDelayMs: 60_000,
      onRequest: (url) => asked.push(url),
    });
    try {
      const result = await probeEngine({ kind: 'unix', socketPath: engine.socketPath }, 2000);
      expect(result).toEqual({
        ok: true,
        identity: { name: 'Podman', version: '4.3.1', apiVersion: '1.41', os: 'linux', arch: '' },
      });
      expect(asked).toEqual(['/_ping']);
    } finally {
      await engine.close();
    }
  });

  it('confirms an API on a unix socket with /_ping and /version', async () => {
    const engine = await fakeEngine();
    try {
      const result = await probeEngine({ kind: 'unix', socketPath: engine.socketPath }, 2000);
      expect(result).toEqual({
        ok: true,
        identity: { name: 'Docker', version: '27.0.0', apiVersion: '1.46', os: 'linux', arch: 'amd64' },
      });
    } finally {
      await engine.close();
    }
  });

  it('waits longer for /version than for the ping: a loaded Podman answers its ping at once and /version in seconds', async () => {
    const podman = {
      Version: '4.3.1',
      ApiVersion: '1.41',
      Os: 'linux',
      Arch: 'amd64',
      Components: [{ Name: 'Podman Engine' }],
    };
    const engine = await fakeEngine({ versionDelayMs: 1500, version: podman });
    try {
      const result = await probeEngine({ kind: 'unix', socketPath: engine.socketPath }, 500);
      expect(result).toMatchObject({ ok: true, identity: { name: 'Podman', version: '4.3.1' } });
    } finally {
      await engine.close();
    }
  });

  it('gives up on a silent endpoint at the ping timeout', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const started = Date.now();
    try {
      const result = await probeEngine({ kind: 'tcp', host: '127.0.0.1', port, tls: null }, 300);
      expect(result).toEqual({ ok: false, reason: 'no answer within 0.3 s' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    }
  });

  it('says "connection refused" when nothing listens', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    const result = await probeEngine({ kind: 'tcp', host: '127.0.0.1', port, tls: null }, 1000);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('connection refused') });
  });

  it('reports an API that answers, but not as an engine', async () => {
    const server = http.createServer((_req, res) => res.writeHead(404).end('page not found'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await probeEngine({ kind: 'tcp', host: '127.0.0.1', port, tls: null }, 1000);
      expect(result).toEqual({ ok: false, reason: 'answered HTTP 404 to /_ping: page not found' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('is what detection uses by default', () => {
    expect(defaultDetectDeps().probe).toBe(probeEngine);
  });
});
