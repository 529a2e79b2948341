/**
 * The part of Grafana's dashboard JSON model that wmon's dashboards use (schemaVersion 39, read by
 * Grafana 11 to 13, which migrate it on load).
 *
 * Small typed interfaces rather than @grafana/grafana-foundation-sdk: the SDK is a preview whose builders
 * fill in defaults that change between releases, while the rendered files must stay byte-identical for
 * the same wmon.yaml (their hash decides whether Grafana is updated). With our own types the JSON holds
 * exactly what the builders set, in the order they set it, and the compiler still checks every field.
 */
import type { DatasourceKind } from './uids.js';

export interface DatasourceRef {
  readonly type: DatasourceKind | 'grafana';
  readonly uid: string;
}

export interface PrometheusQuery {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: boolean;
  readonly instant: boolean;
  /** `heatmap` turns cumulative `le` buckets into a heatmap's cells. */
  readonly format?: 'time_series' | 'heatmap' | 'table';
}

export interface LokiQuery {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly queryType: 'range';
}

export interface JaegerSearchQuery {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly queryType: 'search';
  readonly service: string;
  readonly minDuration?: string;
  readonly limit: number;
}

export type Query = PrometheusQuery | LokiQuery | JaegerSearchQuery;

export interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

export interface ThresholdStep {
  readonly color: string;
  /** The base step has no value (null in Grafana's JSON). */
  readonly value: number | null;
}

export interface Thresholds {
  readonly mode: 'absolute';
  readonly steps: readonly ThresholdStep[];
}

export interface ValueMapping {
  readonly type: 'value';
  readonly options: Readonly<Record<string, { readonly text: string; readonly color: string; readonly index: number }>>;
}

export type Unit = 'reqps' | 'ops' | 'percentunit' | 'percent' | 's' | 'bytes' | 'short' | 'none';

export interface TimeseriesCustom {
  readonly drawStyle: 'line';
  readonly lineWidth: number;
  readonly fillOpacity: number;
  readonly showPoints: 'never';
  readonly spanNulls: boolean;
  readonly axisSoftMin?: number;
  readonly stacking: { readonly mode: 'none' | 'normal'; readonly group: string };
  readonly thresholdsStyle: { readonly mode: 'off' | 'dashed' };
}

export interface FieldDefaults {
  readonly unit: Unit;
  readonly decimals?: number;
  readonly min?: number;
  readonly max?: number;
  readonly color: { readonly mode: 'palette-classic' | 'thresholds' };
  readonly thresholds: Thresholds;
  readonly mappings: readonly ValueMapping[];
  readonly custom?: TimeseriesCustom;
}

export interface FieldConfig {
  readonly defaults: FieldDefaults;
  readonly overrides: readonly never[];
}

export interface ReduceOptions {
  readonly calcs: readonly ['lastNotNull'];
  readonly fields: '';
  readonly values: false;
}

export interface TimeseriesOptions {
  readonly legend: {
    readonly displayMode: 'list' | 'table';
    readonly placement: 'bottom' | 'right';
    readonly showLegend: true;
    readonly calcs: readonly string[];
  };
  readonly tooltip: { readonly mode: 'multi' | 'single'; readonly sort: 'desc' | 'none' };
}

export interface StatOptions {
  readonly reduceOptions: ReduceOptions;
  readonly colorMode: 'value' | 'background';
  readonly graphMode: 'area' | 'none';
  readonly justifyMode: 'auto';
  readonly orientation: 'auto';
  readonly textMode: 'auto' | 'value_and_name';
}

export interface GaugeOptions {
  readonly reduceOptions: ReduceOptions;
  readonly orientation: 'auto';
  readonly showThresholdLabels: false;
  readonly showThresholdMarkers: true;
}

export interface HeatmapOptions {
  readonly calculate: false;
  readonly cellGap: number;
  readonly color: {
    readonly mode: 'scheme';
    readonly scheme: string;
    readonly scale: 'exponential';
    readonly exponent: number;
    readonly steps: number;
    readonly reverse: false;
  };
  readonly filterValues: { readonly le: number };
  readonly rowsFrame: { readonly layout: 'auto' };
  readonly yAxis: { readonly axisPlacement: 'left'; readonly unit: Unit; readonly reverse: false };
  readonly tooltip: { readonly mode: 'single'; readonly yHistogram: true; readonly showColorScale: true };
  readonly legend: { readonly show: true };
  readonly exemplars: { readonly color: string };
}

export interface PieChartOptions {
  readonly reduceOptions: ReduceOptions;
  readonly pieType: 'donut';
  readonly displayLabels: readonly ['percent'];
  readonly legend: {
    readonly displayMode: 'table';
    readonly placement: 'right';
    readonly showLegend: true;
    readonly values: readonly ['value', 'percent'];
  };
  readonly tooltip: { readonly mode: 'single'; readonly sort: 'none' };
}

export interface LogsOptions {
  readonly showTime: true;
  readonly showLabels: false;
  readonly showCommonLabels: false;
  readonly wrapLogMessage: true;
  readonly prettifyLogMessage: false;
  readonly enableLogDetails: true;
  readonly dedupStrategy: 'none';
  readonly sortOrder: 'Descending';
}

export interface TableOptions {
  readonly showHeader: true;
  readonly cellHeight: 'sm';
}

interface PanelBase {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly gridPos: GridPos;
  readonly datasource: DatasourceRef;
}

export interface TimeseriesPanel extends PanelBase {
  readonly type: 'timeseries';
  readonly targets: readonly PrometheusQuery[];
  readonly fieldConfig: FieldConfig;
  readonly options: TimeseriesOptions;
}

export interface StatPanel extends PanelBase {
  readonly type: 'stat';
  readonly targets: readonly PrometheusQuery[];
  readonly fieldConfig: FieldConfig;
  readonly options: StatOptions;
}

export interface GaugePanel extends PanelBase {
  readonly type: 'gauge';
  readonly targets: readonly PrometheusQuery[];
  readonly fieldConfig: FieldConfig;
  readonly options: GaugeOptions;
}

export interface HeatmapPanel extends PanelBase {
  readonly type: 'heatmap';
  readonly targets: readonly PrometheusQuery[];
  readonly fieldConfig: { readonly defaults: Record<string, never>; readonly overrides: readonly never[] };
  readonly options: HeatmapOptions;
}

export interface PieChartPanel extends PanelBase {
  readonly type: 'piechart';
  readonly targets: readonly PrometheusQuery[];
  readonly fieldConfig: FieldConfig;
  readonly options: PieChartOptions;
}

export interface LogsPanel extends PanelBase {
  readonly type: 'logs';
  readonly targets: readonly LokiQuery[];
  readonly options: LogsOptions;
}

export interface TablePanel extends PanelBase {
  readonly type: 'table';
  readonly targets: readonly JaegerSearchQuery[];
  readonly options: TableOptions;
}

export interface RowPanel {
  readonly id: number;
  readonly type: 'row';
  readonly title: string;
  readonly collapsed: false;
  readonly gridPos: GridPos;
  readonly panels: readonly never[];
}

export type ContentPanel =
  | TimeseriesPanel
  | StatPanel
  | GaugePanel
  | HeatmapPanel
  | PieChartPanel
  | LogsPanel
  | TablePanel;

export type Panel = ContentPanel | RowPanel;

export interface BuiltInAnnotation {
  readonly builtIn: 1;
  readonly datasource: DatasourceRef;
  readonly enable: true;
  readonly hide: true;
  readonly iconColor: string;
  readonly name: string;
  readonly type: 'dashboard';
}

export interface PrometheusAnnotation {
  readonly datasource: DatasourceRef;
  readonly enable: boolean;
  readonly hide: false;
  readonly iconColor: string;
  readonly name: string;
  readonly expr: string;
  readonly step: string;
  readonly titleFormat: string;
  readonly textFormat: string;
  readonly tagKeys: string;
  readonly useValueForTime: false;
}

export interface DashboardLink {
  readonly title: string;
  readonly type: 'dashboards';
  readonly tags: readonly string[];
  readonly asDropdown: boolean;
  readonly includeVars: false;
  readonly keepTime: true;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly editable: false;
  readonly graphTooltip: 1;
  readonly timezone: 'browser';
  readonly time: { readonly from: string; readonly to: string };
  readonly refresh: string;
  readonly schemaVersion: 39;
  readonly version: 1;
  readonly annotations: { readonly list: ReadonlyArray<BuiltInAnnotation | PrometheusAnnotation> };
  readonly links: readonly DashboardLink[];
  readonly templating: { readonly list: readonly never[] };
  readonly panels: readonly Panel[];
}
