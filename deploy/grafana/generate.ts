/**
 * Writes Busbar's dashboards (src/dashboards.ts) to deploy/grafana/dashboards/<name>.json, the files
 * the dashboard provider (provisioning/dashboards/busbar.yaml) loads.
 *
 *   npx tsx deploy/grafana/generate.ts           # write
 *   npx tsx deploy/grafana/generate.ts --check   # exit 1 if a committed file differs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { allDashboards } from './src/dashboards.js';

const dir = new URL('dashboards/', import.meta.url);
let stale = 0;
for (const [name, dashboard] of Object.entries(allDashboards())) {
  const file = new URL(`${name}.json`, dir);
  const text = `${JSON.stringify(dashboard, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      // missing: stale
    }
    if (old !== text) {
      stale++;
      process.stderr.write(`deploy/grafana/dashboards/${name}.json is not what src/dashboards.ts generates: run npx tsx deploy/grafana/generate.ts\n`);
    }
  } else writeFileSync(file, text);
}
process.exitCode = stale === 0 ? 0 : 1;
