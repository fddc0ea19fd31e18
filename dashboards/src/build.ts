// Writes every dashboard as Grafana JSON: `npm run build` -> generated/<uid>.json (committed, and
// provisioned by deploy/grafana). `npm run build -- --out DIR` writes elsewhere, which the test
// uses to check that the committed files are up to date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queueOverview } from './queueOverview.js';
import { queueRunner } from './queueRunner.js';

const dashboards = [queueOverview(), queueRunner()];

const outFlag = process.argv.indexOf('--out');
const outDir = outFlag >= 0 && process.argv[outFlag + 1]
  ? resolve(process.argv[outFlag + 1])
  : join(dirname(fileURLToPath(import.meta.url)), '..', 'generated');
mkdirSync(outDir, { recursive: true });

for (const builder of dashboards) {
  const model = builder.build();
  const file = join(outDir, `${model.uid}.json`);
  writeFileSync(file, JSON.stringify(model, null, 2) + '\n');
  console.log(`wrote ${file}`);
}
