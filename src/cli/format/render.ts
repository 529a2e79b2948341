import path from 'node:path';

import type { RenderResultJson } from '../../results.js';
import { chalk } from '../colors.js';

export function formatRender(r: RenderResultJson): string {
  const lines: string[] = [];
  if (!r.configExists)
    lines.push(
      chalk.dim(`${path.relative(process.cwd(), r.configFile) || r.configFile} not found: rendered the defaults.`),
    );
  const counts = { created: 0, changed: 0, unchanged: 0 };
  for (const f of r.files) {
    counts[f.status] += 1;
    const mark =
      f.status === 'created' ? chalk.green('+') : f.status === 'changed' ? chalk.yellow('~') : chalk.dim('=');
    lines.push(`${mark} ${f.path}`);
  }
  for (const p of r.removed) lines.push(`${chalk.red('-')} ${p}`);
  for (const w of r.warnings) lines.push(chalk.yellow(`warning: ${w}`));
  lines.push(
    `Rendered ${r.files.length} ${r.target === 'local' ? '' : `${r.target} `}files for ${r.components.join(', ')} into ${r.outDir} ` +
      `(${counts.created} created, ${counts.changed} changed, ${counts.unchanged} unchanged, ${r.removed.length} removed).`,
  );
  return lines.join('\n');
}
