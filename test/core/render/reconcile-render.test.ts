/**
 * wmon.yaml's reconcile with Stripe: service.stripeApiKey switches the reconcile alerts on, with the interval
 * of service.reconcile; bad values are refused with the key's path.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import type { RuleFile } from '../../../src/core/render/rules.js';

const rulesOf = (yamlText: string) => {
  const file = renderStack(parseConfigText(yamlText, 'wmon.yaml')).files.find((f) =>
    f.path.startsWith('prometheus/rules/'),
  );
  return (parse(file!.contents) as RuleFile).groups.flatMap((g) => g.rules);
};

describe('the reconcile with Stripe in wmon.yaml', () => {
  it('renders the reconcile alerts only with service.stripeApiKey, stale after 3 of its intervals', () => {
    expect(rulesOf('').map((r) => r.alert)).not.toContain('WebhookReconcileStale');
    expect(rulesOf('').map((r) => r.alert)).not.toContain('WebhookEventsMissed');
    const rules = rulesOf('service:\n  stripeApiKey: {file: ./key}\n  reconcile: {interval: 20m}\n');
    const stale = rules.find((r) => r.alert === 'WebhookReconcileStale');
    expect(stale?.expr).toContain('max_over_time(webhook_reconcile_last_success_timestamp_seconds[1h])) >= 3600');
    expect(stale?.annotations.description).toContain('(3 intervals of 20m)');
    expect(rules.map((r) => r.alert)).toContain('WebhookEventsMissed');
  });

  it('refuses an interval or window out of bounds, and an event type Stripe does not spell so', () => {
    expect(() => parseConfigText('service:\n  reconcile: {interval: 30s}\n', 'wmon.yaml')).toThrow(
      /service\.reconcile\.interval: must be from 1m to 24h/,
    );
    expect(() => parseConfigText('service:\n  reconcile: {window: 45d}\n', 'wmon.yaml')).toThrow(
      /service\.reconcile\.window: must be from 1m to 30d/,
    );
    expect(() => parseConfigText('service:\n  reconcile: {eventTypes: [Charge]}\n', 'wmon.yaml')).toThrow(
      /service\.reconcile\.eventTypes\[0\]: must be a Stripe event type/,
    );
  });
});
