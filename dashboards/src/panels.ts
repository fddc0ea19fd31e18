// Panel and variable building blocks shared by the dashboards, so that every panel gets the
// same datasource variable, a description and a unit, and every query the same label filters.
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel and query reads from the datasource chosen in the `datasource` variable. */
export const datasource: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Label filters of the template variables, for use inside selectors. */
export const databaseFilter = 'database=~"$database"';
export const channelFilter = 'channel=~"$channel"';

export interface Query {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Grid columns out of 24. */
  width?: number;
  height?: number;
}

function target(query: Query, index: number): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(datasource)
    .refId(String.fromCharCode('A'.charCodeAt(0) + index))
    .expr(query.expr)
    .legendFormat(query.legend);
}

export function timeSeriesPanel(spec: PanelSpec & { stacked?: boolean; bars?: boolean }): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .unit(spec.unit)
    .min(0)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .fillOpacity(spec.stacked ? 30 : 10)
    .legend(new common.VizLegendOptionsBuilder()
      .displayMode(common.LegendDisplayMode.Table)
      .placement(common.LegendPlacement.Bottom)
      .showLegend(true)
      .calcs(['lastNotNull', 'max']));
  if (spec.stacked) {
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  }
  if (spec.bars) {
    panel.drawStyle(common.GraphDrawStyle.Bars);
  }
  spec.queries.forEach((query, index) => panel.withTarget(target(query, index)));
  return panel;
}

/**
 * A single figure, coloured green below `warnAt` and red from it (or the other way round with
 * `redBelow`, for "alive" figures where 0 is the bad value).
 */
export function statPanel(spec: PanelSpec & { warnAt?: number; redBelow?: number }): stat.PanelBuilder {
  const steps: dashboard.Threshold[] = spec.redBelow !== undefined
    ? [{ value: null, color: 'red' }, { value: spec.redBelow, color: 'green' }]
    : [{ value: null, color: 'green' }, ...(spec.warnAt !== undefined ? [{ value: spec.warnAt, color: 'red' }] : [])];
  const panel = new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .unit(spec.unit)
    .span(spec.width ?? 4)
    .height(spec.height ?? 4)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
  spec.queries.forEach((query, index) => panel.withTarget(target(query, index)));
  return panel;
}

/** An instant-query table, e.g. a top-N list over the dashboard's time range. */
export function tablePanel(spec: PanelSpec): table.PanelBuilder {
  const panel = new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .unit(spec.unit)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    // One row per series: the labels as columns, the value last.
    .withTransformation({ id: 'labelsToFields', options: {} })
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } });
  spec.queries.forEach((query, index) => panel.withTarget(target(query, index).instant().format(prometheus.PromQueryFormat.Table)));
  return panel;
}

/** The three template variables every dashboard has: datasource, database, channel. */
export function templateVariables(databaseSource: string, channelSource: string): cog.Builder<dashboard.VariableModel>[] {
  return [
    new dashboard.DatasourceVariableBuilder('datasource')
      .label('Data source')
      .description('The Prometheus that scrapes the QueueExporter runner, worker and scraper.')
      .type('prometheus'),
    labelVariable('database', 'Database', `label_values(${databaseSource}, database)`,
      'Odoo databases (queue_job tables) to show.'),
    labelVariable('channel', 'Channel', `label_values(${channelSource}, channel)`,
      'queue_job channels to show (root, root.mail, ...).'),
  ];
}

function labelVariable(name: string, label: string, query: string, description: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(datasource)
    .query(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** p50, p95 and p99 of a histogram, one query each, grouped by `by` (which must end with le). */
export function quantileQueries(histogram: string, selector: string, by: string, legendPrefix: string): Query[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}) (rate(${histogram}_bucket{${selector}}[$__rate_interval])))`,
    legend: `${legendPrefix} p${Math.round(q * 100)}`,
  }));
}
