/**
 * `wmon check`: every check of SPEC.md, in parallel, each with a deadline, combined into one Nagios state.
 */
import type { StackContext } from '../../context.js';
import type { CheckReportJson, CheckStatus } from '../../results.js';
import { engineTasks } from './checks/engine.js';
import { grafanaTasks, jaegerTasks, lokiTasks } from './checks/observability.js';
import { probeTasks } from './checks/probe.js';
import { alertmanagerDriftTask, prometheusTasks, type AlertSink } from './checks/prometheus.js';
import { reachabilityTasks } from './checks/reachability.js';
import { readinessTasks } from './checks/ready.js';
import { reconcileTasks } from './checks/reconcile.js';
import { remoteWriteTasks } from './checks/remote-write.js';
import { secretFileTasks } from './checks/secrets.js';
import { runTasks, type CheckGroup } from './runner.js';
import { exitCodeFor, sortChecks, statusLine, worstStatus } from './status.js';

export { healthContextOptions } from './context.js';
export { CHECK_GROUPS, type CheckGroup } from './runner.js';
export { STATUS_PRECEDENCE, exitCodeFor, statusLine, worstStatus } from './status.js';

export interface CheckOptions {
  /** Deadline of each check (and timeout of each request), ms. */
  readonly timeoutMs: number;
  readonly skip?: readonly CheckGroup[];
  readonly probe?: boolean;
}

/** Every check over `ctx` (opened with the check deadline: `healthContextOptions`). */
export async function runCheck(ctx: StackContext, opts: CheckOptions): Promise<CheckReportJson> {
  const startedAt = new Date();
  const started = performance.now();
  const sink: AlertSink = { alerts: [] };
  const skip = new Set(opts.skip ?? []);
  const tasks = [
    ...engineTasks(ctx),
    ...readinessTasks(ctx),
    ...prometheusTasks(ctx, sink),
    ...reachabilityTasks(ctx),
    ...alertmanagerDriftTask(ctx),
    ...grafanaTasks(ctx),
    ...lokiTasks(ctx),
    ...jaegerTasks(ctx),
    ...secretFileTasks(ctx),
    ...(opts.probe ? probeTasks(ctx) : []),
    ...reconcileTasks(ctx),
    ...remoteWriteTasks(ctx),
  ].filter((t) => !skip.has(t.group));

  const checks = sortChecks(await runTasks(tasks));
  const status = worstStatus(checks.map((c) => c.status));
  const counts: Record<CheckStatus, number> = { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
  for (const c of checks) counts[c.status]++;
  return {
    status,
    exitCode: exitCodeFor(status),
    summary: statusLine(status, checks),
    project: ctx.config.project,
    configFile: ctx.loaded.file,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    counts,
    checks,
    alerts: sink.alerts,
  };
}
