import type { RuleGroup } from '../../src/adapters/clients/index.js';
import type { RuleFile } from '../../src/features/health/drift.js';
import { durationSeconds } from '../../src/core/vocab/durations.js';

/** The rule groups Prometheus's /api/v1/rules reports once it has loaded `file` (every rule inactive, healthy). */
export function loadedRuleGroups(file: RuleFile): RuleGroup[] {
  return file.groups.map((g) => ({
    name: g.name,
    file: '/etc/prometheus/rules/webhook-alerts.yml',
    intervalSeconds: 15,
    rules: g.rules.map((r) =>
      r.record !== undefined
        ? {
            type: 'recording' as const,
            name: r.record,
            query: r.expr,
            labels: { ...(r.labels as Record<string, string> | undefined) },
            health: 'ok' as const,
            lastError: undefined,
          }
        : {
            type: 'alerting' as const,
            name: r.alert ?? '',
            query: r.expr,
            durationSeconds: durationSeconds(r.for ?? '0s') ?? Number.NaN,
            labels: { ...(r.labels as Record<string, string> | undefined) },
            annotations: { ...(r.annotations as Record<string, string> | undefined) },
            state: 'inactive' as const,
            health: 'ok' as const,
            lastError: undefined,
            alerts: [],
          },
    ),
  }));
}
