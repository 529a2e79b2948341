import { Listr, type ListrRendererValue } from 'listr2';

/** One step of a long command, shown with progress (listr2). */
export interface Task<C> {
  readonly title: string;
  /** A reason to skip (shown), or false. */
  readonly skip?: (ctx: C) => string | false;
  readonly run: (ctx: C, task: { output: (line: string) => void }) => Promise<void>;
}

/**
 * Run steps in order with listr2: its live renderer on a terminal, one plain line per event otherwise
 * (cron, CI logs), nothing at all for --json. The first failing step stops the run and its error propagates.
 */
export async function runTasks<C extends object>(tasks: readonly Task<C>[], ctx: C, mode: 'tty' | 'lines' | 'silent'): Promise<C> {
  const list = new Listr<C, ListrRendererValue, ListrRendererValue>(
    tasks.map((t) => ({
      title: t.title,
      ...(t.skip ? { skip: (c: C) => t.skip!(c) } : {}),
      task: async (c: C, task) => {
        await t.run(c, {
          output: (line: string) => {
            task.output = line;
          },
        });
      },
    })),
    {
      ctx,
      exitOnError: true,
      renderer: mode === 'tty' ? 'default' : mode === 'lines' ? 'simple' : 'silent',
      fallbackRenderer: mode === 'silent' ? 'silent' : 'simple',
      collectErrors: false,
    },
  );
  return list.run();
}
