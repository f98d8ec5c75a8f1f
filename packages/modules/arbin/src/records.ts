/**
 * Pure mapping of the driver's channel readings to Avro records: one {@link ReadingInput} per channel
 * per poll, and a {@link DeviceEventInput} per channel state transition (classified by the driver's
 * `channelStateTransition`). No I/O.
 *
 * Sources: Arbin CTI reference README §4.2 (record fields and units), §4.2.1 (status codes),
 * §3.6 (users see 1-based channels).
 */
import { randomUUID } from 'node:crypto';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import type { ChannelReading, ChannelTransition } from '@busbar/driver-arbin-cti';
import { AUX_TYPES, channelStateTransition } from '@busbar/driver-arbin-cti';

/** Protocol name written into every record. */
export const PROTOCOL = 'arbin-cti';
/** `record_type` of every channel reading: the InfluxDB measurement shared by all cyclers (docs/data-model.md). */
const RECORD_TYPE = 'cycler_channel';

const NUMERIC: ReadonlyArray<keyof ChannelReading> = [
  'voltage_v', 'current_a', 'power_w',
  'charge_capacity_ah', 'discharge_capacity_ah', 'charge_energy_wh', 'discharge_energy_wh',
  'internal_resistance_ohm', 'acr_ohm', 'aci_ohm', 'aci_phase_deg', 'dvdt_v_per_s',
  'test_time_s', 'step_time_s', 'status_code',
];

/** Unit suffix of aux values by type: voltage in V; temperature in the cycler's unit (°C in practice, README §4.2 leaves it undocumented); others unitless. */
const AUX_SUFFIX: Partial<Record<(typeof AUX_TYPES)[number], string>> = { voltage: '_v', temperature: '_c' };

/**
 * One channel's reading as a Reading record.
 *
 * values: voltage_v, current_a (positive = charge), power_w, charge/discharge_capacity_ah,
 * charge/discharge_energy_wh, internal_resistance_ohm, acr_ohm, aci_ohm, aci_phase_deg,
 * dvdt_v_per_s, test_time_s, step_time_s, status_code, comm_failure (0/1), cycle_index and
 * step_index (when the step-and-cycle text parses), aux values as `aux_temperature_<n>_c`,
 * `aux_voltage_<n>_v`, `aux_<type>_<n>` (n 1-based). states: status (vendor name), state (idle,
 * running, paused, stopping, finished, fault, other), and when not empty schedule_name, test_name,
 * step_name, step_and_cycle, exit_condition, barcode. Quality UNCERTAIN when the Console cannot reach
 * the channel (comm_failure) or a value is not finite (it is then left out). record_type
 * `cycler_channel` (docs/data-model.md).
 */
export function toArbinReading(deviceId: string, r: ChannelReading, atMs: number, sequence: number): ReadingInput {
  const values: Record<string, number> = {};
  let finite = true;
  const put = (name: string, v: number): void => {
    if (Number.isFinite(v)) values[name] = v;
    else finite = false;
  };
  for (const k of NUMERIC) put(k, r[k] as number);
  values.comm_failure = r.comm_failure ? 1 : 0;
  if (r.cycle_index !== null) values.cycle_index = r.cycle_index;
  if (r.step_index !== null) values.step_index = r.step_index;
  for (const type of AUX_TYPES) {
    r.aux[type].forEach((v, i) => put(`aux_${type}_${i + 1}${AUX_SUFFIX[type] ?? ''}`, v));
  }
  const states: Record<string, string> = { status: r.status, state: r.state };
  const optional: ReadonlyArray<readonly [string, string]> = [
    ['schedule_name', r.schedule_name], ['test_name', r.test_name], ['step_name', r.step_label],
    ['step_and_cycle', r.step_and_cycle_text], ['exit_condition', r.exit_condition], ['barcode', r.barcode],
  ];
  for (const [k, v] of optional) if (v !== '') states[k] = v;
  return {
    device_id: deviceId, protocol: PROTOCOL, channel: r.channel, timestamp: new Date(atMs), values, states,
    quality: r.comm_failure || !finite ? 'UNCERTAIN' : 'GOOD', sequence, record_type: RECORD_TYPE,
  };
}

/**
 * A channel state transition as a DeviceEvent: FAULT for `fault` (Unsafe, Error, DAQ Memory Unsafe)
 * and `comm-lost`, STATE_CHANGE otherwise. previous_state/state are the vendor status names
 * ("Charge", "Rest", "Finished", "Unsafe"); details.transition is the driver's classification
 * (started, step-changed, paused, resumed, stopping, stopped, finished, fault, fault-cleared,
 * comm-lost, comm-restored, status-changed) and details.severity info/notice/critical — what an
 * alerter needs to tell a fault from a finished test.
 */
export function transitionEvent(deviceId: string, t: ChannelTransition, r: ChannelReading, atMs: number): DeviceEventInput {
  const fault = t.kind === 'fault' || t.kind === 'comm-lost';
  const details: Record<string, string> = { transition: t.kind, severity: t.severity, status_code: String(r.status_code), state_class: r.state };
  if (t.step_index !== null) details.step_index = String(t.step_index);
  if (t.cycle_index !== null) details.cycle_index = String(t.cycle_index);
  if (r.test_name !== '') details.test_name = r.test_name;
  if (r.schedule_name !== '') details.schedule_name = r.schedule_name;
  const where = `channel ${t.channel}`;
  const reason = t.kind === 'comm-lost' ? `${where}: the Console cannot reach the channel (comm failure)` : t.from === null ? `${where} is ${t.to}` : `${where}: ${t.from} → ${t.to} (${t.kind})`;
  return {
    event_id: randomUUID(), device_id: deviceId, protocol: PROTOCOL, channel: t.channel, timestamp: new Date(atMs),
    kind: fault ? 'FAULT' : 'STATE_CHANGE', previous_state: t.from, state: t.to, reason, details,
  };
}

/**
 * Turns one poll of a cycler into Readings and the DeviceEvents of the channels whose state changed
 * since the previous poll (`previous` is updated in place; it survives reconnects, so a change
 * during an outage is reported after it).
 *
 * @param atMs - when the poll started, ms since the epoch.
 */
export function pollRecords(device: string, readings: readonly ChannelReading[], previous: Map<number, ChannelReading>, atMs: number, nextSequence: () => number): { readonly readings: ReadingInput[]; readonly events: DeviceEventInput[] } {
  const out: ReadingInput[] = [];
  const events: DeviceEventInput[] = [];
  for (const r of readings) {
    out.push(toArbinReading(device, r, atMs, nextSequence()));
    const t = channelStateTransition(previous.get(r.channel), r);
    if (t !== null) events.push(transitionEvent(device, t, r, atMs));
    previous.set(r.channel, r);
  }
  return { readings: out, events };
}
