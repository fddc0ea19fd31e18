// "Queue overview": the state of the queue_job tables as the scraper reads them, whatever runner
// dispatches (ours or Odoo's). Answers: how many jobs wait, how old is the oldest, is anything
// completing, what fails, is a runner connected.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { AlertName, MixinConfig } from './config.js';
import {
  AlertAnnotation, channelFilter, dashboardLinks, databaseFilter, quantileQueries, statPanel, tablePanel, targetFilter,
  templateVariables, timeSeriesPanel,
} from './panels.js';

export function queueOverview(config: MixinConfig): dashboard.DashboardBuilder {
  const target = targetFilter(config, 'scraper');
  const inDatabase = `${target}, ${databaseFilter}`;
  const scope = `${inDatabase}, ${channelFilter}`;
  const runbooks = (...alerts: AlertName[]) => ({ config, alerts });
  const pendingAge = config.thresholds.pending_age_seconds.value;
  const staleAfter = config.thresholds.scrape_stale_seconds.value;
  const builder = new dashboard.DashboardBuilder('Queue overview')
    .uid('queue-exporter-overview')
    .description('queue_job tables per database and channel: jobs per state, ages, throughput, failures, runner presence. Source: queue-exporter scrape.')
    .tags(['queue-exporter', 'queue_job', 'odoo'])
    .refresh(config.dashboards.refresh)
    .time({ from: config.dashboards.overviewFrom, to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
    .links(dashboardLinks(config, config.deployment.runner === 'queue-exporter' ? [{ title: 'Queue runner', uid: 'queue-exporter-runner' }] : []))
    .annotation(new AlertAnnotation());
  templateVariables(config, 'scraper', 'queue_job_scrape_up', 'queue_job_scrape_up', 'queue_job_jobs').forEach((v) => builder.withVariable(v));

  builder
    .withRow(new dashboard.RowBuilder('Now'))
    .withPanel(statPanel({
      title: 'Runner sessions',
      description: 'Per database: sessions of a job runner (holders of the runner leader lock or listeners on queue_job). 0 (red) means no runner of any kind, ours or Odoo\'s, dispatches jobs there (alert QueueJobRunnerDown).',
      unit: 'short', redBelow: 1, width: 4, runbooks: runbooks('QueueJobRunnerDown'),
      queries: [{ expr: `min by (database) (queue_job_runner_sessions{${inDatabase}})`, legend: '{{database}}' }],
    }))
    .withPanel(statPanel({
      title: 'Pending jobs',
      description: 'Jobs in state pending (waiting to be dispatched, including those with a future eta).',
      unit: 'short', width: 3,
      queries: [{ expr: `sum(queue_job_jobs{${scope}, state="pending"})`, legend: 'pending' }],
    }))
    .withPanel(statPanel({
      title: 'Running jobs',
      description: 'Jobs dispatched to a worker (enqueued) or executing (started).',
      unit: 'short', width: 3,
      queries: [{ expr: `sum(queue_job_jobs{${scope}, state=~"enqueued|started"})`, legend: 'running' }],
    }))
    .withPanel(statPanel({
      title: 'Failed jobs',
      description: 'Jobs in state failed: they stay until someone requeues or cancels them. A failed job blocks a sequential channel.',
      unit: 'short', warnAt: 1, width: 3, runbooks: runbooks('QueueJobFailureBurst'),
      queries: [{ expr: `sum(queue_job_jobs{${scope}, state="failed"})`, legend: 'failed' }],
    }))
    .withPanel(statPanel({
      title: 'Oldest runnable pending',
      description: `Age of the oldest pending job whose eta has passed: how long the queue has kept someone waiting. Red from ${pendingAge} s (the default QueueJobQueueStuck threshold; channels may have their own).`,
      unit: 's', warnAt: pendingAge, width: 4, runbooks: runbooks('QueueJobQueueStuck'),
      queries: [{ expr: `max(queue_job_oldest_age_seconds{${scope}, state="pending"})`, legend: 'oldest' }],
    }))
    .withPanel(statPanel({
      title: 'Scrape up',
      description: 'Whether the scraper reads every selected database (1) or fails on at least one (0, alert QueueJobScrapeFailing).',
      unit: 'bool', redBelow: 1, width: 3, runbooks: runbooks('QueueJobScrapeFailing'),
      queries: [{ expr: `min(queue_job_scrape_up{${inDatabase}})`, legend: 'up' }],
    }))
    .withPanel(statPanel({
      title: 'Age of the figures',
      description: `Time since the scraper last refreshed the stalest selected database. A failed or slow refresh keeps the last values on every panel: past ${staleAfter} s (alert QueueJobScrapeStale) they are history, not the present.`,
      unit: 's', warnAt: staleAfter, width: 4, runbooks: runbooks('QueueJobScrapeStale'),
      queries: [{ expr: `max(time() - queue_job_scrape_last_success_timestamp_seconds{${inDatabase}})`, legend: 'age' }],
    }));

  builder
    .withRow(new dashboard.RowBuilder('Jobs and ages'))
    .withPanel(timeSeriesPanel({
      title: 'Jobs per state',
      description: 'Jobs in each state but done and cancelled (whose totals dwarf the rest; their rate is under Completions per minute), per database and channel.',
      unit: 'short',
      queries: [{ expr: `sum by (database, channel, state) (queue_job_jobs{${scope}, state!~"done|cancelled"})`, legend: '{{database}} {{channel}} {{state}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Oldest job age per state',
      description: 'pending: oldest runnable pending job since it became runnable; enqueued: since dispatch; started: since the worker started it. A line that only climbs is a stuck channel or a hung job.',
      unit: 's',
      queries: [{ expr: `max by (database, channel, state) (queue_job_oldest_age_seconds{${scope}})`, legend: '{{database}} {{channel}} {{state}}' }],
    }));

  builder
    .withRow(new dashboard.RowBuilder('Throughput and failures'))
    .withPanel(timeSeriesPanel({
      title: 'Completions per minute',
      description: 'Jobs reaching done, failed or cancelled, per minute, per database, channel and final state.',
      unit: 'cpm',
      queries: [{ expr: `sum by (database, channel, state) (rate(queue_job_completed_total{${scope}}[$__rate_interval])) * 60`, legend: '{{database}} {{channel}} {{state}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Failures per minute by exception',
      description: 'Jobs that failed, per minute, by exception class (exc_name; rare classes are counted as "other").',
      unit: 'cpm', stacked: true,
      queries: [{ expr: `sum by (database, channel, exception) (rate(queue_job_failures_total{${scope}}[$__rate_interval])) * 60`, legend: '{{database}} {{channel}} {{exception}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Wait before start',
      description: 'Time from runnable (the later of creation and eta) to the worker starting the job: p50, p95, p99 per channel.',
      unit: 's',
      queries: quantileQueries('queue_job_wait_seconds', scope, 'channel, le', '{{channel}}'),
    }))
    .withPanel(timeSeriesPanel({
      title: 'Execution time',
      description: 'Execution time of completed jobs (exec_time): p50, p95, p99 per channel.',
      unit: 's',
      queries: quantileQueries('queue_job_duration_seconds', scope, 'channel, le', '{{channel}}'),
    }))
    .withPanel(timeSeriesPanel({
      title: 'Completions per minute by function',
      description: 'Jobs reaching done, failed or cancelled, per minute, by job function (model_name.method_name; beyond the first 30 per database, "other"). Not filtered by channel: the function series have none.',
      unit: 'cpm',
      queries: [{ expr: `sum by (database, function, state) (rate(queue_job_function_completed_total{${inDatabase}}[$__rate_interval])) * 60`, legend: '{{database}} {{function}} {{state}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Execution time by function',
      description: 'Execution time of completed jobs (exec_time): p50, p95, p99 per job function. Not filtered by channel.',
      unit: 's',
      queries: quantileQueries('queue_job_function_duration_seconds', inDatabase, 'function, le', '{{function}}'),
    }))
    .withPanel(timeSeriesPanel({
      title: 'Created to done by function',
      description: 'From date_created to done (queue wait, etas and dependencies included): p50, p95, p99 per job function. Not filtered by channel.',
      unit: 's',
      queries: quantileQueries('queue_job_function_latency_seconds', inDatabase, 'function, le', '{{function}}'),
    }))
    .withPanel(timeSeriesPanel({
      title: 'Retries per minute',
      description: 'Increases of jobs\' retry counters per minute, per channel, as the scraper saw them (a job retried before the scraper first read it is not counted).',
      unit: 'cpm', bars: true,
      queries: [{ expr: `sum by (database, channel) (rate(queue_job_retries_total{${scope}}[$__rate_interval])) * 60`, legend: '{{database}} {{channel}}' }],
    }))
    .withPanel(tablePanel({
      title: 'Top exceptions',
      description: 'The ten exception classes that failed most jobs over the selected time range.',
      unit: 'short', width: 24,
      queries: [{ expr: `topk(10, sum by (database, channel, exception) (increase(queue_job_failures_total{${scope}}[$__range])))`, legend: '' }],
    }));

  builder
    .withRow(new dashboard.RowBuilder('Scraper'))
    .withPanel(timeSeriesPanel({
      title: 'Scrape duration',
      description: 'Time the scraper spent reading each database in its last refresh. Close to the statement timeout means the database is slow.',
      unit: 's', width: 6,
      queries: [{ expr: `max by (database) (queue_job_scrape_duration_seconds{${inDatabase}})`, legend: '{{database}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Age of the figures per database',
      description: 'Time since the last successful refresh of each database. A failed or slow refresh keeps the last values on every panel above; this says how old they are (about the refresh interval when healthy).',
      unit: 's', width: 6,
      queries: [{ expr: `time() - max by (database) (queue_job_scrape_last_success_timestamp_seconds{${inDatabase}})`, legend: '{{database}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Scrape errors per minute',
      description: 'Failed reads of a database per minute (a refresh over its statement timeout is one); the scraper logs the cause once per change.',
      unit: 'cpm', width: 6, bars: true,
      queries: [{ expr: `sum by (database) (rate(queue_job_scrape_errors_total{${inDatabase}}[$__rate_interval])) * 60`, legend: '{{database}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Refresh period',
      description: 'Time between two refreshes of each database: the --interval, stretched while refreshes are slow (four times the last refresh, at most eight times --interval).',
      unit: 's', width: 12,
      queries: [{ expr: `max by (database) (queue_job_scrape_period_seconds{${inDatabase}})`, legend: '{{database}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Monitoring index',
      description: '1 where the database has the optional monitoring index (schema install --monitoring-index), which makes the refresh an index-only scan; 0 where it has not.',
      unit: 'none', width: 6,
      queries: [{ expr: `max by (database) (queue_job_scrape_monitoring_index{${inDatabase}})`, legend: '{{database}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Age of the slow reconciliations',
      description: 'Time since each slow-cadence reconciliation last succeeded: the exact count of done, cancelled or failed behind queue_job_jobs (every --terminal-interval) and the completion follower\'s comparison with the unfinished jobs (unfinished, every minute). One that fails or times out keeps the last values; this says how old they are.',
      unit: 's', width: 6,
      queries: [{ expr: `time() - max by (database, what) (queue_job_reconcile_last_success_timestamp_seconds{${inDatabase}})`, legend: '{{database}} {{what}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Log events per minute',
      description: 'queue_job events recognised in the followed Odoo log files (dispatches, state resets, dead jobs requeued, dispatch and runner errors, job failures). Empty without --log-file.',
      unit: 'cpm', width: 6,
      queries: [{ expr: `sum by (event) (rate(queue_job_log_events_total{${target}}[$__rate_interval])) * 60`, legend: '{{event}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Done, cancelled, failed: exact or estimated',
      description: 'Per database and state, 1 where queue_job_jobs of done, cancelled or failed rests on an exact count, 0 where it rests on the planner\'s estimate split per channel (before the first exact count ends, or always for a state above --terminal-exact-limit).',
      unit: 'none', width: 6,
      queries: [{ expr: `max by (database, state) (queue_job_jobs_exact{${inDatabase}})`, legend: '{{database}} {{state}}' }],
    }));
  return builder;
}
