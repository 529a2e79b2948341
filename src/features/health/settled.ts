/**
 * Whether Prometheus is ready for what a user does next, not only answering: it has loaded the rules wmon.yaml
 * renders, every scrape job wmon renders has its target scraped once and up, and (when Alertmanager is on) it
 * knows an Alertmanager. `wmon init` (and update, reset, restore) wait for this before saying the stack is up,
 * so an immediate `wmon check` sees the stack as it is, not as it starts.
 */
import { parse } from 'yaml';

import type { PrometheusClient, ScrapeTarget } from '../../adapters/clients/index.js';
import { handlerOf } from '../../core/config/scrape.js';
import type { Config } from '../../core/config/schema.js';
import { isEnabled } from '../../core/model/stack.js';
import { renderStack, type RenderResult } from '../../core/render/index.js';
import { WEBHOOK_JOB } from '../../core/render/prometheus.js';
import { diffRules, mergedRules, type RuleFile } from './drift.js';

/** What a settled Prometheus has, as wmon.yaml renders it. */
export interface SettledExpectation {
  /** The scrape jobs of prometheus.yml. */
  readonly jobs: readonly string[];
  /**
   * Jobs that scrape something wmon does not run (your own handler, prometheus.extraScrapeConfigs): scraped
   * once is enough, up or not.
   */
  readonly external: readonly string[];
  readonly rules: RuleFile;
  readonly alertmanager: boolean;
}

export function settledExpectation(config: Config, rendered: RenderResult = renderStack(config)): SettledExpectation {
  const promFile = rendered.files.find((f) => f.path === 'prometheus/prometheus.yml');
  const prom = (promFile ? parse(promFile.contents) : { scrape_configs: [] }) as {
    scrape_configs: Array<{ job_name: string }>;
  };
  return {
    jobs: prom.scrape_configs.map((j) => j.job_name),
    external: [
      ...(handlerOf(config) ? [WEBHOOK_JOB] : []),
      ...config.prometheus.extraScrapeConfigs.map((j) => j.job_name),
    ],
    rules: mergedRules(rendered.files),
    alertmanager: isEnabled(config, 'alertmanager'),
  };
}

/** Prometheus reports a target it has never scraped with the zero time as its last scrape. */
export function scrapedOnce(t: Pick<ScrapeTarget, 'lastScrape'>): boolean {
  const at = Date.parse(t.lastScrape);
  return Number.isFinite(at) && at > 0;
}

/** What Prometheus has not done yet (empty when it is settled); each line says what is awaited. */
export async function prometheusPending(prom: PrometheusClient, want: SettledExpectation): Promise<string[]> {
  const [targets, groups, alertmanagers] = await Promise.all([
    prom.targets(),
    prom.rules(),
    want.alertmanager ? prom.alertmanagers() : Promise.resolve({ active: ['(not needed)'], dropped: [] }),
  ]);
  const pending: string[] = [];
  const rules = diffRules(want.rules, groups);
  if (rules.length > 0) pending.push(`its rules are not loaded yet (${rules[0]}${rules.length > 1 ? ' …' : ''})`);
  for (const job of want.jobs) {
    const of = targets.filter((t) => t.job === job);
    if (of.length === 0) pending.push(`job ${job}: no target discovered yet`);
    for (const t of of) {
      if (!scrapedOnce(t)) pending.push(`target ${t.instance} (job ${job}): not scraped yet`);
      else if (t.health !== 'up' && !want.external.includes(job))
        pending.push(`target ${t.instance} (job ${job}) is ${t.health}: ${t.lastError}`);
    }
  }
  if (alertmanagers.active.length === 0) pending.push('it knows no Alertmanager yet');
  return pending;
}
