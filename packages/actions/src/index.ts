/**
 * `@busbar/actions`: the command actions and commander bindings of the protocols not yet moved to a
 * protocol module (`@busbar/protocol`; Modbus, Arbin and Corus are: `@busbar/module-*`) — Maccor. The command life cycle itself is `@busbar/commands`.
 */
export type { ProtocolBinding } from './binding.js';
export { ERROR_CODES } from './errors.js';
export {
  MACCOR_ACTIONS,
  MACCOR_ACTION_ERROR_CODES,
  channelSettingsOf,
  checkEnvelope,
  createMaccorBinding,
  createMaccorBindingFor,
  directControlSchema,
  envelopeSchema,
  generatedTestName,
  maccorCommanderSectionSchema,
  maccorDeviceSchema,
  maccorDevicesSchema,
  prepareMaccorCommand,
  safetyLimitsSchema,
} from './maccor/index.js';
export type {
  MaccorAction,
  MaccorBindingDeps,
  MaccorChannelSettings,
  MaccorCommandRunner,
  MaccorCommanderSection,
  MaccorDeviceConfig,
  MaccorOperation,
  PreparedMaccorCommand,
} from './maccor/index.js';
