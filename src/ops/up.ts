import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { createAlertmanagerClient, createPrometheusClient } from '../adapters/clients/index.js';
import { loadConfig, type LoadedConfig } from '../core/config/load.js';
import type { ComponentId } from '../core/config/schema.js';
import { WmonError } from '../errors.js';
import { filesHash, renderStack, type RenderedFile } from '../core/render/index.js';
import { diffRenderedFiles, writeRenderedFiles } from '../adapters/stack-dir/files.js';
import type { InitResultJson, ImageResult } from '../results.js';
import {
  connectRuntime,
  ensureImage,
  LABELS,
  normalizeImageRef,
  type ContainerRuntime,
  type ContainerSpec,
  type EngineInfo,
} from '../adapters/runtime/index.js';
import { checkPorts, portConflictError, type PortHolder } from '../adapters/runtime/ports.js';
import { readinessUrl, waitForHttp } from '../adapters/runtime/readiness.js';
import { type Task, runTasks } from '../cli/reporters.js';
import { containerSpecs, stackLabels, volumeName } from '../core/model/containers.js';
import { stackGrafanaClient } from './grafana-access.js';
import { buildStack, type Stack } from '../core/model/stack.js';
import { isNoop, planContainers, type ComponentPlan, type ContainerPlan } from '../core/model/plan.js';
import { serviceBuild, SOURCE_HASH_LABEL } from './service-image.js';
import { materializeSecrets, type StackSecrets } from '../adapters/stack-dir/secrets.js';
import { appliedHashes, readState, writeState, type StackState } from '../adapters/stack-dir/state.js';
import { stackUrls } from './urls.js';

export interface InitOptions {
  readonly configFile: string;
  readonly dryRun: boolean;
  readonly keepOnFailure: boolean;
  /** Readiness deadline per component. */
  readonly timeoutMs: number;
  /** How progress is shown: listr2's renderer on a terminal, plain lines otherwise, nothing for --json. */
  readonly progress: 'tty' | 'lines' | 'silent';
  /** Template for a new wmon.yaml. */
  readonly templateFile: string;
  /** Create wmon.yaml from the template when it is absent (init: yes; update, restore: it must exist). Default true. */
  readonly createConfig?: boolean;
  /** Keep the old and new contents of every file the render changes (update shows them as a diff). */
  readonly collectDiff?: boolean;
}

/** A rendered file whose contents change: `before` is null for a new file, `after` null for a removed one. */
export interface FileChange {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
}

/**
 * `wmon init`: load (or create) wmon.yaml → render → plan → apply. Idempotent: what runs is compared
 * with what wmon.yaml renders (labels + config hash + files hash) and only the difference is done.
 */
export async function initStack(opts: InitOptions): Promise<InitResultJson> {
  const started = Date.now();
  const ctx = {} as StackRun;
  await runTasks(stackTasks(opts), ctx, opts.progress);
  return stackResult(ctx, opts, started);
}

/**
 * The steps every command that brings the stack to what wmon.yaml says goes through (init, update, reset,
 * restore): load, render, secrets, engine, host ports, images, plan, and (unless a dry run) apply and wait
 * until ready. Commands add their own steps before or after these, on a context that extends StackRun.
 */
export function stackTasks(opts: InitOptions): Task<StackRun>[] {
  const tasks: Task<StackRun>[] = [
    {
      title: 'Load wmon.yaml',
      run: async (c, t) => {
        const create = opts.createConfig ?? true;
        c.loaded = await loadConfig(opts.configFile, { allowMissing: create });
        c.configCreated = false;
        if (!c.loaded.exists && !opts.dryRun) {
          await mkdir(path.dirname(c.loaded.file), { recursive: true });
          await copyFile(opts.templateFile, c.loaded.file);
          c.configCreated = true;
          c.loaded = await loadConfig(opts.configFile);
          t.output(`created ${c.loaded.file} with the defaults`);
        }
        c.stack = buildStack(c.loaded.config);
        c.stackDir = path.resolve(c.loaded.dir, c.loaded.config.stackDir);
      },
    },
    {
      title: 'Render the configuration',
      run: async (c) => {
        const rendered = renderStack(c.loaded.config);
        c.files = rendered.files;
        c.warnings = [...rendered.warnings];
        if (opts.collectDiff) c.fileChanges = await fileChanges(c.stackDir, rendered.files);
        const statuses = opts.dryRun
          ? await diffRenderedFiles(c.stackDir, rendered.files)
          : await writeRenderedFiles(c.stackDir, rendered.files);
        c.fileResults = rendered.files.map((f) => ({
          path: f.path,
          component: f.component,
          status: statuses.created.includes(f.path) ? 'created' : statuses.changed.includes(f.path) ? 'changed' : 'unchanged',
        }));
        c.removedFiles = [...statuses.removed];
        if (!opts.dryRun) c.secrets = await materializeSecrets(c.loaded, c.stackDir);
      },
    },
    {
      title: 'Connect to the container engine',
      run: async (c, t) => {
        try {
          c.runtime = await connectRuntime();
          c.engine = c.runtime.engine;
          t.output(`${c.engine.name} ${c.engine.version} (${c.engine.address})`);
        } catch (error) {
          if (!opts.dryRun) throw error;
          c.warnings.push(`No container engine answers, so the plan assumes nothing runs yet: ${(error as Error).message.split('\n')[0]}`);
        }
      },
    },
    {
      title: 'Check host ports',
      run: async (c) => checkHostPorts(c),
    },
    {
      title: 'Images',
      run: async (c, t) => {
        c.images = await prepareImages(c, opts, (line) => t.output(line));
      },
    },
    {
      title: 'Plan',
      run: async (c) => {
        c.state = await readState(c.stackDir);
        const imageIds = Object.fromEntries(c.images.filter((i) => i.id).map((i) => [i.ref, i.id!]));
        c.specs = containerSpecs(c.stack, {
          stackDir: c.stackDir,
          secretMounts: c.secrets?.mounts ?? defaultSecretMounts(c),
          imageIds,
        });
        const current = c.runtime ? await c.runtime.listContainers({ [LABELS.project]: c.stack.project }) : [];
        c.hashes = Object.fromEntries(c.stack.components.map((m) => [m.id, filesHash(c.files, m.id)])) as Record<ComponentId, string>;
        c.plan = planContainers({ specs: c.specs, current, filesHashes: c.hashes, appliedFilesHashes: appliedHashes(c.state), imageIds });
      },
    },
  ];
  if (!opts.dryRun) {
    tasks.push({
      title: 'Apply',
      skip: (c) => (isNoop(c.plan) ? 'nothing changed' : false),
      run: async (c, t) => applyPlan(c, opts, (line) => t.output(line)),
    });
    tasks.push({
      title: 'Wait until every component is ready',
      run: async (c, t) => waitAllReady(c, opts, (line) => t.output(line)),
    });
  }
  return tasks;
}

/** What a run of stackTasks did (or, in a dry run, would do), as `wmon init --json` shows it. */
export async function stackResult(ctx: StackRun, opts: Pick<InitOptions, 'dryRun'>, started: number): Promise<InitResultJson> {
  const urls = await stackUrls(ctx.loaded, { showCredentials: false });
  return {
    configFile: ctx.loaded.file,
    configCreated: ctx.configCreated,
    stackDir: ctx.stackDir,
    dryRun: opts.dryRun,
    engine: ctx.engine ? { name: ctx.engine.name, version: ctx.engine.version, address: ctx.engine.address } : null,
    changed: !isNoop(ctx.plan) || ctx.fileResults.some((f) => f.status !== 'unchanged') || ctx.removedFiles.length > 0,
    files: ctx.fileResults,
    removedFiles: ctx.removedFiles,
    images: ctx.images.map(({ ref, action }) => ({ ref, action })),
    containers: ctx.plan.components.map((p) => ({ component: p.component, container: p.container, image: p.image, action: p.action, reason: p.reason })),
    removedContainers: ctx.plan.remove.map((r) => ({ container: r.container, component: r.component, reason: r.reason })),
    urls: urls.components,
    credentials: urls.credentials,
    warnings: ctx.warnings,
    durationMs: Date.now() - started,
  };
}

/** Old and new contents of each file the render would create, change or remove (read before writing). */
async function fileChanges(stackDir: string, files: readonly RenderedFile[]): Promise<FileChange[]> {
  const diff = await diffRenderedFiles(stackDir, files);
  const read = (p: string) => readFile(path.join(stackDir, ...p.split('/')), 'utf8').catch(() => null);
  const changes: FileChange[] = [];
  for (const f of files) {
    if (diff.unchanged.includes(f.path)) continue;
    changes.push({ path: f.path, before: diff.created.includes(f.path) ? null : await read(f.path), after: f.contents });
  }
  for (const p of diff.removed) changes.push({ path: p, before: await read(p), after: null });
  return changes;
}

/** What the stack steps know and decide, shared with the commands that build on them. */
export interface StackRun {
  loaded: LoadedConfig;
  configCreated: boolean;
  stack: Stack;
  stackDir: string;
  files: readonly RenderedFile[];
  fileResults: InitResultJson['files'];
  removedFiles: string[];
  warnings: string[];
  secrets?: StackSecrets;
  runtime?: ContainerRuntime;
  engine?: EngineInfo;
  images: Array<ImageResult & { id?: string }>;
  state: StackState;
  specs: ContainerSpec[];
  hashes: Record<ComponentId, string>;
  plan: ContainerPlan;
  /** With collectDiff: the files the render changes, old and new. */
  fileChanges?: FileChange[];
}

/** In a dry run nothing is written; the plan uses the folders that init would create. */
function defaultSecretMounts(c: StackRun): StackSecrets['mounts'] {
  const mounts: StackSecrets['mounts'] = {};
  for (const m of c.stack.components) if (m.secretsTarget) mounts[m.id] = path.join(c.stackDir, 'secrets', m.id);
  return mounts;
}

/** Inspect every image; pull what is missing (by pullPolicy); build the bundled service when its sources changed. */
async function prepareImages(c: StackRun, opts: InitOptions, say: (line: string) => void): Promise<StackRun['images']> {
  const results: StackRun['images'] = [];
  const policy = c.loaded.config.pullPolicy;
  for (const m of c.stack.components) {
    const ref = normalizeImageRef(m.image);
    if (results.some((r) => r.ref === ref)) continue;
    const info = c.runtime ? await c.runtime.inspectImage(ref) : null;
    if (m.id === 'webhook' && ref.startsWith('localhost/')) {
      const build = await serviceBuild(c.loaded);
      const upToDate = info?.labels[SOURCE_HASH_LABEL] === build.sourceHash;
      if (upToDate || opts.dryRun || !c.runtime) {
        results.push({ ref, action: upToDate ? 'present' : 'build', ...(info ? { id: info.id } : {}) });
        continue;
      }
      for (const base of [build.buildArgs.BUILD_IMAGE, build.buildArgs.BASE_IMAGE]) {
        if (base) await ensureImage(c.runtime, base, policy, (e) => say(`${base}: ${e.status}`));
      }
      say(`building ${ref} from ${build.contextDir}/service`);
      const { imageId } = await c.runtime.buildImage(
        {
          context: { dir: build.contextDir, paths: build.paths },
          dockerfile: build.dockerfile,
          tag: ref,
          buildArgs: build.buildArgs,
          labels: { [SOURCE_HASH_LABEL]: build.sourceHash, ...stackLabels(c.stack) },
        },
        (e) => say(e.status),
      );
      results.push({ ref, action: 'built', id: imageId });
      continue;
    }
    if (info && policy !== 'always') {
      results.push({ ref, action: 'present', id: info.id });
      continue;
    }
    if (opts.dryRun || !c.runtime) {
      results.push({ ref, action: policy === 'never' && !info ? 'missing' : 'pull', ...(info ? { id: info.id } : {}) });
      continue;
    }
    const outcome = await ensureImage(c.runtime, ref, policy, (e) =>
      say(`${ref}: ${e.status}${e.total ? ` ${Math.round(((e.current ?? 0) / e.total) * 100)}%` : ''}`),
    );
    const after = await c.runtime.inspectImage(ref);
    results.push({ ref, action: outcome === 'pulled' ? 'pulled' : 'present', ...(after ? { id: after.id } : {}) });
  }
  return results;
}

/**
 * Every host port the stack publishes must be free, or published by this project's own containers (kept
 * or replaced). Checked before any image is pulled or built and before anything is created; refuses
 * naming the port, the component and who holds it.
 */
async function checkHostPorts(c: StackRun): Promise<void> {
  const requests = c.stack.components.flatMap((m) => m.ports.map((p) => ({ port: p.hostPort, host: p.hostIp, component: m.id })));
  const runtime = c.runtime;
  const checks = await checkPorts(requests, runtime ? { publishingContainers: () => runtime.listPublishingContainers() } : {});
  const isOurs = (h: PortHolder) => h.kind === 'container' && h.labels[LABELS.project] === c.stack.project;
  const error = portConflictError(checks, isOurs);
  if (error) throw error;
}

/** Create what is missing, replace what changed, in dependency order; undo this run's containers on failure. */
async function applyPlan(c: StackRun, opts: InitOptions, say: (line: string) => void): Promise<void> {
  const runtime = need(c.runtime);
  const labels = stackLabels(c.stack);
  // What this run creates, so a failure can take exactly that back (nothing that existed before).
  const created = { containers: [] as string[], volumes: [] as string[], network: false };
  try {
    created.network = (await runtime.ensureNetwork(c.stack.network, labels)).created;
    for (const m of c.stack.components) {
      for (const v of m.volumes) {
        const name = volumeName(c.stack, v.name);
        if ((await runtime.ensureVolume(name, stackLabels(c.stack, m.id))).created) created.volumes.push(name);
      }
    }
    for (const r of c.plan.remove) {
      say(`removing ${r.container} (${r.reason})`);
      await runtime.removeContainer(r.id, { force: true });
    }
    for (const p of c.plan.components) {
      const spec = c.specs.find((s) => s.component === p.component)!;
      await applyOne(runtime, c, p, spec, say, created.containers, opts);
    }
  } catch (error) {
    if (!opts.keepOnFailure) {
      const undone: string[] = [];
      const left: string[] = [];
      const undo = async (what: string, remove: () => Promise<unknown>) => {
        // A container that has just exited can refuse removal for a moment (the engine is still tidying
        // up after it): retry briefly, and say what could not be removed rather than hide it.
        for (let attempt = 1; ; attempt++) {
          try {
            await remove();
            undone.push(what);
            return;
          } catch (removeError) {
            if (attempt >= 10) {
              left.push(`${what} (${(removeError as Error).message.split('\n')[0]})`);
              return;
            }
            await new Promise((r) => setTimeout(r, 300 * attempt));
          }
        }
      };
      for (const name of created.containers.reverse()) {
        await undo(name, async () => {
          await runtime.removeContainer(name, { force: true });
          if ((await runtime.inspectContainer(name)) !== null) throw new Error('the engine still lists it');
        });
      }
      for (const name of created.volumes) await undo(name, () => runtime.removeVolume(name));
      if (created.network) await undo(c.stack.network, () => runtime.removeNetwork(c.stack.network));
      if (undone.length > 0) say(`removed what this run created: ${undone.join(', ')}`);
      if (left.length > 0 && error instanceof WmonError) {
        throw new WmonError(`${error.message}\nCould not remove what this run created: ${left.join(', ')}`, {
          cause: error,
          code: error.code,
          suggestions: [...error.suggestions, 'Remove the leftovers with `wmon down`, or by hand.'],
        });
      }
    }
    throw error;
  }
}

async function applyOne(
  runtime: ContainerRuntime,
  c: StackRun,
  p: ComponentPlan,
  spec: ContainerSpec,
  say: (line: string) => void,
  created: string[],
  opts: InitOptions,
): Promise<void> {
  if (p.action === 'keep') return;
  if (p.action === 'recreate' || p.action === 'create') {
    if (p.action === 'recreate') {
      say(`${p.component}: recreating (${p.reason})`);
      await runtime.removeContainer(p.existingId!, { force: true });
    } else {
      say(`${p.component}: creating ${spec.name}`);
    }
    await runtime.createContainer(spec, c.stack.network);
    created.push(spec.name);
    await runtime.startContainer(spec.name);
  } else if (p.action === 'start') {
    say(`${p.component}: starting`);
    await runtime.startContainer(spec.name);
  } else if (p.action === 'restart') {
    say(`${p.component}: restarting (${p.reason})`);
    await runtime.restartContainer(spec.name);
  } else {
    say(`${p.component}: reloading its configuration`);
    await reloadComponent(c, p.component);
  }
  await waitReady(runtime, spec, opts.timeoutMs);
  await recordApplied(c, p.component);
}

/**
 * Make a running component pick up its changed files without a restart: Prometheus and Alertmanager with
 * `POST /-/reload`, Grafana by re-reading its provisioning (data sources and dashboards) over its admin API.
 */
async function reloadComponent(c: StackRun, id: ComponentId): Promise<void> {
  const baseUrl = c.stack.components.find((m) => m.id === id)!.url;
  if (id === 'prometheus') await createPrometheusClient({ baseUrl }).reload();
  else if (id === 'alertmanager') await createAlertmanagerClient({ baseUrl }).reload();
  else if (id === 'grafana') {
    const grafana = (await stackGrafanaClient(c.loaded))!;
    await grafana.reloadProvisioning('datasources');
    await grafana.reloadProvisioning('dashboards');
  } else throw new Error(`${id} cannot reload its configuration`);
}

async function recordApplied(c: StackRun, id: ComponentId): Promise<void> {
  c.state = {
    version: 1,
    components: { ...c.state.components, [id]: { filesHash: c.hashes[id], appliedAt: new Date().toISOString() } },
  };
  await writeState(c.stackDir, c.state);
}

async function waitReady(runtime: ContainerRuntime, spec: ContainerSpec, timeoutMs: number): Promise<void> {
  const url = readinessUrl(spec);
  if (!url) return;
  await waitForHttp({
    url,
    name: spec.component,
    timeoutMs,
    ...(spec.readiness?.bodyIncludes ? { bodyIncludes: spec.readiness.bodyIncludes } : {}),
    giveUpIf: async () => {
      const d = await runtime.inspectContainer(spec.name);
      if (!d) return 'the container disappeared';
      if (!d.running && d.state !== 'created') return `the container ${d.state === 'exited' ? `exited with code ${d.exitCode}` : `is ${d.state}`}${d.error ? ` (${d.error})` : ''}`;
      return undefined;
    },
    diagnose: async () => {
      const logs = await runtime.logs(spec.name, { tail: 15 }).catch(() => undefined);
      return logs?.text.trim() ? `Last log lines of ${spec.name}:\n${indent(logs.text.trimEnd())}` : undefined;
    },
  });
}

/** Even components that were kept must answer: init only says "ready" when everything is. */
async function waitAllReady(c: StackRun, opts: InitOptions, say: (line: string) => void): Promise<void> {
  const runtime = need(c.runtime);
  for (const spec of c.specs) {
    await waitReady(runtime, spec, opts.timeoutMs);
    say(`${spec.component} ready`);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function need(runtime: ContainerRuntime | undefined): ContainerRuntime {
  if (!runtime) throw new WmonError('No container engine.', { code: 'ENGINE_UNAVAILABLE' });
  return runtime;
}
