/**
 * The three Grafana dashboards of the webhook service, provisioned from files with fixed uids. Built with
 * @grafana/grafana-foundation-sdk (pinned exactly: its builders' defaults are part of the JSON). Pure and
 * deterministic: the same options give the same dashboards, in the same order, with the same JSON.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardOptions } from './common.js';
import { eventsDashboard } from './events.js';
import { overviewDashboard } from './overview.js';
import { performanceDashboard } from './performance.js';
import { DASHBOARD_UIDS, type DashboardKey } from './uids.js';

export type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
export type { DashboardOptions } from './common.js';
export { DEFAULT_SERVICE_NAME } from './common.js';
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
  return BUILDERS.map(([key, build]) => ({
    uid: DASHBOARD_UIDS[key],
    fileName: `${key}.json`,
    dashboard: build(opts),
  }));
}
