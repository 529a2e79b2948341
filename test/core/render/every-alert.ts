import { alertsSchema } from '../../../src/core/config/alerts.js';
import { buildAlertRules, type AlertingRule } from '../../../src/core/render/rules.js';

/** Every alert wmon can render: every optional alert switched on. */
export function everyAlert(): AlertingRule[] {
  const rules = buildAlertRules({ alerts: alertsSchema.parse({}), grafanaUrl: 'http://127.0.0.1:3000' });
  return rules.groups.flatMap((g) => g.rules);
}
