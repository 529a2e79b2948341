/**
 * How a command shows an operation's steps: listr2's live renderer on a terminal, one plain line per event
 * otherwise (cron, CI logs), nothing at all for --json. The library never imports listr2: operations hand
 * their steps to one of these (src/ops/steps.ts).
 */
import { Listr, type ListrRendererValue } from 'listr2';

import { silentReporter, type Reporter } from '../ops/steps.js';

export type ReporterKind = 'tty' | 'lines' | 'silent';

export function createReporter(kind: ReporterKind): Reporter {
  if (kind === 'silent') return silentReporter;
  return {
    async run(steps) {
      // The error block after the run says what went wrong (message, code, next steps); the failed step's
      // line only says which step failed, so the message is not printed twice.
      let failure: { error: unknown } | undefined;
      const list = new Listr<object, ListrRendererValue, ListrRendererValue>(
        steps.map((step) => ({
          title: step.title,
          task: async (_ctx: object, task) => {
            try {
              await step.run({
                output: (line: string) => {
                  task.output = line;
                },
                skip: (reason: string) => task.skip(reason),
              });
            } catch (error) {
              failure = { error };
              throw new Error('see the error below');
            }
          },
        })),
        {
          exitOnError: true,
          renderer: kind === 'tty' ? 'default' : 'simple',
          fallbackRenderer: 'simple',
          collectErrors: false,
        },
      );
      try {
        await list.run();
      } catch (error) {
        throw failure ? failure.error : error;
      }
    },
  };
}
