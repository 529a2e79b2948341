/**
 * Fixed identifiers of what wmon provisions in Grafana. Alert annotations link to the dashboards by uid,
 * and the datasource provisioning must use these datasource uids, which every panel refers to.
 */
export const DASHBOARD_UIDS = {
  overview: 'wmon-overview',
  performance: 'wmon-performance',
  events: 'wmon-events',
} as const;

export type DashboardKey = keyof typeof DASHBOARD_UIDS;

export const DATASOURCE_UIDS = {
  prometheus: 'wmon-prometheus',
  loki: 'wmon-loki',
  jaeger: 'wmon-jaeger',
  alertmanager: 'wmon-alertmanager',
} as const;

export type DatasourceKind = keyof typeof DATASOURCE_UIDS;
