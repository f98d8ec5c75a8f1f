/**
 * Pure mapping of BaSyTec rows (Resultfile or database, `@busbar/driver-basytec`) to Avro records:
 * one {@link ReadingInput} per row (a row is one data set of one channel), and a
 * {@link DeviceEventInput} per test start and per step change. No I/O.
 *
 * Sources: BaSyTec integration reference §3.2 (preamble: `Name of Test`, `Testplan`, `Testchannel`,
 * `Start of Test`), §3.3 (columns and units; `I[A]` positive while charging, negative while
 * discharging), §3.4 (`State`: 3 first row of a step, 0 second, 1 running, 2 last — inferred),
 * §3.5 (`Command` values).
 */
import { createHash } from 'node:crypto';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import type { BasytecError, BasytecRow } from '@busbar/driver-basytec';

/** Protocol name written into every record. */
export const PROTOCOL = 'basytec';

/** The test a batch of rows belongs to, as its source names it. */
export interface BatchTest {
  /** `Name of Test` (file preamble) or the tests table's name column. */
  readonly name: string | undefined;
  /** `Testchannel` as printed (`1814 CH14 XCTS_40`) or the tests table's channel column. */
  readonly channel: string | undefined;
  /** `Start of Test` as printed, or the tests table's start column as text. */
  readonly start: string | undefined;
  /** `Testplan` (a `.pln` file name), when the source gives it (files do; the example database mapping does not). */
  readonly plan?: string | undefined;
  /** `Battery` (test object), when given. */
  readonly battery?: string | undefined;
}

/** New rows of one test from one source, as one poll read them. */
export interface SourceBatch {
  /** `file` (a Resultfile of the export directory) or `db` (the database). */
  readonly source: 'file' | 'db';
  /** The file name, or `<database name>:<test id>`. */
  readonly origin: string;
  readonly test: BatchTest;
  /** Where the rows' timestamps come from: the clock columns or `Start of Test` + elapsed time. */
  readonly timestampSource: 'clock' | 'elapsed';
  /** Rows in source order (`DataSet` increasing). */
  readonly rows: readonly BasytecRow[];
  /** Rows the source skipped (malformed), reported by the session. */
  readonly errors: readonly BasytecError[];
  /** Advances the source's persisted cursor past these rows; the runtime calls it after Kafka acknowledged the records. */
  ack(): Promise<void>;
}

/** What one poll of a tester returned. */
export interface BasytecPoll {
  readonly batches: readonly SourceBatch[];
}

/** Per tester across polls: the last step seen per test (its changes become events). */
export type BasytecState = Map<string, { readonly line: number | undefined; readonly command: string | undefined }>;

/**
 * The channel number of a `Testchannel` text: the number after `CH` (`1814 CH14 XCTS_40` → 14,
 * reference §3.2), or the whole text when it is a number (a database channel column).
 * @returns undefined when neither (the Reading then has no channel; the text is in `states.testchannel`).
 */
export function channelNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ch = /\bCH\s*0*(\d{1,5})\b/i.exec(text);
  const digits = ch?.[1] ?? (/^\s*0*(\d{1,5})\s*$/.exec(text)?.[1]);
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return n >= 1 ? n : undefined;
}

/** The de-duplication identity of a test (driver: `testKeyOf`): name, channel and start. */
export function testKey(t: BatchTest): string {
  return JSON.stringify([t.name ?? '', t.channel ?? '', t.start ?? '']);
}

/** A stable UUID-shaped id (RFC 9562 version 8) from the parts: a re-delivered row yields the same event id. */
function stableId(...parts: readonly string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * One row as a Reading.
 *
 * - `timestamp`: the row's (`Start of Test` + elapsed, or the clock columns, in the tester's zone).
 * - `channel`: {@link channelNumber} of the test channel.
 * - `values`: the driver's SI values (`voltage_v`; `current_a` with **BaSyTec's sign: positive
 *   while charging, negative while discharging**; `power_w` with the current's sign; `charge_ah`
 *   signed since test start; `energy_wh`; `temperature_<n>_c`; `resistance_ac_ohm`,
 *   `resistance_dc_ohm`; `step_time_s`; counters `charged_ah`, `step_ah`…), plus `data_set`,
 *   `test_time_s` (elapsed since test start), `cycle_count`, `level`, `loop_count`, `step` (the
 *   test-plan `Line`, numeric like every cycler's `step` in `cycler_channel`) when present.
 *   Unmapped columns (`extra`) are not published.
 * - `states` (the context): `test_name`, `plan`, `battery`, `testchannel` (as printed),
 *   `command` (`Pause`, `Charge`…), `state` (the `State` code),
 *   `source` (`file` | `db`), `origin`, `timestamp_source` (`clock` | `elapsed`).
 */
export function toBasytecReading(deviceId: string, batch: SourceBatch, row: BasytecRow, sequence: number): ReadingInput {
  const values: Record<string, number> = { ...row.values, data_set: row.data_set };
  if (row.elapsed_s !== undefined) values.test_time_s = row.elapsed_s;
  if (row.cycle_count !== undefined) values.cycle_count = row.cycle_count;
  if (row.level !== undefined) values.level = row.level;
  if (row.loop_count !== undefined) values.loop_count = row.loop_count;
  // the plan line is the step number: numeric, as `step` is for every cycler in cycler_channel (InfluxDB keeps one type per field)
  if (row.line !== undefined) values.step = row.line;
  const states: Record<string, string> = { source: batch.source, origin: batch.origin, timestamp_source: batch.timestampSource };
  const t = batch.test;
  const optional: ReadonlyArray<readonly [string, string | number | undefined]> = [
    ['test_name', t.name], ['plan', t.plan], ['battery', t.battery], ['testchannel', t.channel],
    ['command', row.command], ['state', row.state],
  ];
  for (const [k, v] of optional) if (v !== undefined && v !== '') states[k] = String(v);
  return {
    device_id: deviceId, protocol: PROTOCOL, channel: channelNumber(t.channel) ?? null, timestamp: new Date(row.timestampMs),
    values, states, quality: 'GOOD', sequence, record_type: 'cycler_channel', // the measurement of every cycler (docs/data-model.md)
  };
}

/**
 * The readings and step/test events of one poll; updates `state` (the last step per test).
 *
 * Events (`STATE_CHANGE`, channel of the test, timestamp of the row, id stable per device, test,
 * `DataSet` and kind):
 * - `details.transition = test-started`: the first row of a test (`DataSet` ≤ 1) — a new test on a
 *   channel also means the previous one ended; `state` is the first step's command;
 * - `details.transition = step-changed`: the `Line` differs from the previous row of the same
 *   test; `previous_state`/`state` are the commands, `details.step`/`previous_step` the lines.
 * A test first seen in the middle (after a restart of the collector) starts no event: its step is
 * remembered silently.
 */
export function pollRecords(deviceId: string, poll: BasytecPoll, state: BasytecState, nextSequence: () => number): { readings: ReadingInput[]; events: DeviceEventInput[] } {
  const readings: ReadingInput[] = [];
  const events: DeviceEventInput[] = [];
  for (const batch of poll.batches) {
    const key = `${batch.source}|${testKey(batch.test)}`;
    const channel = channelNumber(batch.test.channel) ?? null;
    for (const row of batch.rows) {
      readings.push(toBasytecReading(deviceId, batch, row, nextSequence()));
      const prev = state.get(key);
      const base = { device_id: deviceId, protocol: PROTOCOL, channel, timestamp: new Date(row.timestampMs), kind: 'STATE_CHANGE' as const };
      const details: Record<string, string> = { data_set: String(row.data_set), source: batch.source };
      if (batch.test.name !== undefined) details.test_name = batch.test.name;
      if (batch.test.plan !== undefined) details.plan = batch.test.plan;
      if (row.line !== undefined) details.step = String(row.line);
      if (prev === undefined) {
        if (row.data_set <= 1) {
          events.push({
            ...base, event_id: stableId(deviceId, key, String(row.data_set), 'test-started'), previous_state: null, state: row.command ?? null,
            reason: `test ${batch.test.name ?? '(unnamed)'} started${batch.test.plan ? ` with plan ${batch.test.plan}` : ''} on ${batch.test.channel ?? 'an unnamed channel'}`,
            details: { ...details, transition: 'test-started' },
          });
        }
      } else if (row.line !== prev.line) {
        events.push({
          ...base, event_id: stableId(deviceId, key, String(row.data_set), 'step-changed'), previous_state: prev.command ?? null, state: row.command ?? null,
          reason: `step ${prev.line ?? '?'} (${prev.command ?? '?'}) → ${row.line ?? '?'} (${row.command ?? '?'})`,
          details: { ...details, transition: 'step-changed', ...(prev.line === undefined ? {} : { previous_step: String(prev.line) }) },
        });
      }
      state.set(key, { line: row.line, command: row.command });
    }
  }
  return { readings, events };
}
