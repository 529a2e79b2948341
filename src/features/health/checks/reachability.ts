/**
 * What Prometheus sees of the service from outside and of the monitoring's own heartbeat: each blackbox
 * probe of the webhook service (the URL Stripe calls, and the service inside the stack), the TLS certificate
 * those URLs present, and whether Alertmanager delivered the Watchdog to the heartbeat receiver.
 */
import type { PrometheusClient, VectorSeries } from '../../../adapters/clients/index.js';
import { HEARTBEAT_RECEIVER } from '../../../core/render/alertmanager.js';
import { BLACKBOX_JOB, probeTargets } from '../../../core/render/blackbox.js';
import { isEnabled } from '../../../core/model/stack.js';
import type { HealthContext } from '../context.js';
import { row, type CheckRow, type CheckTask } from '../runner.js';
import { viaPrometheus } from './prometheus.js';

/** How far back the heartbeat check looks for Alertmanager's attempts to deliver it. */
export const HEARTBEAT_WINDOW = '15m';

const DAY = 86_400;

/** The vector an instant query answers (anything else is no series). */
export async function vector(prom: PrometheusClient, expr: string): Promise<readonly VectorSeries[]> {
  const r = await prom.query(expr);
  return r.resultType === 'vector' ? r.result : [];
}

const days = (seconds: number) => `${(seconds / DAY).toFixed(1)} days`;

/** A task that reads through Prometheus, with its client (viaPrometheus: its failure makes the row UNKNOWN). */
function throughPrometheus(
  ctx: HealthContext,
  spec: Pick<CheckTask, 'group' | 'id' | 'component' | 'check'>,
  run: (prom: PrometheusClient) => Promise<CheckRow[]>,
): CheckTask {
  return viaPrometheus(ctx, spec, () => run(ctx.clients.prometheus!));
}

export function reachabilityTasks(ctx: HealthContext): CheckTask[] {
  if (!ctx.clients.prometheus) return [];
  const tasks: CheckTask[] = [];
  const a = ctx.config.alerts;
  const selector = `{job="${BLACKBOX_JOB}"}`;

  if (isEnabled(ctx.config, 'blackboxExporter') && probeTargets(ctx.config).length > 0) {
    const probes = { group: 'targets', id: 'reachability', component: 'webhook', check: 'reachable' } as const;
    tasks.push(
      throughPrometheus(ctx, probes, async (prom) => {
        const [success, duration, status] = await Promise.all([
          vector(prom, `probe_success${selector}`),
          vector(prom, `probe_duration_seconds${selector}`),
          vector(prom, `probe_http_status_code${selector}`),
        ]);
        if (success.length === 0) {
          return [
            row(probes, 'OK', 'no probe result yet: the blackbox exporter has not been scraped (see its target)'),
          ];
        }
        // One URL may be probed as public and as internal (a publicUrl pointing into the stack): match both labels.
        const of = (list: readonly VectorSeries[], at: VectorSeries['metric']) =>
          list.find((s) => s.metric.instance === at.instance && s.metric.probe === at.probe)?.sample.value;
        return success.map((s) => {
          const instance = s.metric.instance ?? '';
          const probe = s.metric.probe ?? 'probe';
          const id = { ...probes, id: `reachability.${probe}/${instance}` };
          const seconds = of(duration, s.metric);
          const took = seconds === undefined ? '' : ` in ${Math.round(seconds * 1000)} ms`;
          if (s.sample.value === 1) return row(id, 'OK', `the ${probe} probe of ${instance} succeeded${took}`);
          const code = of(status, s.metric);
          const answer = code ? `answered HTTP ${code}` : 'no answer (DNS, TLS, connection or timeout)';
          const meaning =
            probe === 'public'
              ? 'Stripe cannot deliver there either (WebhookEndpointUnreachable)'
              : 'the service does not answer inside the stack';
          return row(id, 'CRITICAL', `the ${probe} probe of ${instance} fails: ${answer}${took}; ${meaning}`);
        });
      }),
    );

    const certs = { group: 'targets', id: 'certificate', component: 'webhook', check: 'certificate' } as const;
    tasks.push(
      throughPrometheus(ctx, certs, async (prom) => {
        // Only https URLs have the series; a plain-http stack has no certificate to check, and no row.
        const left = await vector(prom, `probe_ssl_earliest_cert_expiry${selector} - time()`);
        return left.map((s) => {
          const instance = s.metric.instance ?? '';
          const id = { ...certs, id: `certificate/${instance}` };
          const v = s.sample.value;
          const level = a.certificateExpiryDays;
          if (v <= level.critical * DAY)
            return row(
              id,
              'CRITICAL',
              `the certificate of ${instance} expires in ${days(v)} (${level.critical} days or fewer): renew it now`,
            );
          if (v <= level.warning * DAY)
            return row(
              id,
              'WARNING',
              `the certificate of ${instance} expires in ${days(v)} (${level.warning} days or fewer): renew it`,
            );
          return row(id, 'OK', `the certificate of ${instance} is valid for ${days(v)} more`);
        });
      }),
    );
  }

  if (isEnabled(ctx.config, 'alertmanager') && ctx.config.notifications.heartbeat) {
    const heartbeat = { group: 'alerts', id: 'heartbeat', component: 'alertmanager', check: 'heartbeat' } as const;
    tasks.push(
      throughPrometheus(ctx, heartbeat, async (prom) => {
        // Alertmanager runs with receiver-name-in-metrics: its notification counters carry `receiver_name`.
        const of = (metric: string) =>
          vector(prom, `sum(increase(${metric}{receiver_name="${HEARTBEAT_RECEIVER}"}[${HEARTBEAT_WINDOW}]))`).then(
            (r) => Math.round(r[0]?.sample.value ?? 0),
          );
        const [attempts, failed] = await Promise.all([
          of('alertmanager_notifications_total'),
          of('alertmanager_notifications_failed_total'),
        ]);
        if (failed > 0) {
          return [
            row(
              heartbeat,
              'CRITICAL',
              `Alertmanager failed to deliver ${failed} of ${Math.max(attempts, failed)} heartbeat(s) in the last ` +
                `${HEARTBEAT_WINDOW}: the dead man's switch will report the monitoring as down (check ` +
                'notifications.heartbeat.url and the network)',
            ),
          ];
        }
        if (attempts === 0) {
          return [
            row(heartbeat, 'OK', `no heartbeat sent in the last ${HEARTBEAT_WINDOW} yet (Watchdog not routed yet)`),
          ];
        }
        return [
          row(heartbeat, 'OK', `Alertmanager delivered ${attempts} heartbeat(s) in the last ${HEARTBEAT_WINDOW}`),
        ];
      }),
    );
  }
  return tasks;
}
