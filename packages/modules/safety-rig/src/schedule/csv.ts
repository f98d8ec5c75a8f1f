/**
 * The original rig software's schedule files (safety-rig reference §7): CSV, comma-separated, two
 * columns — step duration in seconds, set-point in A (current mode) or kW (power mode) — usually
 * with a UTF-8 byte-order mark and a header row (`Interval [s],Current [A]`).
 *
 * What differs from the original, on purpose:
 * - the header is recognised as the FIRST row whose set-point cell is not a number; any other
 *   malformed row is an error naming its line (the original skipped any row containing "Current" or
 *   "Power" and crashed on others);
 * - a header naming the other mode (`Power [kW]` for a current schedule) is an error: a kW file run
 *   as amperes is the mistake D9 made possible;
 * - the set-point must lie within the envelope, bounds included (the original: |I| < 100 A,
 *   |P| < 30 kW), and the duration must be a positive finite number of seconds.
 *
 * Pure: no I/O (the caller reads the file). CSV tokenising by csv-parse.
 */
import { parse } from 'csv-parse/sync';
import { RigError } from '../errors.js';
import { envelopeViolation } from '../interlock/config.js';
import type { Envelope, PcsSetpoint } from '../interlock/config.js';

/** One step: hold `setpoint` for `durationS` seconds. */
export interface ScheduleStep {
  /** Step duration, s (> 0). */
  readonly durationS: number;
  /** Mode and value (A or kW). */
  readonly setpoint: PcsSetpoint;
  /** 1-based line of the file, for events and errors. */
  readonly line: number;
}

/** A validated schedule. */
export interface Schedule {
  /** Name used in events (the file name). */
  readonly name: string;
  readonly mode: PcsSetpoint['mode'];
  readonly steps: readonly ScheduleStep[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function fail(name: string, line: number, message: string): never {
  throw new RigError('BB_RIG_SCHEDULE_INVALID', `schedule ${name} line ${line}: ${message}`, { schedule: name, line });
}

/**
 * Parses and validates a schedule file.
 *
 * @param text - the file's content (a leading BOM is dropped).
 * @param mode - `current` (set-points in A) or `power` (kW), from the configuration.
 * @param envelope - the PCS envelope the set-points must lie within.
 * @param name - names the schedule in errors and events.
 * @throws {RigError} `BB_RIG_SCHEDULE_INVALID` naming the line: not two cells, not a number, a
 *   duration ≤ 0, a set-point outside the envelope, a header of the other mode, no step at all.
 */
export function parseScheduleCsv(text: string, mode: PcsSetpoint['mode'], envelope: Envelope, name: string): Schedule {
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: true }) as unknown as typeof rows;
  } catch (err) {
    fail(name, (err as { lines?: number }).lines ?? 0, `not CSV: ${(err as Error).message}`);
  }
  const steps: ScheduleStep[] = [];
  rows.forEach(({ record, info }, i) => {
    const line = info.lines;
    const cells = record.length === 3 && record[2] === '' ? record.slice(0, 2) : record; // a trailing comma
    if (cells.length !== 2) fail(name, line, `expected 2 cells (duration s, set-point ${mode === 'current' ? 'A' : 'kW'}), got ${cells.length}`);
    const [duration, value] = cells as [string, string];
    if (i === 0 && !NUMBER.test(value)) {
      const other = mode === 'current' ? /power|\[kW\]/i : /current|\[A\]/i;
      if (other.test(value)) fail(name, line, `header "${value}" names the other mode; this schedule is configured as ${mode}`);
      return; // the header row
    }
    if (!NUMBER.test(duration)) fail(name, line, `duration "${duration}" is not a number`);
    if (!NUMBER.test(value)) fail(name, line, `set-point "${value}" is not a number`);
    const durationS = Number(duration);
    const setpoint: PcsSetpoint = { mode, value: Number(value) };
    if (!(durationS > 0) || !Number.isFinite(durationS)) fail(name, line, `duration ${duration} s must be > 0`);
    const violation = envelopeViolation(setpoint, envelope);
    if (violation) fail(name, line, violation);
    steps.push({ durationS, setpoint, line });
  });
  if (steps.length === 0) fail(name, rows.at(-1)?.info.lines ?? 1, 'no step');
  return { name, mode, steps };
}
