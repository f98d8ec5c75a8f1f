/**
 * `@busbar/module-arbin`: the Arbin CTI protocol module (cycler device file schema with channel and
 * meta-variable limits, CTI session with login, poll → one Reading per channel and channel state
 * events, the `arbin.*` actions), loaded by the Arbin collector and the commander.
 */
export { createArbinModule } from './module.js';
export type { ArbinDeviceConfig } from './device-config.js';
export { ARBIN_ACTION_ERROR_CODES as ERROR_CODES } from './errors.js';
export { toArbinReading } from './records.js';
/**
 * The session type of {@link createArbinModule}'s `ProtocolModule`: no file of the tree imports it,
 * but a workspace that exports the created module (the commander's configuration) emits a
 * declaration naming it (TypeScript TS2742 without this export).
 * @public
 */
export type { ArbinSession } from './session.js';
