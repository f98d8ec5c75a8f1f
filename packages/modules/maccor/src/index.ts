/**
 * `@busbar/module-maccor`: the Maccor MacNet protocol module (tester device file schema with channel
 * safety limits, envelopes and variables; MacNet session with sign-on; budgeted poll → one Reading
 * per channel and channel state events; the `maccor.*` actions with direct control), loaded by the
 * Maccor collector and the commander.
 */
export { createMaccorModule } from './module.js';
export type { MaccorDeviceConfig } from './device-config.js';
export { MACCOR_MODULE_ERROR_CODES as ERROR_CODES } from './errors.js';
/** @public Named by the type of {@link createMaccorModule} (its options, session, poll and per-device state): the services' declarations need them. */
export type { MaccorModuleOptions } from './module.js';
/** @public See above. */
export type { MaccorState, TesterPoll } from './records.js';
/** @public See above. */
export type { MaccorSession } from './session.js';
