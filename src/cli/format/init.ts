import path from 'node:path';

import type { InitResultJson } from '../../results.js';
import { chalk } from '../colors.js';
import { formatUrls } from './urls.js';

const ACTION_MARK: Record<string, string> = {
  create: '+',
  recreate: '~',
  start: '>',
  reload: '↻',
  restart: '↻',
  keep: '=',
};

/** Each container action, as done. */
const DONE: Record<string, string> = {
  create: 'created',
  recreate: 'recreated',
  start: 'started',
  reload: 'reloaded',
  restart: 'restarted',
  keep: 'unchanged',
};

export function formatInit(r: InitResultJson): string {
  const lines: string[] = [];
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  if (r.configCreated) lines.push(chalk.green(`Created ${rel(r.configFile)} with the defaults.`));
  if (r.dryRun) lines.push(chalk.bold('Plan (dry run: nothing was changed)'));
  const files = r.files.filter((f) => f.status !== 'unchanged');
  lines.push(`Files in ${rel(r.stackDir)}:${files.length === 0 ? ' unchanged' : ''}`);
  for (const f of files) lines.push(`  ${f.status === 'created' ? chalk.green('+') : chalk.yellow('~')} ${f.path}`);
  for (const f of r.removedFiles) lines.push(`  ${chalk.red('-')} ${f}`);
  lines.push('Images:');
  for (const i of r.images) lines.push(`  ${i.ref} ${chalk.dim(`${i.action}${i.key ? ` (${i.key})` : ''}`)}`);
  lines.push('Containers:');
  for (const c of r.containers) {
    const mark = ACTION_MARK[c.action] ?? '?';
    if (!r.dryRun) {
      // What was done, not the plan: "created", not "create (not created yet)".
      const done = DONE[c.action] ?? c.action;
      const why = c.action === 'keep' || c.action === 'create' ? '' : ` (${c.reason})`;
      const text = `  ${mark} ${c.container} ${done}${why}`;
      lines.push(c.action === 'keep' ? chalk.dim(text) : text);
      continue;
    }
    const limits = c.memory !== undefined || c.cpus !== undefined ? limitsText(c.memory, c.cpus) : '';
    const text = `  ${mark} ${c.container} ${c.action}${c.action === 'keep' ? '' : ` (${c.reason})`}${r.dryRun ? limits : ''}`;
    lines.push(c.action === 'keep' ? chalk.dim(text) : text);
  }
  for (const c of r.removedContainers)
    lines.push(`  ${chalk.red('-')} ${c.container} ${r.dryRun ? 'remove' : 'removed'} (${c.reason})`);
  for (const w of r.warnings) lines.push(chalk.yellow(`warning: ${w}`));
  if (!r.dryRun) {
    lines.push('');
    lines.push(
      r.changed ? chalk.green('The stack is up.') : chalk.green('Nothing changed: the stack was already up to date.'),
    );
    lines.push(formatUrls({ project: '', components: r.urls, credentials: r.credentials }));
  }
  return lines.join('\n');
}

/** `, memory 512m, 1 CPU` as the dry run shows a container's limits. */
function limitsText(memory: string | undefined, cpus: number | undefined): string {
  const mem = memory === undefined ? '' : memory === '0' ? 'no memory limit' : `memory ${memory}`;
  const cpu = cpus === undefined ? '' : `${cpus} CPU${cpus === 1 ? '' : 's'}`;
  return chalk.dim(` [${[mem, cpu].filter(Boolean).join(', ')}]`);
}
