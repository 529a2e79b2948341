/**
 * `--probe`: an end-to-end canary. Sends one synthetic Stripe event, signed with the stack's webhook secret
 * by Stripe's own library (as Stripe's documentation does in tests), to the webhook service, then watches
 * Prometheus until its counters show the request accepted and the event processed. It proves the whole
 * path — signature verification, storage, the queue, the metrics endpoint and the scrape — works now.
 *
 * The event is @wmon/contract's probe event: a `balance.available` with an `evt_wmonprobe…` id, a type the
 * service records and nothing else acts on. Prometheus sees it at its next scrape, so the probe takes up to
 * one scrape interval.
 */
import { PROBE_SOURCE, probeEvent, ROUTES } from '@wmon/contract';

import { isComponentRequestError } from '../../../adapters/clients/index.js';
import { GENERATED_SECRET_FILES } from '../../../adapters/stack-dir/secrets.js';
import { series } from '../../../core/vocab/webhook-queries.js';
import { durationSeconds } from '../../../core/vocab/durations.js';
import { singleValue } from '../../metrics/prometheus.js';
import type { HealthContext } from '../context.js';
import { prometheusFailure } from '../failure.js';
import { checkTask, row, type CheckTask } from '../runner.js';

/** The counters the probe must move, as PromQL: the service counts the probe apart (`source="probe"`). */
const COUNTERS = {
  accepted: `sum(${series('requestsTotal', { route: ROUTES.webhook, status: '200', source: PROBE_SOURCE })})`,
  processed: `sum(${series('eventsProcessed', { outcome: 'success', source: PROBE_SOURCE })})`,
} as const;

/** The deadline of the probe: two scrape intervals for Prometheus to see it, plus time to send it. */
export function probeDeadlineMs(ctx: HealthContext): number {
  const scrape = durationSeconds(ctx.config.prometheus.scrapeInterval) ?? 15;
  return (2 * scrape + 10) * 1000 + ctx.timeoutMs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function probeTasks(ctx: HealthContext): CheckTask[] {
  const deadlineMs = probeDeadlineMs(ctx);
  const task = checkTask(
    ctx,
    { group: 'probe', id: 'probe', component: 'webhook', check: 'end-to-end probe', deadlineMs },
    async (self) => {
      const client = ctx.clients.service;
      const prom = ctx.clients.prometheus;
      if (!client)
        return [row(self, 'UNKNOWN', '--probe needs the bundled webhook service (components.webhook.enabled)')];
      if (!prom) return [row(self, 'UNKNOWN', '--probe confirms through Prometheus, which is switched off')];
      const secret = await ctx.webhookSecret();
      if (!secret)
        return [
          row(
            self,
            'UNKNOWN',
            `no Stripe webhook secret to sign with (neither ${ctx.stackDir}/${GENERATED_SECRET_FILES.stripeWebhookSecret} nor service.stripeWebhookSecret)`,
          ),
        ];

      const started = Date.now();
      const read = async () => {
        const [a, p] = await Promise.all([prom.query(COUNTERS.accepted), prom.query(COUNTERS.processed)]);
        return { accepted: singleValue(a) ?? 0, processed: singleValue(p) ?? 0 };
      };
      let before;
      try {
        before = await read();
      } catch (error) {
        const f = prometheusFailure(error, ctx.component('prometheus')?.url ?? '');
        if (f) return [row(self, f.status, f.detail)];
        throw error;
      }

      // Stripe's library is loaded only for the probe (it is not small).
      const { default: Stripe } = await import('stripe');
      const event = probeEvent();
      const payload = JSON.stringify(event);
      let status: number;
      let body: string;
      const sent = performance.now();
      try {
        ({ status, body } = await client.postEvent(
          payload,
          Stripe.webhooks.generateTestHeaderString({ payload, secret }),
        ));
        body = body.slice(0, 200);
      } catch (error) {
        if (!isComponentRequestError(error)) throw error;
        return [row(self, 'CRITICAL', `could not send the probe event: ${error.message}`)];
      }
      const tookMs = Math.round(performance.now() - sent);
      if (status !== 200) {
        const why =
          status === 400 && /signature/i.test(body) ? ": the service does not accept the stack's signing secret" : '';
        return [
          row(self, 'CRITICAL', `the service answered HTTP ${status} to a signed probe event${why} (${body.trim()})`),
        ];
      }

      // Leave a second for the last look before the deadline.
      const giveUpAt = started + deadlineMs - 1500;
      let after = before;
      for (;;) {
        await sleep(1000);
        try {
          after = await read();
        } catch (error) {
          const f = prometheusFailure(error, ctx.component('prometheus')?.url ?? '');
          if (f)
            return [
              row(
                self,
                f.status,
                `the service accepted probe event ${event.id}, but ${f.detail.replace(/^cannot tell: /, '')}`,
              ),
            ];
          throw error;
        }
        // A counter that went down was reset (the service restarted): any value counts as moved.
        const moved = (k: keyof typeof before) => after[k] >= before[k] + 1 || after[k] < before[k];
        if (moved('accepted') && moved('processed')) {
          return [
            row(
              self,
              'OK',
              `probe event ${event.id} accepted in ${tookMs} ms, processed, and counted by Prometheus after ${((performance.now() - sent) / 1000).toFixed(1)} s`,
            ),
          ];
        }
        if (Date.now() >= giveUpAt) {
          const stuck = (['accepted', 'processed'] as const).filter((k) => !moved(k)).map((k) => COUNTERS[k]);
          return [
            row(
              self,
              'CRITICAL',
              `the service accepted probe event ${event.id} (HTTP 200 in ${tookMs} ms), but Prometheus did not see it within ${Math.round((performance.now() - sent) / 1000)} s: ${stuck.join(' and ')} did not move (is the webhook target scraped? is the queue processing?)`,
            ),
          ];
        }
      }
    },
  );
  return [task];
}
