/**
 * Corus data → Avro Readings (pure).
 *
 * Exactness: every Corus number is an integer times a power of ten (itron-corus reference README
 * §8.4); the driver decodes it to an `ExactDecimal`, and it travels as its canonical decimal text
 * in `exact_values` — never as a float in `values`. The historian converts it to a float only at
 * the InfluxDB boundary (services/historian/src/points.ts).
 */
import { randomUUID } from 'node:crypto';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import type { ClockSetBackEvent, LogRecord, ParameterValue } from '@busbar/driver-itron-corus';
import { ExactDecimal } from '@busbar/driver-itron-corus';

/** Protocol name written into every record. */
export const PROTOCOL = 'itron-corus';

/**
 * One parameter poll → one Reading per device (channel null): numbers in `exact_values`
 * (name → decimal text, names and units from the configured map, e.g. `volume_converted_m3`,
 * `pressure_bar`), dates (the device clock) as ISO instants and texts in `states`. A parameter the
 * device reported as "no value" (all 0xFF, reference §8.1) is left out and makes the quality
 * `UNCERTAIN`. `record_type` `meter_poll` (docs/data-model.md).
 *
 * @param atMs - when the poll started (collector clock), ms since the epoch.
 */
export function parameterReading(deviceId: string, values: Readonly<Record<string, ParameterValue>>, atMs: number, sequence: number): ReadingInput {
  const exact: Record<string, string> = {};
  const states: Record<string, string> = {};
  let missing = false;
  for (const [name, v] of Object.entries(values)) {
    if (v === null) missing = true;
    else if (v instanceof ExactDecimal) exact[name] = v.toString();
    else if (v instanceof Date) states[name] = v.toISOString();
    else states[name] = v;
  }
  return { device_id: deviceId, protocol: PROTOCOL, channel: null, timestamp: new Date(atMs), values: {}, exact_values: exact, states, quality: missing ? 'UNCERTAIN' : 'GOOD', sequence, record_type: 'meter_poll' };
}

/**
 * One log record → one Reading with the record's own timestamp: numeric fields (pulse fields
 * already scaled by the pulse weight, reference §9.6) in `exact_values`, `states.log` = the log
 * name (`interval`, ...) so log records are told apart from polls, `states.device_time` = the
 * timestamp as the device wrote it (naive), other Date fields as ISO instants. `record_type`
 * `meter_log:<log>` (docs/data-model.md): each log is its own measurement, so an hourly record never
 * overwrites the interval record of the same time. `states.relogged` = `"true"` for a record the
 * device logged again after its clock was set back (its time was published before: the historian
 * overwrites the point of that time, the flag says why).
 */
export function logRecordReading(deviceId: string, record: LogRecord & { readonly relogged?: boolean }, sequence: number): ReadingInput {
  const exact: Record<string, string> = {};
  const states: Record<string, string> = { log: record.log, device_time: record.deviceTime };
  if (record.relogged === true) states.relogged = 'true';
  for (const [name, v] of Object.entries(record.values)) {
    if (v instanceof ExactDecimal) exact[name] = v.toString();
    else if (v instanceof Date) {
      if (v.getTime() !== record.timestamp.getTime()) states[name] = v.toISOString();
    } else states[name] = v;
  }
  return { device_id: deviceId, protocol: PROTOCOL, channel: null, timestamp: record.timestamp, values: {}, exact_values: exact, states, quality: 'GOOD', sequence, record_type: `meter_log:${record.log}` };
}

/**
 * A clock set-back seen by the log backfill → one FAULT DeviceEvent (`error_code`
 * `BB_CORUS_CLOCK_SET_BACK`, `reason` = the policy's description, e.g. "clock set back by 2 h (device
 * time 2020-10-07T12:00:00 → 2020-10-07T10:15:00), 8 records re-logged"), `details` with the log,
 * the figures and how it was seen. `timestamp` = now (collector clock): when it was seen.
 */
export function clockSetBackEvent(deviceId: string, log: string, e: ClockSetBackEvent, atMs = Date.now()): DeviceEventInput {
  return {
    event_id: randomUUID(),
    device_id: deviceId,
    protocol: PROTOCOL,
    timestamp: new Date(atMs),
    kind: 'FAULT',
    state: 'clock_set_back',
    reason: e.description,
    error_code: 'BB_CORUS_CLOCK_SET_BACK',
    details: { log, set_back_s: String(e.setBackByMs / 1000), relogged_records: String(e.reloggedRecords), from_device_time: e.fromDeviceTime, to_device_time: e.toDeviceTime, detected_by: e.detectedBy },
  };
}
