// Panel and variable building blocks shared by the dashboards, so that every panel gets the
// same datasource variable, a description and a unit, and every query the same label filters.
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { AlertName, alertNames, Component, MixinConfig } from './config.js';

/** Every panel and query reads from the datasource chosen in the `datasource` variable. */
export const datasource: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Label filters of the template variables, for use inside selectors. */
export const databaseFilter = 'database=~"$database"';

/** Our runner's per-database series also carry the PostgreSQL server (several servers: docs/runner.md). */
export const serverFilter = 'server=~"$server"';
export const channelFilter = 'channel=~"$channel"';

/**
 * The component's configured selector and the job/instance variables: what every query of a
 * dashboard about that component starts its selector with.
 */
export function targetFilter(config: MixinConfig, component: Component): string {
  return `${config.selectors[component]}, job=~"$job", instance=~"$instance"`;
}

/** Where an alert's runbook section is. */
export function runbookUrl(config: MixinConfig, alert: AlertName): string {
  return `${config.runbookBaseUrl}#${alert.toLowerCase()}`;
}

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
  /** Alerts about what the panel shows: each becomes a panel link to its runbook section. */
  runbooks?: { config: MixinConfig; alerts: AlertName[] };
}

function runbookLinks(spec: PanelSpec): cog.Builder<dashboard.DashboardLink>[] {
  return (spec.runbooks?.alerts ?? []).map((alert) => new dashboard.DashboardLinkBuilder(`Runbook: ${alert}`)
    .type(dashboard.DashboardLinkType.Link)
    .url(runbookUrl(spec.runbooks!.config, alert))
    .targetBlank(true));
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
  if (spec.runbooks) {
    panel.links(runbookLinks(spec));
  }
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
  if (spec.runbooks) {
    panel.links(runbookLinks(spec));
  }
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

/**
 * The variables every dashboard has: datasource, then job and instance (the scrape targets of the
 * dashboard's component), database and channel. Each list is read from the component's series,
 * narrowed by the variables before it.
 */
export function templateVariables(
  config: MixinConfig, component: Component, targetSource: string, databaseSource: string, channelSource: string,
): cog.Builder<dashboard.VariableModel>[] {
  const selector = config.selectors[component];
  return [
    new dashboard.DatasourceVariableBuilder('datasource')
      .label('Data source')
      .description('The Prometheus that scrapes the QueueExporter runner, worker and scraper.')
      .type('prometheus'),
    labelVariable('job', 'Job', `label_values(${targetSource}{${selector}}, job)`,
      `Scrape jobs of the ${component} (selected by ${selector}).`),
    labelVariable('instance', 'Instance', `label_values(${targetSource}{${selector}, job=~"$job"}, instance)`,
      `${component[0].toUpperCase()}${component.slice(1)} processes (scrape targets) to show.`),
    labelVariable('database', 'Database', `label_values(${databaseSource}{${targetFilter(config, component)}}, database)`,
      'Odoo databases (queue_job tables) to show.'),
    labelVariable('channel', 'Channel', `label_values(${channelSource}{${targetFilter(config, component)}, ${databaseFilter}}, channel)`,
      'queue_job channels to show (root, root.mail, ...).'),
  ];
}

/** The runner's PostgreSQL servers, from its per-database series: one runner may serve several. */
export function serverVariable(config: MixinConfig): dashboard.QueryVariableBuilder {
  return labelVariable('server', 'Server', `label_values(queue_runner_leader{${targetFilter(config, 'runner')}}, server)`,
    'PostgreSQL servers (host:port) whose databases the runner serves.');
}

/**
 * Links on every dashboard: the other dashboards (keeping the time range and the database and
 * channel chosen; job and instance are per component, so they stay behind) and the runbook.
 */
export function dashboardLinks(config: MixinConfig, others: { title: string; uid: string }[]): cog.Builder<dashboard.DashboardLink>[] {
  return [
    ...others.map((other) => new dashboard.DashboardLinkBuilder(other.title)
      .type(dashboard.DashboardLinkType.Link)
      .icon('dashboard')
      .tooltip(`Open ${other.title} for the same time range, databases and channels`)
      .url(`/d/${other.uid}?\${database:queryparam}&\${channel:queryparam}`)
      .keepTime(true)),
    new dashboard.DashboardLinkBuilder('Runbook')
      .type(dashboard.DashboardLinkType.Link)
      .icon('doc')
      .tooltip('What each QueueExporter alert means, what to check, what to do')
      .url(config.runbookBaseUrl)
      .targetBlank(true),
  ];
}

/** The query of the alert annotation: our alerts while firing, from Prometheus' ALERTS series. */
export function firingAlertsQuery(): string {
  return `ALERTS{alertstate="firing", alertname=~"${alertNames.join('|')}", ${databaseFilter}}`;
}

/**
 * Firing QueueExporter alerts as annotations on every time series panel. The Foundation SDK's
 * annotation builder has no titleFormat/textFormat/step (Prometheus annotation fields), hence
 * this builder that adds them to what it builds.
 */
export class AlertAnnotation implements cog.Builder<dashboard.AnnotationQuery> {
  build(): dashboard.AnnotationQuery {
    const query = new dashboard.AnnotationQueryBuilder()
      .name('Alerts')
      .datasource(datasource)
      .enable(true)
      .iconColor('red')
      .expr(firingAlertsQuery())
      .build();
    return {
      ...query,
      step: '1m',
      titleFormat: '{{alertname}}',
      textFormat: '{{database}} {{channel}} {{instance}} {{cause}} ({{severity}})',
      tagKeys: 'severity',
      useValueForTime: false,
    } as dashboard.AnnotationQuery;
  }
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
