/**
 * `wmon update`: bring the running stack to what wmon.yaml renders now, through exactly the steps `init`
 * takes (upSteps: render, plan, apply), showing first what changed in the rendered files. The plan does the
 * least: Prometheus and Alertmanager reload changed configuration and rules in place (`POST /-/reload`),
 * Grafana re-reads its provisioned dashboards and data sources (its admin API), and only the containers whose
 * image or settings (config hash) changed are recreated. Then Grafana is asked for every rendered dashboard,
 * to show they are the ones it serves.
 */
import { createTwoFilesPatch } from 'diff';

import { requireGrafana, type StackContext } from '../context.js';
import type { RenderedFile } from '../core/render/index.js';
import type { UpdateFileChangeJson, UpdateResultJson } from '../results.js';
import { silentReporter, type Reporter, type Step } from './steps.js';
import { upResult, upSteps, type FileChange, type UpInput, type UpOptions } from './up.js';

export type UpdateOptions = Pick<UpOptions, 'dryRun' | 'timeoutMs'>;

/** Each rendered dashboard as Grafana serves it now: same title and panels (current), different (stale), absent. */
export const dashboardsStep: Step<
  UpInput & { readonly files: readonly RenderedFile[] },
  { readonly dashboards: UpdateResultJson['dashboards'] }
> = {
  title: 'Check the dashboards Grafana serves',
  async run({ ctx, opts, files }, io) {
    if (opts.dryRun || !ctx.component('grafana')) {
      io.skip(opts.dryRun ? 'dry run' : 'Grafana is switched off');
      return { dashboards: [] };
    }
    const grafana = await requireGrafana(ctx, { timeoutMs: 15_000 });
    const dashboards: Array<UpdateResultJson['dashboards'][number]> = [];
    type Panels = { panels?: Array<{ id?: number; title?: string }> };
    const panels = (d: object) => JSON.stringify(((d as Panels).panels ?? []).map((p) => [p.id, p.title]));
    for (const f of files.filter((x) => x.path.startsWith('grafana/dashboards/') && x.path.endsWith('.json'))) {
      const rendered = JSON.parse(f.contents) as { uid: string; title: string } & Panels;
      const got = await grafana.getDashboard(rendered.uid);
      const current = got && got.dashboard.title === rendered.title && panels(got.dashboard) === panels(rendered);
      dashboards.push({
        uid: rendered.uid,
        title: rendered.title,
        status: !got ? 'missing' : current ? 'current' : 'stale',
      });
    }
    const stale = dashboards.filter((d) => d.status !== 'current');
    io.output(stale.length === 0 ? `${dashboards.length} dashboards current` : `${stale.length} not current`);
    return { dashboards };
  },
};

export async function updateStack(
  ctx: StackContext,
  opts: UpdateOptions,
  reporter: Reporter = silentReporter,
): Promise<UpdateResultJson> {
  const started = Date.now();
  const up: UpOptions = { ...opts, keepOnFailure: false, collectDiff: true };
  const state = await upSteps(opts.dryRun).then(dashboardsStep).run({ ctx, opts: up }, reporter);
  const result = await upResult(state, started);
  return { ...result, changes: (state.fileChanges ?? []).map(toChange), dashboards: state.dashboards };
}

function toChange(c: FileChange): UpdateFileChangeJson {
  const status = c.before === null ? 'created' : c.after === null ? 'removed' : 'changed';
  const diff = createTwoFilesPatch(
    c.before === null ? '/dev/null' : `a/${c.path}`,
    c.after === null ? '/dev/null' : `b/${c.path}`,
    c.before ?? '',
    c.after ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop jsdiff's "Index:"/"====" preamble: keep the ---/+++ lines and the hunks, as `diff -u` prints them.
  return {
    path: c.path,
    status,
    diff: diff
      .split('\n')
      .filter((l) => !l.startsWith('Index:') && !/^=+$/.test(l))
      .join('\n')
      .trimEnd(),
  };
}
