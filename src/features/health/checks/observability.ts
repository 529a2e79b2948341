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
import type { GrafanaClient } from '../../../adapters/clients/index.js';
import { checkTask, row, type CheckRow, type CheckTask } from '../runner.js';

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

type Who = 'Grafana' | 'Loki' | 'Jaeger';

/** A check that asks `who`: the check's id is `<component>.<name>`; a failed request makes its row UNKNOWN or CRITICAL. */
function asking(
  ctx: HealthContext,
  who: Who,
  name: string,
  check: string,
  run: (self: CheckTask) => Promise<CheckRow[]>,
) {
  const component = who.toLowerCase() as 'grafana' | 'loki' | 'jaeger';
  return checkTask(ctx, { group: component, id: `${component}.${name}`, component, check }, async (self) => {
    try {
      return await run(self);
    } catch (error) {
      const f = unknownUnlessAnswered(error, who);
      return [row(self, f.status, f.detail)];
    }
  });
}

export function grafanaTasks(ctx: HealthContext): CheckTask[] {
  if (!isEnabled(ctx.config, 'grafana')) return [];
  const wanted = {
    datasources: [
      DATASOURCE_UIDS.prometheus,
      ...(isEnabled(ctx.config, 'loki') ? [DATASOURCE_UIDS.loki] : []),
      ...(isEnabled(ctx.config, 'jaeger') ? [DATASOURCE_UIDS.jaeger] : []),
      ...(isEnabled(ctx.config, 'alertmanager') ? [DATASOURCE_UIDS.alertmanager] : []),
    ],
    dashboards: Object.values(DASHBOARD_UIDS),
  };
  /** A check of Grafana's `what` (its id and name), with the client or UNKNOWN saying why there is none. */
  const grafanaCheck = (what: string, run: (self: CheckTask, client: GrafanaClient) => Promise<CheckRow[]>) =>
    asking(ctx, 'Grafana', what, what, async (self) => {
      const g = await ctx.grafana();
      if ('problem' in g) return [row(self, 'UNKNOWN', `cannot tell: ${g.problem}`)];
      return run(self, g.client);
    });
  const datasources = grafanaCheck('datasources', async (self, client) => {
    const found = await Promise.all(wanted.datasources.map((uid) => client.getDatasource(uid)));
    const missing = wanted.datasources.filter((_, i) => found[i] === undefined);
    if (missing.length > 0)
      return [row(self, 'WARNING', `missing data source(s) ${missing.join(', ')}: panels that use them show no data`)];
    return [row(self, 'OK', `${found.map((d) => `${d?.name} (${d?.uid})`).join(', ')} present`)];
  });
  const dashboards = grafanaCheck('dashboards', async (self, client) => {
    const found = await Promise.all(wanted.dashboards.map((uid) => client.getDashboard(uid)));
    const missing = wanted.dashboards.filter((_, i) => found[i] === undefined);
    if (missing.length > 0) return [row(self, 'WARNING', `missing dashboard(s) ${missing.join(', ')}`)];
    const misplaced = found.filter((d) => d !== undefined && d.meta.folderUid !== DASHBOARD_FOLDER.uid);
    if (misplaced.length > 0) {
      return [
        row(
          self,
          'WARNING',
          `dashboard(s) ${misplaced.map((d) => d?.dashboard.uid).join(', ')} are not in the ${DASHBOARD_FOLDER.title} folder`,
        ),
      ];
    }
    return [
      row(self, 'OK', `${found.map((d) => d?.dashboard.title).join(', ')} in the ${DASHBOARD_FOLDER.title} folder`),
    ];
  });
  return [datasources, dashboards];
}

export function lokiTasks(ctx: HealthContext): CheckTask[] {
  const loki = ctx.clients.loki;
  // The service ships its logs to Loki only when both are part of the stack.
  if (!loki || !isEnabled(ctx.config, 'webhook')) return [];
  const service = webhookServiceName(ctx);
  const lookback = Math.min(durationSeconds(ctx.config.loki.retention) ?? 7 * 86_400, MAX_LOKI_LOOKBACK_SECONDS);
  return [
    asking(ctx, 'Loki', 'logs', 'service logs', async (self) => {
      const selector = `{service="${service}"}`;
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
            self,
            'WARNING',
            `Loki has no log line of ${selector} in the last ${humanDuration(lookback)}: the service's log shipping is broken`,
          ),
        ];
      return [
        row(
          self,
          'OK',
          `Loki has the service's logs; last line ${humanDuration((now - last.time.getTime()) / 1000)} ago`,
        ),
      ];
    }),
  ];
}

export function jaegerTasks(ctx: HealthContext): CheckTask[] {
  const jaeger = ctx.clients.jaeger;
  if (!jaeger || !isEnabled(ctx.config, 'webhook')) return [];
  const service = webhookServiceName(ctx);
  return [
    asking(ctx, 'Jaeger', 'service', 'knows the service', async (self) => {
      const services = await jaeger.services();
      if (services.includes(service)) return [row(self, 'OK', `Jaeger has traces of ${service}`)];
      return [
        row(
          self,
          'WARNING',
          `Jaeger has no trace of ${service} (it knows ${services.length ? services.join(', ') : 'no service'}): the service's tracing is broken`,
        ),
      ];
    }),
  ];
}
