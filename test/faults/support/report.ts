/**
 * Fault-suite support: each scenario records one row (scenario | produced | stored | lost |
 * duplicated | recovery s | notes) in `.busbar/faults/rows.jsonl`; the suite's global setup empties
 * the file before the run and prints the rows as one table after it (`global-setup.ts`).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './service-process.js';

/** Where the rows of this run go. */
export const ROWS_FILE = join(REPO_ROOT, '.busbar', 'faults', 'rows.jsonl');

/** One row of the fault table. */
export interface FaultRow {
  /** What was done (`historian kill -9 mid-stream`). */
  readonly scenario: string;
  /** Records (readings, commands, garbage records) sent into the pipeline. */
  readonly produced: number;
  /** Records that arrived where they belong (distinct points in InfluxDB, distinct results, dead letters). */
  readonly stored: number;
  /** produced − stored. */
  readonly lost: number;
  /** Records handled twice (points written again, second results, re-executions). */
  readonly duplicated: number;
  /** Seconds from the end of the fault until everything was stored; `null` when not applicable. */
  readonly recoveryS: number | null;
  /** Anything else measured (re-executions, interrupted commands...). */
  readonly notes?: string;
}

/** Records a row (and prints it at once, for a run that is cut short). */
export function recordRow(row: FaultRow): void {
  mkdirSync(dirname(ROWS_FILE), { recursive: true });
  appendFileSync(ROWS_FILE, `${JSON.stringify(row)}\n`);
  process.stdout.write(`faults > ${row.scenario}: produced ${row.produced}, stored ${row.stored}, lost ${row.lost}, duplicated ${row.duplicated}, recovery ${row.recoveryS === null ? '-' : `${row.recoveryS.toFixed(1)} s`}${row.notes ? ` (${row.notes})` : ''}\n`);
}

/** Renders rows as a Markdown table. */
export function renderTable(rows: readonly FaultRow[]): string {
  const lines = ['| scenario | produced | stored | lost | duplicated | recovery s | notes |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.produced} | ${r.stored} | ${r.lost} | ${r.duplicated} | ${r.recoveryS === null ? '-' : r.recoveryS.toFixed(1)} | ${r.notes ?? ''} |`);
  return lines.join('\n');
}
