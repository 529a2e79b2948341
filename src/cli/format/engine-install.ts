/** `wmon engine install`: what it will do (before asking), and what it did. */
import type { EngineInstallResultJson } from '../../results.js';
import type { EngineInstallPlan } from '../../ops/engine-install.js';
import { chalk } from '../colors.js';

export function formatEngineInstallPlan(plan: EngineInstallPlan): string {
  return plan.items
    .map((i) =>
      i.status === 'present' ? chalk.dim(`  = ${i.what} — already there`) : `  ${chalk.green('+')} ${i.what}`,
    )
    .join('\n');
}

export function formatEngineInstall(r: EngineInstallResultJson): string {
  const lines = r.items.map((i) =>
    i.status === 'present' ? chalk.dim(`= ${i.what} — already there`) : `${chalk.green('+')} ${i.what}`,
  );
  lines.push(
    `${r.engine.name} ${r.engine.version} answers on ${r.dockerHost} (Docker API ${r.engine.apiVersion}); wmon finds it there.`,
    r.changed ? 'Next: `wmon init`.' : 'Nothing to do: everything was there. Next: `wmon init`.',
  );
  return lines.join('\n');
}
