/**
 * `@busbar/module-maccor`: the Maccor MacNet protocol module (tester device file schema with channel
 * safety limits, envelopes and variables; MacNet session with sign-on; budgeted poll → one Reading
 * per channel and channel state events; the `maccor.*` actions with direct control), loaded by the
 * Maccor collector and the commander.
 */
export { createMaccorModule } from './module.js';
export type { MaccorModuleOptions } from './module.js';
export { MACCOR_ACTIONS, prepareMaccorCommand } from './actions.js';
export type { MaccorAction, MaccorOperation, PreparedMaccorCommand } from './actions.js';
export { maccorDeviceSchema, maccorDevicesSchema } from './device-config.js';
export type { MaccorDeviceConfig } from './device-config.js';
export { MACCOR_MODULE_ERROR_CODES as ERROR_CODES } from './errors.js';
export { PROTOCOL } from './records.js';
export type { MaccorState, TesterPoll } from './records.js';
export type { MaccorSession } from './session.js';
