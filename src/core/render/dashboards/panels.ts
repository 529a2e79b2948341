/**
 * Typed builders for the panels of wmon's dashboards, and the layout that places them in rows on Grafana's
 * 24-column grid. Builders take what differs between panels (title, queries, unit, thresholds, size) and
 * fill in the rest the same way everywhere.
 */
import { DATASOURCE_UIDS } from './uids.js';
import type {
  ContentPanel,
  DatasourceRef,
  FieldConfig,
  GaugePanel,
  HeatmapPanel,
  JaegerSearchQuery,
  LogsPanel,
  Panel,
  PieChartPanel,
  PrometheusQuery,
  ReduceOptions,
  StatPanel,
  TablePanel,
  ThresholdStep,
  TimeseriesPanel,
  Unit,
  ValueMapping,
} from './model.js';

export const PROMETHEUS: DatasourceRef = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus };
export const LOKI: DatasourceRef = { type: 'loki', uid: DATASOURCE_UIDS.loki };
export const JAEGER: DatasourceRef = { type: 'jaeger', uid: DATASOURCE_UIDS.jaeger };

/** Grafana's rate window: at least four scrape intervals, so rates never come out empty when zoomed in. */
export const RATE_INTERVAL = '$__rate_interval';
/** The whole time range of the dashboard (for totals over what is shown). */
export const RANGE = '$__range';

const GRID_COLUMNS = 24;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A panel before layout: everything but its id and position, plus its size. */
export interface PanelDraft {
  readonly panel: DistributiveOmit<ContentPanel, 'id' | 'gridPos'>;
  readonly w: number;
  readonly h: number;
}

export interface Section {
  readonly title: string;
  readonly panels: readonly PanelDraft[];
}

export interface QuerySpec {
  readonly expr: string;
  /** Legend text, with `{{label}}` placeholders; empty lets Grafana choose. */
  readonly legend?: string;
}

interface Common {
  readonly title: string;
  readonly description: string;
  readonly w: number;
  readonly h: number;
}

const REDUCE_LAST: ReduceOptions = { calcs: ['lastNotNull'], fields: '', values: false };

/** Threshold steps: a base colour, then `[value, colour]` pairs in increasing order. */
export function steps(base: string, ...more: ReadonlyArray<readonly [number, string]>): ThresholdStep[] {
  return [{ color: base, value: null }, ...more.map(([value, color]) => ({ color, value }))];
}

/** Value mapping for 1/0 gauges such as webhook_db_up. */
export const UP_DOWN: ValueMapping = {
  type: 'value',
  options: {
    '0': { text: 'DOWN', color: 'red', index: 0 },
    '1': { text: 'UP', color: 'green', index: 1 },
  },
};

const refId = (i: number): string => String.fromCharCode(65 + i);

function prometheusQuery(
  i: number,
  q: QuerySpec,
  mode: { instant?: boolean; format?: PrometheusQuery['format'] } = {},
): PrometheusQuery {
  return {
    refId: refId(i),
    datasource: PROMETHEUS,
    expr: q.expr,
    legendFormat: q.legend ?? '',
    range: !mode.instant,
    instant: mode.instant ?? false,
    ...(mode.format ? { format: mode.format } : {}),
  };
}

function fieldConfig(
  unit: Unit,
  o: {
    thresholds?: readonly ThresholdStep[];
    mappings?: readonly ValueMapping[];
    min?: number;
    max?: number;
    decimals?: number;
    colorByThresholds?: boolean;
    custom?: FieldConfig['defaults']['custom'];
  },
): FieldConfig {
  return {
    defaults: {
      unit,
      ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
      ...(o.min !== undefined ? { min: o.min } : {}),
      ...(o.max !== undefined ? { max: o.max } : {}),
      color: { mode: o.colorByThresholds ? 'thresholds' : 'palette-classic' },
      thresholds: { mode: 'absolute', steps: o.thresholds ?? steps('green') },
      mappings: o.mappings ?? [],
      ...(o.custom ? { custom: o.custom } : {}),
    },
    overrides: [],
  };
}

export function timeseries(
  o: Common & {
    readonly unit: Unit;
    readonly queries: readonly QuerySpec[];
    /** Drawn as dashed lines: where the alerts fire. */
    readonly thresholds?: readonly ThresholdStep[];
    readonly stack?: boolean;
    readonly min?: number;
    readonly max?: number;
  },
): PanelDraft {
  const panel: Omit<TimeseriesPanel, 'id' | 'gridPos'> = {
    type: 'timeseries',
    title: o.title,
    description: o.description,
    datasource: PROMETHEUS,
    targets: o.queries.map((q, i) => prometheusQuery(i, q)),
    fieldConfig: fieldConfig(o.unit, {
      ...(o.thresholds ? { thresholds: o.thresholds } : {}),
      ...(o.min !== undefined ? { min: o.min } : {}),
      ...(o.max !== undefined ? { max: o.max } : {}),
      custom: {
        drawStyle: 'line',
        lineWidth: 1,
        fillOpacity: o.stack ? 30 : 10,
        showPoints: 'never',
        spanNulls: false,
        axisSoftMin: 0,
        stacking: { mode: o.stack ? 'normal' : 'none', group: 'A' },
        thresholdsStyle: { mode: o.thresholds ? 'dashed' : 'off' },
      },
    }),
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
  return { panel, w: o.w, h: o.h };
}

export function stat(
  o: Common & {
    readonly unit: Unit;
    readonly query: QuerySpec;
    readonly thresholds?: readonly ThresholdStep[];
    readonly mappings?: readonly ValueMapping[];
    /** One value over the dashboard's range (`$__range`) rather than the latest point of a series. */
    readonly instant?: boolean;
    readonly decimals?: number;
  },
): PanelDraft {
  const panel: Omit<StatPanel, 'id' | 'gridPos'> = {
    type: 'stat',
    title: o.title,
    description: o.description,
    datasource: PROMETHEUS,
    targets: [prometheusQuery(0, o.query, { instant: o.instant ?? false })],
    fieldConfig: fieldConfig(o.unit, {
      colorByThresholds: true,
      ...(o.thresholds ? { thresholds: o.thresholds } : {}),
      ...(o.mappings ? { mappings: o.mappings } : {}),
      ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
    }),
    options: {
      reduceOptions: REDUCE_LAST,
      colorMode: o.mappings ? 'background' : 'value',
      graphMode: o.instant || o.mappings ? 'none' : 'area',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'auto',
    },
  };
  return { panel, w: o.w, h: o.h };
}

export function gauge(
  o: Common & {
    readonly unit: Unit;
    readonly query: QuerySpec;
    readonly min: number;
    readonly max: number;
    readonly thresholds: readonly ThresholdStep[];
  },
): PanelDraft {
  const panel: Omit<GaugePanel, 'id' | 'gridPos'> = {
    type: 'gauge',
    title: o.title,
    description: o.description,
    datasource: PROMETHEUS,
    targets: [prometheusQuery(0, o.query)],
    fieldConfig: fieldConfig(o.unit, { min: o.min, max: o.max, thresholds: o.thresholds, colorByThresholds: true }),
    options: { reduceOptions: REDUCE_LAST, orientation: 'auto', showThresholdLabels: false, showThresholdMarkers: true },
  };
  return { panel, w: o.w, h: o.h };
}

/** A heatmap of a Prometheus histogram: `expr` must give per-bucket counts by `le`. */
export function heatmap(o: Common & { readonly expr: string; readonly unit: Unit }): PanelDraft {
  const panel: Omit<HeatmapPanel, 'id' | 'gridPos'> = {
    type: 'heatmap',
    title: o.title,
    description: o.description,
    datasource: PROMETHEUS,
    targets: [prometheusQuery(0, { expr: o.expr, legend: '{{le}}' }, { format: 'heatmap' })],
    fieldConfig: { defaults: {}, overrides: [] },
    options: {
      calculate: false,
      cellGap: 1,
      color: { mode: 'scheme', scheme: 'Oranges', scale: 'exponential', exponent: 0.5, steps: 64, reverse: false },
      filterValues: { le: 1e-9 },
      rowsFrame: { layout: 'auto' },
      yAxis: { axisPlacement: 'left', unit: o.unit, reverse: false },
      tooltip: { mode: 'single', yHistogram: true, showColorScale: true },
      legend: { show: true },
      exemplars: { color: 'rgba(255,0,255,0.7)' },
    },
  };
  return { panel, w: o.w, h: o.h };
}

/** Shares of a total over the dashboard's range: `query` is evaluated once (instant). */
export function pieChart(o: Common & { readonly unit: Unit; readonly query: QuerySpec }): PanelDraft {
  const panel: Omit<PieChartPanel, 'id' | 'gridPos'> = {
    type: 'piechart',
    title: o.title,
    description: o.description,
    datasource: PROMETHEUS,
    targets: [prometheusQuery(0, o.query, { instant: true })],
    fieldConfig: fieldConfig(o.unit, { decimals: 0 }),
    options: {
      reduceOptions: REDUCE_LAST,
      pieType: 'donut',
      displayLabels: ['percent'],
      legend: { displayMode: 'table', placement: 'right', showLegend: true, values: ['value', 'percent'] },
      tooltip: { mode: 'single', sort: 'none' },
    },
  };
  return { panel, w: o.w, h: o.h };
}

/** Log lines from Loki (`expr` is LogQL). */
export function logs(o: Common & { readonly expr: string }): PanelDraft {
  const panel: Omit<LogsPanel, 'id' | 'gridPos'> = {
    type: 'logs',
    title: o.title,
    description: o.description,
    datasource: LOKI,
    targets: [{ refId: 'A', datasource: LOKI, expr: o.expr, queryType: 'range' }],
    options: {
      showTime: true,
      showLabels: false,
      showCommonLabels: false,
      wrapLogMessage: true,
      prettifyLogMessage: false,
      enableLogDetails: true,
      dedupStrategy: 'none',
      sortOrder: 'Descending',
    },
  };
  return { panel, w: o.w, h: o.h };
}

/** A table of recent traces from Jaeger's search; each trace id opens the trace view. */
export function traces(
  o: Common & { readonly service: string; readonly minDuration?: string; readonly limit?: number },
): PanelDraft {
  const query: JaegerSearchQuery = {
    refId: 'A',
    datasource: JAEGER,
    queryType: 'search',
    service: o.service,
    ...(o.minDuration ? { minDuration: o.minDuration } : {}),
    limit: o.limit ?? 20,
  };
  const panel: Omit<TablePanel, 'id' | 'gridPos'> = {
    type: 'table',
    title: o.title,
    description: o.description,
    datasource: JAEGER,
    targets: [query],
    options: { showHeader: true, cellHeight: 'sm' },
  };
  return { panel, w: o.w, h: o.h };
}

/** Widths that share the grid's 24 columns between `n` panels as evenly as possible (wider ones first). */
export function evenWidths(n: number): number[] {
  const base = Math.floor(GRID_COLUMNS / n);
  const extra = GRID_COLUMNS - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Place sections top to bottom, each under a row header; panels flow left to right and wrap when the next
 * one does not fit. Ids are assigned in reading order, so they are stable for a given set of panels.
 */
export function layout(sections: readonly Section[]): Panel[] {
  const panels: Panel[] = [];
  let id = 1;
  let y = 0;
  for (const section of sections) {
    if (section.panels.length === 0) continue;
    panels.push({
      id: id++,
      type: 'row',
      title: section.title,
      collapsed: false,
      gridPos: { h: 1, w: GRID_COLUMNS, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const draft of section.panels) {
      if (draft.w < 1 || draft.w > GRID_COLUMNS) throw new Error(`panel "${draft.panel.title}" has width ${draft.w}`);
      if (x + draft.w > GRID_COLUMNS) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push({ id: id++, gridPos: { h: draft.h, w: draft.w, x, y }, ...draft.panel } as ContentPanel);
      x += draft.w;
      lineHeight = Math.max(lineHeight, draft.h);
    }
    y += lineHeight;
  }
  return panels;
}
