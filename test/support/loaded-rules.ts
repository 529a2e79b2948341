import type { RuleGroup } from '../../src/adapters/clients/index.js';
import type { RuleFile } from '../../src/core/render/rules.js';
import { durationSeconds } from '../../src/core/vocab/durations.js';

/** The rule groups Prometheus's /api/v1/rules reports once it has loaded `file` (every rule inactive, healthy). */
export function loadedRuleGroups(file: RuleFile): RuleGroup[] {
  return file.groups.map((g) => ({
    name: g.name,
    file: '/etc/prometheus/rules/webhook-alerts.yml',
    intervalSeconds: 15,
    rules: g.rules.map((r) => ({
      type: 'alerting' as const,
      name: r.alert,
      query: r.expr,
      durationSeconds: durationSeconds(r.for) ?? Number.NaN,
      labels: { ...r.labels },
      annotations: { ...r.annotations },
      state: 'inactive' as const,
      health: 'ok' as const,
      lastError: undefined,
      alerts: [],
    })),
  }));
}
