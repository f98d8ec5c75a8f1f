/**
 * The rig's records: the PCS status poll as a Reading, and each controller notice (interlock
 * transition, interlock or schedule action, schedule step) as a DeviceEvent. Pure.
 */
import { randomUUID } from 'node:crypto';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import type { PointValues } from '@busbar/driver-modbus';
import type { RigNotice } from './controller.js';
import type { RigState } from './interlock/engine.js';

/**
 * The PCS values of one poll as a Reading (bits as 1/0), with the interlock state in `states`.
 *
 * @param atMs - when the poll started, ms since the epoch.
 */
export function pcsReading(deviceId: string, protocol: string, values: PointValues, state: RigState, atMs: number, sequence: number): ReadingInput {
  const numeric: Record<string, number> = {};
  for (const [name, v] of Object.entries(values)) numeric[name] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  return { device_id: deviceId, protocol, channel: null, timestamp: new Date(atMs), values: numeric, states: { source: 'pcs', interlock: state }, quality: 'GOOD', sequence, record_type: 'rig:pcs' };
}

const text = (v: number | boolean | string | undefined): string => (v === undefined ? '' : String(v));

/**
 * One controller notice as a DeviceEvent:
 * - transition → STATE_CHANGE `previous_state` → `state` (normal/warning/dangerous/safe) with the
 *   triggering condition in `details` (rule, input, quantity, value, limit, level, stale) and the
 *   BMU node as `channel`;
 * - an action that failed → FAULT with its error code; one that was carried out → STATE_CHANGE
 *   with `state` `action:<kind>` (the audit trail of what the interlock did);
 * - a schedule event → STATE_CHANGE with `state` `schedule:<kind>`.
 */
export function noticeToEvent(deviceId: string, n: RigNotice, protocol = 'safety-rig'): DeviceEventInput {
  const base = { event_id: randomUUID(), device_id: deviceId, protocol, timestamp: new Date(n.wallMs) };
  switch (n.kind) {
    case 'transition': {
      const t = n.transition;
      const c = t.cause;
      const node = c?.input.startsWith('bmu:') ? Number(c.input.slice(4)) : null;
      const details: Record<string, string> = c ? { rule: c.rule, input: c.input, quantity: c.quantity, value: text(c.value), limit: String(c.limit), level: c.level, stale: String(c.stale), latched: String(c.latched) } : {};
      return { ...base, channel: node, kind: 'STATE_CHANGE', previous_state: t.from, state: t.to, reason: t.reason, details };
    }
    case 'action': {
      const a = n.action;
      const details: Record<string, string> = { action: a.kind };
      if (a.kind === 'outputs') for (const [k, v] of Object.entries(a.outputs)) details[`output_${k}`] = v ? 'on' : 'off';
      if (a.kind === 'pcs_setpoint' || a.kind === 'schedule_setpoint') Object.assign(details, { mode: a.setpoint.mode, value: String(a.setpoint.value) });
      if (!n.ok) return { ...base, kind: 'FAULT', state: `action:${a.kind}`, reason: `${a.reason}: failed: ${n.error ?? 'unknown error'}`, error_code: n.errorCode ?? null, details };
      return { ...base, kind: 'STATE_CHANGE', state: `action:${a.kind}`, reason: a.reason, details };
    }
    case 'schedule': {
      const e = n.event;
      const details: Record<string, string> = { schedule: n.schedule };
      if (e.kind !== 'completed') details.index = String(e.index);
      if (e.kind === 'step' || e.kind === 'resumed') Object.assign(details, { mode: e.step.setpoint.mode, setpoint: String(e.step.setpoint.value), duration_s: String(e.step.durationS), line: String(e.step.line) });
      if (e.kind === 'paused') details.remaining_ms = String(Math.round(e.remainingMs));
      const reason = e.kind === 'paused' || e.kind === 'stopped' ? e.reason : `schedule ${n.schedule} ${e.kind}`;
      return { ...base, kind: 'STATE_CHANGE', state: `schedule:${e.kind}`, reason, details };
    }
  }
}
