/**
 * The driver's high-level, SI-named view of one channel, and a pure classifier of state changes for
 * DeviceEvents. No I/O.
 *
 * Sources: Arbin CTI reference README §4.2 (record fields and units), §4.2.1 (status codes), §3.6
 * (0-based wire channels; users see 1-based channels).
 */
import type { AuxType, ChannelInfoRecord } from './codec/channel-info.js';
import { parseStepAndCycle } from './codec/status.js';

/** One channel's reading, SI units in the names. `channel` is the cycler's 1-based number. */
export interface ChannelReading {
  /** Channel number as shown by MITS Pro, 1-based. */
  readonly channel: number;
  /** The 0-based index used on the wire (= channel − 1). */
  readonly channel_index0: number;
  /** Raw status code (README §4.2.1). */
  readonly status_code: number;
  /** Vendor status name, e.g. "Charge", "Rest", "Unsafe", `Unknown(n)`. */
  readonly status: string;
  /** Coarse class of the status, see {@link statusClass}. */
  readonly state: ChannelState;
  /** Whether the Console cannot reach the channel's MCU. */
  readonly comm_failure: boolean;
  /** Voltage, V. */
  readonly voltage_v: number;
  /** Current, A (positive = charge). */
  readonly current_a: number;
  /** Power, W. */
  readonly power_w: number;
  /** Charge capacity, Ah. */
  readonly charge_capacity_ah: number;
  /** Discharge capacity, Ah. */
  readonly discharge_capacity_ah: number;
  /** Charge energy, Wh. */
  readonly charge_energy_wh: number;
  /** Discharge energy, Wh. */
  readonly discharge_energy_wh: number;
  /** Internal resistance, Ω. */
  readonly internal_resistance_ohm: number;
  /** dV/dt, V/s. */
  readonly dvdt_v_per_s: number;
  /** AC resistance, Ω. */
  readonly acr_ohm: number;
  /** AC impedance, Ω. */
  readonly aci_ohm: number;
  /** AC impedance phase, degrees. */
  readonly aci_phase_deg: number;
  /** Test time, s. */
  readonly test_time_s: number;
  /** Step time, s. */
  readonly step_time_s: number;
  /** Cycle index parsed from the step-and-cycle text (as shown by MITS Pro), `null` when absent. */
  readonly cycle_index: number | null;
  /** Step index parsed from the step-and-cycle text (as shown by MITS Pro, 1-based), `null` when absent. */
  readonly step_index: number | null;
  /** Step label, e.g. "Step_A" ("" when absent). */
  readonly step_label: string;
  /** The raw step-and-cycle text. */
  readonly step_and_cycle_text: string;
  /** Schedule file name. */
  readonly schedule_name: string;
  /** Test name. */
  readonly test_name: string;
  /** Exit condition text. */
  readonly exit_condition: string;
  /** Battery barcode. */
  readonly barcode: string;
  /** Aux temperatures, in the unit configured on the cycler (undocumented; °C in practice). Empty unless aux data was requested. */
  readonly aux_temperatures: readonly number[];
  /** Aux voltages, V. Empty unless aux data was requested. */
  readonly aux_voltages_v: readonly number[];
  /** Every aux value per type (README §4.2). */
  readonly aux: Readonly<Record<AuxType, readonly number[]>>;
}

/** Coarse state classes of the 31 status codes. */
export type ChannelState = 'idle' | 'running' | 'paused' | 'stopping' | 'finished' | 'fault' | 'other';

const STATE_OF: Readonly<Record<number, ChannelState>> = {
  0: 'idle', 19: 'idle', 20: 'idle',
  1: 'running', 2: 'running', 3: 'running', 4: 'running', 5: 'running', 6: 'running', 9: 'running', 10: 'running', 11: 'running', 12: 'running',
  21: 'running', 22: 'running', 23: 'running', 24: 'running', 27: 'running', 30: 'running',
  18: 'paused', 25: 'paused',
  26: 'stopping',
  15: 'finished',
  8: 'fault', 14: 'fault', 29: 'fault',
  7: 'other', 13: 'other', 16: 'other', 17: 'other', 28: 'other',
};

/**
 * The coarse class of a status code: idle (0 Idle, 19 Empty, 20 Idle from MCU), running (charge,
 * discharge, rest, wait, pulse, IR, ACI, transitions…), paused (18, 25), stopping (26), finished
 * (15), fault (8 Unsafe, 14 Error, 29 DAQ Memory Unsafe), other (calibration, settings, unknown).
 */
export function statusClass(code: number): ChannelState {
  return STATE_OF[code] ?? 'other';
}

/**
 * Maps a decoded record to a {@link ChannelReading}.
 *
 * @param record - a record of the get-channels-info feedback (0-based index on the wire).
 */
export function toChannelReading(record: ChannelInfoRecord): ChannelReading {
  const sc = parseStepAndCycle(record.step_and_cycle_format);
  const aux = Object.fromEntries(Object.entries(record.aux).map(([t, vs]) => [t, vs.map((v) => v.value)])) as Record<AuxType, number[]>;
  return {
    channel: record.channel_index0 + 1,
    channel_index0: record.channel_index0,
    status_code: record.status,
    status: record.status_name,
    state: statusClass(record.status),
    comm_failure: record.comm_failure !== 0,
    voltage_v: record.voltage_v,
    current_a: record.current_a,
    power_w: record.power_w,
    charge_capacity_ah: record.charge_capacity_ah,
    discharge_capacity_ah: record.discharge_capacity_ah,
    charge_energy_wh: record.charge_energy_wh,
    discharge_energy_wh: record.discharge_energy_wh,
    internal_resistance_ohm: record.internal_resistance_ohm,
    dvdt_v_per_s: record.dvdt_vbys,
    acr_ohm: record.acr_ohm,
    aci_ohm: record.aci_ohm,
    aci_phase_deg: record.aci_phase_degrees,
    test_time_s: record.test_time_s,
    step_time_s: record.step_time_s,
    cycle_index: sc?.cycle_index ?? null,
    step_index: sc?.step_index ?? null,
    step_label: sc?.step_label ?? '',
    step_and_cycle_text: record.step_and_cycle_format,
    schedule_name: record.schedule,
    test_name: record.testname,
    exit_condition: record.exit_condition,
    barcode: record.barcode,
    aux_temperatures: aux.temperature,
    aux_voltages_v: aux.voltage,
    aux,
  };
}

/** Kinds of channel state change worth a DeviceEvent. */
export type ChannelTransitionKind =
  | 'started'
  | 'step-changed'
  | 'status-changed'
  | 'paused'
  | 'resumed'
  | 'stopping'
  | 'stopped'
  | 'finished'
  | 'fault'
  | 'fault-cleared'
  | 'comm-lost'
  | 'comm-restored';

/** A classified change between two readings of the same channel. */
export interface ChannelTransition {
  /** What happened. */
  readonly kind: ChannelTransitionKind;
  /** Severity for alerting: fault and comm-lost are critical; finished/stopped are notices. */
  readonly severity: 'info' | 'notice' | 'critical';
  /** 1-based channel. */
  readonly channel: number;
  /** Status name before (`null` for the first reading). */
  readonly from: string | null;
  /** Status name after. */
  readonly to: string;
  /** Step index after (as shown by MITS Pro), `null` when unknown. */
  readonly step_index: number | null;
  /** Cycle index after, `null` when unknown. */
  readonly cycle_index: number | null;
}

type TransitionInput = Pick<ChannelReading, 'channel' | 'status_code' | 'status' | 'comm_failure' | 'step_index' | 'cycle_index'>;

/**
 * Classifies the change from `prev` to `next` (same channel). Returns `null` when nothing worth an
 * event changed (same status, step and cycle, same communication state). A first reading (`prev`
 * undefined) yields an event only when the channel is in fault or has lost communication.
 *
 * Rules, in order: comm lost/restored; into fault → `fault`; out of fault → `fault-cleared`;
 * into finished → `finished`; running → idle → `stopped`; into stopping → `stopping`; into paused →
 * `paused`; paused → running → `resumed`; not running → running → `started`; running → running with
 * another step, cycle or status → `step-changed` (step/cycle changed) or `status-changed`.
 */
export function channelStateTransition(prev: TransitionInput | undefined, next: TransitionInput): ChannelTransition | null {
  const make = (kind: ChannelTransitionKind, severity: ChannelTransition['severity']): ChannelTransition => ({
    kind, severity, channel: next.channel, from: prev?.status ?? null, to: next.status, step_index: next.step_index, cycle_index: next.cycle_index,
  });
  const to = statusClass(next.status_code);
  if (prev === undefined) {
    if (next.comm_failure) return make('comm-lost', 'critical');
    return to === 'fault' ? make('fault', 'critical') : null;
  }
  if (!prev.comm_failure && next.comm_failure) return make('comm-lost', 'critical');
  if (prev.comm_failure && !next.comm_failure) return make('comm-restored', 'info');
  const from = statusClass(prev.status_code);
  const sameStatus = prev.status_code === next.status_code;
  if (to === 'fault') return from === 'fault' && sameStatus ? null : make('fault', 'critical');
  if (from === 'fault') return make('fault-cleared', 'notice');
  if (to === 'finished') return from === 'finished' ? null : make('finished', 'notice');
  if (to === 'idle') return from === 'running' || from === 'paused' || from === 'stopping' ? make('stopped', 'notice') : sameStatus ? null : make('status-changed', 'info');
  if (to === 'stopping') return from === 'stopping' ? null : make('stopping', 'info');
  if (to === 'paused') return from === 'paused' ? null : make('paused', 'notice');
  if (to === 'running') {
    if (from === 'paused') return make('resumed', 'info');
    if (from !== 'running') return make('started', 'info');
    if (prev.step_index !== next.step_index || prev.cycle_index !== next.cycle_index) return make('step-changed', 'info');
    return sameStatus ? null : make('status-changed', 'info');
  }
  return sameStatus ? null : make('status-changed', 'info');
}
