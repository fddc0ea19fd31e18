// Writes everything the configuration drives, at its place in the repository:
//   dashboards/generated/<uid>.json            the Grafana dashboards (provisioned by deploy/grafana)
//   alerts/*.rules.yml                         Prometheus rule files (thresholds, recordings, alerts)
//   alerts/kubernetes/*.prometheusrule.yaml    the same rules as a prometheus-operator PrometheusRule
//   alerts/<preset>/*.rules.yml                the rules of the other shipped deployments (presets.ts)
//
//   npm run build                          the defaults (src/config.ts) into the repository (committed)
//   npm run build -- --config FILE.json    a team's own values (only what differs from the defaults)
//   npm run build -- --out DIR             the same tree under DIR (the tests' staleness check uses it)
// A configuration that cannot work stops the build with one line and exit code 2.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ConfigPatch, defaultConfig, mergeConfig, MixinConfig } from './config.js';
import { presets } from './presets.js';
import { queueOverview } from './queueOverview.js';
import { queueRunner } from './queueRunner.js';
import { renderPrometheusRule, renderRuleFile, ruleFiles } from './rules/ruleFiles.js';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function write(root: string, path: string, text: string): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${path}`);
}

function writeRules(root: string, dir: string, config: MixinConfig): void {
  for (const file of ruleFiles(config)) {
    write(root, join(dir, file.name), renderRuleFile(config, file));
  }
}

function main(): number {
  const root = option('--out') ? resolve(option('--out')!) : join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let config: MixinConfig;
  try {
    const file = option('--config');
    const patch: ConfigPatch = file ? JSON.parse(readFileSync(file, 'utf8')) as ConfigPatch : {};
    config = mergeConfig(defaultConfig, patch);
    for (const preset of presets) {
      mergeConfig(config, preset.patch);
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SyntaxError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error(`build: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }

  const dashboards = [queueOverview(config), ...(config.deployment.runner === 'queue-exporter' ? [queueRunner(config)] : [])];
  for (const builder of dashboards) {
    const model = builder.build();
    write(root, join('dashboards', 'generated', `${model.uid}.json`), JSON.stringify(model, null, 2) + '\n');
  }
  writeRules(root, 'alerts', config);
  write(root, join('alerts', 'kubernetes', 'queue-exporter.prometheusrule.yaml'), renderPrometheusRule(config, ruleFiles(config)));
  for (const preset of presets) {
    writeRules(root, join('alerts', preset.name), mergeConfig(config, preset.patch));
  }
  return 0;
}

process.exitCode = main();
