/**
 * Secret files readable by other users of the host: a WARNING (the stack still works), naming each file,
 * its mode and the chmod that fixes it.
 */
import { secretFilePermissions } from '../../../adapters/stack-dir/secrets.js';
import type { HealthContext } from '../context.js';
import { row, type CheckRow, type CheckTask } from '../runner.js';

export function secretFileTasks(ctx: HealthContext): CheckTask[] {
  return [
    {
      group: 'secrets',
      id: 'secrets.files',
      component: 'wmon',
      check: 'secret files',
      deadlineMs: ctx.timeoutMs + 500,
      async run(): Promise<CheckRow[]> {
        const { checked, exposed } = await secretFilePermissions(ctx.loaded, ctx.stackDir);
        if (exposed.length === 0) {
          return [row(this, 'OK', `${checked} secret file${checked === 1 ? '' : 's'} readable only by their owner`)];
        }
        return [
          row(
            this,
            'WARNING',
            `${exposed.length} of ${checked} secret files can be read by other users: ${exposed
              .map((e) => `${e.path} (${e.what}, mode ${e.mode}; fix: ${e.fix})`)
              .join('; ')}`,
          ),
        ];
      },
    },
  ];
}
