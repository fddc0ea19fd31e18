// Recording rules that the alerts and dashboards share. They sit in the alerts' group, before the
// alerts: rules in a group run in order at the same evaluation, so an alert always sees the
// recorded series of the same instant (another group would hand it a value up to one interval old).
import { MixinConfig } from '../config.js';
import { metric } from './promql.js';
import { RecordingRule } from './ruleTypes.js';

export function recordingRules(config: MixinConfig): RecordingRule[] {
  const scraper = (name: string, ...matchers: string[]) => metric(config, 'scraper', name, ...matchers);
  const rules: RecordingRule[] = [
    {
      comment: 'Gauges use max, not sum: two scrapers watching one database must not double the figure.',
      record: 'database_channel:queue_job_jobs_pending:max',
      expr: `max by (database, channel) (${scraper('queue_job_jobs', 'state="pending"')})`,
    },
    {
      record: 'database_channel_state:queue_job_completed:rate5m',
      expr: `sum by (database, channel, state) (rate(${scraper('queue_job_completed_total')}[5m]))`,
    },
    {
      record: 'database_channel:queue_job_failures:increase10m',
      expr: `sum by (database, channel) (increase(${scraper('queue_job_failures_total')}[10m]))`,
    },
    {
      comment: '1 while a channel has work waiting: a runnable pending job, or a dispatched job no worker\n'
        + 'has started yet. Needs both series per channel, which the scraper exports for every channel.',
      record: 'database_channel:queue_job_waiting:bool',
      expr: `clamp_max(
  max by (database, channel) (${scraper('queue_job_oldest_age_seconds', 'state="pending"')} > bool 0)
  + on (database, channel)
  max by (database, channel) (${scraper('queue_job_jobs', 'state="enqueued"')} > bool 0),
  1)
`,
    },
  ];
  if (config.deployment.runner === 'queue-exporter') {
    rules.push({
      record: 'instance_channel:queue_runner_dispatch_latency_seconds:p95_5m',
      expr: `histogram_quantile(0.95, sum by (job, instance, channel, le) (rate(${metric(config, 'runner', 'queue_runner_dispatch_latency_seconds_bucket')}[5m])))`,
    });
  }
  return rules;
}
