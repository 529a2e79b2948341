import { Flags } from '@oclif/core';

import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { formatReconcile } from '../cli/format/reconcile.js';
import { windowFlag } from '../cli/flags.js';
import { durationSeconds } from '../core/vocab/durations.js';
import { reconcileWithStripe } from '../ops/reconcile.js';
import type { ReconcileResultJson } from '../results.js';

export default class Reconcile extends WmonCommand {
  static override summary =
    'Ask the webhook service to reconcile with Stripe now: list the events Stripe has that it never stored.';

  static override description = `The running service lists Stripe's events created in the window (Stripe's List Events API, with the key of service.stripeApiKey) and compares their ids with its database; wmon prints those it never stored, with their ids, types and creation times. --replay stores and processes them, each once, through the same path as a delivered event (a delivery arriving meanwhile is a duplicate).

Needs service.stripeApiKey in wmon.yaml (a restricted key with read access to events); without it, says what to set and exits 78. Exits 69 when Stripe fails the run (a refused key, unreachable, rate limited) or the service cannot be reached, 75 when a reconcile is already running and another waits.`;

  static override examples = examples({
    'What never arrived in the last 72 hours': '',
    'Recover it': '--replay',
    'The last week, as JSON': '--since 7d --json',
  });

  static override flags = {
    since: windowFlag({
      summary: 'How far back to compare (1m to 30d: Stripe keeps events 30 days).',
      default: '72h',
    }),
    replay: Flags.boolean({ summary: 'Store and process the missing events (each once).' }),
    timeout: Flags.integer({
      summary: 'Seconds the whole run may take.',
      default: 300,
      min: 10,
      max: 3600,
      env: 'WMON_TIMEOUT',
    }),
  };

  async run(): Promise<ReconcileResultJson> {
    const { flags } = await this.parse(Reconcile);
    const ctx = await this.openStack(flags.config);
    const result = await reconcileWithStripe(ctx, {
      sinceSeconds: durationSeconds(flags.since) ?? 0,
      replay: flags.replay,
      timeoutMs: flags.timeout * 1000,
    });
    if (!this.jsonEnabled()) this.log(formatReconcile(result));
    return result;
  }
}
