/**
 * `@busbar/module-arbin`: the Arbin CTI protocol module (cycler device file schema with channel and
 * meta-variable limits, CTI session with login, poll → one Reading per channel and channel state
 * events, the `arbin.*` actions), loaded by the Arbin collector and the commander.
 */
export { createArbinModule } from './module.js';
export type { ArbinModuleOptions } from './module.js';
export { ARBIN_ACTIONS, validateArbinCommand, describeArbinPlan } from './actions.js';
export type { ArbinCyclerPort, ArbinPlan } from './actions.js';
export { arbinDeviceSchema, arbinDevicesSchema } from './device-config.js';
export type { ArbinDeviceConfig, ArbinMetaVariableLimit } from './device-config.js';
export { ARBIN_ACTION_ERROR_CODES as ERROR_CODES } from './errors.js';
export { PROTOCOL, pollRecords, toArbinReading, transitionEvent } from './records.js';
export type { ArbinSession } from './session.js';
