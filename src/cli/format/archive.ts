import path from 'node:path';

import { formatBytes } from '../../core/vocab/bytes.js';
import type { BackupResultJson, ResetResultJson, RestoreResultJson, UpdateResultJson } from '../../results.js';
import { chalk } from '../colors.js';
import { formatInit } from './init.js';

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

export function formatBackup(r: BackupResultJson): string {
  const lines = [chalk.green(`Backup written: ${rel(r.file)}`) + chalk.dim(` (${formatBytes(r.bytes)}, ${r.files} files, ${formatBytes(r.totalBytes)} uncompressed, ${(r.durationMs / 1000).toFixed(1)} s)`)];
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

export function formatRestore(r: RestoreResultJson): string {
  const lines: string[] = [];
  const a = r.archive;
  if (r.dryRun) {
    lines.push(chalk.bold('Plan (dry run: nothing was changed)'));
    lines.push(chalk.dim(`${rel(r.file)}: backup of ${a.project} made ${a.createdAt} by wmon ${a.wmonVersion} (${a.components.join(', ')})`));
    r.plan.forEach((s, i) => lines.push(`  ${i + 1}. ${s.step.padEnd(15)} ${s.detail}`));
  } else {
    lines.push(chalk.green(`Restored ${rel(r.file)}`) + chalk.dim(` (backup of ${a.project} made ${a.createdAt}), in ${(r.durationMs / 1000).toFixed(1)} s`));
    const x = r.restored!;
    lines.push(`  wmon.yaml          ${x.config.wmonYaml}; ${x.config.files.length} rendered files`);
    if (x.prometheus) lines.push(`  Prometheus data    ${x.prometheus.files} files, ${formatBytes(x.prometheus.bytes)}, ${x.prometheus.blocks} blocks`);
    if (x.silences) lines.push(`  silences           ${x.silences.restored} restored, ${x.silences.present} already there, ${x.silences.expired} ended since the backup`);
    if (x.grafana) lines.push(`  Grafana            ${x.grafana.dashboards} dashboards, ${x.grafana.folders} folders created, ${x.grafana.datasources} data sources`);
    lines.push('Checked:');
    for (const c of r.checks) lines.push(`  ${c.ok ? chalk.green('✓') : chalk.red('✗')} ${c.check}: ${c.detail}`);
    lines.push(r.safetyBackup ? chalk.dim(`The state before the restore is in ${rel(r.safetyBackup)}.`) : chalk.dim('No safety backup was taken (--no-safety-backup).'));
  }
  for (const w of r.warnings) lines.push(chalk.yellow(`warning: ${w}`));
  return lines.join('\n');
}

export function formatUpdate(r: UpdateResultJson, opts: { diff: boolean }): string {
  const lines: string[] = [];
  // The diff first; the file names are in init's summary below.
  for (const c of opts.diff ? r.changes : []) {
    for (const l of c.diff.split('\n')) {
      if (l.startsWith('+++') || l.startsWith('---')) lines.push(chalk.bold(l));
      else if (l.startsWith('+')) lines.push(chalk.green(l));
      else if (l.startsWith('-')) lines.push(chalk.red(l));
      else if (l.startsWith('@@')) lines.push(chalk.cyan(l));
      else lines.push(l);
    }
  }
  lines.push(formatInit(r));
  for (const d of r.dashboards) {
    if (d.status !== 'current') lines.push(chalk.yellow(`warning: Grafana's dashboard ${d.uid} ("${d.title}") is ${d.status}`));
  }
  return lines.join('\n');
}

export function formatReset(r: ResetResultJson): string {
  const lines: string[] = [];
  if (r.safetyBackup) lines.push(chalk.dim(`Safety backup: ${rel(r.safetyBackup.file)} (${formatBytes(r.safetyBackup.bytes)}); \`wmon restore\` it to go back.`));
  else lines.push(chalk.yellow('No safety backup was taken (--no-backup).'));
  for (const c of r.removed.containers) lines.push(`${chalk.red('-')} container ${c}`);
  for (const v of r.removed.volumes) lines.push(`${chalk.red('-')} volume ${v}`);
  for (const n of r.removed.networks) lines.push(`${chalk.red('-')} network ${n}`);
  lines.push(formatInit(r.init));
  return lines.join('\n');
}
