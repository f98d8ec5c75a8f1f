/**
 * Database rows → {@link BasytecRow}. The BaSyTec database schema is not public (reference §5),
 * so a configured mapping names, for each database column, the Resultfile header it corresponds
 * to (e.g. `u_v` → `U[V]`); the header then goes through the same name-and-unit catalogue as the
 * files ({@link mapColumn}, reference §3.3, §5 "Proposed approach" item 3). Pure.
 */
import { BasytecError } from '../errors.js';
import { mapColumn } from './columns.js';
import type { ColumnSpec } from './columns.js';
import { parseHms, parseNumber, parseWallTime } from './resultfile.js';
import type { BasytecRow } from './resultfile.js';
import type { WallTime } from './timezone.js';
import type { ZoneConverter } from './timezone.js';

/** A database column and the spec of the Resultfile header it stands for. */
export interface RecordColumn {
  readonly dbColumn: string;
  readonly spec: ColumnSpec;
}

/**
 * Compiles `{ dbColumn: 'Resultfile header' }` into specs.
 * @throws {BasytecError} `BB_BASYTEC_CONFIG_INVALID` when no column maps to `DataSet` or none gives time.
 */
export function compileRecordColumns(columns: Readonly<Record<string, string>>): RecordColumn[] {
  const headers = Object.values(columns);
  const hasDate = headers.some((h) => h.toLowerCase() === 'date');
  const out = Object.entries(columns).map(([dbColumn, header]) => ({ dbColumn, spec: mapColumn(header, hasDate) }));
  if (!out.some((c) => c.spec.target === 'data_set')) {
    throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', 'database mapping: no column maps to DataSet (needed as cursor and de-duplication key)', { context: { field: 'mapping.data.columns' } });
  }
  if (!out.some((c) => ['elapsed_s', 'datetime', 'date'].includes(c.spec.target))) {
    throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', 'database mapping: no column maps to a time (Time[s|h|h:min:s], DateTime or Date+Time)', { context: { field: 'mapping.data.columns' } });
  }
  return out;
}

/**
 * Wall time from database text: `yyyy-mm-dd HH:MM:SS[.ffffff]` (SQL) or `dd.mm.yyyy HH:MM:SS` (BaSyTec).
 * @returns undefined when neither.
 */
export function parseDbWallTime(text: string): WallTime | undefined {
  const t = text.trim().replace('T', ' ');
  const iso = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(t);
  if (iso !== null) {
    return parseWallTime(`${iso[3]}.${iso[2]}.${iso[1]}`, `${iso[4]}:${iso[5]}:${iso[6]}${iso[7] === undefined ? '' : `.${iso[7].slice(0, 3)}`}`);
  }
  const [d = '', c = ''] = t.split(/\s+/);
  return parseWallTime(d, c);
}

function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return parseNumber(v.trim());
  return undefined;
}

/**
 * Maps one database record.
 * @param rec - column → value as the driver returns it (number, bigint, numeric text, text, null).
 * @param startedAtMs - the test's start, UTC ms (for `start + elapsed` timestamps).
 * @throws {BasytecError} `BB_BASYTEC_DB_ROW_INVALID` naming the column when a value is missing or of the wrong type.
 */
export function mapRecord(cols: readonly RecordColumn[], rec: Readonly<Record<string, unknown>>, startedAtMs: number | undefined, zone: ZoneConverter): BasytecRow {
  const values: Record<string, number> = {};
  const extra: Record<string, number | string> = {};
  const ctx: Record<string, number | string> = {};
  let elapsed: number | undefined;
  let wall: WallTime | undefined;
  let date: string | undefined;
  let clock: string | undefined;
  const bad = (c: RecordColumn, v: unknown, what: string): BasytecError =>
    new BasytecError('BB_BASYTEC_DB_ROW_INVALID', `database column ${c.dbColumn} (${c.spec.header}): ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)} is not ${what}`, { context: { column: c.dbColumn, header: c.spec.header } });
  for (const c of cols) {
    const v = rec[c.dbColumn];
    if (v === null || v === undefined) {
      if (c.spec.target === 'data_set') throw bad(c, v, 'a DataSet');
      continue; // absent measurement
    }
    switch (c.spec.kind) {
      case 'number': {
        const n = numeric(v);
        if (n === undefined) throw bad(c, v, 'a number');
        if (c.spec.target === 'elapsed_s') elapsed = n * c.spec.scale;
        else values[c.spec.target] = n * c.spec.scale;
        break;
      }
      case 'integer': {
        const n = numeric(v);
        if (n === undefined || !Number.isInteger(n)) throw bad(c, v, 'an integer');
        ctx[c.spec.target] = n;
        break;
      }
      case 'hms': {
        const n = typeof v === 'string' ? parseHms(v) : numeric(v);
        if (n === undefined) throw bad(c, v, 'h:mm:ss');
        if (c.spec.target === 'elapsed_s') elapsed = n;
        else values[c.spec.target] = n;
        break;
      }
      case 'text':
        ctx[c.spec.target] = String(v);
        break;
      case 'datetime':
        wall = parseDbWallTime(String(v));
        if (wall === undefined) throw bad(c, v, 'a date and time');
        break;
      case 'date':
        date = String(v);
        break;
      case 'clock':
        clock = String(v);
        break;
      case 'extra': {
        const n = numeric(v);
        extra[c.spec.header] = n ?? String(v);
        break;
      }
    }
  }
  if (wall === undefined && date !== undefined && clock !== undefined) wall = parseDbWallTime(`${date} ${clock}`);
  const ts = wall !== undefined ? zone.toUtcMs(wall) : startedAtMs !== undefined && elapsed !== undefined ? startedAtMs + Math.round(elapsed * 1000) : undefined;
  if (ts === undefined) throw new BasytecError('BB_BASYTEC_TIMESTAMP_UNAVAILABLE', 'database row: no date/time column and no test start + elapsed time', { context: { data_set: String(ctx['data_set']) } });
  return {
    data_set: ctx['data_set'] as number,
    timestampMs: ts,
    elapsed_s: elapsed,
    line: ctx['line'] as number | undefined,
    command: ctx['command'] as string | undefined,
    state: ctx['state'] as number | undefined,
    level: ctx['level'] as number | undefined,
    cycle_count: ctx['cycle_count'] as number | undefined,
    loop_count: ctx['loop_count'] as number | undefined,
    values,
    extra,
  };
}
