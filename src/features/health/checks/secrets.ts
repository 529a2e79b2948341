/**
 * Secret files readable by other users of the host: a WARNING (the stack still works), naming each file,
 * its mode and the chmod that fixes it.
 */
import { secretFilePermissions } from '../../../adapters/stack-dir/secrets.js';
import type { HealthContext } from '../context.js';
import { checkTask, row, type CheckTask } from '../runner.js';

export function secretFileTasks(ctx: HealthContext): CheckTask[] {
  return [
    checkTask(
      ctx,
      { group: 'secrets', id: 'secrets.files', component: 'wmon', check: 'secret files' },
      async (self) => {
        const { checked, exposed } = await secretFilePermissions(ctx.loaded, ctx.stackDir);
        if (exposed.length === 0) {
          return [row(self, 'OK', `${checked} secret file${checked === 1 ? '' : 's'} readable only by their owner`)];
        }
        return [
          row(
            self,
            'WARNING',
            `${exposed.length} of ${checked} secret files can be read by other users: ${exposed
              .map((e) => `${e.path} (${e.what}, mode ${e.mode}; fix: ${e.fix})`)
              .join('; ')}`,
          ),
        ];
      },
    ),
  ];
}
