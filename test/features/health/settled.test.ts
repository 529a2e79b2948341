import { describe, expect, it } from 'vitest';

import type { PrometheusClient, RuleGroup, ScrapeTarget } from '../../../src/adapters/clients/index.js';
import { waitUntilSettled } from '../../../src/adapters/runtime/readiness.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { WmonError } from '../../../src/errors.js';
import { prometheusPending, settledExpectation } from '../../../src/features/health/settled.js';
import { loadedRuleGroups } from '../../support/loaded-rules.js';

const config = parseConfigText(
  'components:\n  grafana: {enabled: false}\n  loki: {enabled: false}\n  jaeger: {enabled: false}\n',
  'wmon.yaml',
);
const want = settledExpectation(config);

const loadedRules = (): RuleGroup[] => loadedRuleGroups(want.rules);

const target = (job: string, over: Partial<ScrapeTarget> = {}): ScrapeTarget => ({
  scrapePool: job,
  job,
  instance: `${job}:9000`,
  scrapeUrl: `http://${job}:9000/metrics`,
  health: 'up',
  lastError: '',
  lastScrape: '2026-12-01T08:00:00.123Z',
  lastScrapeDurationSeconds: 0.01,
  labels: { job, instance: `${job}:9000` },
  ...over,
});

/** Prometheus as its API answers at one moment. */
function prometheus(now: { targets: ScrapeTarget[]; rules: RuleGroup[]; alertmanagers: string[] }): PrometheusClient {
  return {
    targets: async () => now.targets,
    rules: async () => now.rules,
    alertmanagers: async () => ({ active: now.alertmanagers, dropped: [] }),
  } as unknown as PrometheusClient;
}

describe('whether Prometheus has settled after a start or reload', () => {
  it('expects every rendered scrape job, the rendered rules and Alertmanager', () => {
    expect(want.jobs).toEqual(['prometheus', 'alertmanager', 'node-exporter', 'webhook', 'blackbox-exporter']);
    expect(want.rules.groups.length).toBeGreaterThan(0);
    expect(want.alertmanager).toBe(true);
  });

  it('waits while a job has no target, a target was never scraped or is down, rules or Alertmanager are missing', async () => {
    const fresh = prometheus({
      targets: [
        target('prometheus'),
        target('alertmanager', { health: 'unknown', lastScrape: '0001-01-01T00:00:00Z' }),
        target('node-exporter', { health: 'down', lastError: 'connection refused' }),
      ],
      rules: [],
      alertmanagers: [],
    });
    const pending = await prometheusPending(fresh, want);
    expect(pending).toEqual([
      'its rules are not loaded yet (rule group wmon-webhook: not loaded …)',
      'target alertmanager:9000 (job alertmanager): not scraped yet',
      'target node-exporter:9000 (job node-exporter) is down: connection refused',
      'job webhook: no target discovered yet',
      'job blackbox-exporter: no target discovered yet',
      'it knows no Alertmanager yet',
    ]);
  });

  it('is settled when every target was scraped and is up, the rules are the rendered ones and Alertmanager is known', async () => {
    const settled = prometheus({
      targets: want.jobs.map((j) => target(j)),
      rules: loadedRules(),
      alertmanagers: ['http://alertmanager:9093/api/v2/alerts'],
    });
    expect(await prometheusPending(settled, want)).toEqual([]);
  });

  it('does not wait for a handler wmon does not run (service.scrapeTarget) to be up, only to be scraped once', async () => {
    const external = settledExpectation(
      parseConfigText(
        'components:\n  webhook: {enabled: false}\n  grafana: {enabled: false}\n  loki: {enabled: false}\n  jaeger: {enabled: false}\nservice:\n  scrapeTarget: host.containers.internal:8080\n',
        'wmon.yaml',
      ),
    );
    expect(external.external).toEqual(['webhook']);
    const down = prometheus({
      targets: external.jobs.map((j) =>
        j === 'webhook' ? target(j, { health: 'down', lastError: 'connection refused' }) : target(j),
      ),
      // Its own rules: nothing to probe without the bundled service or a public URL, so no probe alerts.
      rules: loadedRuleGroups(external.rules),
      alertmanagers: ['http://alertmanager:9093/api/v2/alerts'],
    });
    expect(await prometheusPending(down, external)).toEqual([]);
    expect(await prometheusPending(down, { ...external, external: [] })).toEqual([
      'target webhook:9000 (job webhook) is down: connection refused',
    ]);
  });

  it('after a reload, waits until the changed rules are the ones loaded', async () => {
    const old = loadedRules();
    const rule = old[0]!.rules[0] as { query: string };
    rule.query = 'vector(1)';
    const reloading = prometheus({
      targets: want.jobs.map((j) => target(j)),
      rules: old,
      alertmanagers: ['http://alertmanager:9093/api/v2/alerts'],
    });
    const pending = await prometheusPending(reloading, want);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatch(/^its rules are not loaded yet \(alert \w+: expr differs/);
  });
});

describe('waitUntilSettled', () => {
  it('returns once nothing is pending, having looked again while something was', async () => {
    const answers = [['a', 'b'], ['b'], []];
    const seen: string[][] = [];
    await waitUntilSettled(async () => answers.shift()!, {
      name: 'Prometheus',
      timeoutMs: 30_000,
      onPending: (p) => seen.push([...p]),
    });
    expect(seen).toEqual([['a', 'b'], ['b']]);
  });

  it('counts a failing answer as pending and, at the deadline, names what was still pending (NOT_READY)', async () => {
    let looks = 0;
    const error = await waitUntilSettled(
      async () => {
        looks++;
        if (looks === 1) throw new Error('connection refused\nstack');
        return ['job webhook: no target discovered yet'];
      },
      { name: 'Prometheus', timeoutMs: 600 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WmonError);
    expect((error as WmonError).code).toBe('NOT_READY');
    expect((error as WmonError).message).toMatch(
      /^Prometheus did not settle within [\d.]+ s: job webhook: no target discovered yet$/,
    );
    expect(looks).toBeGreaterThan(1);
  });
});
