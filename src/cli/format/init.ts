import path from 'node:path';

import Table from 'cli-table3';

import type { Credentials, DownResultJson, InitResultJson, UrlsResultJson } from '../../results.js';
import { chalk } from '../colors.js';

const ACTION_MARK: Record<string, string> = {
  create: '+',
  recreate: '~',
  start: '>',
  reload: '↻',
  restart: '↻',
  keep: '=',
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
  for (const i of r.images) lines.push(`  ${i.ref} ${chalk.dim(i.action)}`);
  lines.push('Containers:');
  for (const c of r.containers) {
    const mark = ACTION_MARK[c.action] ?? '?';
    const text = `  ${mark} ${c.container} ${c.action}${c.action === 'keep' ? '' : ` (${c.reason})`}`;
    lines.push(c.action === 'keep' ? chalk.dim(text) : text);
  }
  for (const c of r.removedContainers) lines.push(`  ${chalk.red('-')} ${c.container} remove (${c.reason})`);
  for (const w of r.warnings) lines.push(chalk.yellow(`warning: ${w}`));
  if (!r.dryRun) {
    lines.push('');
    lines.push(r.changed ? chalk.green('The stack is up.') : chalk.green('Nothing changed: the stack was already up to date.'));
    lines.push(formatUrls({ project: '', components: r.urls, credentials: r.credentials }));
  }
  return lines.join('\n');
}

export function formatUrls(r: UrlsResultJson): string {
  const table = new Table({ head: ['component', 'url', 'also'], style: { head: [], border: [] } });
  for (const c of r.components) {
    table.push([c.title, c.url, Object.entries(c.extra).map(([k, v]) => `${k}: ${v}`).join('\n')]);
  }
  return [table.toString(), ...formatCredentials(r.credentials)].join('\n');
}

function formatCredentials(c: Credentials): string[] {
  const lines: string[] = [];
  if (c.grafana) {
    lines.push(
      c.grafana.password
        ? `Grafana: user ${c.grafana.user}, password ${c.grafana.password}`
        : `Grafana: user ${c.grafana.user}, password in ${c.grafana.passwordFile} (or \`wmon urls --show-credentials\`)`,
    );
  }
  if (c.webhook) {
    lines.push(
      c.webhook.secret
        ? `Stripe webhook signing secret: ${c.webhook.secret}`
        : `Stripe webhook signing secret: in ${c.webhook.secretFile}`,
    );
  }
  return lines;
}

export function formatDown(r: DownResultJson): string {
  const lines = r.removedContainers.length === 0 ? ['No container of this project was running.'] : r.removedContainers.map((n) => `${chalk.red('-')} ${n}`);
  if (r.network.removed) lines.push(`${chalk.red('-')} network ${r.network.name}`);
  if (r.keptVolumes.length > 0) lines.push(chalk.dim(`Kept volumes (your data): ${r.keptVolumes.join(', ')}`));
  lines.push('Stopped. `wmon init` brings the stack back with its data.');
  return lines.join('\n');
}
