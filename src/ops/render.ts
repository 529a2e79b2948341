import { createHash } from 'node:crypto';
import path from 'node:path';

import { writeRenderedFiles } from '../adapters/stack-dir/files.js';
import { materializeSecrets } from '../adapters/stack-dir/secrets.js';
import type { StackContext } from '../context.js';
import { containerSpecs } from '../core/model/containers.js';
import { buildCompose, COMPOSE_FILE } from '../core/render/compose.js';
import { renderKubernetes } from '../core/render/kubernetes/index.js';
import { targetHeader, toYaml } from '../core/render/yaml.js';
import { WmonError } from '../errors.js';
import type { RenderResultJson } from '../results.js';

export const RENDER_TARGETS = ['local', 'kubernetes', 'compose'] as const;
export type RenderTarget = (typeof RENDER_TARGETS)[number];

interface TargetFile {
  readonly path: string;
  readonly component: string;
  readonly kind: string | null;
  readonly contents: string;
}

/**
 * Render the stack into `outDir` (default: the stack directory): the local stack's files, Kubernetes manifests,
 * or compose.yaml beside the local files it mounts. The other targets need a folder of their own: the stack
 * directory's rendered-files index would otherwise remove what `wmon init` mounts.
 */
export async function renderToDir(
  ctx: StackContext,
  outDir?: string,
  target: RenderTarget = 'local',
): Promise<RenderResultJson> {
  const { loaded } = ctx;
  if (target !== 'local' && (outDir === undefined || path.resolve(outDir) === path.resolve(ctx.stackDir))) {
    throw new WmonError(`--target ${target} needs --out, a folder other than the stack directory (${ctx.stackDir}).`, {
      code: 'RENDER_OUT_REQUIRED',
      suggestions: [`Name a folder of its own: wmon render --target ${target} --out deploy/${target}`],
    });
  }
  const dir = path.resolve(outDir ?? ctx.stackDir);
  const { files, warnings } = await targetFiles(ctx, dir, target);
  const written = await writeRenderedFiles(dir, files);
  const status = (p: string) =>
    written.created.includes(p) ? 'created' : written.changed.includes(p) ? 'changed' : 'unchanged';
  return {
    configFile: loaded.file,
    configExists: loaded.exists,
    outDir: dir,
    components: ctx.stack.components.map((c) => c.id),
    files: files.map((f) => ({
      path: f.path,
      component: f.component,
      bytes: Buffer.byteLength(f.contents),
      sha256: createHash('sha256').update(f.contents).digest('hex'),
      status: status(f.path),
      kind: f.kind,
    })),
    removed: written.removed,
    warnings,
    target,
  };
}

async function targetFiles(
  ctx: StackContext,
  dir: string,
  target: RenderTarget,
): Promise<{ files: readonly TargetFile[]; warnings: readonly string[] }> {
  if (target === 'kubernetes') return renderKubernetes(ctx.config);
  const local = ctx.rendered();
  const files = local.files.map((f) => ({ ...f, kind: null }));
  if (target === 'local') return { files, warnings: local.warnings };
  // The containers exactly as init's plan step makes them: the same specs, with the secret folders init lays out.
  const secrets = await materializeSecrets(ctx.loaded, ctx.stackDir);
  const specs = containerSpecs(ctx.stack, { stackDir: dir, secretMounts: secrets.mounts });
  const compose = {
    path: COMPOSE_FILE,
    component: 'compose',
    kind: null,
    contents: toYaml(buildCompose(ctx.stack, specs, dir), targetHeader('compose')),
  };
  return { files: [...files, compose], warnings: local.warnings };
}
