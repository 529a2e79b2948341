/** `wmon images build`: the images, what was written (or the lines to add), and what was switched off. */
import type { ImagesBuildResultJson } from '../../results.js';
import { chalk } from '../colors.js';

export function formatImagesBuild(r: ImagesBuildResultJson): string {
  const lines = r.images.map(
    (i) =>
      `${i.status === 'built' ? chalk.green('+') : chalk.dim('=')} ${i.ref} ${chalk.dim(
        i.status === 'built' ? '(built)' : '(up to date)',
      )}${i.runs ? chalk.dim(` ${i.runs}`) : ''}`,
  );
  const off =
    'Grafana, Loki and Jaeger have no package to build an image from: they are switched off (enabled: false).';
  if (r.written) {
    lines.push(`${r.configCreated ? 'Created' : 'Updated'} ${r.configFile} with these images.`, off);
    lines.push('Next: `wmon init` (it pulls nothing these images cover).');
  } else {
    lines.push(`Add these lines to ${r.configFile} (merge them into what is there):`, '', r.yaml.trimEnd(), '', off);
  }
  return lines.join('\n');
}
