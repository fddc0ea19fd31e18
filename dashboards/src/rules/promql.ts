// PromQL pieces every rule is written with: a component's metric selected through the configured
// selector, and a comparison with a threshold that may be overridden per database or channel.
import { Component, MixinConfig, thresholdDimensions, ThresholdName } from '../config.js';

/** `name{<the component's selector>, extra...}`. */
export function metric(config: MixinConfig, component: Component, name: string, ...matchers: string[]): string {
  return `${name}{${[config.selectors[component], ...matchers].join(', ')}}`;
}

export function thresholdSeries(name: ThresholdName): string {
  return `queue_job:alert_threshold:${name}`;
}

/**
 * `measure > threshold`, the result keeping the measure's labels and value. Without overrides the
 * threshold is one unlabelled series: `> on() group_left() <threshold>` (a duplicate series makes
 * the rule fail loudly rather than go silent). With overrides, the measure is compared with an
 * effective threshold per (database, channel): the override with both labels, else the channel's,
 * else the database's, else the default. Only the levels the configuration uses are generated.
 */
export function exceedsThreshold(config: MixinConfig, measure: string, name: ThresholdName): string {
  const series = thresholdSeries(name);
  const overrides = config.thresholds[name].overrides ?? [];
  if (overrides.length === 0) {
    return `${measure}\n  > on() group_left() ${series}`;
  }

  const dims: readonly string[] = thresholdDimensions[name];
  const by = dims.join(', ');
  const has = (labels: string[]) => overrides.some((o) => dims.every((d) => (o[d as 'database' | 'channel'] !== undefined) === labels.includes(d)));
  const matchers = (labels: string[]) => dims.map((d) => `${d}${labels.includes(d) ? '!=""' : '=""'}`).join(', ');
  // Most specific first: every dimension, then channel alone, then database alone.
  const levels: string[][] = dims.length === 2 ? [['database', 'channel'], ['channel'], ['database']] : [[...dims]];
  const terms: string[] = [];
  for (const labels of levels.filter(has)) {
    terms.push(labels.length === dims.length
      ? `max by (${by}) (${series}{${matchers(labels)}})`
      : `(max by (${by}) (${measure}) * 0 + on (${labels.join(', ')}) group_left () max by (${labels.join(', ')}) (${series}{${matchers(labels)}}))`);
  }
  terms.push(`(max by (${by}) (${measure}) * 0 + on () group_left () ${series}{${matchers([])}})`);
  return `${measure}\n  > on (${by}) group_left () (\n      ${terms.join(`\n    or on (${by})\n      `)}\n  )`;
}

/** '2m' -> '2 minutes', for descriptions that state an alert's `for:`. */
export function spelledDuration(duration: string): string {
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(duration);
  if (!match) {
    return duration;
  }
  const n = Number(match[1]);
  const unit = { ms: 'millisecond', s: 'second', m: 'minute', h: 'hour' }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
