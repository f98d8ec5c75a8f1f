/**
 * `@busbar/protocol`: the contract every protocol implements ({@link ProtocolModule}) and what Busbar
 * does with a module outside the collector runtime — one device file per protocol shared by the
 * collector and the commander, command resolution, and the commander's shared sessions.
 * See docs/adding-a-protocol.md.
 */
export { defineAction } from './module.js';
/**
 * Contract types a module names in its own signatures (docs/adding-a-protocol.md §2) that no module
 * of this tree names yet: `sessionMode(device): SessionMode`, `toRecords(device, raw, ctx: RecordContext)`,
 * `attach(devices, runtime: ModuleRuntime)`.
 * @public
 */
export type { ModuleRuntime, RecordContext, SessionMode } from './module.js';
export type {
  ActionContext,
  AnyProtocolModule,
  DeviceConfigBase,
  DeviceJob,
  DeviceRecords,
  JobContext,
  ListenContext,
  ModuleActivity,
  OpenContext,
  ProtocolAction,
  ProtocolModule,
  Session,
} from './module.js';
export { deviceSourceShape, loadDevices } from './devices.js';
export { resolveDeviceMap } from './map-file.js';
export { SharedSessions, commandResolver, deviceTable } from './resolver.js';
export type { DeviceEntry } from './resolver.js';
