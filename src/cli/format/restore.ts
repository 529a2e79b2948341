/** `wmon restore`: the plan (dry run), or what was restored and checked. */
import { formatBytes } from '../../core/vocab/bytes.js';
import type { RestoreResultJson } from '../../results.js';
import { chalk } from '../colors.js';
import { shortPath as rel } from './paths.js';

export function formatRestore(r: RestoreResultJson): string {
  const lines: string[] = [];
  const a = r.archive;
  if (r.dryRun) {
    lines.push(chalk.bold('Plan (dry run: nothing was changed)'));
    lines.push(
      chalk.dim(
        `${rel(r.file)}: backup of ${a.project} made ${a.createdAt} by wmon ${a.wmonVersion} (${a.components.join(', ')})`,
      ),
    );
    r.plan.forEach((s, i) => lines.push(`  ${i + 1}. ${s.step.padEnd(15)} ${s.detail}`));
  } else {
    lines.push(
      chalk.green(`Restored ${rel(r.file)}`) +
        chalk.dim(` (backup of ${a.project} made ${a.createdAt}), in ${(r.durationMs / 1000).toFixed(1)} s`),
    );
    const x = r.restored!;
    lines.push(`  wmon.yaml          ${x.config.wmonYaml}; ${x.config.files.length} rendered files`);
    if (x.prometheus)
      lines.push(
        `  Prometheus data    ${x.prometheus.files} files, ${formatBytes(x.prometheus.bytes)}, ${x.prometheus.blocks} blocks`,
      );
    if (x.silences)
      lines.push(
        `  silences           ${x.silences.restored} restored, ${x.silences.present} already there, ${x.silences.expired} ended since the backup`,
      );
    if (x.grafana)
      lines.push(
        `  Grafana            ${x.grafana.dashboards} dashboards, ${x.grafana.folders} folders created, ${x.grafana.datasources} data sources`,
      );
    for (const v of x.dataVolumes)
      lines.push(`  ${v.kind.padEnd(17)}  ${v.files} files, ${formatBytes(v.bytes)} in ${v.volume}`);
    lines.push('Checked:');
    for (const c of r.checks) lines.push(`  ${c.ok ? chalk.green('✓') : chalk.red('✗')} ${c.check}: ${c.detail}`);
    lines.push(
      r.safetyBackup
        ? chalk.dim(`The state before the restore is in ${rel(r.safetyBackup)}.`)
        : chalk.dim('No safety backup was taken (--no-safety-backup).'),
    );
  }
  for (const w of r.warnings) lines.push(chalk.yellow(`warning: ${w}`));
  return lines.join('\n');
}
