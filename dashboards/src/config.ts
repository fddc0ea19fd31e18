// The one configuration behind the rules and the dashboards (kubernetes-mixin's `_config`): a team
// adopting the monitoring changes values here, or passes a JSON file of just the values it changes
// (`npm run build -- --config mine.json`), and regenerates. Nothing else is edited by hand.

export type Component = 'runner' | 'worker' | 'scraper';
export type Severity = 'critical' | 'warning' | 'info';

/** The alert names; each has a severity here and a section in alerts/runbook.md. */
export const alertNames = [
  'QueueJobRunnerDown', 'QueueJobQueueStuck', 'QueueJobEnqueuedStuck', 'QueueJobStartedTooLong',
  'QueueJobFailureBurst', 'QueueJobBacklogGrowing', 'QueueRunnerDispatchLatencyHigh',
  'QueueRunnerDispatchFailing', 'QueueExporterDown', 'QueueJobScrapeFailing', 'QueueJobScrapeStale',
] as const;
export type AlertName = typeof alertNames[number];

/** Labels a threshold may be overridden by: the labels the alert comparing with it keeps. */
export type ThresholdDimension = 'database' | 'channel';

/**
 * Every threshold, with the labels its alert can be refined by. Unit in the name: a `_seconds`
 * threshold is in seconds.
 */
export const thresholdDimensions = {
  runner_heartbeat_stale_seconds: [],
  pending_age_seconds: ['database', 'channel'],
  enqueued_age_seconds: ['database', 'channel'],
  started_age_seconds: ['database', 'channel'],
  failures_per_10m: ['database', 'channel'],
  pending_backlog_jobs: ['database', 'channel'],
  dispatch_latency_p95_seconds: ['channel'],
  dispatch_failure_ratio: ['database', 'channel'],
  scrape_stale_seconds: ['database'],
} as const satisfies Record<string, readonly ThresholdDimension[]>;
export type ThresholdName = keyof typeof thresholdDimensions;

/** A value for one database, one channel (in every database), or one channel of one database. */
export interface ThresholdOverride {
  database?: string;
  channel?: string;
  value: number;
}

export interface Threshold {
  /** Applies wherever no override matches. */
  value: number;
  /**
   * Most specific first wins: database and channel, then channel alone, then database alone,
   * then `value`. Recorded as labelled series of the same name (alerts/thresholds.rules.yml).
   */
  overrides?: ThresholdOverride[];
}

export interface MixinConfig {
  /**
   * PromQL label matchers that select each component's series, e.g. `job="queue-exporter-runner"`
   * or `job="queue", namespace="odoo"`. Every rule and panel query includes them. Use equality
   * matchers on `job` where possible: `absent()` (QueueJobRunnerDown, cause heartbeat_absent)
   * keeps only equality matchers as labels, and the shipped inhibitions match on `job`.
   */
  selectors: Record<Component, string>;
  /** Where runbook.md is served; an alert links to `<runbookBaseUrl>#<alertname in lower case>`. */
  runbookBaseUrl: string;
  /**
   * What runs: whose runner dispatches the jobs (ours, with queue_runner_* metrics, or Odoo's,
   * seen only from the database by the scraper), and whether our .NET worker runs. The scraper
   * always runs. Rules and panels for absent components are not generated (an alert on a
   * component that is not deployed would fire forever).
   */
  deployment: { runner: 'queue-exporter' | 'odoo'; worker: boolean };
  thresholds: Record<ThresholdName, Threshold>;
  severities: Record<AlertName, Severity>;
  /**
   * `for:` per alert, when a deployment needs other than the defaults in rules/alerts.ts (the
   * demo shortens one so that it fires within a minute).
   */
  alertFor: Partial<Record<AlertName, string>>;
  /** Evaluation interval of the rule groups; unset: Prometheus' global evaluation_interval. */
  ruleInterval?: string;
  /** Dashboards: auto-refresh and the default time range. */
  dashboards: { refresh: string; overviewFrom: string; runnerFrom: string };
  /**
   * The Kubernetes PrometheusRule: its name and labels (give it those your Prometheus'
   * ruleSelector matches, e.g. `release: kube-prometheus-stack`).
   */
  prometheusRule: { name: string; labels: Record<string, string> };
}

export const defaultConfig: MixinConfig = {
  selectors: {
    runner: 'job="queue-exporter-runner"',
    worker: 'job="queue-exporter-worker"',
    scraper: 'job="queue-exporter-scraper"',
  },
  runbookBaseUrl: 'alerts/runbook.md',
  deployment: { runner: 'queue-exporter', worker: true },
  thresholds: {
    runner_heartbeat_stale_seconds: { value: 120, overrides: [] },
    pending_age_seconds: { value: 900, overrides: [] },
    enqueued_age_seconds: { value: 300, overrides: [] },
    started_age_seconds: { value: 3600, overrides: [] },
    failures_per_10m: { value: 10, overrides: [] },
    pending_backlog_jobs: { value: 1000, overrides: [] },
    // Keep it below the histogram's top finite bucket (60 s): a quantile in the +Inf bucket reads
    // as that bound, so a threshold of 60 or more could never be exceeded.
    dispatch_latency_p95_seconds: { value: 30, overrides: [] },
    dispatch_failure_ratio: { value: 0.5, overrides: [] },
    // Five refreshes of the default 15 s interval plus the terminal totals' slower loop: older
    // than this, the figures on every dashboard are history.
    scrape_stale_seconds: { value: 300, overrides: [] },
  },
  severities: {
    QueueJobRunnerDown: 'critical',
    QueueJobQueueStuck: 'critical',
    QueueJobEnqueuedStuck: 'warning',
    QueueJobStartedTooLong: 'warning',
    QueueJobFailureBurst: 'warning',
    QueueJobBacklogGrowing: 'warning',
    QueueRunnerDispatchLatencyHigh: 'warning',
    QueueRunnerDispatchFailing: 'warning',
    QueueExporterDown: 'warning',
    QueueJobScrapeFailing: 'warning',
    QueueJobScrapeStale: 'warning',
  },
  alertFor: {},
  // Present (as undefined) so that a configuration file may set it.
  ruleInterval: undefined,
  dashboards: { refresh: '30s', overviewFrom: 'now-6h', runnerFrom: 'now-3h' },
  prometheusRule: {
    name: 'queue-exporter',
    labels: { 'app.kubernetes.io/name': 'queue-exporter', 'app.kubernetes.io/component': 'alerting' },
  },
};

/** A configuration file holds only what differs from the defaults; objects merge, arrays and values replace. */
export type ConfigPatch = { [K in keyof MixinConfig]?: MixinConfig[K] extends object ? DeepPartial<MixinConfig[K]> : MixinConfig[K] };
type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function mergeConfig(base: MixinConfig, patch: ConfigPatch): MixinConfig {
  const merged = mergeObjects(base as unknown as Record<string, unknown>, patch as Record<string, unknown>, 'config') as unknown as MixinConfig;
  validate(merged);
  return merged;
}

function mergeObjects(base: Record<string, unknown>, patch: Record<string, unknown>, path: string): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    // Open maps (alertFor) take new keys; every other unknown key is a typo worth a loud stop.
    if (!(key in base) && path !== 'config.alertFor' && path !== 'config.prometheusRule.labels') {
      throw new ConfigError(`${path}.${key}: no such setting`);
    }
    const current = base[key];
    result[key] = isPlainObject(current) && isPlainObject(value)
      ? mergeObjects(current, value, `${path}.${key}`)
      : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A configuration that cannot produce working rules: one line naming the setting. */
export class ConfigError extends Error {}

const labelValue = /^[^"\\\n]+$/;

function validate(config: MixinConfig): void {
  for (const [component, selector] of Object.entries(config.selectors)) {
    if (!/^\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"/.test(selector) || /[{}]/.test(selector)) {
      throw new ConfigError(`config.selectors.${component}: "${selector}" is not a list of label matchers such as job="queue-exporter-${component}"`);
    }
  }
  if (config.runbookBaseUrl.trim() === '' || config.runbookBaseUrl.includes('#')) {
    throw new ConfigError(`config.runbookBaseUrl: "${config.runbookBaseUrl}" must be a URL or path without a #fragment`);
  }
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(config.prometheusRule.name)) {
    throw new ConfigError(`config.prometheusRule.name: "${config.prometheusRule.name}" is not a Kubernetes object name`);
  }
  for (const alert of alertNames) {
    if (!['critical', 'warning', 'info'].includes(config.severities[alert])) {
      throw new ConfigError(`config.severities.${alert}: "${config.severities[alert]}" is not critical, warning or info`);
    }
  }
  for (const [alert, duration] of Object.entries(config.alertFor)) {
    if (!(alertNames as readonly string[]).includes(alert) || !/^[0-9]+(ms|s|m|h)$/.test(duration ?? '')) {
      throw new ConfigError(`config.alertFor.${alert}: "${duration}" is not an alert name with a duration such as 5m`);
    }
  }
  for (const name of Object.keys(thresholdDimensions) as ThresholdName[]) {
    const threshold = config.thresholds[name];
    if (!threshold || !Number.isFinite(threshold.value)) {
      throw new ConfigError(`config.thresholds.${name}.value: a number is required`);
    }
    const seen = new Set<string>();
    for (const [index, override] of (threshold.overrides ?? []).entries()) {
      const where = `config.thresholds.${name}.overrides[${index}]`;
      const labels = (['database', 'channel'] as const).filter((label) => override[label] !== undefined);
      if (labels.length === 0 || !Number.isFinite(override.value)) {
        throw new ConfigError(`${where}: needs a database, a channel or both, and a numeric value`);
      }
      for (const label of labels) {
        if (!(thresholdDimensions[name] as readonly string[]).includes(label)) {
          throw new ConfigError(`${where}: ${name} cannot differ by ${label} (its alert keeps only: ${thresholdDimensions[name].join(', ') || 'no label'})`);
        }
        if (!labelValue.test(override[label]!)) {
          throw new ConfigError(`${where}.${label}: "${override[label]}" is not a plain label value`);
        }
      }
      const key = `${override.database ?? ''}\u0000${override.channel ?? ''}`;
      if (seen.has(key)) {
        throw new ConfigError(`${where}: a second override for the same database and channel`);
      }
      seen.add(key);
    }
  }
}
