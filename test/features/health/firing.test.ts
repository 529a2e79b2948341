import { describe, expect, it } from 'vitest';

import type { AlertingRule, PrometheusClient, RuleGroup } from '../../../src/adapters/clients/index.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { prometheusTasks, type AlertSink } from '../../../src/features/health/checks/prometheus.js';
import type { HealthContext } from '../../../src/features/health/context.js';
import { firedAt } from '../../../src/features/health/firing.js';

describe('when an alert fired', () => {
  it("is when it became active plus its rule's for (Prometheus fires it once it has been active that long)", () => {
    expect(firedAt('2026-12-01T08:00:00Z', 120)?.toISOString()).toBe('2026-12-01T08:02:00.000Z');
    expect(firedAt('2026-12-01T08:00:00Z', 0)?.toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(firedAt(undefined, 120)).toBeNull();
    expect(firedAt('0001-01-01T00:00:00Z', 120)).toBeNull();
  });
});

describe("wmon check's alerts row", () => {
  it('says how long an alert has fired from when it fired, not from when it went pending, and gives firingSince', async () => {
    const activeAt = new Date(Date.now() - 240_000).toISOString();
    const rule: AlertingRule = {
      type: 'alerting',
      name: 'WebhookHighErrorRate',
      query: 'x > 1',
      durationSeconds: 120,
      labels: { severity: 'critical' },
      annotations: {},
      state: 'firing',
      health: 'ok',
      lastError: undefined,
      alerts: [
        {
          labels: { alertname: 'WebhookHighErrorRate', severity: 'critical', job: 'webhook' },
          annotations: { summary: 'errors' },
          state: 'firing',
          activeAt,
          value: 2,
        },
      ],
    };
    const groups: RuleGroup[] = [{ name: 'wmon-webhook', file: 'x.yml', intervalSeconds: 15, rules: [rule] }];
    const ctx = {
      config: parseConfigText('components:\n  alertmanager: {enabled: false}\n', 'wmon.yaml'),
      clients: { prometheus: { rules: async () => groups } as unknown as PrometheusClient },
      component: () => ({ url: 'http://127.0.0.1:9090' }),
      timeoutMs: 5000,
    } as unknown as HealthContext;
    const sink: AlertSink = { alerts: [] };
    const task = prometheusTasks(ctx, sink).find((t) => t.id === 'alerts')!;
    const [row] = await task.run();
    expect(row?.status).toBe('CRITICAL');
    expect(row?.detail).toBe('WebhookHighErrorRate (critical) firing for 2 min: errors');
    expect(sink.alerts[0]).toMatchObject({
      activeAt,
      firingSince: new Date(Date.parse(activeAt) + 120_000).toISOString(),
    });
  });
});
