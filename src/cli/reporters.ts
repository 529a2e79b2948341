/**
 * How a command shows an operation's steps: listr2's live renderer on a terminal of a usable width, one plain
 * line per step otherwise (cron, CI logs, a terminal of unknown or tiny width), nothing at all for --json. The library never imports listr2: operations hand
 * their steps to one of these (src/ops/steps.ts).
 */
import type { ListrRendererValue } from 'listr2';

import { silentReporter, type Reporter } from '../ops/steps.js';

export type ReporterKind = 'tty' | 'lines' | 'silent';

/** Narrower than this, a live renderer wraps every line (a width of 0 puts each character on its own line). */
export const MIN_LIVE_COLUMNS = 40;

/** The live renderer only on a terminal whose width is known and usable; plain lines otherwise. */
export function reporterKind(stream: { isTTY?: boolean; columns?: number }, json: boolean): ReporterKind {
  if (json) return 'silent';
  return stream.isTTY && (stream.columns ?? 0) >= MIN_LIVE_COLUMNS ? 'tty' : 'lines';
}

/** A step's output kept for its failure: the last lines only (a build can print thousands). */
const KEPT_LINES = 400;

/**
 * Plain lines for logs and odd terminals: one line per step, when it ends (`✔`, `↓ … (skipped: why)`, `✖`),
 * with the step's last progress line under it. Build and pull output is collapsed into that one line; the
 * whole of it is printed when the step fails, or as it comes with `verbose`.
 */
export function linesReporter(write: (line: string) => void, opts: { verbose?: boolean } = {}): Reporter {
  return {
    async run(steps) {
      for (const step of steps) {
        const kept: string[] = [];
        let skipped: string | undefined;
        try {
          await step.run({
            output: (line) => {
              if (opts.verbose) write(`  › ${line}`);
              kept.push(line);
              if (kept.length > KEPT_LINES) kept.shift();
            },
            skip: (reason) => {
              skipped = reason;
            },
          });
        } catch (error) {
          write(`✖ ${step.title}`);
          if (!opts.verbose) for (const line of kept) write(`  › ${line}`);
          throw error;
        }
        if (skipped !== undefined) write(`↓ ${step.title} (skipped: ${skipped})`);
        else {
          write(`✔ ${step.title}`);
          const last = kept.at(-1);
          if (last !== undefined && !opts.verbose) write(`  › ${last}`);
        }
      }
    },
  };
}

export function createReporter(kind: ReporterKind, opts: { verbose?: boolean } = {}): Reporter {
  if (kind === 'silent') return silentReporter;
  if (kind === 'lines') return linesReporter((line) => process.stdout.write(`${line}\n`), opts);
  return {
    async run(steps) {
      // listr2 is loaded only when it draws: commands that show no progress (check, metrics, --json) start faster.
      const { Listr } = await import('listr2');
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
          renderer: 'default',
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
