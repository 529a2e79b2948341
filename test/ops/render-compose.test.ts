/**
 * `wmon render --target compose`: the stack compose.yaml describes is the one `wmon init` creates. init runs on
 * the in-memory engine; each container it created (as the engine reports it: image, ports, mounts, labels,
 * user, read-only root) is compared with its service in compose.yaml, and the named volumes with the ones init
 * made.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { MemoryRuntime } from '../../src/adapters/runtime/memory-runtime.js';
import { LABELS, type ContainerSpec } from '../../src/core/model/container-types.js';
import { DNS_NAMES } from '../../src/core/model/stack.js';
import type { ComponentId } from '../../src/core/config/schema.js';
import { renderToDir } from '../../src/ops/render.js';
import { initStack } from '../../src/ops/up.js';
import { WmonError } from '../../src/errors.js';
import { memoryStack, UP } from '../support/memory-stack.js';
import { freePorts } from '../support/ports.js';

const WEBHOOK_IMAGE = 'registry.example.com/shop/webhook:1.4.2';
const BLACKBOX_IMAGE = 'docker.io/prom/blackbox-exporter:v0.27.0';

interface ComposeService {
  container_name: string;
  image: string;
  user?: string;
  read_only?: boolean;
  ports: Array<{ target: number; published: string; host_ip: string; protocol: string }>;
  volumes: Array<{ type: 'volume' | 'bind'; source: string; target: string; read_only?: boolean }>;
  labels: Record<string, string>;
  environment?: Record<string, string>;
  command?: string[];
  tmpfs?: string[];
  deploy?: { resources: { limits: { cpus?: string; memory?: string } } };
  depends_on?: Record<string, unknown>;
}
interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, { name: string; labels: Record<string, string> }>;
  networks: Record<string, { name: string }>;
}

/** The in-memory engine, keeping each container spec init hands it (limits, command and environment included). */
class RecordingRuntime extends MemoryRuntime {
  readonly specs = new Map<string, ContainerSpec>();
  override async createContainer(spec: ContainerSpec, network: string): Promise<string> {
    this.specs.set(spec.name, spec);
    return super.createContainer(spec, network);
  }
}

/** A stack with the webhook service (an image from a registry) and the blackbox exporter (its own user). */
async function stackWithService() {
  const runtime = new RecordingRuntime();
  const s = { ...(await memoryStack({ webhook: true, runtime })), runtime };
  const [web, internal, blackbox] = await freePorts(3);
  const base = await readFile(s.configFile, 'utf8');
  await writeFile(
    s.configFile,
    base
      .replace('webhook: {enabled: true}', `webhook: {image: ${WEBHOOK_IMAGE}, port: ${web}, metricsPort: ${internal}}`)
      .replace('blackboxExporter: {enabled: false}', `blackboxExporter: {image: ${BLACKBOX_IMAGE}, port: ${blackbox}}`),
  );
  s.runtime.addImage(WEBHOOK_IMAGE);
  s.runtime.addImage(BLACKBOX_IMAGE);
  return s;
}

describe('wmon render --target compose', () => {
  it('describes exactly the containers, volumes and network init creates', async () => {
    const s = await stackWithService();
    const ctx = await s.open();
    await initStack(ctx, UP);
    const out = path.join(s.dir, 'deploy', 'compose');
    const result = await renderToDir(await s.open(), out, 'compose');
    expect(result.target).toBe('compose');
    expect(result.files.map((f) => f.path)).toContain('compose.yaml');
    const compose = parse(await readFile(path.join(out, 'compose.yaml'), 'utf8')) as ComposeFile;

    const project = ctx.stack.project;
    const created = await s.runtime.listContainers({ [LABELS.project]: project });
    expect(Object.keys(compose.services).sort()).toEqual(
      created.map((c) => DNS_NAMES[c.labels[LABELS.component] as ComponentId]).sort(),
    );
    expect(created.length).toBe(5);
    for (const summary of created) {
      const c = (await s.runtime.inspectContainer(summary.name))!;
      const service = compose.services[DNS_NAMES[c.component as ComponentId]]!;
      expect(service.container_name).toBe(c.name);
      expect(service.image).toBe(c.image);
      expect(service.user ?? '', c.name).toBe(c.user);
      expect(service.read_only ?? false, c.name).toBe(c.readOnlyRootfs);
      // Ports: the same bindings, on the addresses init used (loopback).
      expect(
        service.ports.map((p) => ({ containerPort: p.target, hostPort: Number(p.published), hostIp: p.host_ip })),
      ).toEqual(c.ports.map((p) => ({ containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp })));
      for (const p of service.ports) expect(p.host_ip).toBe('127.0.0.1');
      // Labels: init's, without the config hash (wmon's record of containers it created itself).
      const { [LABELS.configHash]: hash, ...labels } = c.labels;
      expect(hash).toMatch(/^[a-f0-9]{16}$/);
      expect(service.labels).toEqual(labels);
      // Mounts: the same named volumes; the rendered folders at the same place under the output folder as under
      // the stack directory; the secrets folders and host folders themselves.
      const asInit = (source: string) => {
        const abs = path.resolve(out, source);
        const rel = path.relative(out, abs);
        return rel.startsWith('..') || path.isAbsolute(rel) ? abs : path.join(ctx.stackDir, rel);
      };
      const composeMounts = service.volumes
        .map((v) => `${v.type} ${v.type === 'bind' ? asInit(v.source) : v.source} ${v.target}`)
        .sort();
      const initMounts = c.mounts
        .map((m) => `${m.type} ${m.type === 'bind' ? m.source : m.name} ${m.destination}`)
        .sort();
      expect(composeMounts, c.name).toEqual(initMounts);
      expect(initMounts.length).toBeGreaterThan(0);
      for (const v of service.volumes.filter((x) => x.type === 'bind')) expect(v.read_only).toBe(true);
      // What the engine was asked for beyond what it reports: command, environment, tmpfs, limits, start order.
      const spec = s.runtime.specs.get(c.name)!;
      expect(service.command ?? [], c.name).toEqual(spec.cmd ?? []);
      expect(service.environment ?? {}, c.name).toEqual(spec.env ?? {});
      expect(service.tmpfs ?? [], c.name).toEqual(Object.entries(spec.tmpfs ?? {}).map(([t, o]) => `${t}:${o}`));
      expect(service.deploy?.resources.limits, c.name).toEqual({
        cpus: String(spec.nanoCpus! / 1e9),
        memory: `${spec.memoryBytes}b`,
      });
      expect(Object.keys(service.depends_on ?? {}).sort(), c.name).toEqual(
        spec.dependsOn.map((d) => DNS_NAMES[d as ComponentId]).sort(),
      );
    }
    expect(s.runtime.specs.size).toBe(created.length);

    // The secrets are files, mounted from the stack directory: no value in compose.yaml.
    const webhook = compose.services.webhook!;
    expect(webhook.environment?.STRIPE_WEBHOOK_SECRET_FILE).toBe('/run/secrets/wmon/stripe_webhook_secret');
    const secret = (await readFile(path.join(ctx.stackDir, 'stripe-webhook-secret'), 'utf8')).trim();
    expect(await readFile(path.join(out, 'compose.yaml'), 'utf8')).not.toContain(secret);
    expect(webhook.tmpfs).toEqual(['/tmp:rw,noexec,nosuid,size=16m']);
    // The rendered files compose.yaml mounts are beside it.
    await expect(readFile(path.join(out, 'prometheus', 'prometheus.yml'), 'utf8')).resolves.toContain('scrape_configs');

    // Volumes and network: the names and labels init gave them.
    const volumes = await s.runtime.listVolumes({ [LABELS.project]: project });
    expect(Object.values(compose.volumes).map((v) => [v.name, v.labels])).toEqual(
      expect.arrayContaining(volumes.map((v) => [v.name, v.labels])),
    );
    expect(Object.keys(compose.volumes).length).toBe(volumes.length);
    expect(Object.values(compose.networks).map((n) => n.name)).toEqual([ctx.stack.network]);
  });

  it('needs an output folder of its own', async () => {
    const s = await memoryStack();
    const ctx = await s.open();
    for (const out of [undefined, ctx.stackDir]) {
      const error = await renderToDir(ctx, out, 'compose').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WmonError);
      expect((error as WmonError).code).toBe('RENDER_OUT_REQUIRED');
    }
  });
});
