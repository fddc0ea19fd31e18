// The alerts. Windows are literals here (PromQL cannot read them from a series); thresholds,
// severities, selectors and `for:` come from the configuration. alerts/runbook.md has a section
// per alert, and alerts/tests/*.test.yml tests each at its boundary.
import { MixinConfig } from '../config.js';
import { exceedsThreshold, metric, spelledDuration } from './promql.js';
import { AlertRule } from './ruleTypes.js';

export function alertRules(config: MixinConfig): AlertRule[] {
  const ours = config.deployment.runner === 'queue-exporter';
  const runner = (name: string, ...matchers: string[]) => metric(config, 'runner', name, ...matchers);
  const scraper = (name: string, ...matchers: string[]) => metric(config, 'scraper', name, ...matchers);
  const forOf = (alert: AlertRule['alert'], fallback: string) => config.alertFor[alert] ?? fallback;
  const rules: AlertRule[] = [];

  if (ours) {
    rules.push({
      comment: 'Four ways of "no runner": each rule says which in its `cause` label.',
      alert: 'QueueJobRunnerDown',
      expr: exceedsThreshold(config, `time() - max by (job, instance) (${runner('queue_runner_heartbeat_timestamp_seconds')})`, 'runner_heartbeat_stale_seconds'),
      for: '1m',
      labels: { cause: 'heartbeat_stale' },
      summary: 'Job runner {{ $labels.instance }} has stopped looping',
      description: 'The runner at {{ $labels.instance }} ({{ $labels.job }}) completed its last loop iteration {{ $value | humanizeDuration }} ago. The process answers scrapes but its loop is hung: no job is dispatched or rescued.',
    }, {
      comment: 'absent() keeps the selector\'s equality matchers (job) as labels: the inhibition of\n'
        + 'QueueExporterDown for the same job relies on it. Generated only where our runner is deployed.',
      alert: 'QueueJobRunnerDown',
      expr: `absent(${runner('queue_runner_heartbeat_timestamp_seconds')})`,
      for: '2m',
      labels: { cause: 'heartbeat_absent' },
      summary: 'No job runner reports a heartbeat',
      description: 'No queue_runner_heartbeat_timestamp_seconds series exists: no runner process is being scraped (stopped, crashed, or missing from the scrape configuration). Jobs are not dispatched.',
    });
  }
  rules.push({
    comment: 'Seen from the database, so it also covers Odoo\'s own runner. Only claimed while the\n'
      + 'scrape of that database works: a failing scrape is QueueJobScrapeFailing.',
    alert: 'QueueJobRunnerDown',
    expr: `max by (database) (${scraper('queue_job_runner_sessions')}) == 0
and on (database) max by (database) (database_channel:queue_job_jobs_pending:max) > 0
and on (database) max by (database) (${scraper('queue_job_scrape_up')}) == 1
`,
    for: '5m',
    labels: { cause: 'no_runner_session' },
    summary: 'No job runner is connected to database {{ $labels.database }}',
    description: 'Database {{ $labels.database }} has pending jobs but no session holds the runner leader lock or listens on queue_job: no runner of any kind (ours or Odoo\'s) will dispatch them.',
  });
  if (ours) {
    const notServedFor = forOf('QueueJobRunnerDown', '2m');
    rules.push({
      comment: 'Seen by our runner itself: a database it should serve is misconfigured, disconnected or\n'
        + 'failing (its /healthz body says which and why). A PostgreSQL restart flips it for seconds.',
      alert: 'QueueJobRunnerDown',
      expr: `max by (job, instance, server, database) (${runner('queue_runner_database_up')}) == 0`,
      for: '2m',
      labels: { cause: 'database_not_served' },
      summary: 'Job runner {{ $labels.instance }} cannot serve database {{ $labels.database }}',
      description: `The runner at {{ $labels.instance }} ({{ $labels.job }}) has not served database {{ $labels.database }} on server {{ $labels.server }} for ${spelledDuration(notServedFor)}: the database is misconfigured (no queue_job table, wrong shape, missing rights or trigger), unreachable, or the runner's work on it keeps failing. Its /healthz names the cause. This runner dispatches none of that database's jobs.`,
    });
  }

  rules.push({
    comment: 'max_over_time: a runner that cannot reach a worker puts the job back to pending and tries\n'
      + 'again every few seconds, so the job flickers between pending and enqueued and the oldest\n'
      + 'pending age between its true value and 0. The 5m maximum keeps the alert on through that.',
    alert: 'QueueJobQueueStuck',
    expr: `${exceedsThreshold(config, `max by (database, channel) (max_over_time(${scraper('queue_job_oldest_age_seconds', 'state="pending"')}[5m]))`, 'pending_age_seconds')}
unless on (database, channel)
sum by (database, channel) (increase(${scraper('queue_job_completed_total')}[15m])) > 0
`,
    for: '5m',
    labels: { cause: 'oldest_pending_age' },
    summary: 'Channel {{ $labels.channel }} in {{ $labels.database }} is stuck',
    description: 'The oldest runnable pending job in channel {{ $labels.channel }} of {{ $labels.database }} has waited {{ $value | humanizeDuration }} and the channel completed no job (done, failed or cancelled) in the last 15 minutes.',
  }, {
    comment: 'The same, robust to a job that never stays pending long enough to be seen: work waited in\n'
      + 'the channel at every evaluation of the last 15 minutes (and was already waiting 15 minutes\n'
      + 'ago, so a channel with only a short history does not qualify), and nothing completed.',
    alert: 'QueueJobQueueStuck',
    expr: `min_over_time(database_channel:queue_job_waiting:bool[15m]) == 1
and on (database, channel) (database_channel:queue_job_waiting:bool offset 15m) == 1
unless on (database, channel)
sum by (database, channel) (increase(${scraper('queue_job_completed_total')}[15m])) > 0
`,
    for: '5m',
    labels: { cause: 'no_progress' },
    summary: 'Channel {{ $labels.channel }} in {{ $labels.database }} is stuck',
    description: 'Channel {{ $labels.channel }} of {{ $labels.database }} has had work waiting (pending, or dispatched and never started) for 15 minutes and completed no job (done, failed or cancelled) meanwhile.',
  }, {
    alert: 'QueueJobEnqueuedStuck',
    expr: exceedsThreshold(config, `max by (database, channel) (${scraper('queue_job_oldest_age_seconds', 'state="enqueued"')})`, 'enqueued_age_seconds'),
    for: '5m',
    summary: 'Jobs stay enqueued in channel {{ $labels.channel }} of {{ $labels.database }}',
    description: 'A job in channel {{ $labels.channel }} of {{ $labels.database }} was dispatched {{ $value | humanizeDuration }} ago and no worker has started it.',
  }, {
    alert: 'QueueJobStartedTooLong',
    expr: exceedsThreshold(config, `max by (database, channel) (${scraper('queue_job_oldest_age_seconds', 'state="started"')})`, 'started_age_seconds'),
    for: '5m',
    summary: 'A job has run too long in channel {{ $labels.channel }} of {{ $labels.database }}',
    description: 'The oldest started job in channel {{ $labels.channel }} of {{ $labels.database }} has been running for {{ $value | humanizeDuration }}.',
  }, {
    alert: 'QueueJobFailureBurst',
    expr: exceedsThreshold(config, 'database_channel:queue_job_failures:increase10m', 'failures_per_10m'),
    for: '2m',
    summary: 'Burst of failed jobs in channel {{ $labels.channel }} of {{ $labels.database }}',
    description: '{{ $value | humanize }} jobs failed in channel {{ $labels.channel }} of {{ $labels.database }} within 10 minutes.',
  }, {
    alert: 'QueueJobBacklogGrowing',
    expr: `${exceedsThreshold(config, 'database_channel:queue_job_jobs_pending:max', 'pending_backlog_jobs')}
and deriv(database_channel:queue_job_jobs_pending:max[30m]) > 0
`,
    for: '30m',
    summary: 'Backlog keeps growing in channel {{ $labels.channel }} of {{ $labels.database }}',
    description: 'Channel {{ $labels.channel }} of {{ $labels.database }} holds {{ $value | humanize }} pending jobs and the number has kept rising for 30 minutes: jobs arrive faster than the channel\'s capacity completes them.',
  });

  if (ours) {
    const dispatches = (matchers: string[]) => runner('queue_runner_dispatches_total', ...matchers);
    rules.push({
      alert: 'QueueRunnerDispatchLatencyHigh',
      expr: exceedsThreshold(config, 'instance_channel:queue_runner_dispatch_latency_seconds:p95_5m', 'dispatch_latency_p95_seconds'),
      for: '10m',
      summary: 'Slow dispatch in channel {{ $labels.channel }} on runner {{ $labels.instance }}',
      description: '95% of jobs in channel {{ $labels.channel }} waited up to {{ $value | humanizeDuration }} between becoming runnable and their HTTP call to a worker (over the last 5 minutes).',
    }, {
      alert: 'QueueRunnerDispatchFailing',
      expr: exceedsThreshold(config,
        `sum by (job, instance, server, database, channel) (rate(${dispatches(['outcome=~"http_error|connection_error"'])}[5m]))
  / sum by (job, instance, server, database, channel) (rate(${dispatches([])}[5m]))`, 'dispatch_failure_ratio'),
      for: '5m',
      summary: 'Runner {{ $labels.instance }} cannot hand jobs of {{ $labels.channel }} ({{ $labels.database }}) to a worker',
      description: '{{ $value | humanizePercentage }} of the runjob calls for channel {{ $labels.channel }} of {{ $labels.database }} failed over the last 5 minutes (HTTP error or connection refused). The runner puts such jobs back to pending and tries again.',
    });
  }

  const downFor = forOf('QueueExporterDown', '2m');
  const components = [...(ours ? ['runner' as const] : []), ...(config.deployment.worker ? ['worker' as const] : []), 'scraper' as const];
  rules.push({
    comment: 'One selector per deployed component: a down target of any other job is none of our business.',
    alert: 'QueueExporterDown',
    expr: components.map((component) => `${metric(config, component, 'up')} == 0`).join('\nor ') + '\n',
    for: '2m',
    summary: 'Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}',
    description: `The {{ $labels.job }} target {{ $labels.instance }} has not answered scrapes for ${spelledDuration(downFor)}: its figures and the alerts built on them are blind.`,
  });

  const scrapeFailingFor = forOf('QueueJobScrapeFailing', '3m');
  rules.push({
    alert: 'QueueJobScrapeFailing',
    expr: `max by (job, instance, database) (${scraper('queue_job_scrape_up')}) == 0`,
    for: '3m',
    summary: 'Scraper {{ $labels.instance }} cannot read database {{ $labels.database }}',
    description: `The scraper at {{ $labels.instance }} has failed to read queue_job in {{ $labels.database }} for ${spelledDuration(scrapeFailingFor)}; the figures of that database are frozen at their last values (queue_job_scrape_last_success_timestamp_seconds says since when). The scraper log names the cause once per change.`,
  }, {
    comment: 'A refresh that fails or never finishes keeps the last values: every gauge of the database\n'
      + 'looks fine while it is history. scrape_up may still be 1 (a slow refresh has not failed).',
    alert: 'QueueJobScrapeStale',
    expr: exceedsThreshold(config, `time() - max by (job, instance, database) (${scraper('queue_job_scrape_last_success_timestamp_seconds')})`, 'scrape_stale_seconds'),
    for: '2m',
    summary: 'The figures of database {{ $labels.database }} from scraper {{ $labels.instance }} are stale',
    description: 'The scraper at {{ $labels.instance }} last refreshed database {{ $labels.database }} {{ $value | humanizeDuration }} ago; its gauges (jobs, ages, runner sessions) show that old state, and the alerts built on them with it.',
  });

  return rules.map((rule) => ({ ...rule, for: forOf(rule.alert, rule.for) }));
}
