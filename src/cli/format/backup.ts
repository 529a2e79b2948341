/** `wmon backup`: where the archive is, what it holds, what it does not (secrets). */
import { formatBytes } from '../../core/vocab/bytes.js';
import type { BackupResultJson, VerifyBackupJson } from '../../results.js';
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

/** `wmon backup --verify FILE`: the archive checked, what it holds, what could not be checked here. */
export function formatVerifyBackup(r: VerifyBackupJson): string {
  const lines = [
    chalk.green(`Verified: ${rel(r.file)}`) +
      chalk.dim(
        ` (${formatBytes(r.bytes)}; made ${r.createdAt} by wmon ${r.wmonVersion} for the project ${r.project})`,
      ),
    `  ${r.detail}`,
  ];
  const w = r.webhook;
  if (w?.store === 'sqlite')
    lines.push(
      `  webhook events: ${w.events.pending} pending, ${w.events.processed} processed, ${w.events.deadLetter} dead-letter; schema version ${w.schemaVersion}; SQLite integrity check ${w.integrity}`,
    );
  else if (w?.store === 'external') lines.push('  webhook events: external (PostgreSQL), not included');
  for (const x of r.warnings) lines.push(chalk.yellow(`warning: ${x}`));
  return lines.join('\n');
}
