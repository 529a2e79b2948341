/** `wmon update`: the diff of the rendered files, then what init's summary says, then stale dashboards. */
import type { UpdateResultJson } from '../../results.js';
import { chalk } from '../colors.js';
import { formatInit } from './init.js';

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
    if (d.status !== 'current')
      lines.push(chalk.yellow(`warning: Grafana's dashboard ${d.uid} ("${d.title}") is ${d.status}`));
  }
  return lines.join('\n');
}
