/**
 * `wmon check`'s line per `prometheus.remoteWrite` endpoint, from Prometheus's own remote-storage metrics (its
 * self-scrape): samples the receiver refused (not retried: Prometheus drops them), and how far the queue is
 * behind what Prometheus has ingested (a receiver that cannot be reached or answers 5xx/429 is retried, so
 * its queue falls behind).
 */
import { remoteWriteName } from '../../../core/config/storage.js';
import { humanDuration } from '../../../core/vocab/durations.js';
import type { HealthContext } from '../context.js';
import { row, type CheckRow, type CheckTask } from '../runner.js';
import { viaPrometheus } from './prometheus.js';
import { vector } from './reachability.js';

/** A queue this far behind the newest ingested sample is reported (WARNING). */
export const REMOTE_WRITE_LAG_WARNING_SECONDS = 120;

export function remoteWriteTasks(ctx: HealthContext): CheckTask[] {
  const endpoints = ctx.config.prometheus.remoteWrite;
  const prom = ctx.clients.prometheus;
  if (endpoints.length === 0 || !prom) return [];
  const spec = { group: 'targets', id: 'remote-write', component: 'prometheus', check: 'remote write' } as const;
  return [
    viaPrometheus(ctx, spec, async () => {
      const [sent, newest, failed, retried] = await Promise.all([
        vector(prom, 'max by (remote_name) (prometheus_remote_storage_queue_highest_sent_timestamp_seconds)'),
        vector(prom, 'max(prometheus_remote_storage_highest_timestamp_in_seconds)'),
        vector(prom, 'sum by (remote_name) (increase(prometheus_remote_storage_samples_failed_total[5m]))'),
        vector(prom, 'sum by (remote_name) (increase(prometheus_remote_storage_samples_retried_total[5m]))'),
      ]);
      const of = (list: typeof sent, name: string) => list.find((s) => s.metric.remote_name === name)?.sample.value;
      const ingested = newest[0]?.sample.value ?? 0;
      return endpoints.map((endpoint, i): CheckRow => {
        const name = remoteWriteName(endpoint, i);
        const self = { ...spec, id: `remote-write.${name}` };
        const sentAt = of(sent, name);
        if (sentAt === undefined) {
          return row(self, 'OK', `no queue metrics for ${name} yet (Prometheus has just started or reloaded)`);
        }
        const dropped = Math.round(of(failed, name) ?? 0);
        if (dropped > 0) {
          return row(
            self,
            'WARNING',
            `${endpoint.url} refused ${dropped} samples in the last 5 min, which Prometheus dropped (an HTTP 4xx: check its credentials, tenant header and limits; Prometheus's log names the answer)`,
          );
        }
        const retries = Math.round(of(retried, name) ?? 0);
        const why = `${retries} samples retried in the last 5 min: ${endpoint.url} cannot be reached or answers 5xx/429`;
        if (sentAt === 0) {
          return retries > 0 ? row(self, 'WARNING', `nothing sent yet; ${why}`) : row(self, 'OK', 'nothing sent yet');
        }
        const lag = Math.max(0, ingested - sentAt);
        if (lag > REMOTE_WRITE_LAG_WARNING_SECONDS) {
          return row(self, 'WARNING', `${humanDuration(lag)} behind${retries > 0 ? `; ${why}` : ''}`);
        }
        return row(self, 'OK', `sending to ${endpoint.url}, ${humanDuration(lag)} behind`);
      });
    }),
  ];
}
