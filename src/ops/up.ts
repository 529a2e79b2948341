/**
 * `wmon init`: render → secrets → engine → host ports → images → plan → apply → ready. Idempotent: what
 * runs is compared with what wmon.yaml renders (labels + config hash + files hash) and only the difference
 * is done. update, reset and restore bring the stack up through the same steps (`upSteps`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import type { ContainerRuntime } from '../adapters/runtime/container-runtime.js';
import { isLocalOnlyImage, normalizeImageRef } from '../adapters/runtime/image-ref.js';
import { NO_REGISTRY_ADVICE } from '../adapters/runtime/engine-error.js';
import { checkPorts, portConflictError, type PortHolder } from '../adapters/runtime/ports.js';
import { LABELS, type ContainerSpec, type EngineInfo } from '../core/model/container-types.js';
import { diffRenderedFiles, writeRenderedFiles } from '../adapters/stack-dir/files.js';
import { materializeSecrets, type StackSecrets } from '../adapters/stack-dir/secrets.js';
import { appliedHashes, readState, writeState, type StackState } from '../adapters/stack-dir/state.js';
import { requireGrafana, type StackContext } from '../context.js';
import { extraRuleFileName } from '../core/config/extensions.js';
import type { ComponentId } from '../core/config/schema.js';
import { containerName } from '../core/model/stack.js';
import { containerSpecs, stackLabels, volumeName } from '../core/model/containers.js';
import { isNoop, planContainers, type ComponentPlan, type ContainerPlan } from '../core/model/plan.js';
import { filesHash, type RenderedFile } from '../core/render/index.js';
import { WmonError } from '../errors.js';
import type { ImageResult, InitResultJson } from '../results.js';
import { assertSupportedImages } from '../core/model/versions.js';
import { prometheusPending, settledExpectation } from '../features/health/settled.js';
import { serviceBuild, SOURCE_HASH_LABEL, type ServiceBuild } from './service-image.js';
import { pipeline, silentReporter, type Pipeline, type Reporter, type StateOf, type Step } from './steps.js';
import { stackUrls } from './urls.js';
import { checkRunningVersion } from './versions.js';

export interface UpOptions {
  /** Plan only: write nothing, create nothing (an engine is used to see what runs, when one answers). */
  readonly dryRun: boolean;
  /** On failure, leave what this run created (for inspection). */
  readonly keepOnFailure: boolean;
  /** Readiness deadline per component. */
  readonly timeoutMs: number;
  /** Keep the old and new contents of every file the render changes (update shows them as a diff). */
  readonly collectDiff?: boolean;
}

/** A rendered file whose contents change: `before` is null for a new file, `after` null for a removed one. */
export interface FileChange {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** What every up step can read: the stack and the options. */
export interface UpInput {
  readonly ctx: StackContext;
  readonly opts: UpOptions;
}

/** An image as the images step leaves it: what was (or would be) done, and its id when known. */
export type PreparedImage = ImageResult & { readonly id?: string };

export interface Rendered {
  readonly files: readonly RenderedFile[];
  readonly fileResults: InitResultJson['files'];
  readonly removedFiles: readonly string[];
  readonly warnings: readonly string[];
  /** With collectDiff: the files the render changes, old and new. */
  readonly fileChanges: readonly FileChange[] | null;
}

/** Before anything is rendered, pulled or started: images older than wmon supports are refused. */
export const versionsStep: Step<UpInput, object> = {
  title: 'Check the images are versions wmon supports',
  async run({ ctx }) {
    assertSupportedImages(ctx.config, ctx.loaded.file);
    return {};
  },
};

/** Render every file into the stack directory (a dry run only compares). */
export const renderStep: Step<UpInput, Rendered> = {
  title: 'Render the configuration',
  async run({ ctx, opts }) {
    const rendered = ctx.rendered();
    const fileChanges = opts.collectDiff ? await readFileChanges(ctx.stackDir, rendered.files) : null;
    const statuses = opts.dryRun
      ? await diffRenderedFiles(ctx.stackDir, rendered.files)
      : await writeRenderedFiles(ctx.stackDir, rendered.files);
    const status = (p: string) =>
      statuses.created.includes(p) ? 'created' : statuses.changed.includes(p) ? 'changed' : 'unchanged';
    return {
      files: rendered.files,
      fileResults: rendered.files.map((f) => ({ path: f.path, component: f.component, status: status(f.path) })),
      removedFiles: [...statuses.removed],
      warnings: [...rendered.warnings],
      fileChanges,
    };
  },
};

/** Generate what can be generated, copy configured secrets, one folder per component (not in a dry run). */
export const secretsStep: Step<UpInput, { readonly secrets: StackSecrets | null }> = {
  title: 'Secrets',
  async run({ ctx, opts }, io) {
    if (opts.dryRun) {
      io.skip('dry run');
      return { secrets: null };
    }
    return { secrets: await materializeSecrets(ctx.loaded, ctx.stackDir) };
  },
};

export interface Engine {
  /** Null only in a dry run with no engine answering (the plan then assumes nothing runs). */
  readonly runtime: ContainerRuntime | null;
  readonly engine: EngineInfo | null;
  readonly warnings: readonly string[];
}

export const engineStep: Step<UpInput & { readonly warnings: readonly string[] }, Engine> = {
  title: 'Connect to the container engine',
  async run({ ctx, opts, warnings }, io) {
    try {
      const runtime = await ctx.runtime();
      io.output(`${runtime.engine.name} ${runtime.engine.version} (${runtime.engine.address})`);
      return { runtime, engine: runtime.engine, warnings };
    } catch (error) {
      if (!opts.dryRun) throw error;
      const why = (error as Error).message.split('\n')[0];
      return {
        runtime: null,
        engine: null,
        warnings: [...warnings, `No container engine answers, so the plan assumes nothing runs yet: ${why}`],
      };
    }
  },
};

/** Where Prometheus's rendered folder is mounted in its container (prometheus.yml, rules/). */
const PROMETHEUS_CONFIG_MOUNT = '/etc/prometheus';

/**
 * Your rule files (alerts.extraRuleFiles), checked by promtool before Prometheus is asked to load them: the
 * promtool of the running Prometheus's own image, run in its container, where the rendered folder is mounted
 * (type errors that the PromQL grammar cannot see, e.g. rate() of an instant vector). Before the first start
 * there is no container yet: Prometheus checks them itself when it starts, and its log names the file.
 */
export const extraRulesStep: Step<UpInput & Engine & Rendered, object> = {
  title: 'Check your rule files with promtool',
  async run({ ctx, opts, runtime }, io) {
    const extra = ctx.config.alerts.extraRuleFiles.map((rel) => {
      const source = path.resolve(ctx.loaded.dir, rel);
      return { source, file: `${PROMETHEUS_CONFIG_MOUNT}/${extraRuleFileName(source)}` };
    });
    const prom = ctx.component('prometheus');
    if (extra.length === 0 || !prom) {
      io.skip('no alerts.extraRuleFiles');
      return {};
    }
    const name = containerName(ctx.stack, prom);
    const running = runtime && !opts.dryRun ? await runtime.inspectContainer(name) : null;
    if (!runtime || !running?.running) {
      io.skip('Prometheus is not running yet: it checks them when it starts');
      return {};
    }
    const r = await runtime.exec(name, ['promtool', 'check', 'rules', ...extra.map((e) => e.file)], {
      timeoutMs: 60_000,
    });
    if (r.exitCode !== 0) {
      // promtool names each file by its path in the container: shown with the user's own path.
      let output = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(0, 20).join('\n');
      for (const e of extra) output = output.replaceAll(e.file, e.source);
      throw new WmonError(
        `alerts.extraRuleFiles: promtool (in the Prometheus container) refuses a rule file:\n${output}`,
        {
          code: 'EXTENSION_INVALID',
          suggestions: ['Fix the rule file, then run the command again (the running Prometheus keeps its rules).'],
        },
      );
    }
    io.output(`promtool: ${extra.length} rule file(s) checked`);
    return {};
  },
};

/**
 * Every host port the stack publishes must be free, or published by this project's own containers (kept
 * or replaced). Checked before any image is pulled or built and before anything is created; refuses
 * naming the port, the component and who holds it.
 */
export const portsStep: Step<UpInput & Engine, object> = {
  title: 'Check host ports',
  async run({ ctx, runtime }) {
    const requests = ctx.stack.components.flatMap((m) =>
      // TCP ports only: the one UDP port (Alertmanager's gossip) shares its number with a TCP one checked here.
      m.ports.filter((p) => p.protocol !== 'udp').map((p) => ({ port: p.hostPort, host: p.hostIp, component: m.id })),
    );
    const checks = await checkPorts(
      requests,
      runtime ? { publishingContainers: () => runtime.listPublishingContainers() } : {},
    );
    const isOurs = (h: PortHolder) => h.kind === 'container' && h.labels[LABELS.project] === ctx.stack.project;
    const error = portConflictError(checks, isOurs);
    if (error) throw error;
    return {};
  },
};

/** An image the stack needs, and the wmon.yaml key that names it. */
interface NeededImage {
  readonly ref: string;
  readonly key: string;
  readonly component: ComponentId;
}

/** Why an image cannot be had, by its wmon.yaml key. */
interface Unavailable extends NeededImage {
  readonly why: string;
}

/**
 * Every image first: inspect them all, pull what is missing (by pullPolicy, in parallel), and refuse once,
 * listing every image that cannot be had by its wmon.yaml key, before anything is built or created. Then
 * build the bundled service when its sources changed.
 */
export const imagesStep: Step<UpInput & Engine, { readonly images: readonly PreparedImage[] }> = {
  title: 'Images',
  async run({ ctx, opts, runtime }, io) {
    const policy = ctx.config.pullPolicy;
    const needed: NeededImage[] = [];
    let build = null as { ref: string; service: ServiceBuild } | null;
    const upToDate = new Map<string, string>();
    for (const m of ctx.stack.components) {
      const ref = normalizeImageRef(m.image);
      if (needed.some((n) => n.ref === ref) || build?.ref === ref) continue;
      if (m.id === 'webhook' && ref.startsWith('localhost/')) {
        const service = await serviceBuild(ctx.loaded);
        const info = runtime ? await runtime.inspectImage(ref) : null;
        if (info && info.labels[SOURCE_HASH_LABEL] === service.sourceHash) upToDate.set(ref, info.id);
        else {
          build = { ref, service };
          const keys = { BUILD_IMAGE: 'service.build.builderImage', BASE_IMAGE: 'service.build.baseImage' };
          for (const [arg, key] of Object.entries(keys)) {
            const base = service.buildArgs[arg];
            if (base && !needed.some((n) => n.ref === normalizeImageRef(base)))
              needed.push({ ref: normalizeImageRef(base), key, component: m.id });
          }
        }
        continue;
      }
      needed.push({ ref, key: `components.${m.id}.image`, component: m.id });
    }

    // Inspect everything at once; what is absent is pulled (when allowed) or cannot be had.
    const infos = await Promise.all(needed.map(async (n) => (runtime ? await runtime.inspectImage(n.ref) : null)));
    const local = (ref: string) => isLocalOnlyImage(ref);
    const plan = needed.map((n, i) => {
      const info = infos[i] ?? null;
      const action: 'present' | 'pull' | 'missing' =
        info && (policy !== 'always' || local(n.ref))
          ? 'present'
          : !info && (policy === 'never' || local(n.ref))
            ? 'missing'
            : 'pull';
      return { ...n, info, action };
    });
    const results = (): PreparedImage[] => [
      ...plan.map((p) => ({ ref: p.ref, key: p.key, action: p.action, ...(p.info ? { id: p.info.id } : {}) })),
      ...[...upToDate].map(([ref, id]) => ({ ref, key: 'components.webhook.image', action: 'present' as const, id })),
      ...(build ? [{ ref: build.ref, key: 'components.webhook.image', action: 'build' as const }] : []),
    ];
    if (opts.dryRun || !runtime) return { images: results() };

    const unavailable: Unavailable[] = plan
      .filter((p) => p.action === 'missing')
      .map((p) => ({
        ...p,
        why: local(p.ref)
          ? 'not present (a localhost/ image is built, not pulled)'
          : 'not present, and pullPolicy is never',
      }));
    const pulls = plan.filter((p) => p.action === 'pull');
    if (pulls.length > 0) io.output(`pulling ${pulls.map((p) => p.ref).join(', ')}`);
    const pulled = await Promise.all(
      pulls.map(async (p) => {
        try {
          await runtime.pullImage(p.ref, (e) =>
            io.output(`${p.ref}: ${e.status}${e.total ? ` ${Math.round(((e.current ?? 0) / e.total) * 100)}%` : ''}`),
          );
          const after = await runtime.inspectImage(p.ref);
          return { ref: p.ref, key: p.key, action: 'pulled' as const, ...(after ? { id: after.id } : {}) };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const detail = message.split('\n')[0]!.replace(/^Container engine: could not pull image \S+: /, '');
          unavailable.push({ ...p, why: `cannot be pulled: ${detail}` });
          return null;
        }
      }),
    );
    if (unavailable.length > 0) throw imagesUnavailableError(unavailable, ctx.loaded.file);

    const images: PreparedImage[] = plan.map((p) => {
      const done = pulled.find((x) => x?.ref === p.ref);
      return done ?? { ref: p.ref, key: p.key, action: 'present', ...(p.info ? { id: p.info.id } : {}) };
    });
    for (const [ref, id] of upToDate) images.push({ ref, key: 'components.webhook.image', action: 'present', id });
    if (build) {
      io.output(`building ${build.ref} from ${build.service.contextDir}/service`);
      const { imageId } = await runtime.buildImage(
        {
          context: { dir: build.service.contextDir, paths: build.service.paths },
          dockerfile: build.service.dockerfile,
          tag: build.ref,
          buildArgs: build.service.buildArgs,
          labels: { [SOURCE_HASH_LABEL]: build.service.sourceHash, ...stackLabels(ctx.stack) },
        },
        (e) => io.output(e.status),
      );
      images.push({ ref: build.ref, key: 'components.webhook.image', action: 'built', id: imageId });
    }
    io.output(imagesSummary(images));
    return { images };
  },
};

/** `4 present, 1 pulled, 1 built`: the images step's last line (a log shows only that line of a build). */
function imagesSummary(images: readonly PreparedImage[]): string {
  const counts = new Map<string, number>();
  for (const i of images) counts.set(i.action, (counts.get(i.action) ?? 0) + 1);
  return `images: ${[...counts].map(([action, n]) => `${n} ${action}`).join(', ')}`;
}

/** One refusal for every image that cannot be had: its wmon.yaml key, why, and both ways out. */
export function imagesUnavailableError(all: readonly Unavailable[], file: string): WmonError {
  const unavailable = [...all].sort((a, b) => a.key.localeCompare(b.key));
  const n = unavailable.length;
  const lines = unavailable.map((u) => `  ${u.key}: ${u.ref} ${u.why}`);
  const off = [...new Set(unavailable.map((u) => `components.${u.component}.enabled: false`))];
  return new WmonError(
    `${n === 1 ? '1 image' : `${n} images`} the stack needs cannot be had, so nothing was built or created:\n${lines.join('\n')}`,
    {
      code: 'IMAGE_MISSING',
      suggestions: [
        `Set ${n === 1 ? 'that key' : 'each key'} in ${file} to an image this machine has (\`docker images\`) or can pull, or pull or load the image yourself (\`docker pull\`, \`docker load\`).`,
        `Or switch what needs it off in ${file}: ${off.join(', ')}.`,
        NO_REGISTRY_ADVICE,
      ],
    },
  );
}

export interface Planned {
  readonly state: StackState;
  readonly specs: readonly ContainerSpec[];
  /** Each component's rendered-files hash now. */
  readonly hashes: Readonly<Record<ComponentId, string>>;
  readonly plan: ContainerPlan;
}

/** What to create, recreate, start, reload, restart or keep: what runs compared with what is wanted. */
export const planStep: Step<
  UpInput &
    Engine &
    Pick<Rendered, 'files'> & { readonly secrets: StackSecrets | null; readonly images: readonly PreparedImage[] },
  Planned
> = {
  title: 'Plan',
  async run({ ctx, runtime, files, secrets, images }) {
    const state = await readState(ctx.stackDir);
    const imageIds = Object.fromEntries(images.flatMap((i) => (i.id ? [[i.ref, i.id]] : [])));
    const specs = containerSpecs(ctx.stack, {
      stackDir: ctx.stackDir,
      secretMounts: secrets?.mounts ?? defaultSecretMounts(ctx),
      imageIds,
      ...withAuth(ctx.webAuth()),
      ...withTls(ctx.webTls()),
    });
    const current = runtime ? await runtime.listContainers({ [LABELS.project]: ctx.stack.project }) : [];
    const hashes = Object.fromEntries(ctx.stack.components.map((m) => [m.id, filesHash(files, m.id)])) as Record<
      ComponentId,
      string
    >;
    const plan = planContainers({
      specs,
      current,
      filesHashes: hashes,
      appliedFilesHashes: appliedHashes(state),
      imageIds,
    });
    return { state, specs, hashes, plan };
  },
};

/** Create what is missing, replace what changed, in dependency order; undo this run's creations on failure. */
export const applyStep: Step<UpInput & Engine & Planned, { readonly state: StackState }> = {
  title: 'Apply',
  async run(s, io) {
    if (isNoop(s.plan)) {
      io.skip('nothing changed');
      return { state: s.state };
    }
    const runtime = need(s.runtime);
    const { ctx } = s;
    const labels = stackLabels(ctx.stack);
    // What this run creates, so a failure can take exactly that back (nothing that existed before).
    const created = { containers: [] as string[], volumes: [] as string[], network: false };
    let state = s.state;
    try {
      created.network = (await runtime.ensureNetwork(ctx.stack.network, labels)).created;
      for (const m of ctx.stack.components) {
        for (const v of m.volumes) {
          const name = volumeName(ctx.stack, v.name);
          if ((await runtime.ensureVolume(name, stackLabels(ctx.stack, m.id))).created) created.volumes.push(name);
        }
      }
      for (const r of s.plan.remove) {
        io.output(`removing ${r.container} (${r.reason})`);
        await runtime.removeContainer(r.id, { force: true });
      }
      for (const p of s.plan.components) {
        if (p.action === 'keep') continue;
        const spec = s.specs.find((x) => x.component === p.component)!;
        await applyOne(runtime, ctx, p, spec, (line) => io.output(line), created.containers);
        await ctx.deps.waitReady(runtime, spec, s.opts.timeoutMs);
        // What the tag may not say (latest, a digest, another image name), the running component does.
        await checkRunningVersion(
          p.component,
          ctx.require(p.component).url,
          `${spec.name} (${spec.image})`,
          ctx.deps.clients,
          spec.readiness?.basicAuth,
          spec.readiness?.tls,
        );
        state = {
          version: 1,
          components: {
            ...state.components,
            [p.component]: { filesHash: s.hashes[p.component], appliedAt: new Date().toISOString() },
          },
        };
        await writeState(ctx.stackDir, state);
      }
    } catch (error) {
      if (!s.opts.keepOnFailure) await undoCreated(runtime, ctx, created, error, (line) => io.output(line));
      throw error;
    }
    return { state };
  },
};

/** Even components that were kept must answer: init only says "ready" when everything is. */
export const readyStep: Step<UpInput & Engine & Pick<Planned, 'specs'>, object> = {
  title: 'Wait until every component is ready',
  async run({ ctx, opts, runtime, specs }, io) {
    const rt = need(runtime);
    for (const spec of specs) {
      await ctx.deps.waitReady(rt, spec, opts.timeoutMs);
      io.output(`${spec.component} ready`);
    }
    return {};
  },
};

/**
 * Answering is not ready: Prometheus discovers its targets and Alertmanager, and loads its rules, a few seconds
 * after it starts or reloads. The stack is up when Prometheus has loaded the rules wmon.yaml renders, scraped
 * every target once (each up) and knows Alertmanager, so that what the user runs next sees it as it is.
 */
export const settledStep: Step<UpInput, object> = {
  title: 'Wait until Prometheus has loaded its rules, scraped every target and knows Alertmanager',
  async run({ ctx, opts }, io) {
    const prom = ctx.clients.prometheus;
    if (!prom) {
      io.skip('Prometheus is switched off');
      return {};
    }
    const want = settledExpectation(ctx.config, ctx.rendered());
    await ctx.deps.waitSettled(() => prometheusPending(prom, want), {
      name: 'Prometheus',
      timeoutMs: opts.timeoutMs,
      onPending: (pending) =>
        io.output(`waiting: ${pending[0]}${pending.length > 1 ? ` (+${pending.length - 1})` : ''}`),
    });
    io.output(`${want.jobs.length} targets scraped, ${want.rules.groups.length} rule groups loaded`);
    return {};
  },
};

/** The up steps after `p`, through the plan (where a dry run stops): `p`'s state has what they read. */
export function thenPlan<In extends object, S extends UpInput>(p: Pipeline<In, S>) {
  return p
    .then(versionsStep)
    .then(renderStep)
    .then(secretsStep)
    .then(engineStep)
    .then(extraRulesStep)
    .then(portsStep)
    .then(imagesStep)
    .then(planStep);
}

/** Every up step after `p`: plan, apply, and wait until every component is ready. */
export function thenUp<In extends object, S extends UpInput>(p: Pipeline<In, S>) {
  return thenPlan(p).then(applyStep).then(readyStep).then(settledStep);
}

/** What the up steps know at the end: the render, the engine, the images, the plan and what was applied. */
export type UpState = StateOf<ReturnType<typeof thenPlan<UpInput, UpInput>>>;

/** The steps that bring the stack to what wmon.yaml says (a dry run stops after the plan). */
export function upSteps(dryRun: boolean): Pipeline<UpInput, UpState> {
  return dryRun ? thenPlan(pipeline<UpInput>()) : thenUp(pipeline<UpInput>());
}

/** `wmon init` (and the up part of update, reset and restore). */
export async function initStack(
  ctx: StackContext,
  opts: UpOptions,
  reporter: Reporter = silentReporter,
): Promise<InitResultJson> {
  const started = Date.now();
  const state = await upSteps(opts.dryRun).run({ ctx, opts }, reporter);
  return upResult(state, started);
}

/** What a run of the up steps did (or, in a dry run, would do), as `wmon init --json` shows it. */
export async function upResult(s: UpState, started: number): Promise<InitResultJson> {
  const { ctx } = s;
  const urls = await stackUrls(ctx, { showCredentials: false });
  return {
    configFile: ctx.loaded.file,
    configCreated: ctx.configCreated,
    stackDir: ctx.stackDir,
    dryRun: s.opts.dryRun,
    engine: s.engine ? { name: s.engine.name, version: s.engine.version, address: s.engine.address } : null,
    changed: !isNoop(s.plan) || s.fileResults.some((f) => f.status !== 'unchanged') || s.removedFiles.length > 0,
    files: s.fileResults,
    removedFiles: [...s.removedFiles],
    images: s.images.map(({ ref, action, key }) => ({ ref, action, ...(key ? { key } : {}) })),
    containers: s.plan.components.map((p) => ({
      component: p.component,
      container: p.container,
      image: p.image,
      action: p.action,
      reason: p.reason,
      ...limitsOf(ctx, p.component),
    })),
    removedContainers: s.plan.remove.map((r) => ({ container: r.container, component: r.component, reason: r.reason })),
    urls: urls.components,
    credentials: urls.credentials,
    warnings: [...s.warnings],
    durationMs: Date.now() - started,
  };
}

/** A component's memory and CPU limits, as wmon.yaml gives them. */
function limitsOf(ctx: StackContext, id: ComponentId): { memory?: string; cpus?: number } {
  const m = ctx.component(id);
  return {
    ...(m?.memory === undefined ? {} : { memory: m.memory }),
    ...(m?.cpus === undefined ? {} : { cpus: m.cpus }),
  };
}

/** Old and new contents of each file the render would create, change or remove (read before writing). */
async function readFileChanges(stackDir: string, files: readonly RenderedFile[]): Promise<FileChange[]> {
  const diff = await diffRenderedFiles(stackDir, files);
  const read = (p: string) => readFile(path.join(stackDir, ...p.split('/')), 'utf8').catch(() => null);
  const changes: FileChange[] = [];
  for (const f of files) {
    if (diff.unchanged.includes(f.path)) continue;
    changes.push({
      path: f.path,
      before: diff.created.includes(f.path) ? null : await read(f.path),
      after: f.contents,
    });
  }
  for (const p of diff.removed) changes.push({ path: p, before: await read(p), after: null });
  return changes;
}

function withAuth(auth: ReturnType<StackContext['webAuth']>): { auth?: NonNullable<typeof auth> } {
  return auth ? { auth } : {};
}

function withTls(tls: ReturnType<StackContext['webTls']>): { tls?: NonNullable<typeof tls> } {
  return tls ? { tls } : {};
}

/** In a dry run nothing is written; the plan uses the folders that init would create. */
function defaultSecretMounts(ctx: StackContext): StackSecrets['mounts'] {
  const mounts: StackSecrets['mounts'] = {};
  for (const m of ctx.stack.components) if (m.secretsTarget) mounts[m.id] = path.join(ctx.stackDir, 'secrets', m.id);
  return mounts;
}

async function applyOne(
  runtime: ContainerRuntime,
  ctx: StackContext,
  p: ComponentPlan,
  spec: ContainerSpec,
  say: (line: string) => void,
  created: string[],
): Promise<void> {
  if (p.action === 'recreate' || p.action === 'create') {
    if (p.action === 'recreate') {
      say(`${p.component}: recreating (${p.reason})`);
      await runtime.removeContainer(p.existingId!, { force: true });
    } else {
      say(`${p.component}: creating ${spec.name}`);
    }
    await runtime.createContainer(spec, ctx.stack.network);
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
    await reloadComponent(ctx, p.component);
  }
}

/**
 * Make a running component pick up its changed files without a restart: Prometheus and Alertmanager with
 * `POST /-/reload`, Grafana by re-reading its provisioning (data sources and dashboards) over its admin API.
 */
async function reloadComponent(ctx: StackContext, id: ComponentId): Promise<void> {
  const { prometheus, alertmanager } = ctx.clients;
  if (id === 'prometheus' && prometheus) await prometheus.reload();
  else if (id === 'alertmanager' && alertmanager) await alertmanager.reload();
  else if (id === 'grafana') {
    const grafana = await requireGrafana(ctx);
    await grafana.reloadProvisioning('datasources');
    await grafana.reloadProvisioning('dashboards');
  } else throw new Error(`${id} cannot reload its configuration`);
}

/** Remove what this run created (never what existed before), newest first; say what could not be removed. */
async function undoCreated(
  runtime: ContainerRuntime,
  ctx: StackContext,
  created: { containers: string[]; volumes: string[]; network: boolean },
  cause: unknown,
  say: (line: string) => void,
): Promise<void> {
  const undone: string[] = [];
  const left: string[] = [];
  const undo = async (what: string, remove: () => Promise<unknown>) => {
    // A container that has just exited can refuse removal for a moment (the engine is still tidying up
    // after it): retry briefly, and say what could not be removed rather than hide it.
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
  for (const name of [...created.containers].reverse()) {
    await undo(name, async () => {
      await runtime.removeContainer(name, { force: true });
      if ((await runtime.inspectContainer(name)) !== null) throw new Error('the engine still lists it');
    });
  }
  for (const name of created.volumes) await undo(name, () => runtime.removeVolume(name));
  if (created.network) await undo(ctx.stack.network, () => runtime.removeNetwork(ctx.stack.network));
  if (undone.length > 0) say(`removed what this run created: ${undone.join(', ')}`);
  if (left.length > 0 && cause instanceof WmonError) {
    throw new WmonError(`${cause.message}\nCould not remove what this run created: ${left.join(', ')}`, {
      cause,
      code: cause.code,
      suggestions: [...cause.suggestions, 'Remove the leftovers with `wmon down`, or by hand.'],
    });
  }
}

function need(runtime: ContainerRuntime | null): ContainerRuntime {
  if (!runtime) throw new WmonError('No container engine.', { code: 'ENGINE_UNAVAILABLE' });
  return runtime;
}
