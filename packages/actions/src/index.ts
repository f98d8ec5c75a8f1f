/**
 * `@busbar/actions`: the command actions and commander bindings of the protocols not yet moved to a
 * protocol module (`@busbar/protocol`; Modbus, Arbin and Maccor are modules: `@busbar/module-*`) — Corus. The command life cycle itself is `@busbar/commands`.
 */
export type { ProtocolBinding } from './binding.js';
export { ERROR_CODES } from './errors.js';
export {
  CORUS_ACTIONS,
  CORUS_SET_CLOCK,
  CORUS_WRITE_PARAMETERS,
  checkCorusWrite,
  corusCommanderSectionSchema,
  corusDeviceSchema,
  corusDevicesSchema,
  createCorusBinding,
  prepareCorusCommand,
  resolveCorusDevices,
} from './corus/index.js';
export type { CheckedWrite, CorusActionDevice, CorusBinding, CorusCommanderSection, CorusDeviceConfig, CorusWriter, ResolvedCorusDevice } from './corus/index.js';
