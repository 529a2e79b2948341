/**
 * Runs check tasks in parallel, each under its own deadline. A task yields one or more rows (a task per
 * scrape target list, per container list…); one that passes its deadline or fails unexpectedly becomes a
 * single UNKNOWN row under its own name, so one stuck component never holds up or hides the others.
 */
import type { CheckResultJson, CheckStatus } from '../../results.js';

/** Groups `--skip` can leave out. */
export const CHECK_GROUPS = [
  'engine',
  'ready',
  'targets',
  'rules',
  'alerts',
  'drift',
  'grafana',
  'loki',
  'jaeger',
  'secrets',
] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number] | 'probe';

export interface CheckRow {
  readonly id: string;
  readonly component: string;
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly differences?: readonly string[];
}

export interface CheckTask {
  readonly group: CheckGroup;
  /** The row reported when the task itself fails or passes its deadline. */
  readonly id: string;
  readonly component: string;
  readonly check: string;
  readonly deadlineMs: number;
  run(): Promise<CheckRow[]>;
}

/** How long a check may run beyond its client's timeout before it reports UNKNOWN. */
const CHECK_SLACK_MS = 500;

/**
 * A check task: its deadline is the client timeout plus a little (or `deadlineMs`), and `run` gets the task
 * itself, to name the rows it returns (`row(self, …)`).
 */
export function checkTask(
  ctx: { readonly timeoutMs: number },
  spec: Pick<CheckTask, 'group' | 'id' | 'component' | 'check'> & { readonly deadlineMs?: number },
  run: (self: CheckTask) => Promise<CheckRow[]>,
): CheckTask {
  const self: CheckTask = {
    ...spec,
    deadlineMs: spec.deadlineMs ?? ctx.timeoutMs + CHECK_SLACK_MS,
    run: () => run(self),
  };
  return self;
}

export function row(
  task: Pick<CheckTask, 'id' | 'component' | 'check'>,
  status: CheckStatus,
  detail: string,
  differences?: readonly string[],
): CheckRow {
  return {
    id: task.id,
    component: task.component,
    check: task.check,
    status,
    detail,
    ...(differences ? { differences } : {}),
  };
}

export async function runTasks(tasks: readonly CheckTask[]): Promise<CheckResultJson[]> {
  const results = await Promise.all(
    tasks.map(async (task) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<CheckRow[]>((resolve) => {
        timer = setTimeout(
          () => resolve([row(task, 'UNKNOWN', `no result within the ${formatSeconds(task.deadlineMs)} deadline`)]),
          task.deadlineMs,
        );
      });
      let rows: CheckRow[];
      try {
        rows = await Promise.race([task.run(), deadline]);
      } catch (error) {
        rows = [
          row(
            task,
            'UNKNOWN',
            `the check failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
          ),
        ];
      } finally {
        clearTimeout(timer);
      }
      const durationMs = Math.round(performance.now() - started);
      return rows.map((r): CheckResultJson => ({ ...r, differences: r.differences ?? [], durationMs }));
    }),
  );
  return results.flat();
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
