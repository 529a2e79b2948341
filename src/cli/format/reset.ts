/** `wmon reset`: the safety backup, what was removed, and the stack brought up again. */
import { formatBytes } from '../../core/vocab/bytes.js';
import type { ResetResultJson } from '../../results.js';
import { chalk } from '../colors.js';
import { formatInit } from './init.js';
import { shortPath as rel } from './paths.js';

export function formatReset(r: ResetResultJson): string {
  const lines: string[] = [];
  if (r.safetyBackup)
    lines.push(
      chalk.dim(
        `Safety backup: ${rel(r.safetyBackup.file)} (${formatBytes(r.safetyBackup.bytes)}); \`wmon restore\` it to go back.`,
      ),
    );
  else lines.push(chalk.yellow('No safety backup was taken (--no-backup).'));
  for (const c of r.removed.containers) lines.push(`${chalk.red('-')} container ${c}`);
  for (const v of r.removed.volumes) lines.push(`${chalk.red('-')} volume ${v}`);
  for (const n of r.removed.networks) lines.push(`${chalk.red('-')} network ${n}`);
  lines.push(formatInit(r.init));
  return lines.join('\n');
}
