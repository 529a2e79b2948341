/** `wmon reset`: the safety backup, what was removed, and the stack brought up again. */
import { formatBytes } from '../../core/vocab/bytes.js';
import type { ResetPlanJson, ResetResultJson } from '../../results.js';
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
  for (const v of r.kept.volumes)
    lines.push(`= volume ${v} kept (the webhook service's events; --delete-events removes it)`);
  lines.push(formatInit(r.init));
  return lines.join('\n');
}

/** What a reset will delete and keep, said before it asks (and before it acts, with --force). */
export function formatResetPlan(project: string, plan: ResetPlanJson): string {
  const n = plan.containers.length;
  const lines = [`wmon reset of "${project}" removes ${n} container${n === 1 ? '' : 's'} and the network, and:`];
  for (const v of plan.volumes) {
    const size = v.bytes === null ? 'size unknown' : formatBytes(v.bytes);
    const e = v.events;
    const events =
      v.events === undefined
        ? ''
        : e
          ? `: ${e.pending} pending, ${e.deadLetter} dead-letter, ${e.processed} processed events`
          : ': its events could not be counted';
    const tail =
      v.events === undefined
        ? ''
        : v.action === 'keep'
          ? ' (--delete-events deletes them)'
          : ' DELETED (--delete-events)';
    const action = v.action === 'delete' ? chalk.red('delete') : chalk.green('keep  ');
    lines.push(`  ${action}  volume ${v.name} (${v.component}, ${size})${events}${tail}`);
  }
  lines.push(
    plan.safetyBackup
      ? "A safety backup is taken first: Prometheus's data, silences, Grafana, the configuration and the webhook service's events; not Loki's logs nor Jaeger's traces."
      : chalk.yellow('No safety backup is taken (--no-backup): what is deleted is lost for good.'),
  );
  return lines.join('\n');
}
