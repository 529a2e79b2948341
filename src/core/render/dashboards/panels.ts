/**
 * The panels of wmon's dashboards, built with Grafana's typed SDK (@grafana/grafana-foundation-sdk, the
 * Grafana 11.6 build, pinned exactly in package.json), and the layout that places them in rows on Grafana's
 * 24-column grid. Builders take what differs between panels (title, queries, unit, thresholds, size) and set
 * the rest the same way everywhere; the SDK's types reject an option a panel does not have.
 *
 * The SDK's builders start from its defaults and add what is set, in the order it is set: with the SDK's
 * version pinned, the same calls give the same JSON (test/core/render/dashboards.test.ts keeps a snapshot).
 */
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type DataSourceRef,
  type GridPos,
  type Panel,
  type RowPanel,
  type Threshold,
  type ValueMap,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauges from '@grafana/grafana-foundation-sdk/gauge';
import * as heatmaps from '@grafana/grafana-foundation-sdk/heatmap';
import * as logPanels from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as piecharts from '@grafana/grafana-foundation-sdk/piechart';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stats from '@grafana/grafana-foundation-sdk/stat';
import * as tables from '@grafana/grafana-foundation-sdk/table';
import * as timeseriesPanels from '@grafana/grafana-foundation-sdk/timeseries';
import type * as units from '@grafana/grafana-foundation-sdk/units';
import { JaegerQueryBuilder } from './jaeger-query.js';
import { DATASOURCE_UIDS } from './uids.js';

export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus };
export const LOKI: DataSourceRef = { type: 'loki', uid: DATASOURCE_UIDS.loki };
export const JAEGER: DataSourceRef = { type: 'jaeger', uid: DATASOURCE_UIDS.jaeger };

/** Grafana's rate window: at least four scrape intervals, so rates never come out empty when zoomed in. */
export const RATE_INTERVAL = '$__rate_interval';
/** The whole time range of the dashboard (for totals over what is shown). */
export const RANGE = '$__range';

const GRID_COLUMNS = 24;

/** The units wmon's panels use (the SDK's unit ids). */
export type Unit =
  | typeof units.RequestsPerSecond
  | typeof units.OpsPerSecond
  | typeof units.PercentUnit
  | typeof units.Percent
  | typeof units.Seconds
  | typeof units.BytesIEC
  | typeof units.Short
  | typeof units.NoUnit;

/** What every SDK panel builder has and the layout needs: an id and a place on the grid. */
interface PanelBuilder extends cog.Builder<Panel> {
  id(id: number): this;
  gridPos(gridPos: GridPos): this;
}

/** A panel before layout: its builder, plus its title (for errors) and size. */
export interface PanelDraft {
  readonly title: string;
  readonly builder: PanelBuilder;
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

/** A row of the dashboard, or a panel in it, placed on the grid. */
export type Placed =
  { readonly kind: 'row'; readonly row: RowBuilder } | { readonly kind: 'panel'; readonly panel: PanelBuilder };

const reduceLast = () => new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false);

/** Threshold steps: a base colour, then `[value, colour]` pairs in increasing order. */
export function steps(base: string, ...more: ReadonlyArray<readonly [number, string]>): Threshold[] {
  return [{ color: base, value: null }, ...more.map(([value, color]) => ({ color, value }))];
}

const absolute = (s: readonly Threshold[]) => new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([...s]);
const colours = (mode: FieldColorModeId) => new FieldColorBuilder().mode(mode);

/** Value mapping for 1/0 gauges such as webhook_db_up. */
export const UP_DOWN: ValueMap = {
  type: MappingType.ValueToText,
  options: {
    '0': { text: 'DOWN', color: 'red', index: 0 },
    '1': { text: 'UP', color: 'green', index: 1 },
  },
};

const refId = (i: number): string => String.fromCharCode(65 + i);

function prometheusQuery(
  i: number,
  q: QuerySpec,
  mode: { instant?: boolean; format?: prometheus.PromQueryFormat } = {},
): prometheus.DataqueryBuilder {
  const query = new prometheus.DataqueryBuilder()
    .refId(refId(i))
    .datasource(PROMETHEUS)
    .expr(q.expr)
    .legendFormat(q.legend ?? '');
  if (mode.instant) query.instant();
  else query.range();
  if (mode.format) query.format(mode.format);
  return query;
}

export function timeseries(
  o: Common & {
    readonly unit: Unit;
    readonly queries: readonly QuerySpec[];
    /** Drawn as dashed lines: where the alerts fire. */
    readonly thresholds?: readonly Threshold[];
    readonly stack?: boolean;
    readonly min?: number;
    readonly max?: number;
  },
): PanelDraft {
  const panel = new timeseriesPanels.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(PROMETHEUS)
    .targets(o.queries.map((q, i) => prometheusQuery(i, q)))
    .unit(o.unit);
  if (o.min !== undefined) panel.min(o.min);
  if (o.max !== undefined) panel.max(o.max);
  panel
    .colorScheme(colours(FieldColorModeId.PaletteClassic))
    .thresholds(absolute(o.thresholds ?? steps('green')))
    .mappings([])
    .drawStyle(common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(o.stack ? 30 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .axisSoftMin(0)
    .stacking(
      new common.StackingConfigBuilder()
        .mode(o.stack ? common.StackingMode.Normal : common.StackingMode.None)
        .group('A'),
    )
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(
        o.thresholds ? common.GraphThresholdsStyleMode.Dashed : common.GraphThresholdsStyleMode.Off,
      ),
    )
    .overrides([])
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    );
  return { title: o.title, builder: panel, w: o.w, h: o.h };
}

export function stat(
  o: Common & {
    readonly unit: Unit;
    readonly query: QuerySpec;
    readonly thresholds?: readonly Threshold[];
    readonly mappings?: readonly ValueMap[];
    /** One value over the dashboard's range (`$__range`) rather than the latest point of a series. */
    readonly instant?: boolean;
    readonly decimals?: number;
  },
): PanelDraft {
  const panel = new stats.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(PROMETHEUS)
    .withTarget(prometheusQuery(0, o.query, { instant: o.instant ?? false }))
    .unit(o.unit);
  if (o.decimals !== undefined) panel.decimals(o.decimals);
  panel
    .colorScheme(colours(FieldColorModeId.Thresholds))
    .thresholds(absolute(o.thresholds ?? steps('green')))
    .mappings([...(o.mappings ?? [])])
    .overrides([])
    .reduceOptions(reduceLast())
    .colorMode(o.mappings ? common.BigValueColorMode.Background : common.BigValueColorMode.Value)
    .graphMode(o.instant || o.mappings ? common.BigValueGraphMode.None : common.BigValueGraphMode.Area)
    .justifyMode(common.BigValueJustifyMode.Auto)
    .orientation(common.VizOrientation.Auto)
    .textMode(common.BigValueTextMode.Auto);
  return { title: o.title, builder: panel, w: o.w, h: o.h };
}

export function gauge(
  o: Common & {
    readonly unit: Unit;
    readonly query: QuerySpec;
    readonly min: number;
    readonly max: number;
    readonly thresholds: readonly Threshold[];
  },
): PanelDraft {
  const panel = new gauges.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(PROMETHEUS)
    .withTarget(prometheusQuery(0, o.query))
    .unit(o.unit)
    .min(o.min)
    .max(o.max)
    .colorScheme(colours(FieldColorModeId.Thresholds))
    .thresholds(absolute(o.thresholds))
    .mappings([])
    .overrides([])
    .reduceOptions(reduceLast())
    .orientation(common.VizOrientation.Auto)
    .showThresholdLabels(false)
    .showThresholdMarkers(true);
  return { title: o.title, builder: panel, w: o.w, h: o.h };
}

/** A heatmap of a Prometheus histogram: `expr` must give per-bucket counts by `le`. */
export function heatmap(o: Common & { readonly expr: string; readonly unit: Unit }): PanelDraft {
  const panel = new heatmaps.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(PROMETHEUS)
    .withTarget(prometheusQuery(0, { expr: o.expr, legend: '{{le}}' }, { format: prometheus.PromQueryFormat.Heatmap }))
    .overrides([])
    .calculate(false)
    .cellGap(1)
    .color(
      new heatmaps.HeatmapColorOptionsBuilder()
        .mode(heatmaps.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .fill('dark-orange')
        .scale(heatmaps.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64)
        .reverse(false),
    )
    .filterValues(new heatmaps.FilterValueRangeBuilder().le(1e-9))
    .rowsFrame(new heatmaps.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Auto))
    .yAxis(new heatmaps.YAxisConfigBuilder().axisPlacement(common.AxisPlacement.Left).unit(o.unit).reverse(false))
    .mode(common.TooltipDisplayMode.Single)
    .showYHistogram()
    .showColorScale(true)
    .showLegend()
    .exemplarsColor('rgba(255,0,255,0.7)');
  return { title: o.title, builder: panel, w: o.w, h: o.h };
}

/** Shares of a total over the dashboard's range: `query` is evaluated once (instant). */
export function pieChart(o: Common & { readonly unit: Unit; readonly query: QuerySpec }): PanelDraft {
  const panel = new piecharts.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(PROMETHEUS)
    .withTarget(prometheusQuery(0, o.query, { instant: true }))
    .unit(o.unit)
    .decimals(0)
    .colorScheme(colours(FieldColorModeId.PaletteClassic))
    .thresholds(absolute(steps('green')))
    .mappings([])
    .overrides([])
    .reduceOptions(reduceLast())
    .pieType(piecharts.PieChartType.Donut)
    .displayLabels([piecharts.PieChartLabels.Percent])
    .legend(
      new piecharts.PieChartLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .showLegend(true)
        .values([piecharts.PieChartLegendValues.Value, piecharts.PieChartLegendValues.Percent]),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single).sort(common.SortOrder.None));
  return { title: o.title, builder: panel, w: o.w, h: o.h };
}

/** Log lines from Loki (`expr` is LogQL). */
export function logs(o: Common & { readonly expr: string }): PanelDraft {
  const panel = new logPanels.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(LOKI)
    .withTarget(
      new loki.DataqueryBuilder().refId('A').datasource(LOKI).expr(o.expr).queryType(loki.LokiQueryType.Range),
    )
    .showTime(true)
    .showLabels(false)
    .showCommonLabels(false)
    .wrapLogMessage(true)
    .prettifyLogMessage(false)
    .enableLogDetails(true)
    .dedupStrategy(common.LogsDedupStrategy.None)
    .sortOrder(common.LogsSortOrder.Descending);
  return { title: o.title, builder: panel, w: o.w, h: o.h };
}

/** A table of recent traces from Jaeger's search; each trace id opens the trace view. */
export function traces(
  o: Common & { readonly service: string; readonly minDuration?: string; readonly limit?: number },
): PanelDraft {
  const query = new JaegerQueryBuilder().refId('A').datasource(JAEGER).queryType('search').service(o.service);
  if (o.minDuration) query.minDuration(o.minDuration);
  query.limit(o.limit ?? 20);
  const panel = new tables.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(JAEGER)
    .withTarget(query)
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm);
  return { title: o.title, builder: panel, w: o.w, h: o.h };
}

/** Widths that share the grid's 24 columns between `n` panels as evenly as possible (wider ones first). */
export function evenWidths(n: number): number[] {
  const base = Math.floor(GRID_COLUMNS / n);
  const extra = GRID_COLUMNS - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Place sections top to bottom, each under a (never collapsed) row; panels flow left to right and wrap when
 * the next one does not fit. Ids are assigned in reading order, so they are stable for a given set of panels.
 * Every position is set explicitly: the SDK's DashboardBuilder then keeps it as it is.
 */
export function layout(sections: readonly Section[]): Placed[] {
  const placed: Placed[] = [];
  let id = 1;
  let y = 0;
  for (const section of sections) {
    if (section.panels.length === 0) continue;
    placed.push({
      kind: 'row',
      row: new RowBuilder(section.title).id(id++).collapsed(false).gridPos({ h: 1, w: GRID_COLUMNS, x: 0, y }),
    });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const draft of section.panels) {
      if (draft.w < 1 || draft.w > GRID_COLUMNS) throw new Error(`panel "${draft.title}" has width ${draft.w}`);
      if (x + draft.w > GRID_COLUMNS) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      placed.push({ kind: 'panel', panel: draft.builder.id(id++).gridPos({ h: draft.h, w: draft.w, x, y }) });
      x += draft.w;
      lineHeight = Math.max(lineHeight, draft.h);
    }
    y += lineHeight;
  }
  return placed;
}

export type { Panel, RowPanel };
