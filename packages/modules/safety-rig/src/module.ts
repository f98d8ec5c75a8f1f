/**
 * The safety-rig protocol module: one rig = one device whose session owns three links (CAN through
 * socketcand, the PCS on Modbus RTU, the Arduino on a serial line) and whose controller runs the
 * interlock in the collector process, on every frame — never through Kafka. The PCS status is polled
 * (`poll` → a Reading); BMU and Arduino readings and every interlock/schedule event are pushed by the
 * session as they arise (`listen`). Sessions are exclusive: the commander routes the rig's commands
 * to the collector that owns it.
 */
import type { PointValues } from '@busbar/driver-modbus';
import type { ProtocolModule } from '@busbar/protocol';
import type { RigState } from './interlock/engine.js';
import { rigActions } from './actions.js';
import type { RigDeviceConfig, ResolvedRigDevice } from './device-config.js';
import { resolveRigDevices, rigDevicesSchema } from './device-config.js';
import { pcsReading } from './records.js';
import { PROTOCOL, openRigSession } from './session.js';
import type { RigSession } from './session.js';

/** One PCS poll: its values and the interlock state when it was read. */
interface RigPoll {
  readonly values: PointValues;
  readonly state: RigState;
}

/** The safety-rig module (actions `rig.*`). */
export const safetyRigModule: ProtocolModule<ResolvedRigDevice, RigSession, RigPoll, undefined, RigDeviceConfig> = {
  protocol: PROTOCOL,
  actionPrefix: 'rig.',
  devicesSchema: rigDevicesSchema,
  resolveDevices: resolveRigDevices,
  sessionMode: () => 'exclusive',
  open: openRigSession,
  listen: (session, _device, ctx) => session.setSink(ctx),
  poll: async (session) => {
    const { values } = await session.pcs.readAll();
    const numeric: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'number') numeric[k] = v;
    session.controller.input('pcs', numeric);
    return { values, state: session.controller.state };
  },
  toRecords: (device, raw, ctx) => ({ readings: [pcsReading(device.id, PROTOCOL, raw.values, raw.state, ctx.atMs, ctx.nextSequence())] }),
  actions: rigActions,
};
