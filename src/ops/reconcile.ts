/**
 * `wmon reconcile`: ask the running webhook service (its internal listener) to reconcile with Stripe now,
 * and read what Stripe has that the service never stored.
 */
import { RECONCILE_WINDOW_BOUNDS, type ReconcileResult } from '@wmon/contract';

import type { StackContext } from '../context.js';
import { WmonError } from '../errors.js';
import type { ReconcileResultJson } from '../results.js';

export interface ReconcileOptions {
  readonly sinceSeconds: number;
  readonly replay: boolean;
  /** How long the whole run may take. */
  readonly timeoutMs: number;
}

/** What to set for a reconcile, in the words of wmon.yaml. */
export const RECONCILE_SETUP = [
  'Create a restricted key in the Stripe Dashboard (Developers → API keys → Create restricted key, Events: Read).',
  'Put it in a file (chmod 600) and set in wmon.yaml:  service: { stripeApiKey: { file: ./stripe-api-key } }',
  'Then run `wmon update`: the key is mounted into the service as a secret file (STRIPE_API_KEY_FILE).',
];

export async function reconcileWithStripe(ctx: StackContext, opts: ReconcileOptions): Promise<ReconcileResultJson> {
  const webhook = ctx.require('webhook');
  const { minSeconds, maxSeconds } = RECONCILE_WINDOW_BOUNDS;
  if (opts.sinceSeconds < minSeconds || opts.sinceSeconds > maxSeconds) {
    throw new WmonError(`--since must be from 1m to 30d (Stripe keeps events 30 days).`, { code: 'USAGE' });
  }
  if (!ctx.config.service.stripeApiKey) {
    throw new WmonError(
      `No Stripe API key is configured in ${ctx.loaded.file}: the service cannot list Stripe's events.`,
      {
        code: 'RECONCILE_NOT_CONFIGURED',
        suggestions: RECONCILE_SETUP,
      },
    );
  }
  const client = ctx.clients.service;
  if (!client) throw new WmonError('The webhook service is switched off.', { code: 'COMPONENT_DISABLED' });
  const res = await client.reconcile({ sinceSeconds: opts.sinceSeconds, replay: opts.replay }, opts.timeoutMs);
  const body = res.body;
  if ('error' in body && body.error === 'busy') {
    throw new WmonError(
      `The webhook service is already reconciling with Stripe: ${(body as { message: string }).message}.`,
      {
        code: 'RECONCILE_BUSY',
        suggestions: ['Run `wmon reconcile` again in a minute.'],
      },
    );
  }
  const result = body as ReconcileResult;
  if (result.status === 'disabled') {
    throw new WmonError(
      `The webhook service at ${webhook.privateUrl ?? webhook.url} runs without a Stripe API key, though ${ctx.loaded.file} sets service.stripeApiKey.`,
      { code: 'RECONCILE_NOT_CONFIGURED', suggestions: ['Run `wmon update` to give the service its key.'] },
    );
  }
  if (result.status !== 'ok') {
    throw new WmonError(
      `The reconcile with Stripe failed (${result.error?.reason ?? 'unknown'}): ${result.error?.message ?? 'no reason given'}.`,
      {
        code: 'RECONCILE_FAILED',
        suggestions:
          result.error?.reason === 'authentication'
            ? [
                'Replace the key in the file named by service.stripeApiKey, then run `wmon update`.',
                ...RECONCILE_SETUP.slice(0, 1),
              ]
            : ['`wmon runbook WebhookReconcileStale` says what each reason means and what to do.'],
      },
    );
  }
  const missing = result.missing ?? [];
  return {
    project: ctx.config.project,
    since: result.since ?? '',
    replay: opts.replay,
    listed: result.listed ?? 0,
    pages: result.pages ?? 0,
    missingCount: result.missingCount ?? missing.length,
    recovered: result.recovered ?? 0,
    missing: missing.map((m) => ({
      id: m.id,
      type: m.type,
      created: new Date(m.created * 1000).toISOString(),
      recovered: m.recovered,
    })),
    truncated: missing.length < (result.missingCount ?? 0),
    ...(result.error ? { warning: result.error.message } : {}),
  };
}
