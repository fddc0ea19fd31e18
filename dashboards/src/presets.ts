// The other deployments the repository ships rules for, each a patch over the configuration
// in use: written to alerts/<name>/ next to the default rules.
import { ConfigPatch } from './config.js';

export interface Preset {
  name: string;
  patch: ConfigPatch;
}

export const presets: Preset[] = [
  {
    // Odoo's own runner dispatches; only our scraper runs beside it (docker-compose profile
    // beside-odoo): no queue_runner_* or worker rules, which would otherwise report them absent.
    name: 'beside-odoo',
    patch: { deployment: { runner: 'odoo', worker: false } },
  },
  {
    // ./demo.sh: the demo's failing jobs make QueueJobFailureBurst fire and reach Alertmanager
    // within its first minute. Demo only: a real burst needs the shipped 10 in 10 minutes, 2m.
    name: 'demo',
    patch: {
      thresholds: { failures_per_10m: { value: 2 } },
      alertFor: { QueueJobFailureBurst: '10s' },
      ruleInterval: '2s',
    },
  },
];
