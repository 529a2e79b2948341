/** `wmon down`: what was removed, what was kept. */
import type { DownResultJson } from '../../results.js';
import { chalk } from '../colors.js';

export function formatDown(r: DownResultJson): string {
  const lines =
    r.removedContainers.length === 0
      ? ['No container of this project was running.']
      : r.removedContainers.map((n) => `${chalk.red('-')} ${n}`);
  if (r.network.removed) lines.push(`${chalk.red('-')} network ${r.network.name}`);
  if (r.keptVolumes.length > 0) lines.push(chalk.dim(`Kept volumes (your data): ${r.keptVolumes.join(', ')}`));
  lines.push('Stopped. `wmon init` brings the stack back with its data.');
  return lines.join('\n');
}
