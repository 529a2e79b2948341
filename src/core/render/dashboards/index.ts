/**
 * The three Grafana dashboards of the webhook service, provisioned from files with fixed uids. Pure and
 * deterministic: the same options give the same dashboards, in the same order, with the same JSON.
 */
import type { DashboardOptions } from './common.js';
import { eventsDashboard } from './events.js';
import type { Dashboard } from './model.js';
import { overviewDashboard } from './overview.js';
import { performanceDashboard } from './performance.js';
import type { DashboardKey } from './uids.js';

export type { DashboardOptions } from './common.js';
export { DEFAULT_SERVICE_NAME } from './common.js';
export type { Dashboard } from './model.js';
export { DASHBOARD_UIDS, DATASOURCE_UIDS } from './uids.js';

export interface RenderedDashboard {
  readonly uid: string;
  /** File name in the provisioned dashboards folder: `overview.json`, `performance.json`, `events.json`. */
  readonly fileName: string;
  readonly dashboard: Dashboard;
}

const BUILDERS: ReadonlyArray<readonly [DashboardKey, (opts: DashboardOptions) => Dashboard]> = [
  ['overview', overviewDashboard],
  ['performance', performanceDashboard],
  ['events', eventsDashboard],
];

export function buildDashboards(opts: DashboardOptions): RenderedDashboard[] {
  return BUILDERS.map(([key, build]) => {
    const dashboard = build(opts);
    return { uid: dashboard.uid, fileName: `${key}.json`, dashboard };
  });
}
