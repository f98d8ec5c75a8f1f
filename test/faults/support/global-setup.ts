/**
 * Global setup of the `faults` Vitest project (after the testkit's, which starts the shared Kafka,
 * InfluxDB and SMTP): builds the services the scenarios run as processes (turbo caches the rest),
 * empties the row file, and at the end prints the fault table — one row per scenario.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { ENTRIES, REPO_ROOT } from './service-process.js';
import type { FaultRow } from './report.js';
import { ROWS_FILE, renderTable } from './report.js';

/** Vitest global setup: returns the teardown that prints the table. */
export default function setup(): () => void {
  const filters = ['@busbar/historian', '@busbar/alerter', '@busbar/commander', '@busbar/collector-modbus'].map((f) => `--filter=${f}`);
  const r = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only', ...filters], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the services failed:\n${r.stdout}\n${r.stderr}`);
  const missing = Object.values(ENTRIES).filter((e) => !existsSync(`${REPO_ROOT}/${e}`));
  if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')}`);
  rmSync(ROWS_FILE, { force: true });
  return () => {
    if (!existsSync(ROWS_FILE)) return;
    const rows = readFileSync(ROWS_FILE, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FaultRow);
    process.stdout.write(`\nFault suite (${rows.length} scenarios):\n\n${renderTable(rows)}\n\n`);
  };
}
