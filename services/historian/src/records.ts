/**
 * Mapping of device events, command results and alerts to InfluxDB points (docs/data-model.md,
 * "Device events, command results, alerts"): one measurement each, shaped for Grafana annotations
 * (a `text` field, low-cardinality tags) and tables.
 *
 * - `device_event`: tags `device`, `protocol`, `channel` (padded), `kind`; fields `text`, `event_id`,
 *   `state`, `previous_state`, `reason`, `error_code` (when set), `details` (JSON object text);
 * - `command_result`: tags `device`, `channel`, `action`, `status`; fields `text`, `command_id`,
 *   `reason_code`, `reason` (when set), `details` (JSON);
 * - `alert`: tags `device`, `channel`, `rule`, `signal`, `severity`, `state`; fields `text` (the
 *   message), `alert_id`, `value`, `threshold` (when set).
 *
 * Time: the record's timestamp in nanoseconds plus an offset of 0–999 999 ns derived from the
 * record's identity (FNV-1a of the event id; of command id + status; of alert id + state), so two
 * records of one series in the same millisecond stay two points and a replayed record overwrites
 * itself. The points carry nanosecond timestamps: write them with precision `ns`.
 */
import { linePoint } from './line-protocol.js';
import type { PointBuilder, PointFactory } from './line-protocol.js';
import type { Alert, CommandResult, DeviceEvent } from '@busbar/avro';
import type { MappedPoint, PointProblem } from './points.js';
import { channelTag, usableTagValue } from './points.js';

/** InfluxDB's time range (int64 nanoseconds), in ms since the epoch. */
const MIN_TIME_MS = -9_223_372_036_854;
const MAX_TIME_MS = 9_223_372_036_853; // one less than for readings: room for the sub-millisecond offset

/** 32-bit FNV-1a of the UTF-16 code units of `s` (a stable, well-spread hash; no cryptography needed). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Nanoseconds since the epoch of `at`, plus 0–999 999 ns from `identity`, as line-protocol text. */
export function nanosWithOffset(at: Date, identity: string): string {
  return (BigInt(at.getTime()) * 1_000_000n + BigInt(fnv1a32(identity) % 1_000_000)).toString();
}

/** The record kinds this module maps, by measurement. */
export type RecordMeasurement = 'device_event' | 'command_result' | 'alert';

/** Starts a point: checks time and tags (returning the problem instead), sets the time. */
function start(make: PointFactory, measurement: RecordMeasurement, at: Date, identity: string, tags: readonly (readonly [string, string | null])[]): { point: PointBuilder } | { problem: { name: string; problem: PointProblem } } {
  const t = at.getTime();
  if (!(t >= MIN_TIME_MS && t <= MAX_TIME_MS)) return { problem: { name: 'timestamp', problem: 'time_out_of_range' } };
  const p = make(measurement).timestamp(nanosWithOffset(at, identity));
  for (const [key, v] of tags) {
    if (v === null) continue;
    if (!usableTagValue(v)) return { problem: { name: key, problem: 'bad_tag_value' } };
    p.tag(key, v);
  }
  return { point: p };
}

const channelOf = (c: number | null): string | null => (c === null ? null : channelTag(c));
const optional = (p: PointBuilder, name: string, v: string | null): void => void (v === null ? undefined : p.stringField(name, v));
const details = (d: Readonly<Record<string, string>>): string => JSON.stringify(Object.fromEntries(Object.entries(d)));

/**
 * The `device_event` point of a DeviceEvent. `text`: `<kind>` plus ` <previous> → <state>` for a
 * STATE_CHANGE (or ` <state>`), plus `: <reason>` and ` (<error_code>)` when set.
 */
export function deviceEventToPoint(e: DeviceEvent, make: PointFactory = linePoint): MappedPoint {
  const s = start(make, 'device_event', e.timestamp, e.event_id, [['device', e.device_id], ['protocol', e.protocol], ['channel', channelOf(e.channel)], ['kind', e.kind]]);
  if ('problem' in s) return { point: undefined, problems: [s.problem] };
  const p = s.point;
  const change = e.previous_state !== null && e.state !== null ? ` ${e.previous_state} → ${e.state}` : e.state !== null ? ` ${e.state}` : '';
  p.stringField('text', `${e.kind}${change}${e.reason !== null ? `: ${e.reason}` : ''}${e.error_code !== null ? ` (${e.error_code})` : ''}`);
  p.stringField('event_id', e.event_id);
  optional(p, 'state', e.state);
  optional(p, 'previous_state', e.previous_state);
  optional(p, 'reason', e.reason);
  optional(p, 'error_code', e.error_code);
  p.stringField('details', details(e.details));
  return { point: p, problems: [] };
}

/** The `command_result` point of a CommandResult. `text`: `<action> <status>` plus `: <reason_code> <reason>` when set. */
export function commandResultToPoint(r: CommandResult, make: PointFactory = linePoint): MappedPoint {
  const s = start(make, 'command_result', r.timestamp, `${r.command_id}/${r.status}`, [['device', r.device_id], ['channel', channelOf(r.channel)], ['action', r.action], ['status', r.status]]);
  if ('problem' in s) return { point: undefined, problems: [s.problem] };
  const p = s.point;
  const why = [r.reason_code, r.reason].filter((x) => x !== null).join(' ');
  p.stringField('text', `${r.action} ${r.status}${why !== '' ? `: ${why}` : ''}`);
  p.stringField('command_id', r.command_id);
  optional(p, 'reason_code', r.reason_code);
  optional(p, 'reason', r.reason);
  p.stringField('details', details(r.details));
  return { point: p, problems: [] };
}

/** The `alert` point of an Alert. `text`: the alert's message. Non-finite value/threshold are left out. */
export function alertToPoint(a: Alert, make: PointFactory = linePoint): MappedPoint {
  const s = start(make, 'alert', a.timestamp, `${a.alert_id}/${a.state}`, [['device', a.device_id], ['channel', channelOf(a.channel)], ['rule', a.rule], ['signal', a.signal], ['severity', a.severity], ['state', a.state]]);
  if ('problem' in s) return { point: undefined, problems: [s.problem] };
  const p = s.point;
  const problems: { name: string; problem: PointProblem }[] = [];
  p.stringField('text', a.message);
  p.stringField('alert_id', a.alert_id);
  for (const [name, v] of [['value', a.value], ['threshold', a.threshold]] as const) {
    if (v === null) continue;
    if (Number.isFinite(v)) p.floatField(name, v);
    else problems.push({ name, problem: 'non_finite' });
  }
  return { point: p, problems };
}
