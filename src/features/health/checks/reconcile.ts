/**
 * The last reconcile with Stripe (the service's `GET /reconcile`): what Stripe has that the service never
 * stored, or why the reconcile fails. Only when wmon.yaml gives the service a Stripe API key.
 */
import type { ReconcileResult } from '@wmon/contract';

import type { HealthContext } from '../context.js';
import { ago, componentFailure } from '../failure.js';
import { row, type CheckRow, type CheckTask } from '../runner.js';

/** One line for the last reconcile's result. */
export function reconcileRow(r: ReconcileResult, interval: string): { status: 'OK' | 'WARNING'; detail: string } {
  const when = r.finishedAt ? `last reconcile ${ago(r.finishedAt)}` : 'last reconcile';
  switch (r.status) {
    case 'never':
      return {
        status: 'OK',
        detail: `no reconcile yet (the first runs shortly after start-up, then every ${interval})`,
      };
    case 'disabled':
      return {
        status: 'WARNING',
        detail: 'the service runs without its Stripe API key (service.stripeApiKey): run `wmon update`',
      };
    case 'error':
      return {
        status: 'WARNING',
        detail: `${when} failed (${r.error?.reason ?? 'unknown'}): ${r.error?.message ?? 'no reason given'}`,
      };
    case 'ok': {
      const missing = r.missingCount ?? 0;
      if (missing === 0)
        return { status: 'OK', detail: `${when}: all ${r.listed ?? 0} of Stripe's events since ${r.since} stored` };
      return {
        status: 'WARNING',
        detail:
          `${when}: ${missing} event(s) Stripe has never reached the service (${r.recovered ?? 0} recovered by that run); ` +
          '`wmon reconcile` lists what is still missing',
      };
    }
  }
}

export function reconcileTasks(ctx: HealthContext): CheckTask[] {
  const webhook = ctx.component('webhook');
  const client = ctx.clients.service;
  if (!webhook || !client || !ctx.config.service.stripeApiKey) return [];
  const at = webhook.privateUrl ?? webhook.url;
  return [
    {
      group: 'ready',
      id: 'reconcile.webhook',
      component: 'webhook',
      check: 'reconcile with Stripe',
      deadlineMs: ctx.timeoutMs + 500,
      async run(): Promise<CheckRow[]> {
        try {
          const r = reconcileRow(await client.lastReconcile(), ctx.config.service.reconcile.interval);
          return [row(this, r.status, r.detail)];
        } catch (error) {
          const f = componentFailure(error, `the webhook service at ${at}`);
          return [row(this, 'UNKNOWN', f.detail)];
        }
      },
    },
  ];
}
