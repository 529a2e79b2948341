import { createHash } from 'node:crypto';
import path from 'node:path';

import type { LoadedConfig } from '../core/config/load.js';
import type { RenderResultJson } from '../results.js';
import { buildStack } from '../core/model/stack.js';
import { renderStack } from '../core/render/index.js';
import { writeRenderedFiles } from '../adapters/stack-dir/files.js';

/** Render the stack of a loaded configuration into `outDir` (default: the stack directory). */
export async function renderToDir(loaded: LoadedConfig, outDir?: string): Promise<RenderResultJson> {
  const dir = path.resolve(outDir ?? path.join(loaded.dir, loaded.config.stackDir));
  const { files, warnings } = renderStack(loaded.config);
  const written = await writeRenderedFiles(dir, files);
  const status = (p: string) =>
    written.created.includes(p) ? 'created' : written.changed.includes(p) ? 'changed' : 'unchanged';
  return {
    configFile: loaded.file,
    configExists: loaded.exists,
    outDir: dir,
    components: buildStack(loaded.config).components.map((c) => c.id),
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
