// Alert thresholds as recorded series (alerts/thresholds.rules.yml): the default of each is one
// unlabelled series, each override one more series of the same name labelled with its database
// and/or channel. The alerts pick the most specific (rules/promql.ts, exceedsThreshold).
import { MixinConfig, ThresholdName, thresholdDimensions } from '../config.js';
import { thresholdSeries } from './promql.js';
import { RecordingRule } from './ruleTypes.js';

/** What each threshold means, written above its rule. */
export const thresholdMeanings: Record<ThresholdName, string> = {
  runner_heartbeat_stale_seconds: 'Seconds since the runner\'s last completed loop iteration before it counts as hung.',
  pending_age_seconds: 'Seconds a runnable pending job may wait, with no completion on its channel, before the\nchannel counts as stuck.',
  enqueued_age_seconds: 'Seconds a job may stay enqueued (dispatched, not yet started by a worker).',
  started_age_seconds: 'Seconds a job may run (state started).',
  failures_per_10m: 'Failed jobs per channel within 10 minutes that make a burst.',
  pending_backlog_jobs: 'Pending jobs per channel above which a still-growing backlog alerts.',
  dispatch_latency_p95_seconds: '95th percentile of the runner\'s dispatch latency (runnable -> HTTP call sent), seconds.\n'
    + 'Keep it below the histogram\'s top finite bucket (60 s): a quantile in the +Inf bucket\n'
    + 'reads as that bound, so a threshold of 60 or more could never be exceeded.',
  dispatch_failure_ratio: 'Share of the runner\'s runjob calls in a channel that fail (HTTP error or connection\n'
    + 'refused; timeouts are normal for long jobs and not counted), 0 to 1.',
  scrape_stale_seconds: 'Seconds since the scraper\'s last successful refresh of a database before its figures\ncount as stale.',
};

/** Thresholds of alerts that exist in this deployment (the runner's only where ours runs). */
export function usedThresholds(config: MixinConfig): ThresholdName[] {
  const runnerOnly: ThresholdName[] = ['runner_heartbeat_stale_seconds', 'dispatch_latency_p95_seconds', 'dispatch_failure_ratio'];
  return (Object.keys(thresholdDimensions) as ThresholdName[])
    .filter((name) => config.deployment.runner === 'queue-exporter' || !runnerOnly.includes(name));
}

export function thresholdRules(config: MixinConfig): RecordingRule[] {
  return usedThresholds(config).flatMap((name) => {
    const threshold = config.thresholds[name];
    const overrides = (threshold.overrides ?? []).map((override): RecordingRule => ({
      record: thresholdSeries(name),
      expr: `vector(${override.value})`,
      labels: {
        ...(override.database !== undefined ? { database: override.database } : {}),
        ...(override.channel !== undefined ? { channel: override.channel } : {}),
      },
    }));
    return [{ comment: thresholdMeanings[name], record: thresholdSeries(name), expr: `vector(${threshold.value})` }, ...overrides];
  });
}
