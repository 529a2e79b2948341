/**
 * `wmon images build`: for hosts that reach no image registry, the components' images built here from the
 * distribution's packages (scripts/engine/build-images.sh, shipped in the package), then recorded in
 * wmon.yaml. Prometheus, Alertmanager and Node Exporter come from Debian's packages at the versions pinned
 * in scripts/versions.env; the webhook service's base images from this machine's Node. Grafana, Loki and
 * Jaeger have no such source, so they are switched off. An image whose tag exists with the same inputs is
 * kept (the script labels each with a hash of its inputs), so running it again takes seconds.
 */
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';

import type { ContainerRuntime } from '../adapters/runtime/container-runtime.js';
import { runScript, ScriptError } from '../adapters/host/scripts.js';
import type { StackContext } from '../context.js';
import { applySettings, settingsYaml, type ConfigSetting } from '../core/config/edit.js';
import type { ComponentId } from '../core/config/schema.js';
import { TITLES } from '../core/model/stack.js';
import { WmonError } from '../errors.js';
import type { ImagesBuildResultJson, LocalImageResult } from '../results.js';
import { debianRootStep, type MachineInput } from './machine.js';
import { pipeline, silentReporter, type Pipeline, type Reporter, type Step } from './steps.js';

/** The components `wmon images build` has a local source for (webhook: its base images). */
export const LOCAL_IMAGE_COMPONENTS = [
  'prometheus',
  'alertmanager',
  'nodeExporter',
  'webhook',
  'blackboxExporter',
] as const;
export type LocalImageComponent = (typeof LOCAL_IMAGE_COMPONENTS)[number];

/** Components no distribution package makes an image of: switched off. */
export const NO_LOCAL_SOURCE = ['grafana', 'loki', 'jaeger'] as const satisfies readonly ComponentId[];

export const DEFAULT_REPOSITORY = 'localhost/wmon';

/** A first build fetches packages and, for the service's builder image, a C++ toolchain: minutes. */
const BUILD_TIMEOUT_MS = 30 * 60_000;

/** Each component's images in build-images.sh, and the wmon.yaml setting each image goes into. */
const RECIPES: Record<LocalImageComponent, { script: string; settings: Record<string, readonly string[]> }> = {
  prometheus: { script: 'prometheus', settings: { prometheus: ['components', 'prometheus', 'image'] } },
  alertmanager: { script: 'alertmanager', settings: { alertmanager: ['components', 'alertmanager', 'image'] } },
  nodeExporter: { script: 'node-exporter', settings: { 'node-exporter': ['components', 'nodeExporter', 'image'] } },
  blackboxExporter: {
    script: 'blackbox-exporter',
    settings: { 'blackbox-exporter': ['components', 'blackboxExporter', 'image'] },
  },
  webhook: {
    script: 'node',
    settings: {
      'node-full': ['service', 'build', 'builderImage'],
      'node-slim': ['service', 'build', 'baseImage'],
    },
  },
};

export interface ImagesBuildOptions {
  /** Default: those of LOCAL_IMAGE_COMPONENTS enabled in wmon.yaml. */
  readonly components?: readonly LocalImageComponent[];
  readonly repository?: string;
  /** Rebuild even when an image with the same inputs exists. */
  readonly force?: boolean;
  /** Print the settings instead of writing wmon.yaml. */
  readonly print?: boolean;
  /** The starter wmon.yaml, for when there is none yet. */
  readonly template: string;
}

interface BuildInput extends MachineInput {
  readonly ctx: StackContext;
  readonly opts: ImagesBuildOptions;
  readonly runScript?: typeof runScript;
}

export const imagesEngineStep: Step<BuildInput, { readonly runtime: ContainerRuntime }> = {
  title: 'Find the container engine',
  async run({ ctx }, io) {
    const runtime = await ctx.runtime();
    io.output(`${runtime.engine.name} ${runtime.engine.version} (${runtime.engine.address})`);
    return { runtime };
  },
};

/** One component's images, built (or found up to date) by build-images.sh, then seen by the engine. */
export function buildImagesStep(component: LocalImageComponent): Step<
  BuildInput & { readonly runtime: ContainerRuntime; readonly images: readonly LocalImageResult[] },
  {
    readonly images: readonly LocalImageResult[];
  }
> {
  const recipe = RECIPES[component];
  return {
    title: component === 'webhook' ? "Build the webhook service's base images" : `Build the ${TITLES[component]} image`,
    async run({ opts, runtime, images, runScript: run = runScript }, io) {
      const runs = new Map<string, string>();
      const cli = runtime.engine.name === 'Podman' ? 'podman' : 'docker';
      const env: Record<string, string> = {
        WMON_IMAGE_REPOSITORY: opts.repository ?? DEFAULT_REPOSITORY,
        WMON_ENGINE_CLI: cli,
        ...(cli === 'docker' ? { DOCKER_HOST: runtime.engine.address } : {}),
      };
      let stdout: string;
      try {
        ({ stdout } = await run('engine/build-images.sh', [...(opts.force ? ['--force'] : []), recipe.script], {
          env,
          timeoutMs: BUILD_TIMEOUT_MS,
          onLine: (line) => {
            const text = line.replace(/^images: /, '');
            const m = /^(\S+) runs (.+)$/.exec(text);
            if (m) runs.set(m[1]!, m[2]!);
            io.output(text);
          },
        }));
      } catch (error) {
        if (!(error instanceof ScriptError)) throw error;
        const tail = error.failure.kind === 'failed' ? `\n${error.failure.tail}` : '';
        throw new WmonError(
          `Building the ${TITLES[component]} image${component === 'webhook' ? "'s bases" : ''} failed: ${error.message}.${tail}`,
          {
            code: 'LOCAL_IMAGE_BUILD_FAILED',
            cause: error,
            suggestions: [
              "The lines above are the build's last: fix what they name (the Debian mirror unreachable, no space left) and run `wmon images build` again; it keeps what is built.",
            ],
          },
        );
      }
      const built: LocalImageResult[] = [];
      for (const line of stdout.split('\n')) {
        const [name, ref, status] = line.trim().split(/\s+/);
        if (name === undefined || ref === undefined || !(name in recipe.settings)) continue;
        if (status !== 'built' && status !== 'present') continue;
        const info = await runtime.inspectImage(ref);
        if (!info) {
          throw new WmonError(
            `${ref} was built, but the engine wmon uses (${runtime.engine.address}) does not have it.`,
            {
              code: 'LOCAL_IMAGE_BUILD_FAILED',
              suggestions: [
                `The build used the \`${cli}\` command: point it and wmon at the same engine (DOCKER_HOST), then run \`wmon images build\` again.`,
              ],
            },
          );
        }
        const version = runs.get(ref);
        built.push({ component, name, ref, status, id: info.id, ...(version === undefined ? {} : { runs: version }) });
      }
      const missing = Object.keys(recipe.settings).filter((n) => !built.some((b) => b.name === n));
      if (missing.length > 0) {
        throw new WmonError(
          `scripts/engine/build-images.sh did not report the image${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`,
          {
            code: 'LOCAL_IMAGE_BUILD_FAILED',
            suggestions: ['This is a bug in wmon (its script and its command disagree): please report it.'],
          },
        );
      }
      return { images: [...images, ...built] };
    },
  };
}

/** The wmon.yaml settings for the images, and the components switched off. */
export function imageSettings(images: readonly LocalImageResult[]): ConfigSetting[] {
  const settings: ConfigSetting[] = [];
  for (const image of images) {
    const setting = RECIPES[image.component as LocalImageComponent].settings[image.name];
    if (setting) settings.push({ path: setting, value: image.ref });
  }
  for (const id of NO_LOCAL_SOURCE) settings.push({ path: ['components', id, 'enabled'], value: false });
  return settings;
}

export const recordImagesStep: Step<
  BuildInput & { readonly images: readonly LocalImageResult[] },
  { readonly settings: readonly ConfigSetting[]; readonly written: boolean; readonly configCreated: boolean }
> = {
  title: 'Record the images in wmon.yaml',
  async run({ ctx, opts, images }, io) {
    const settings = imageSettings(images);
    if (opts.print) {
      io.skip('--print: the lines to add are printed below');
      return { settings, written: false, configCreated: false };
    }
    const file = ctx.loaded.file;
    const configCreated = !ctx.loaded.exists;
    try {
      if (configCreated) await copyFile(opts.template, file, constants.COPYFILE_EXCL);
      const text = await readFile(file, 'utf8');
      const edited = applySettings(file, text, settings);
      if (edited !== text) {
        // Written next to it and renamed over it: a crash leaves the old file or the new one, never half.
        const temp = path.join(path.dirname(file), `.${path.basename(file)}.wmon-${process.pid}`);
        await writeFile(temp, edited);
        await rename(temp, file);
      }
      io.output(`${configCreated ? 'created' : edited === text ? 'already set in' : 'updated'} ${file}`);
    } catch (error) {
      if (error instanceof WmonError) throw error;
      throw new WmonError(`${file} cannot be written: ${(error as Error).message}`, {
        code: 'CONFIG_WRITE_FAILED',
        cause: error,
        suggestions: ['Check the folder is writable, or use --print and add the lines yourself.'],
      });
    }
    return { settings, written: true, configCreated };
  },
};

/** The components to build: those asked for, else those of LOCAL_IMAGE_COMPONENTS enabled in wmon.yaml. */
export function componentsToBuild(
  ctx: StackContext,
  asked: readonly LocalImageComponent[] | undefined,
): LocalImageComponent[] {
  if (asked !== undefined && asked.length > 0) return LOCAL_IMAGE_COMPONENTS.filter((c) => asked.includes(c));
  return LOCAL_IMAGE_COMPONENTS.filter((c) => ctx.component(c) !== undefined);
}

export function imagesBuildPipeline(
  components: readonly LocalImageComponent[],
): Pipeline<
  BuildInput,
  BuildInput & { readonly runtime: ContainerRuntime; readonly images: readonly LocalImageResult[] }
> {
  let p = pipeline<BuildInput>()
    .then(
      debianRootStep(
        'wmon images build',
        'Elsewhere, pull the official images (the defaults in wmon.yaml) on a machine that reaches the registry and copy them over (`docker save` / `docker load`).',
      ),
    )
    .then(imagesEngineStep)
    .then({
      title: 'Choose the images',
      run: async (_s, io) => {
        io.output(components.map((c) => TITLES[c]).join(', '));
        return { images: [] as readonly LocalImageResult[] };
      },
    });
  for (const c of components) p = p.then(buildImagesStep(c));
  return p;
}

export async function buildLocalImages(
  ctx: StackContext,
  opts: ImagesBuildOptions,
  reporter: Reporter = silentReporter,
  deps: MachineInput & { readonly runScript?: typeof runScript } = {},
): Promise<ImagesBuildResultJson> {
  const components = componentsToBuild(ctx, opts.components);
  const s = await imagesBuildPipeline(components)
    .then(recordImagesStep)
    .run({ ...deps, ctx, opts }, reporter);
  return {
    configFile: ctx.loaded.file,
    written: s.written,
    configCreated: s.configCreated,
    repository: opts.repository ?? DEFAULT_REPOSITORY,
    images: s.images,
    disabled: [...NO_LOCAL_SOURCE],
    settings: s.settings.map((x) => ({ path: x.path.join('.'), value: x.value })),
    yaml: settingsYaml(s.settings),
  };
}
