/**
 * `wmon update`: bring the running stack to what wmon.yaml renders now, through exactly the steps `init`
 * takes (stackTasks: render, plan, apply), showing first what changed in the rendered files. The plan
 * does the least: Prometheus and Alertmanager reload changed configuration and rules in place
 * (`POST /-/reload`), Grafana re-reads its provisioned dashboards and data sources (its admin API), and
 * only the containers whose image or settings (config hash) changed are recreated. Then Grafana is asked
 * for every rendered dashboard, to show they are the ones it serves.
 */
import { createTwoFilesPatch } from 'diff';

import type { UpdateFileChangeJson, UpdateResultJson } from '../results.js';
import { runTasks, type Task } from '../cli/reporters.js';
import { stackGrafanaClient } from './grafana-access.js';
import { isEnabled } from '../core/model/stack.js';
import { stackResult, stackTasks, type InitOptions, type StackRun } from './up.js';

export type UpdateOptions = Omit<InitOptions, 'createConfig' | 'collectDiff' | 'keepOnFailure'>;

interface UpdateRun extends StackRun {
  dashboards: UpdateResultJson['dashboards'];
}

export async function updateStack(opts: UpdateOptions): Promise<UpdateResultJson> {
  const started = Date.now();
  const ctx = { dashboards: [] } as unknown as UpdateRun;
  const base: InitOptions = { ...opts, keepOnFailure: false, createConfig: false, collectDiff: true };
  const tasks: Task<UpdateRun>[] = [...stackTasks(base)];
  if (!opts.dryRun) {
    tasks.push({
      title: 'Check the dashboards Grafana serves',
      skip: (c) => (isEnabled(c.loaded.config, 'grafana') ? false : 'Grafana is switched off'),
      run: async (c, t) => {
        c.dashboards = await checkDashboards(c);
        const stale = c.dashboards.filter((d) => d.status !== 'current');
        t.output(stale.length === 0 ? `${c.dashboards.length} dashboards current` : `${stale.length} not current`);
      },
    });
  }
  await runTasks(tasks, ctx, opts.progress);
  const result = await stackResult(ctx, opts, started);
  return { ...result, changes: (ctx.fileChanges ?? []).map(toChange), dashboards: ctx.dashboards };
}

function toChange(c: { path: string; before: string | null; after: string | null }): UpdateFileChangeJson {
  const status = c.before === null ? 'created' : c.after === null ? 'removed' : 'changed';
  const diff = createTwoFilesPatch(c.before === null ? '/dev/null' : `a/${c.path}`, c.after === null ? '/dev/null' : `b/${c.path}`, c.before ?? '', c.after ?? '', undefined, undefined, { context: 3 });
  // Drop jsdiff's "Index:"/"====" preamble: keep the ---/+++ lines and the hunks, as `diff -u` prints them.
  return { path: c.path, status, diff: diff.split('\n').filter((l) => !l.startsWith('Index:') && !/^=+$/.test(l)).join('\n').trimEnd() };
}

/** Each rendered dashboard, as Grafana serves it now: same title and panels (current), different (stale), or absent. */
async function checkDashboards(c: StackRun): Promise<UpdateResultJson['dashboards']> {
  const client = await stackGrafanaClient(c.loaded, { timeoutMs: 15_000 });
  if (!client) return [];
  const out: Array<UpdateResultJson['dashboards'][number]> = [];
  for (const f of c.files.filter((x) => x.path.startsWith('grafana/dashboards/') && x.path.endsWith('.json'))) {
    const rendered = JSON.parse(f.contents) as { uid: string; title: string; panels?: Array<{ id?: number; title?: string }> };
    const got = await client.getDashboard(rendered.uid);
    const panels = (d: object) => JSON.stringify((((d as { panels?: unknown }).panels as Array<{ id?: number; title?: string }> | undefined) ?? []).map((p) => [p.id, p.title]));
    const status = !got ? 'missing' : got.dashboard.title === rendered.title && panels(got.dashboard) === panels(rendered) ? 'current' : 'stale';
    out.push({ uid: rendered.uid, title: rendered.title, status });
  }
  return out;
}
