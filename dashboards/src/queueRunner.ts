// "Queue runner": what our runner and worker do, from their own /metrics: leadership and
// liveness, channel capacity against running and queued jobs, dispatch latency and HTTP outcomes,
// notifications, reconnections, rescues, and the worker's outcomes.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { AlertName, MixinConfig } from './config.js';
import {
  AlertAnnotation, channelFilter, dashboardLinks, databaseFilter, quantileQueries, serverFilter, serverVariable, statPanel,
  targetFilter, templateVariables, timeSeriesPanel,
} from './panels.js';

/** The job and instance variables select runner targets; worker panels read the worker's selector. */
export function queueRunner(config: MixinConfig): dashboard.DashboardBuilder {
  const runner = targetFilter(config, 'runner');
  const worker = config.selectors.worker;
  const runbooks = (...alerts: AlertName[]) => ({ config, alerts });
  const heartbeatStale = config.thresholds.runner_heartbeat_stale_seconds.value;
  const builder = new dashboard.DashboardBuilder('Queue runner')
    .uid('queue-exporter-runner')
    .description('The QueueExporter job runner and worker: leadership, heartbeat, channels, dispatch, database notifications, rescues, worker outcomes. Source: queue-exporter runner and worker.')
    .tags(['queue-exporter', 'queue_job', 'odoo'])
    .refresh(config.dashboards.refresh)
    .time({ from: config.dashboards.runnerFrom, to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
    .links(dashboardLinks(config, [{ title: 'Queue overview', uid: 'queue-exporter-overview' }]))
    .annotation(new AlertAnnotation());
  const variables = templateVariables(config, 'runner', 'queue_runner_heartbeat_timestamp_seconds', 'queue_runner_leader', 'queue_runner_dispatches_total');
  // After job and instance, before database: datasource, job, instance, server, database, channel.
  variables.splice(3, 0, serverVariable(config));
  variables.forEach((v) => builder.withVariable(v));

  builder
    .withRow(new dashboard.RowBuilder('Liveness and leadership'))
    .withPanel(statPanel({
      title: 'Heartbeat age',
      description: `Seconds since each runner last completed a loop iteration. Red from ${heartbeatStale} s (the QueueJobRunnerDown threshold): the loop is hung. No value: no runner is scraped.`,
      unit: 's', warnAt: heartbeatStale, width: 8, runbooks: runbooks('QueueJobRunnerDown'),
      queries: [{ expr: `time() - max by (instance) (queue_runner_heartbeat_timestamp_seconds{${runner}})`, legend: '{{instance}}' }],
    }))
    .withPanel(statPanel({
      title: 'Leaders',
      description: 'Runners holding the leader lock, per database: exactly 1 is healthy; 0 means no runner of ours dispatches that database (a standby waits).',
      unit: 'short', redBelow: 1, width: 8,
      queries: [{ expr: `sum by (server, database) (queue_runner_leader{${runner}, ${serverFilter}, ${databaseFilter}})`, legend: '{{database}} ({{server}})' }],
    }))
    .withPanel(statPanel({
      title: 'Runner version',
      description: 'Version of each runner process (the version label of queue_exporter_build_info{component="runner"}), shown as the series name.',
      unit: 'none', width: 8,
      queries: [{ expr: `max by (instance, version) (queue_exporter_build_info{component="runner", ${runner}})`, legend: '{{instance}} {{version}}' }],
    }).textMode(common.BigValueTextMode.Name).colorMode(common.BigValueColorMode.None))
    .withPanel(timeSeriesPanel({
      title: 'Leader per database',
      description: '1 while the runner instance holds the advisory leader lock on the database. A switch between instances is a failover.',
      unit: 'short',
      queries: [{ expr: `max by (instance, server, database) (queue_runner_leader{${runner}, ${serverFilter}, ${databaseFilter}})`, legend: '{{instance}} {{database}} ({{server}})' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Loop duration',
      description: 'Mean duration of one runner loop iteration (scheduling, dispatching, rescuing). A long loop delays every dispatch.',
      unit: 's',
      queries: [{ expr: `sum by (instance) (rate(queue_runner_loop_duration_seconds_sum{${runner}}[$__rate_interval])) / sum by (instance) (rate(queue_runner_loop_duration_seconds_count{${runner}}[$__rate_interval]))`, legend: '{{instance}}' }],
    }));

  builder
    .withRow(new dashboard.RowBuilder('Fleet'))
    .withPanel(timeSeriesPanel({
      title: 'Databases led and assigned per replica',
      description: 'Per runner process: databases whose leader lock it holds, and databases it tries to lead (all it serves, or with --fleet its share). Led below assigned for long: another runner (or OCA\'s) holds those databases.',
      unit: 'short', width: 8,
      queries: [
        { expr: `max by (instance) (queue_runner_databases_led{${runner}})`, legend: '{{instance}} led' },
        { expr: `max by (instance) (queue_runner_databases_assigned{${runner}})`, legend: '{{instance}} assigned' },
      ],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Fleet members',
      description: 'Live replicas each runner sees in its fleet (0 outside a fleet), and its own slot (-1 while it is not a member: no fleet, joining, or its membership session failed).',
      unit: 'short', width: 8,
      queries: [
        { expr: `max by (instance) (queue_runner_fleet_replicas{${runner}})`, legend: '{{instance}} replicas seen' },
        { expr: `max by (instance) (queue_runner_fleet_slot{${runner}})`, legend: '{{instance}} slot' },
        { expr: `max by (instance, scope) (queue_runner_capacity_scope{${runner}})`, legend: '{{instance}} capacity scope {{scope}}' },
      ],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Hand-overs per minute',
      description: 'Leadership hand-overs between fleet replicas: released (an orderly hand-over of a database now assigned elsewhere) and taken (a newly assigned database this replica began to lead).',
      unit: 'cpm', width: 8, bars: true,
      queries: [{ expr: `sum by (instance, reason) (rate(queue_runner_handovers_total{${runner}}[$__rate_interval])) * 60`, legend: '{{instance}} {{reason}}' }],
    }));

  builder
    .withRow(new dashboard.RowBuilder('Channels and dispatch'))
    .withPanel(timeSeriesPanel({
      title: 'Channel capacity vs running vs queued',
      description: 'Per channel: its configured capacity (0 means unlimited), and the runner\'s jobs by state: queued (runnable, waiting for a slot), running (dispatched; includes subchannels), failed, waiting_eta. Running at capacity with a queue is a saturated channel.',
      unit: 'short', width: 24,
      queries: [
        { expr: `max by (channel) (queue_runner_channel_capacity{${runner}, ${channelFilter}})`, legend: '{{channel}} capacity' },
        { expr: `sum by (channel, state) (queue_runner_channel_jobs{${runner}, ${channelFilter}})`, legend: '{{channel}} {{state}}' },
      ],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Dispatch latency',
      description: 'From a job becoming runnable for the runner (notification, load, or eta passing) to its HTTP call being sent, including time waiting for a free slot: p50, p95, p99 per channel.',
      unit: 's',
      queries: quantileQueries('queue_runner_dispatch_latency_seconds', `${runner}, ${channelFilter}`, 'channel, le', '{{channel}}'),
    }))
    .withPanel(timeSeriesPanel({
      title: 'Dispatches per minute by outcome',
      description: 'Dispatch attempts per minute, per database, channel and outcome: ok, http_error, timeout (the worker keeps running the job), connection_error (the job goes back to pending), refused (a full worker answered 503: the job goes back to pending), not_pending (the guarded update found the job already taken).',
      unit: 'cpm', stacked: true,
      queries: [{ expr: `sum by (server, database, channel, outcome) (rate(queue_runner_dispatches_total{${runner}, ${serverFilter}, ${databaseFilter}, ${channelFilter}}[$__rate_interval])) * 60`, legend: '{{database}} ({{server}}) {{channel}} {{outcome}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'runjob HTTP call duration (p95)',
      description: '95th percentile of the runjob HTTP call\'s duration, per channel and outcome. Timeouts sit at the configured HTTP timeout; the worker keeps running such jobs.',
      unit: 's',
      queries: [{ expr: `histogram_quantile(0.95, sum by (channel, outcome, le) (rate(queue_runner_dispatch_duration_seconds_bucket{${runner}, ${channelFilter}}[$__rate_interval])))`, legend: '{{channel}} {{outcome}}' }],
    }));

  builder
    .withRow(new dashboard.RowBuilder('Database'))
    .withPanel(timeSeriesPanel({
      title: 'Notifications per minute',
      description: 'NOTIFY queue_job messages received per minute, per database: every job insert and state change.',
      unit: 'cpm', width: 8,
      queries: [{ expr: `sum by (server, database) (rate(queue_runner_notifications_total{${runner}, ${serverFilter}, ${databaseFilter}}[$__rate_interval])) * 60`, legend: '{{database}} ({{server}})' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Database reconnections',
      description: 'Reconnections of the runner\'s listening connection per database. Each one is followed by a full resynchronisation from the table.',
      unit: 'short', width: 8, bars: true,
      queries: [{ expr: `sum by (server, database) (increase(queue_runner_db_reconnects_total{${runner}, ${serverFilter}, ${databaseFilter}}[$__rate_interval]))`, legend: '{{database}} ({{server}})' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Rescued jobs',
      description: 'Dead jobs (enqueued or started with no live worker) put back to pending or failed as JobFoundDead, per database and reason.',
      unit: 'short', width: 8, bars: true,
      queries: [{ expr: `sum by (server, database, reason) (increase(queue_runner_rescued_jobs_total{${runner}, ${serverFilter}, ${databaseFilter}}[$__rate_interval]))`, legend: '{{database}} ({{server}}) {{reason}}' }],
    }));

  if (!config.deployment.worker) {
    return builder;
  }
  builder
    .withRow(new dashboard.RowBuilder('Worker'))
    .withPanel(statPanel({
      title: 'Worker jobs running',
      description: 'Jobs each worker process is executing right now.',
      unit: 'short', width: 6,
      queries: [{ expr: `sum by (instance) (queue_worker_jobs_running{${worker}})`, legend: '{{instance}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Worker refusals per minute',
      description: 'Per worker: runjob requests refused with 503 because --max-concurrent-jobs jobs were running (the runner puts the job back to pending and retries). A steady rate: raise the bound, or lower channel capacities. Runs lost to a dead lock session show as outcome lost in the worker jobs panel.',
      unit: 'cpm', width: 18,
      queries: [{ expr: `sum by (instance) (rate(queue_worker_requests_refused_total{${worker}}[$__rate_interval])) * 60`, legend: '{{instance}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Worker outcomes per minute',
      description: 'Jobs the .NET worker finished per minute, by channel, function and outcome (done, retry, failed, skipped, lost: a run cut from its lock, nothing written, ...).',
      unit: 'cpm', stacked: true,
      queries: [{ expr: `sum by (channel, function, outcome) (rate(queue_worker_jobs_total{${worker}, ${channelFilter}}[$__rate_interval])) * 60`, legend: '{{channel}} {{function}} {{outcome}}' }],
    }))
    .withPanel(timeSeriesPanel({
      title: 'Worker job duration',
      description: 'Handler execution time in the worker: p50, p95, p99 per function.',
      unit: 's',
      queries: quantileQueries('queue_worker_job_duration_seconds', `${worker}, ${channelFilter}`, 'function, le', '{{function}}'),
    }));
  return builder;
}
