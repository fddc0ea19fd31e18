// The shapes of generated Prometheus rules, before they are written as YAML.
import { AlertName } from '../config.js';

export interface RecordingRule {
  /** Why the rule exists; written as a YAML comment above it. */
  comment?: string;
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertRule {
  comment?: string;
  alert: AlertName;
  expr: string;
  /** The default `for:`; the configuration's alertFor replaces it. */
  for: string;
  /** Labels besides severity (which comes from the configuration), e.g. cause. */
  labels?: Record<string, string>;
  summary: string;
  description: string;
}

export interface RuleGroup {
  comment?: string;
  name: string;
  interval?: string;
  rules: (RecordingRule | AlertRule)[];
}
