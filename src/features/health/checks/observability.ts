/**
 * Grafana has wmon's data sources and dashboards; Loki receives the webhook service's logs; Jaeger knows
 * the service from its traces.
 */
import { DASHBOARD_UIDS, DATASOURCE_UIDS } from '../../../core/render/dashboards/uids.js';
import { DASHBOARD_FOLDER } from '../../../core/render/grafana.js';
import { isEnabled } from '../../../core/model/stack.js';
import { durationSeconds, humanDuration } from '../../../core/vocab/durations.js';
import type { HealthContext } from '../context.js';
import { componentFailure, isUnreachable, whatFailed } from '../failure.js';
import { row, type CheckRow, type CheckTask } from '../runner.js';

/** Loki answers a log query over at most this long (its default max_query_length is 721h). */
const MAX_LOKI_LOOKBACK_SECONDS = 30 * 86_400;

/** The service's name in its logs' `service` label and in its traces (OTEL_SERVICE_NAME). */
export function webhookServiceName(ctx: HealthContext): string {
  return ctx.component('webhook')?.env.OTEL_SERVICE_NAME ?? 'wmon-webhook';
}

/** Down or hung is the readiness row's news; here it only means this cannot be told. */
function unknownUnlessAnswered(error: unknown, who: string): { status: 'UNKNOWN' | 'CRITICAL'; detail: string } {
  if (isUnreachable(error))
    return { status: 'UNKNOWN', detail: `cannot tell: ${who} is not answering (${whatFailed(error)})` };
  const f = componentFailure(error, who);
  return { status: f.status === 'UNKNOWN' ? 'UNKNOWN' : 'CRITICAL', detail: f.detail };
}

export function grafanaTasks(ctx: HealthContext): CheckTask[] {
  if (!isEnabled(ctx.config, 'grafana')) return [];
  const deadlineMs = ctx.timeoutMs + 500;
  const wanted = {
    datasources: [
      DATASOURCE_UIDS.prometheus,
      ...(isEnabled(ctx.config, 'loki') ? [DATASOURCE_UIDS.loki] : []),
      ...(isEnabled(ctx.config, 'jaeger') ? [DATASOURCE_UIDS.jaeger] : []),
      ...(isEnabled(ctx.config, 'alertmanager') ? [DATASOURCE_UIDS.alertmanager] : []),
    ],
    dashboards: Object.values(DASHBOARD_UIDS),
  };
  const datasources: CheckTask = {
    group: 'grafana',
    id: 'grafana.datasources',
    component: 'grafana',
    check: 'datasources',
    deadlineMs,
    async run(): Promise<CheckRow[]> {
      const g = await ctx.grafana();
      if ('problem' in g) return [row(this, 'UNKNOWN', `cannot tell: ${g.problem}`)];
      try {
        const found = await Promise.all(wanted.datasources.map((uid) => g.client.getDatasource(uid)));
        const missing = wanted.datasources.filter((_, i) => found[i] === undefined);
        if (missing.length > 0)
          return [
            row(this, 'WARNING', `missing data source(s) ${missing.join(', ')}: panels that use them show no data`),
          ];
        return [row(this, 'OK', `${found.map((d) => `${d?.name} (${d?.uid})`).join(', ')} present`)];
      } catch (error) {
        const f = unknownUnlessAnswered(error, 'Grafana');
        return [row(this, f.status, f.detail)];
      }
    },
  };
  const dashboards: CheckTask = {
    group: 'grafana',
    id: 'grafana.dashboards',
    component: 'grafana',
    check: 'dashboards',
    deadlineMs,
    async run(): Promise<CheckRow[]> {
      const g = await ctx.grafana();
      if ('problem' in g) return [row(this, 'UNKNOWN', `cannot tell: ${g.problem}`)];
      try {
        const found = await Promise.all(wanted.dashboards.map((uid) => g.client.getDashboard(uid)));
        const missing = wanted.dashboards.filter((_, i) => found[i] === undefined);
        if (missing.length > 0) return [row(this, 'WARNING', `missing dashboard(s) ${missing.join(', ')}`)];
        const misplaced = found.filter((d) => d !== undefined && d.meta.folderUid !== DASHBOARD_FOLDER.uid);
        if (misplaced.length > 0) {
          return [
            row(
              this,
              'WARNING',
              `dashboard(s) ${misplaced.map((d) => d?.dashboard.uid).join(', ')} are not in the ${DASHBOARD_FOLDER.title} folder`,
            ),
          ];
        }
        return [
          row(this, 'OK', `${found.map((d) => d?.dashboard.title).join(', ')} in the ${DASHBOARD_FOLDER.title} folder`),
        ];
      } catch (error) {
        const f = unknownUnlessAnswered(error, 'Grafana');
        return [row(this, f.status, f.detail)];
      }
    },
  };
  return [datasources, dashboards];
}

export function lokiTasks(ctx: HealthContext): CheckTask[] {
  const loki = ctx.clients.loki;
  // The service ships its logs to Loki only when both are part of the stack.
  if (!loki || !isEnabled(ctx.config, 'webhook')) return [];
  const service = webhookServiceName(ctx);
  const lookback = Math.min(durationSeconds(ctx.config.loki.retention) ?? 7 * 86_400, MAX_LOKI_LOOKBACK_SECONDS);
  return [
    {
      group: 'loki',
      id: 'loki.logs',
      component: 'loki',
      check: 'service logs',
      deadlineMs: ctx.timeoutMs + 500,
      async run(): Promise<CheckRow[]> {
        const selector = `{service="${service}"}`;
        try {
          const now = Date.now();
          const r = await loki.queryRange(selector, {
            start: new Date(now - lookback * 1000),
            end: new Date(now + 1000),
            limit: 1,
            direction: 'backward',
          });
          const last =
            r.resultType === 'streams'
              ? r.result.flatMap((s) => s.entries).sort((a, b) => b.time.getTime() - a.time.getTime())[0]
              : undefined;
          if (!last)
            return [
              row(
                this,
                'WARNING',
                `Loki has no log line of ${selector} in the last ${humanDuration(lookback)}: the service's log shipping is broken`,
              ),
            ];
          return [
            row(
              this,
              'OK',
              `Loki has the service's logs; last line ${humanDuration((now - last.time.getTime()) / 1000)} ago`,
            ),
          ];
        } catch (error) {
          const f = unknownUnlessAnswered(error, 'Loki');
          return [row(this, f.status, f.detail)];
        }
      },
    },
  ];
}

export function jaegerTasks(ctx: HealthContext): CheckTask[] {
  const jaeger = ctx.clients.jaeger;
  if (!jaeger || !isEnabled(ctx.config, 'webhook')) return [];
  const service = webhookServiceName(ctx);
  return [
    {
      group: 'jaeger',
      id: 'jaeger.service',
      component: 'jaeger',
      check: 'knows the service',
      deadlineMs: ctx.timeoutMs + 500,
      async run(): Promise<CheckRow[]> {
        try {
          const services = await jaeger.services();
          if (services.includes(service)) return [row(this, 'OK', `Jaeger has traces of ${service}`)];
          return [
            row(
              this,
              'WARNING',
              `Jaeger has no trace of ${service} (it knows ${services.length ? services.join(', ') : 'no service'}): the service's tracing is broken`,
            ),
          ];
        } catch (error) {
          const f = unknownUnlessAnswered(error, 'Jaeger');
          return [row(this, f.status, f.detail)];
        }
      },
    },
  ];
}
