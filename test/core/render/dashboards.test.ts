import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_ALERTS, alertsSchema } from '../../../src/core/config/alerts.js';
import { knownSeriesNames, PROBE_SOURCE, seriesNamesWithLabel } from '@wmon/contract';
import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import { QUEUE_BY_STATE } from '../../../src/core/vocab/webhook-queries.js';
import type { GridPos, Threshold } from '@grafana/grafana-foundation-sdk/dashboard';
import * as stats from '@grafana/grafana-foundation-sdk/stat';
import {
  DASHBOARD_UIDS,
  DATASOURCE_UIDS,
  buildDashboards as buildSdkDashboards,
  type DashboardOptions,
} from '../../../src/core/render/dashboards/index.js';
import { analyzePromql, checkPromql, substituteGrafanaVariables } from '../../../src/core/render/promql.js';
import { findPromtool, promtool } from '../../promtool/promtool.js';

const ALL_ON: DashboardOptions = {
  alerts: DEFAULT_ALERTS,
  loki: true,
  jaeger: true,
  nodeExporter: true,
  blackbox: true,
};
const ALL_OFF: DashboardOptions = {
  alerts: DEFAULT_ALERTS,
  loki: false,
  jaeger: false,
  nodeExporter: false,
  blackbox: false,
};

/**
 * What these tests read of a dashboard. The SDK's model leaves almost every field optional; wmon's builders
 * set all of these, and the tests below fail if one is missing.
 */
interface DatasourceRef {
  readonly type: string;
  readonly uid: string;
}
interface Target {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr?: string;
  readonly queryType?: string;
  readonly service?: string;
  readonly minDuration?: string;
}
type PrometheusQuery = Target & { readonly expr: string; readonly legendFormat: string; readonly format?: string };
interface PanelBase {
  readonly id: number;
  readonly title: string;
  readonly gridPos: GridPos;
  readonly datasource: DatasourceRef;
  readonly targets: readonly Target[];
}
type ContentPanel =
  | (PanelBase & {
      readonly type: 'timeseries' | 'stat' | 'gauge' | 'heatmap' | 'piechart';
      readonly fieldConfig: {
        readonly defaults: { readonly unit?: string; readonly thresholds: { readonly steps: Threshold[] } };
      };
    })
  | (PanelBase & { readonly type: 'logs' | 'table' });
interface RowPanel {
  readonly id: number;
  readonly type: 'row';
  readonly title: string;
  readonly gridPos: GridPos;
}
type Panel = ContentPanel | RowPanel;
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly panels: readonly Panel[];
  readonly annotations: {
    readonly list: ReadonlyArray<{ readonly name: string } | { readonly name: string; readonly expr: string }>;
  };
}

function buildDashboards(opts: DashboardOptions) {
  return buildSdkDashboards(opts).map((d) => ({ ...d, dashboard: d.dashboard as unknown as Dashboard }));
}

const content = (d: Dashboard): ContentPanel[] => d.panels.filter((p): p is ContentPanel => p.type !== 'row');
const titles = (d: Dashboard): string[] => content(d).map((p) => p.title);

/** Every PromQL expression of a dashboard: Prometheus panel targets and Prometheus annotations. */
function promqlOf(d: Dashboard): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of content(d)) {
    for (const t of p.targets) {
      if (t.datasource.type === 'prometheus')
        out.push({ where: `${d.uid} / ${p.title} / ${t.refId}`, expr: (t as PrometheusQuery).expr });
    }
  }
  for (const a of d.annotations.list) {
    if ('expr' in a) out.push({ where: `${d.uid} / annotation ${a.name}`, expr: a.expr });
  }
  return out;
}

function byUid(opts: DashboardOptions): Record<string, Dashboard> {
  return Object.fromEntries(buildDashboards(opts).map((d) => [d.uid, d.dashboard]));
}

describe('buildDashboards', () => {
  const all = buildDashboards(ALL_ON);

  it('builds the three dashboards with fixed uids, file names, titles and tags', () => {
    expect(all.map((d) => [d.uid, d.fileName, d.dashboard.title])).toEqual([
      ['wmon-overview', 'overview.json', 'Webhook Overview'],
      ['wmon-performance', 'performance.json', 'Webhook Performance'],
      ['wmon-events', 'events.json', 'Webhook Events'],
    ]);
    expect(Object.values(DASHBOARD_UIDS)).toEqual(all.map((d) => d.uid));
    for (const d of all) {
      expect(d.dashboard.uid).toBe(d.uid);
      expect(d.dashboard.tags).toEqual(['wmon', 'webhook']);
      expect(d.dashboard.description).toContain('wmon.yaml');
    }
  });

  it('has the panels SPEC.md lists', () => {
    const d = byUid(ALL_ON);
    const overview = d['wmon-overview']!;
    const performance = d['wmon-performance']!;
    const events = d['wmon-events']!;
    // Overview: request rate and errors; response time percentiles; queue size and processing time; gauges.
    expect(titles(overview)).toEqual(
      expect.arrayContaining(['Request rate', 'Requests by status', 'Errors by type', 'Error rate']),
    );
    const percentiles = content(overview).find((p) => p.title === 'Response time percentiles')!;
    expect(percentiles.targets.map((t) => (t as PrometheusQuery).legendFormat)).toEqual(['p50', 'p95', 'p99']);
    expect(titles(overview)).toEqual(expect.arrayContaining(['Queue size', 'Event processing time']));
    expect(
      content(overview)
        .filter((p) => p.type === 'gauge')
        .map((p) => p.title),
    ).toEqual(['Memory', 'CPU', 'Host CPU', 'Host memory', 'Host disk (/)']);
    // Performance: latency heatmap; resource usage trends; database performance; cache effectiveness.
    const heat = content(performance).find((p) => p.type === 'heatmap')!;
    expect((heat.targets[0] as PrometheusQuery).expr).toContain('webhook_request_duration_seconds_bucket');
    expect((heat.targets[0] as PrometheusQuery).format).toBe('heatmap');
    expect(titles(performance)).toEqual(
      expect.arrayContaining([
        'Memory',
        'CPU',
        'Query duration (p95) by operation',
        'Connections',
        'Hit ratio by cache',
        'Hits and misses',
      ]),
    );
    // Events: event type distribution; processing success rate; event volume trends; queue metrics.
    expect(content(events).find((p) => p.type === 'piechart')?.title).toBe('Event type distribution');
    expect(titles(events)).toEqual(
      expect.arrayContaining([
        'Processing success rate',
        'Event volume by type',
        'Accepted and finished',
        'Pending',
        'Dead letters',
        'Queue size by state',
      ]),
    );
  });

  it('rates use $__rate_interval (or $__range for totals), never a fixed window', () => {
    for (const d of all) {
      for (const { where, expr } of promqlOf(d.dashboard)) {
        for (const m of expr.matchAll(/\[([^\]]+)\]/g)) expect(m[1], where).toMatch(/^\$__(rate_interval|range)$/);
      }
    }
  });

  it('every Prometheus query parses and refers only to metrics the service, node exporter or Prometheus export', () => {
    const known = knownSeriesNames();
    let count = 0;
    for (const d of all) {
      for (const { where, expr } of promqlOf(d.dashboard)) {
        expect(checkPromql(expr, { knownNames: known, grafana: true }), where).toEqual([]);
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(50);
  });

  it('leaves wmon\'s probe out of every query on a metric that counts it apart (source!="probe")', () => {
    const mustExclude = { names: seriesNamesWithLabel('source'), label: 'source', value: PROBE_SOURCE };
    let selectors = 0;
    for (const d of all) {
      for (const { where, expr } of promqlOf(d.dashboard)) {
        expect(checkPromql(expr, { grafana: true, mustExclude }), where).toEqual([]);
        selectors += analyzePromql(expr, { grafana: true }).selectors.filter((s) =>
          mustExclude.names.has(s.name),
        ).length;
      }
    }
    // Request, latency and event panels: the check saw them.
    expect(selectors).toBeGreaterThan(10);
  });

  it('every Prometheus query is accepted by promtool 2.42 too (types included)', async () => {
    const bin = await findPromtool();
    const dir = await mkdtemp(path.join(tmpdir(), 'wmon-dashboards-'));
    try {
      const rules = all.flatMap((d) =>
        promqlOf(d.dashboard).map(({ expr }, i) => ({
          record: `wmon_dashboard:${d.uid.replace(/-/g, '_')}:q${i}`,
          expr: substituteGrafanaVariables(expr),
        })),
      );
      await writeFile(path.join(dir, 'queries.yml'), stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
      const result = await promtool(bin, ['check', 'rules', 'queries.yml'], dir);
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refers only to the fixed datasource uids, Prometheus by default', () => {
    const uids = new Set<string>(Object.values(DATASOURCE_UIDS));
    for (const d of all) {
      for (const p of content(d.dashboard)) {
        expect(uids, p.title).toContain(p.datasource.uid);
        for (const t of p.targets) expect(t.datasource).toEqual(p.datasource);
      }
    }
    expect(DATASOURCE_UIDS).toEqual({
      prometheus: 'wmon-prometheus',
      loki: 'wmon-loki',
      jaeger: 'wmon-jaeger',
      alertmanager: 'wmon-alertmanager',
    });
  });

  it('shows logs (Loki) and traces (Jaeger) of the webhook service when they are on', () => {
    const json = JSON.stringify(all);
    expect(json).toContain('"uid":"wmon-loki"');
    expect(json).toContain('"uid":"wmon-jaeger"');
    const logs = all.flatMap((d) => content(d.dashboard)).filter((p) => p.type === 'logs');
    expect(logs.map((p) => p.targets[0]?.expr)).toEqual([
      '{service="wmon-webhook"}',
      '{service="wmon-webhook", level=~"warning|error|critical"}',
    ]);
    const traces = all.flatMap((d) => content(d.dashboard)).filter((p) => p.type === 'table');
    expect(traces.map((p) => p.targets[0])).toEqual([
      expect.objectContaining({ queryType: 'search', service: 'wmon-webhook' }),
      expect.objectContaining({ queryType: 'search', service: 'wmon-webhook', minDuration: '500ms' }),
    ]);
  });

  it.each([
    ['loki', { loki: false }, /wmon-loki|"loki"|"logs"/],
    ['jaeger', { jaeger: false }, /wmon-jaeger|"jaeger"|traces/i],
    ['nodeExporter', { nodeExporter: false }, /node_|Host /],
    ['blackboxExporter', { blackbox: false }, /probe_|Probe |Certificate /],
  ] as const)('leaves no panel or reference behind when %s is off', (_name, off, pattern) => {
    expect(JSON.stringify(buildDashboards(ALL_ON))).toMatch(pattern);
    expect(JSON.stringify(buildDashboards({ ...ALL_ON, ...off }))).not.toMatch(pattern);
  });

  it('with every optional component off, uses Prometheus only', () => {
    for (const d of buildDashboards(ALL_OFF)) {
      for (const p of content(d.dashboard)) expect(p.datasource.uid).toBe('wmon-prometheus');
      expect(JSON.stringify(d.dashboard)).not.toMatch(/loki|jaeger|node_/i);
    }
  });

  it('lays panels out on the 24-column grid without overlaps, with unique ids and no empty rows', () => {
    for (const opts of [ALL_ON, ALL_OFF]) {
      for (const { dashboard } of buildDashboards(opts)) {
        const ids = dashboard.panels.map((p) => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        const cells = new Set<string>();
        dashboard.panels.forEach((p: Panel, i) => {
          const g = p.gridPos;
          expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
          for (let x = g.x; x < g.x + g.w; x++) {
            for (let y = g.y; y < g.y + g.h; y++) {
              const key = `${x},${y}`;
              expect(cells.has(key), `${dashboard.uid}: ${p.title} overlaps`).toBe(false);
              cells.add(key);
            }
          }
          if (p.type === 'row') expect(dashboard.panels[i + 1]?.type, `${p.title} is empty`).not.toBe('row');
        });
      }
    }
  });

  it('gives every metric panel a unit', () => {
    for (const d of all) {
      for (const p of content(d.dashboard)) {
        if ('fieldConfig' in p && p.type !== 'heatmap') expect(p.fieldConfig.defaults.unit, p.title).toBeTruthy();
      }
    }
  });

  it('colours panels at the alert thresholds of the config', () => {
    const alerts = alertsSchema.parse({
      errorRatePercent: { critical: 20, warning: 8 },
      latencyP95Ms: { warning: 750 },
    });
    const overview = byUid({ ...ALL_ON, alerts })['wmon-overview']!;
    const errorRate = content(overview).find((p) => p.title === 'Error rate' && p.type === 'stat');
    expect(errorRate && 'fieldConfig' in errorRate ? errorRate.fieldConfig.defaults.thresholds.steps : []).toEqual([
      { color: 'green', value: null },
      { color: 'orange', value: 0.08 },
      { color: 'red', value: 0.2 },
    ]);
    const performance = byUid({ ...ALL_ON, alerts })['wmon-performance']!;
    expect(titles(performance)).toContain('Slow requests (over 750 ms)');
  });

  it('is deterministic: the same options give byte-identical JSON', () => {
    const again = buildDashboards({ ...ALL_ON, alerts: alertsSchema.parse({}) });
    expect(JSON.stringify(again, null, 2)).toBe(JSON.stringify(all, null, 2));
    expect(JSON.stringify(buildDashboards(ALL_OFF))).toBe(JSON.stringify(buildDashboards(ALL_OFF)));
  });
});

describe('dashboards built with the SDK', () => {
  const variants = { 'all-on': ALL_ON, 'all-off': ALL_OFF } as const;
  /** wmon.yaml for each variant (the defaults switch every component on). */
  const yaml: Record<keyof typeof variants, string> = {
    'all-on': '',
    'all-off':
      'components:\n  loki: {enabled: false}\n  jaeger: {enabled: false}\n  nodeExporter: {enabled: false}\n' +
      '  blackboxExporter: {enabled: false}\n',
  };

  /** Panels (rows included) appended to a dashboard after the hand-written model, by file. */
  const ADDED_SINCE: Record<string, number> = {
    // The "Reconcile with Stripe" row and its three panels.
    'events.json': 4,
  };

  /** Where `before` has something `after` lacks or holds differently, as `path: before → after` lines. */
  function missing(before: unknown, after: unknown, at = '$'): string[] {
    if (Array.isArray(before)) {
      // Panels added since come after the hand-written ones (at the end of a dashboard), moving none of them.
      const kept =
        at === '$.panels' && Array.isArray(after) && after.length > before.length
          ? after.slice(0, before.length)
          : after;
      if (!Array.isArray(kept) || kept.length !== before.length)
        return [`${at}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`];
      return before.flatMap((b, i) => missing(b, kept[i], `${at}[${i}]`));
    }
    if (typeof before === 'object' && before !== null) {
      if (typeof after !== 'object' || after === null)
        return [`${at}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`];
      return Object.entries(before).flatMap(([k, v]) =>
        missing(v, (after as Record<string, unknown>)[k], `${at}.${k}`),
      );
    }
    return Object.is(before, after) ? [] : [`${at}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`];
  }

  it.each(Object.entries(variants))(
    'keeps every panel, query, unit, threshold, position and link of the hand-written model (%s)',
    async (name, opts) => {
      // fixtures/dashboards-hand-written: what the hand-written model rendered just before the SDK replaced it.
      for (const d of buildSdkDashboards(opts)) {
        const file = path.join(import.meta.dirname, 'fixtures/dashboards-hand-written', `${name}.${d.fileName}`);
        const before = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
        // Changed since on purpose: every query leaves wmon's probe out (source!="probe"), which is checked above;
        // the queue's backlog is read with max, not sum (replicas of the service report the same database-wide figure).
        const escaped = (expr: string) => JSON.stringify(expr).slice(1, -1);
        const after = JSON.parse(
          JSON.stringify(d.dashboard)
            .replaceAll(', source!=\\"probe\\"', '')
            .replaceAll('{source!=\\"probe\\"}', '')
            .replaceAll(escaped(QUEUE_BY_STATE), escaped('sum by (state) (webhook_queue_size)'))
            .replaceAll('max(webhook_queue_size{', 'sum(webhook_queue_size{'),
        ) as Record<string, unknown>;
        // Panels added since (at the end, after the hand-written model's last one) are not the model's.
        const added = ADDED_SINCE[d.fileName] ?? 0;
        after.panels = (after.panels as unknown[]).slice(0, (after.panels as unknown[]).length - added);
        // The one value that changed: the SDK writes the schema version of the model it types (Grafana 11.6).
        expect([before.schemaVersion, after.schemaVersion]).toEqual([39, 41]);
        expect(missing({ ...before, schemaVersion: 41 }, after), d.fileName).toEqual([]);
      }
    },
  );

  it.each(Object.keys(variants) as Array<keyof typeof variants>)(
    'renders the JSON Grafana receives byte for byte as the checked-in snapshot (%s)',
    async (name) => {
      const files = renderStack(parseConfigText(yaml[name], 'wmon.yaml')).files.filter((f) =>
        f.path.startsWith('grafana/dashboards/'),
      );
      expect(files.map((f) => f.path)).toEqual(
        ['events.json', 'overview.json', 'performance.json'].map((f) => `grafana/dashboards/${f}`),
      );
      for (const file of files) {
        // The rendered file is exactly these dashboards' JSON: the snapshot shows what Grafana gets.
        const built = buildSdkDashboards(variants[name]).find((d) => file.path.endsWith(`/${d.fileName}`));
        expect(file.contents).toBe(`${JSON.stringify(built?.dashboard, null, 2)}\n`);
        await expect(file.contents).toMatchFileSnapshot(`__snapshots__/dashboards/${name}.${path.basename(file.path)}`);
      }
    },
  );

  it('builds panels from the SDK types: an option a panel does not have does not compile', () => {
    // `npm run lint` type-checks this file: without the error below, @ts-expect-error itself fails.
    // @ts-expect-error: a stat panel has no pie type
    expect(() => new stats.PanelBuilder().pieType('donut')).toThrow(TypeError);
  });
});
