/** `wmon backup`: where the archive is, what it holds, what it does not (secrets). */
import { formatBytes } from '../../core/vocab/bytes.js';
import type { BackupResultJson } from '../../results.js';
import { chalk } from '../colors.js';
import { shortPath as rel } from './paths.js';

export function formatBackup(r: BackupResultJson): string {
  const lines = [
    chalk.green(`Backup written: ${rel(r.file)}`) +
      chalk.dim(
        ` (${formatBytes(r.bytes)}, ${r.files} files, ${formatBytes(r.totalBytes)} uncompressed, ${(r.durationMs / 1000).toFixed(1)} s)`,
      ),
  ];
  lines.push(chalk.dim(`sha256 ${r.sha256}`));
  const width = Math.max(...r.components.map((c) => c.component.length));
  for (const c of r.components) {
    const text = `  ${c.included ? chalk.green('✓') : chalk.dim('-')} ${c.component.padEnd(width)}  ${c.detail}`;
    lines.push(c.included ? text : chalk.dim(text));
  }
  if (r.secretsNeeded.length > 0) {
    lines.push('Not in the backup (secrets), needed where it is restored:');
    for (const s of r.secretsNeeded) lines.push(`  ${s.name}${s.ref ? ` (${s.source}: ${s.ref})` : ''}: ${s.note}`);
  }
  for (const p of r.pruned) lines.push(`${chalk.red('-')} removed the older ${rel(p)}`);
  for (const w of r.warnings) lines.push(chalk.yellow(`warning: ${w}`));
  return lines.join('\n');
}
