import { createHash } from 'node:crypto';
import path from 'node:path';

import { writeRenderedFiles } from '../adapters/stack-dir/files.js';
import type { StackContext } from '../context.js';
import type { RenderResultJson } from '../results.js';

/** Render the stack into `outDir` (default: the stack directory). */
export async function renderToDir(ctx: StackContext, outDir?: string): Promise<RenderResultJson> {
  const { loaded } = ctx;
  const dir = path.resolve(outDir ?? ctx.stackDir);
  const { files, warnings } = ctx.rendered();
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
    })),
    removed: written.removed,
    warnings,
  };
}
