// The rule files as written: plain Prometheus rule files (alerts/*.rules.yml) and the same groups
// as one Kubernetes PrometheusRule (prometheus-operator), both from the same RuleGroups.
import { Document, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { MixinConfig } from '../config.js';
import { alertRules } from './alerts.js';
import { recordingRules } from './recordingRules.js';
import { AlertRule, RecordingRule, RuleGroup } from './ruleTypes.js';
import { thresholdRules } from './thresholdRules.js';

export interface RuleFile {
  name: string;
  header: string;
  groups: RuleGroup[];
}

export function ruleFiles(config: MixinConfig): RuleFile[] {
  const interval = config.ruleInterval ? { interval: config.ruleInterval } : {};
  return [
    {
      name: 'thresholds.rules.yml',
      header: `Alert thresholds, one recorded series each, plus one labelled series per override.
Generated from dashboards/src/config.ts (npm run build in dashboards/): change a threshold or add an
override there, or pass your own configuration file, rather than editing this file.

Without overrides an alert compares with \`> on() group_left() <threshold>\`: exactly one series per
threshold must exist; a duplicate makes the alert rule fail loudly (rule health "error" in
Prometheus) rather than go silent. With overrides (labels database and/or channel) the most
specific series wins: database and channel, then channel, then database, then the default.

Durations (\`for:\` and range windows) cannot be series; they are literals in the alert rules
and listed with these numbers in alerts/runbook.md ("Thresholds").

A group of its own is fine here: the values never change, so reading them one evaluation late
makes no difference (unlike the recordings in queue-exporter.rules.yml).`,
      groups: [{ name: 'queue-exporter-thresholds', ...interval, rules: thresholdRules(config) }],
    },
    {
      name: 'queue-exporter.rules.yml',
      header: `Prometheus rules for QueueExporter: recording rules that the alerts and dashboards share, and
the alerts. Generated from dashboards/src/rules/*.ts with the configuration in
dashboards/src/config.ts (npm run build in dashboards/); do not edit by hand.

Selectors: runner ${config.selectors.runner}; worker ${config.selectors.worker}; scraper ${config.selectors.scraper}.
Deployed: runner ${config.deployment.runner}, worker ${config.deployment.worker ? 'yes' : 'no'}, scraper yes.

One group: rules in a group run in order at the same evaluation, so an alert always sees the
recorded series of the same instant. (Separate groups run independently; an alert would read a
recording up to one interval old, and its \`for:\` would start a step late at random.)`,
      groups: [{ name: 'queue-exporter', ...interval, rules: [...recordingRules(config), ...alertRules(config)] }],
    },
  ];
}

function ruleObject(config: MixinConfig, rule: RecordingRule | AlertRule): Record<string, unknown> {
  if ('record' in rule) {
    return { record: rule.record, expr: rule.expr, ...(rule.labels && Object.keys(rule.labels).length ? { labels: rule.labels } : {}) };
  }
  return {
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { severity: config.severities[rule.alert], ...rule.labels },
    annotations: {
      summary: rule.summary,
      description: rule.description,
      runbook_url: `${config.runbookBaseUrl}#${rule.alert.toLowerCase()}`,
    },
  };
}

function groupNode(doc: Document, config: MixinConfig, group: RuleGroup): YAMLMap {
  const rules = group.rules.map((rule) => {
    const node = doc.createNode(ruleObject(config, rule)) as YAMLMap;
    // Annotations are prose with {{ templates }}: quoted, as a reader expects, not plain scalars.
    const annotations = node.get('annotations');
    if (isMap(annotations)) {
      annotations.items.forEach((pair) => {
        if (isScalar(pair.value)) {
          pair.value.type = Scalar.QUOTE_DOUBLE;
        }
      });
    }
    if (rule.comment) {
      node.commentBefore = comment(rule.comment);
    }
    return node;
  });
  const node = doc.createNode({ name: group.name, ...(group.interval ? { interval: group.interval } : {}), rules: [] }) as YAMLMap;
  const sequence = node.get('rules') as YAMLSeq;
  rules.forEach((rule) => sequence.add(rule));
  return node;
}

function comment(text: string): string {
  return text.split('\n').map((line) => ` ${line}`).join('\n');
}

function render(doc: Document): string {
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

export function renderRuleFile(config: MixinConfig, file: RuleFile): string {
  const doc = new Document({ groups: [] });
  const groups = doc.get('groups') as YAMLSeq;
  file.groups.forEach((group) => groups.add(groupNode(doc, config, group)));
  doc.commentBefore = comment(file.header);
  return render(doc);
}

/** Every group of every file in one PrometheusRule, for clusters run by the prometheus-operator. */
export function renderPrometheusRule(config: MixinConfig, files: RuleFile[]): string {
  const doc = new Document({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: config.prometheusRule.name, labels: config.prometheusRule.labels },
    spec: { groups: [] },
  });
  const groups = doc.getIn(['spec', 'groups']) as YAMLSeq;
  files.flatMap((file) => file.groups).forEach((group) => groups.add(groupNode(doc, config, group)));
  doc.commentBefore = comment(`The QueueExporter rules (thresholds and alerts) as a prometheus-operator PrometheusRule; the
same groups as alerts/*.rules.yml, generated with them by dashboards/ (npm run build).
Name and labels from the configuration (prometheusRule): give it those your Prometheus' ruleSelector matches.`);
  if (!isMap(doc.contents) || !isSeq(groups)) {
    throw new Error('PrometheusRule document has an unexpected shape');
  }
  return render(doc);
}
