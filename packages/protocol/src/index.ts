/**
 * `@busbar/protocol`: the contract every protocol implements ({@link ProtocolModule}) and what Busbar
 * does with a module outside the collector runtime — one device file per protocol shared by the
 * collector and the commander, command resolution, and the commander's shared sessions.
 * See docs/adding-a-protocol.md.
 */
export { defineAction } from './module.js';
export type {
  ActionContext,
  AnyProtocolModule,
  DeviceConfigBase,
  DeviceJob,
  DeviceRecords,
  JobContext,
  ModuleActivity,
  ModuleRuntime,
  OpenContext,
  ProtocolAction,
  ProtocolModule,
  RecordContext,
  Session,
  SessionMode,
} from './module.js';
export { deviceSourceShape, loadDevices } from './devices.js';
export type { DeviceSource } from './devices.js';
export { resolveDeviceMap } from './map-file.js';
export type { DeviceMapSource } from './map-file.js';
export { SharedSessions, commandResolver, deviceTable } from './resolver.js';
export type { CommandResolverOptions, DeviceEntry, DeviceTable, Placement, SessionRunner } from './resolver.js';
