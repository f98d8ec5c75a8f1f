/**
 * The safety-rig protocol module: one rig = one device whose session owns three links (CAN through
 * socketcand, the PCS on Modbus RTU, the Arduino on a serial line) and whose controller runs the
 * interlock in the collector process, on every frame — never through Kafka. The PCS status is polled
 * (`poll` → a Reading); BMU and Arduino readings and every interlock/schedule event are pushed by the
 * session as they arise (`listen`). Sessions are exclusive: the commander routes the rig's commands
 * to the collector that owns it.
 */
import type { PointValues } from '@busbar/driver-modbus';
import { randomUUID } from 'node:crypto';
import { errorCode } from '@busbar/core';
import type { ProtocolModule } from '@busbar/protocol';
import type { RigState } from './interlock/engine.js';
import { rigActions } from './actions.js';
import type { RigDeviceConfig, ResolvedRigDevice } from './device-config.js';
import { resolveRigDevices, rigDevicesSchema } from './device-config.js';
import { pcsReading } from './records.js';
import { PROTOCOL, openRigSession, rigControllerOf } from './session.js';
import type { RigSession } from './session.js';

/** One PCS poll: its values (or why there are none) and the interlock state when it was read. */
interface RigPoll {
  readonly values?: PointValues;
  readonly error?: { readonly code: string; readonly message: string };
  readonly state: RigState;
}

/** Per rig, across polls: whether the PCS read is failing (one FAULT per episode, not per poll). */
interface RigPollState {
  pcsFailing: boolean;
}

/** The safety-rig module (actions `rig.*`). */
export const safetyRigModule: ProtocolModule<ResolvedRigDevice, RigSession, RigPoll, RigPollState, RigDeviceConfig> = {
  protocol: PROTOCOL,
  actionPrefix: 'rig.',
  devicesSchema: rigDevicesSchema,
  resolveDevices: resolveRigDevices,
  sessionMode: () => 'exclusive',
  open: openRigSession,
  listen: (session, _device, ctx) => session.setSink(ctx),
  // the controllers live across sessions; at the collector's stop their timers (interlock deadlines, write retries) end
  attach: (devices) => ({
    stop: async () => {
      for (const d of devices) rigControllerOf(d)?.stop();
    },
  }),
  // A PCS that does not answer must not take the CAN and Arduino links down with it (the runtime
  // reconnects a session whose poll throws): the failure is reported, the PCS input goes stale, and
  // the interlock trips on its age while it can still open the relays (defect D8).
  poll: async (session) => {
    let values: PointValues;
    try {
      ({ values } = await session.pcs.readAll());
    } catch (err) {
      return { error: { code: errorCode(err), message: err instanceof Error ? err.message : String(err) }, state: session.controller.state };
    }
    const numeric: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'number') numeric[k] = v;
    session.controller.input('pcs', numeric);
    return { values, state: session.controller.state };
  },
  initialState: () => ({ pcsFailing: false }),
  toRecords: (device, raw, ctx) => {
    const base = { event_id: randomUUID(), device_id: device.id, protocol: PROTOCOL, timestamp: new Date(ctx.atMs) };
    if (raw.values === undefined) {
      if (ctx.state.pcsFailing) return { readings: [] };
      ctx.state.pcsFailing = true;
      return { readings: [], events: [{ ...base, kind: 'FAULT', state: 'pcs_unreadable', reason: `PCS status read failed: ${raw.error?.message ?? 'unknown'}; the interlock counts the PCS stale after its age`, error_code: raw.error?.code ?? null }] };
    }
    const readings = [pcsReading(device.id, PROTOCOL, raw.values, raw.state, ctx.atMs, ctx.nextSequence())];
    if (!ctx.state.pcsFailing) return { readings };
    ctx.state.pcsFailing = false;
    return { readings, events: [{ ...base, kind: 'STATE_CHANGE', previous_state: 'pcs_unreadable', state: 'pcs_readable', reason: 'PCS status read again' }] };
  },
  actions: rigActions,
  // set_outputs and pcs_setpoint are concurrent (queued by the controller, never holding the poll);
  // a reset or a schedule command after them waits for them
  orderAfterConcurrent: true,
};
