/**
 * What Prometheus knows: every scrape target up, the rules loaded and healthy, Alertmanager known to it,
 * the alerts firing now, and whether its configuration is the one wmon.yaml renders.
 */
import { parse } from 'yaml';

import type { PrometheusAlert } from '../../../adapters/clients/index.js';
import type { CheckAlertJson, CheckStatus } from '../../../results.js';
import { DNS_NAMES, isEnabled } from '../../../core/model/stack.js';
import type { HealthContext } from '../context.js';
import { diffAlertmanagerConfig, diffPrometheusConfig, diffRules, mergedRules, type RuleFile } from '../drift.js';
import { ago, componentFailure, prometheusFailure } from '../failure.js';
import { firedAt } from '../firing.js';
import { humanDuration } from '../../../core/vocab/durations.js';
import { checkTask, row, type CheckRow, type CheckTask } from '../runner.js';

type Rows = Promise<CheckRow[]>;

/** Scrape jobs (named after the components' DNS names) to component ids, e.g. node-exporter → nodeExporter. */
const JOB_COMPONENT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DNS_NAMES).map(([id, dns]) => [dns, id]),
);

/** A task that reads through Prometheus (its component, unless named): its failure makes the row UNKNOWN, saying so. */
export function viaPrometheus(
  ctx: HealthContext,
  spec: Pick<CheckTask, 'group' | 'id' | 'check'> & { readonly component?: string },
  run: (self: CheckTask) => Rows,
): CheckTask {
  const url = ctx.component('prometheus')?.url ?? '';
  return checkTask(ctx, { component: 'prometheus', ...spec }, async (self) => {
    try {
      return await run(self);
    } catch (error) {
      const f = prometheusFailure(error, url);
      if (f) return [row(self, f.status, f.detail)];
      throw error;
    }
  });
}

/**
 * Prometheus discovers targets and Alertmanagers a few seconds after it starts or reloads (every 5 s):
 * finding none that soon is not a problem yet.
 */
const RELOAD_GRACE_SECONDS = 30;

const SEVERITY_STATUS: Record<string, CheckStatus> = { critical: 'CRITICAL', warning: 'WARNING' };

export interface AlertSink {
  alerts: CheckAlertJson[];
}

export function prometheusTasks(ctx: HealthContext, sink: AlertSink): CheckTask[] {
  const prom = ctx.clients.prometheus;
  if (!prom) return [];
  const tasks: CheckTask[] = [];
  /** Seconds since Prometheus last loaded its configuration (start or reload); null when unknown. */
  const secondsSinceReload = async (): Promise<number | null> => {
    const r = await prom.query('time() - max(prometheus_config_last_reload_success_timestamp_seconds)');
    return r.resultType === 'vector' && r.result[0] ? r.result[0].sample.value : null;
  };

  tasks.push(
    viaPrometheus(ctx, { group: 'targets', id: 'targets', check: 'targets up' }, async (self) => {
      const targets = await prom.targets();
      if (targets.length === 0) {
        const since = await secondsSinceReload();
        if (since !== null && since < RELOAD_GRACE_SECONDS)
          return [
            row(
              self,
              'OK',
              `no scrape target discovered yet: Prometheus loaded its configuration ${Math.round(since)} s ago`,
            ),
          ];
        return [row(self, 'CRITICAL', 'Prometheus has no scrape target')];
      }
      return targets.map((t) => {
        const id = {
          id: `targets.${t.job}/${t.instance}`,
          component: JOB_COMPONENT[t.job] ?? t.job,
          check: 'target up',
        };
        if (t.health === 'down')
          return row(
            id,
            'CRITICAL',
            `target ${t.instance} (job ${t.job}) is down: ${t.lastError || 'scrape failed'} (last scrape ${ago(t.lastScrape)})`,
          );
        if (t.health === 'unknown')
          return row(id, 'OK', `target ${t.instance} (job ${t.job}) waits for its first scrape`);
        return row(
          id,
          'OK',
          `target ${t.instance} (job ${t.job}) up, scraped ${ago(t.lastScrape)} in ${Math.round(t.lastScrapeDurationSeconds * 1000)} ms`,
        );
      });
    }),
  );

  tasks.push(
    viaPrometheus(ctx, { group: 'rules', id: 'rules', check: 'rules loaded' }, async (self) => {
      const groups = await prom.rules();
      const rules = groups.flatMap((g) => g.rules);
      const alerting = rules.filter((r) => r.type === 'alerting');
      if (alerting.length === 0) return [row(self, 'CRITICAL', 'no alert rule is loaded: no alert can fire')];
      const broken = rules.filter((r) => r.health === 'err');
      if (broken.length > 0) {
        return [
          row(
            self,
            'WARNING',
            `${broken.length} rule(s) fail to evaluate: ${broken.map((r) => `${r.name}: ${r.lastError ?? 'error'}`).join('; ')}`,
          ),
        ];
      }
      return [row(self, 'OK', `${alerting.length} alert rules in ${groups.length} group(s) loaded and evaluating`)];
    }),
  );

  if (isEnabled(ctx.config, 'alertmanager')) {
    tasks.push(
      viaPrometheus(ctx, { group: 'alerts', id: 'alerting', check: 'sends alerts' }, async (self) => {
        const am = await prom.alertmanagers();
        if (am.active.length === 0) {
          const since = await secondsSinceReload();
          if (since !== null && since < RELOAD_GRACE_SECONDS) {
            return [
              row(
                self,
                'OK',
                `no Alertmanager discovered yet: Prometheus loaded its configuration ${Math.round(since)} s ago`,
              ),
            ];
          }
          return [row(self, 'CRITICAL', 'Prometheus knows no Alertmanager: alerts would reach nobody')];
        }
        return [row(self, 'OK', `to ${am.active.join(', ')}`)];
      }),
    );
  }

  tasks.push(
    viaPrometheus(ctx, { group: 'alerts', id: 'alerts', component: 'alerts', check: 'alerts firing' }, async (self) => {
      // The rules, not /api/v1/alerts: each alert with its rule's `for`, which says when it fired.
      const groups = await prom.rules();
      const alerts = groups.flatMap((g) =>
        g.rules.flatMap((r) =>
          r.type === 'alerting' ? r.alerts.map((a) => ({ a, forSeconds: r.durationSeconds })) : [],
        ),
      );
      sink.alerts = alerts.map(({ a, forSeconds }) => toAlertJson(a, forSeconds));
      const firing = alerts.filter(({ a }) => a.state === 'firing');
      if (firing.length === 0) {
        const pending = alerts.length;
        return [row(self, 'OK', `no alert firing${pending ? ` (${pending} pending)` : ''}`)];
      }
      const now = Date.now();
      return firing.map(({ a, forSeconds }) => {
        const name = a.labels.alertname ?? 'alert';
        const severity = a.labels.severity ?? 'none';
        const where = a.labels.component ?? a.labels.job ?? 'alerts';
        const instance = a.labels.instance ?? a.labels.job ?? a.labels.scope ?? '';
        const fired = firedAt(a.activeAt, forSeconds);
        const since = fired ? `for ${humanDuration((now - fired.getTime()) / 1000)}` : 'since an unknown time';
        return row(
          { id: `alerts.${name}${instance ? `/${instance}` : ''}`, component: where, check: 'alert firing' },
          SEVERITY_STATUS[severity] ?? 'OK',
          `${name} (${severity}) firing ${since}: ${a.annotations.summary ?? ''}`.trim(),
        );
      });
    }),
  );

  tasks.push(
    viaPrometheus(ctx, { group: 'drift', id: 'drift.prometheus', check: 'config drift' }, async (self) => {
      const [yamlText, groups] = await Promise.all([prom.statusConfig(), prom.rules()]);
      const rendered = renderedFile(ctx, 'prometheus/prometheus.yml');
      const differences = [
        ...diffPrometheusConfig(rendered, parse(yamlText)),
        ...diffRules(renderedRules(ctx), groups),
      ];
      return driftRows(self, differences, 'the running configuration and rules are what wmon.yaml renders');
    }),
  );

  return tasks;
}

export function alertmanagerDriftTask(ctx: HealthContext): CheckTask[] {
  const am = ctx.clients.alertmanager;
  if (!am) return [];
  return [
    checkTask(
      ctx,
      { group: 'drift', id: 'drift.alertmanager', component: 'alertmanager', check: 'config drift' },
      async (self) => {
        let configYaml: string;
        try {
          configYaml = (await am.status()).configYaml;
        } catch (error) {
          const f = componentFailure(error, 'Alertmanager');
          // Down is the readiness row's news; here it only means the configuration cannot be read.
          return [
            row(self, 'UNKNOWN', `cannot read the running configuration: ${f.detail.replace(/^Alertmanager /, '')}`),
          ];
        }
        const differences = diffAlertmanagerConfig(
          renderedFile(ctx, 'alertmanager/alertmanager.yml'),
          parse(configYaml),
        );
        return driftRows(self, differences, 'the running configuration is what wmon.yaml renders');
      },
    ),
  ];
}

/** A drift row: OK saying `same`, or a WARNING naming the first difference (every one in `differences`). */
function driftRows(self: CheckTask, differences: readonly string[], same: string): CheckRow[] {
  if (differences.length === 0) return [row(self, 'OK', same)];
  const first = `${differences[0]}${differences.length > 1 ? ' …' : ''}`;
  return [
    row(
      self,
      'WARNING',
      `the running configuration differs from wmon.yaml in ${differences.length} place(s): ${first} (run \`wmon update\`)`,
      differences,
    ),
  ];
}

function renderedFile(ctx: HealthContext, file: string): Record<string, unknown> {
  const f = ctx.rendered().files.find((x) => x.path === file);
  if (!f) throw new Error(`wmon renders no ${file}`);
  return parse(f.contents) as Record<string, unknown>;
}

/** wmon's rules and the user's (alerts.extraRuleFiles): what Prometheus should have loaded. */
function renderedRules(ctx: HealthContext): RuleFile {
  return mergedRules(ctx.rendered().files);
}

function toAlertJson(a: PrometheusAlert, forSeconds: number): CheckAlertJson {
  const fired = a.state === 'firing' ? firedAt(a.activeAt, forSeconds) : null;
  return {
    name: a.labels.alertname ?? '',
    severity: a.labels.severity ?? 'none',
    state: a.state === 'firing' ? 'firing' : 'pending',
    activeAt: a.activeAt ?? null,
    firingSince: fired ? fired.toISOString() : null,
    summary: a.annotations.summary ?? '',
    labels: a.labels,
  };
}
