/**
 * One poll of a tester → Readings (one per channel) and DeviceEvents for channel state transitions
 * (the module's `toRecords`).
 * Pure. Field names carry SI units; status codes are decoded with the driver's tables (Maccor MacNet
 * reference §7) and transitions classified with its `channelStateTransition`.
 */
import { randomUUID } from 'node:crypto';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import { channelPhase, channelStateTransition } from '@busbar/driver-maccor-macnet';
import type { ChannelReading, ChannelStatus, ChannelStateSample } from '@busbar/driver-maccor-macnet';
import type { DeviceRecords } from '@busbar/protocol';

/** Protocol name written into every record. */
export const PROTOCOL = 'maccor-macnet';
/** `record_type` of every channel reading: the InfluxDB measurement shared by all cyclers (docs/data-model.md). */
const RECORD_TYPE = 'cycler_channel';

/** The latest (4,7) (and (4,4)) of a channel, with when it was read. */
export interface ChannelDetail {
  readonly reading: ChannelReading;
  /** (4,4) values, when the channel has aux inputs configured. */
  readonly aux: readonly number[] | undefined;
  /** ms since epoch. */
  readonly atMs: number;
}

/** What one poll read. Bulk arrays are indexed by 1-based channel through `channel` fields. */
export interface TesterPoll {
  readonly statuses: readonly ChannelStatus[];
  /** (4,2), V. */
  readonly voltages: ReadonlyMap<number, number>;
  /** (4,3), A. */
  readonly currents: ReadonlyMap<number, number>;
  /** (4,9), s. */
  readonly testTimes: ReadonlyMap<number, number>;
  /** Latest details of every channel read so far (this poll's and earlier ones'). */
  readonly details: ReadonlyMap<number, ChannelDetail>;
  /** Channels whose details were read in this poll. */
  readonly detailChannels: readonly number[];
}

/**
 * The Reading of one channel. `values`: voltage_v, current_a, test_time_s (bulk, this poll), stat, rf1,
 * rf2; from the channel's latest (4,7): capacity_ah, energy_wh, step_time_s, cycle, step,
 * record_number, detail_age_s (how old those are), aux_1..aux_n ((4,4), units per (4,5), not read).
 * `states`: status (Stat name), rf1_name, rf2_name, phase, tester_time (the tester PC's local clock).
 * Quality UNCERTAIN until the channel's details were read once. `record_type` `cycler_channel`: the
 * InfluxDB measurement shared by all cyclers (docs/data-model.md).
 */
export function toReading(deviceId: string, status: ChannelStatus, poll: TesterPoll, atMs: number, sequence: number): ReadingInput {
  const ch = status.channel;
  const values: Record<string, number> = { stat: status.stat, rf1: status.rf1, rf2: status.rf2 };
  const v = poll.voltages.get(ch);
  const i = poll.currents.get(ch);
  const t = poll.testTimes.get(ch);
  if (v !== undefined) values.voltage_v = v;
  if (i !== undefined) values.current_a = i;
  if (t !== undefined) values.test_time_s = t;
  const states: Record<string, string> = { status: status.stat_name, rf1_name: status.rf1_name, rf2_name: status.rf2_name, phase: channelPhase(status) };
  const d = poll.details.get(ch);
  if (d) {
    const r = d.reading;
    Object.assign(values, { capacity_ah: r.capacity_ah, energy_wh: r.energy_wh, step_time_s: r.step_time_s, cycle: r.cycle, step: r.step, record_number: r.record_number, detail_age_s: Math.max(0, (atMs - d.atMs) / 1000) });
    states.tester_time = r.tester_time;
    d.aux?.forEach((x, k) => {
      values[`aux_${k + 1}`] = x;
    });
  }
  return { device_id: deviceId, protocol: PROTOCOL, channel: ch, timestamp: new Date(atMs), values, states, quality: d ? 'GOOD' : 'UNCERTAIN', sequence, record_type: RECORD_TYPE };
}

/**
 * The DeviceEvent for a channel's change from `prev` to `next`, or undefined when nothing worth an
 * event happened (first sample, no change, step/cycle changes). `started`, `resumed`, `suspended`,
 * `completed`, `reset`, `changed` → STATE_CHANGE; `safety_stop` and `fault` → FAULT. States are the
 * phases (idle, running, suspended, completed, fault, other); details carry Stat/RF1/RF2.
 */
export function transitionEvent(deviceId: string, channel: number, prev: ChannelStateSample | undefined, next: ChannelStateSample & { readonly stat_name?: string }, at: Date): DeviceEventInput | undefined {
  const tr = channelStateTransition(prev, next);
  if (tr.kind === 'initial' || tr.kind === 'none' || tr.kind === 'step_changed') return undefined;
  const fault = tr.kind === 'safety_stop' || tr.kind === 'fault';
  return {
    event_id: randomUUID(),
    device_id: deviceId,
    protocol: PROTOCOL,
    channel,
    timestamp: at,
    kind: fault ? 'FAULT' : 'STATE_CHANGE',
    previous_state: tr.from ?? null,
    state: tr.to,
    reason: `channel ${channel} ${tr.kind.replace('_', ' ')}: ${tr.stat_name}${next.rf2 !== 0 ? ` (${tr.reason})` : ''}`,
    error_code: null,
    details: { transition: tr.kind, stat: String(next.stat), stat_name: tr.stat_name, rf1: String(next.rf1), rf2: String(next.rf2), rf2_name: tr.reason },
  };
}

/** Per tester across polls (and reconnects): each channel's previous state sample. */
export type MaccorState = Map<number, ChannelStateSample>;

/**
 * One poll as records: a Reading per channel, and the DeviceEvent of each channel whose state
 * changed since the previous poll (`previous` is updated in place).
 *
 * @param atMs - when the poll started, ms since the epoch.
 */
export function pollRecords(deviceId: string, poll: TesterPoll, previous: MaccorState, atMs: number, nextSequence: () => number): DeviceRecords {
  const at = new Date(atMs);
  const readings = poll.statuses.map((s) => toReading(deviceId, s, poll, atMs, nextSequence()));
  const events: DeviceEventInput[] = [];
  for (const s of poll.statuses) {
    const d = poll.details.get(s.channel)?.reading;
    const sample: ChannelStateSample = { stat: s.stat, rf1: s.rf1, rf2: s.rf2, ...(d ? { step: d.step, cycle: d.cycle } : {}) };
    const e = transitionEvent(deviceId, s.channel, previous.get(s.channel), sample, at);
    previous.set(s.channel, sample);
    if (e) events.push(e);
  }
  return { readings, events };
}
