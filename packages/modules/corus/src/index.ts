/**
 * `@busbar/module-corus`: the Itron/Actaris Corus (IFLAG) protocol module — device file schema
 * (connection, parameter map, polled parameters, logs), the single session opened once, poll →
 * one Reading per device with exact decimals, the `corus.*` actions, and the log backfill as the
 * module's background job — loaded by the Corus collector and the commander.
 */
export { createCorusModule } from './module.js';
export type { CorusModuleOptions } from './module.js';
export { corusDeviceSchema, corusDevicesSchema, resolveCorusDevices } from './device-config.js';
export type { CorusDeviceConfig, ResolvedCorusDevice } from './device-config.js';
export { ERROR_CODES } from './errors.js';
export type { CorusDeviceSession } from './session.js';
