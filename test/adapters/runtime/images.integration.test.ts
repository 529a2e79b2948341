/**
 * The local images scripts/engine/build-images.sh builds behave like the official ones where wmon relies
 * on them: default entrypoint and command, running as nobody with a fresh named volume for data, ready
 * over HTTP, APIs answering, the tools (promtool, amtool, npm) inside, and native Node modules building
 * offline in node:20 (the service's better-sqlite3 needs that).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { create as createTar } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { readinessUrl, waitForHttp } from '../../../src/adapters/runtime/readiness.js';
import { LABELS, type ContainerSpec } from '../../../src/core/model/container-types.js';
import { runtimeForTests, TEST_IMAGES } from '../../support/engine.js';
import { freePort } from '../../support/ports.js';
import { TESTED } from '../../support/versions.js';

const runtime = await runtimeForTests('image integration tests', [
  TEST_IMAGES.prometheus,
  TEST_IMAGES.alertmanager,
  TEST_IMAGES.nodeExporter,
  TEST_IMAGES.blackboxExporter,
  TEST_IMAGES.node,
  TEST_IMAGES.nodeSlim,
]);

/** `3.5` → a pattern for `3.5.<patch>` at the start of a version string. */
const minorPattern = (minor: string) => `${minor.replace('.', '\\.')}\\.\\d+`;

const id = `wmon-test-${randomBytes(4).toString('hex')}`;
const labels = { [LABELS.project]: id, [LABELS.managedBy]: 'wmon-tests' };
const network = `${id}-net`;

function spec(
  component: string,
  image: string,
  containerPort: number,
  hostPort: number,
  path: string,
  extra: Partial<ContainerSpec> = {},
): ContainerSpec {
  return {
    name: `${id}-${component}`,
    component,
    image,
    ports: [{ containerPort, hostPort, hostIp: '127.0.0.1' }],
    volumes: [],
    binds: [],
    aliases: [],
    labels,
    restartPolicy: 'no',
    readiness: { path, containerPort },
    dependsOn: [],
    ...extra,
  };
}

async function up(s: ContainerSpec): Promise<void> {
  const rt = runtime!;
  for (const v of s.volumes) await rt.ensureVolume(v.volume, labels);
  await rt.createContainer(s, network);
  await rt.startContainer(s.name);
  await waitForHttp({
    url: readinessUrl(s)!,
    name: s.component,
    timeoutMs: 45_000,
    giveUpIf: async () =>
      (await rt.inspectContainer(s.name))?.running === false ? 'the container stopped' : undefined,
    diagnose: async () => (await rt.logs(s.name, { tail: 10 })).text,
  });
}

describe.skipIf(runtime === undefined)(`local images (${id})`, () => {
  const rt = runtime!;

  afterAll(async () => {
    for (const c of await rt.listContainers({ [LABELS.project]: id }))
      await rt.removeContainer(c.id, { force: true, volumes: true });
    for (const v of await rt.listVolumes({ [LABELS.project]: id })) await rt.removeVolume(v.name);
    await rt.removeNetwork(network);
  });

  it('prometheus: default command, data in a named volume as nobody, API and web page', async () => {
    await rt.ensureNetwork(network, labels);
    const s = spec('prometheus', TEST_IMAGES.prometheus, 9090, await freePort(), '/-/ready', {
      volumes: [{ volume: `${id}-prometheus`, target: '/prometheus' }],
    });
    const base = `http://127.0.0.1:${s.ports[0]!.hostPort}`;
    await up(s);
    const build = (await (await fetch(`${base}/api/v1/status/buildinfo`)).json()) as {
      status: string;
      data: { version: string };
    };
    expect(build.status).toBe('success');
    expect(build.data.version).toMatch(new RegExp(`^${minorPattern(TESTED.prometheus)}`));
    const query = (await (await fetch(`${base}/api/v1/query?query=vector(1)`)).json()) as { status: string };
    expect(query.status).toBe('success');
    // Prometheus 3 redirects /graph to /query (Debian ships a placeholder page instead of the React UI).
    const graph = await fetch(`${base}/graph`);
    expect(graph.status).toBe(200);
    expect(await graph.text()).toContain('Prometheus');
    const who = await rt.exec(s.name, [
      'sh',
      '-c',
      'id -un; ls -d /prometheus/wal && promtool --version 2>&1 | head -n 1',
    ]);
    expect(who.exitCode).toBe(0);
    expect(who.stdout).toMatch(
      new RegExp(`^nobody\\n/prometheus/wal\\npromtool, version ${minorPattern(TESTED.prometheus)}`),
    );
  });

  it('alertmanager: default command, storage in a named volume, API v2, amtool', async () => {
    await rt.ensureNetwork(network, labels);
    const s = spec('alertmanager', TEST_IMAGES.alertmanager, 9093, await freePort(), '/-/ready', {
      volumes: [{ volume: `${id}-alertmanager`, target: '/alertmanager' }],
      cmd: [
        '--config.file=/etc/alertmanager/alertmanager.yml',
        '--storage.path=/alertmanager',
        '--cluster.listen-address=',
      ],
    });
    await up(s);
    const status = (await (await fetch(`http://127.0.0.1:${s.ports[0]!.hostPort}/api/v2/status`)).json()) as {
      config: { original: string };
      versionInfo: { version: string };
      cluster: { status: string };
    };
    expect(status.versionInfo.version).toMatch(new RegExp(`^${minorPattern(TESTED.alertmanager)}`));
    expect(status.cluster.status).toBe('disabled');
    expect(status.config.original).toContain('receiver: default');
    const amtool = await rt.exec(s.name, ['amtool', '--version']);
    expect(amtool.exitCode).toBe(0);
    expect(amtool.stdout + amtool.stderr).toMatch(new RegExp(`amtool, version ${minorPattern(TESTED.alertmanager)}`));
  });

  it('node-exporter: default entrypoint as nobody, answers /metrics with its version', async () => {
    await rt.ensureNetwork(network, labels);
    const s = spec('node-exporter', TEST_IMAGES.nodeExporter, 9100, await freePort(), '/metrics');
    await up(s);
    const metrics = await (await fetch(`http://127.0.0.1:${s.ports[0]!.hostPort}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`^node_exporter_build_info\\{[^}]*version="${minorPattern(TESTED.nodeExporter)}"[^}]*\\} 1$`, 'm'),
    );
    expect(metrics).toMatch(/^node_cpu_seconds_total\{/m);
    expect((await rt.exec(s.name, ['id', '-un'])).stdout).toBe('nobody\n');
  });

  it('blackbox-exporter: default command and example modules, answers /metrics and probes a target', async () => {
    await rt.ensureNetwork(network, labels);
    const s = spec('blackbox-exporter', TEST_IMAGES.blackboxExporter, 9115, await freePort(), '/metrics');
    await up(s);
    const base = `http://127.0.0.1:${s.ports[0]!.hostPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `^blackbox_exporter_build_info\\{[^}]*version="${minorPattern(TESTED.blackboxExporter)}"[^}]*\\} 1$`,
        'm',
      ),
    );
    expect(metrics).toMatch(/^blackbox_exporter_config_last_reload_successful 1$/m);
    // The official image's example configuration: an http_2xx probe of the exporter itself succeeds.
    const probe = await (await fetch(`${base}/probe?module=http_2xx&target=http://127.0.0.1:9115/metrics`)).text();
    expect(probe).toMatch(/^probe_success 1$/m);
    expect(probe).toMatch(/^probe_http_status_code 200$/m);
  });

  it('node: node 20 and npm run, as root by default, with the CA bundle, and build native modules', async () => {
    await rt.ensureNetwork(network, labels);
    const server = "require('node:http').createServer((q, s) => s.end(process.version)).listen(8080)";
    const s = spec('node', TEST_IMAGES.node, 8080, await freePort(), '/', { cmd: ['node', '-e', server] });
    await up(s);
    expect(await (await fetch(`http://127.0.0.1:${s.ports[0]!.hostPort}/`)).text()).toMatch(/^v20\./);
    const npm = await rt.exec(s.name, [
      'sh',
      '-c',
      'id -u; npm --version; test -s "$NODE_EXTRA_CA_CERTS" && echo ca-ok',
    ]);
    expect(npm.exitCode).toBe(0);
    expect(npm.stdout).toMatch(/^0\n\d+\.\d+\.\d+\nca-ok\n$/);

    // Native modules build offline, as better-sqlite3 does when no prebuilt binary can be fetched:
    // node-gyp with g++, make, python3 and node's headers (npm_config_nodedir).
    const dir = await mkdtemp(path.join(os.tmpdir(), `${id}-addon-`));
    try {
      await writeFile(
        path.join(dir, 'binding.gyp'),
        JSON.stringify({ targets: [{ target_name: 'hello', sources: ['hello.cc'] }] }),
      );
      await writeFile(
        path.join(dir, 'hello.cc'),
        [
          '#include <node_api.h>',
          '#include <string>',
          'static napi_value Hi(napi_env env, napi_callback_info) {',
          '  std::string text = "native ok";',
          '  napi_value s; napi_create_string_utf8(env, text.c_str(), text.size(), &s); return s;',
          '}',
          'NAPI_MODULE_INIT() {',
          '  napi_value fn; napi_create_function(env, nullptr, 0, Hi, nullptr, &fn);',
          '  napi_set_named_property(env, exports, "hi", fn); return exports;',
          '}',
          '',
        ].join('\n'),
      );
      await rt.exec(s.name, ['mkdir', '-p', '/tmp/addon']);
      await rt.putArchive(
        s.name,
        '/tmp/addon',
        Readable.from(createTar({ cwd: dir, portable: true }, ['binding.gyp', 'hello.cc'])),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const gyp = await rt.exec(
      s.name,
      [
        'sh',
        '-c',
        'cd /tmp/addon && node /usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js rebuild >/tmp/gyp.log 2>&1 || { tail -n 30 /tmp/gyp.log; exit 1; }; node -p "require(\'./build/Release/hello.node\').hi()"',
      ],
      { timeoutMs: 120_000 },
    );
    expect(gyp.stdout + gyp.stderr).toBe('native ok\n');
    expect(gyp.exitCode).toBe(0);
  }, 150_000);

  it('node-slim: node and npm only', async () => {
    await rt.ensureNetwork(network, labels);
    const s = spec('node-slim', TEST_IMAGES.nodeSlim, 8080, await freePort(), '/', {
      cmd: ['node', '-e', "require('node:http').createServer((q, s) => s.end('ok')).listen(8080)"],
    });
    await up(s);
    const tools = await rt.exec(s.name, [
      'sh',
      '-c',
      'npm --version >/dev/null && echo npm-ok; command -v g++ || echo no-compiler',
    ]);
    expect(tools.stdout).toBe('npm-ok\nno-compiler\n');
  });
});
