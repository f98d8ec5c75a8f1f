/**
 * `@busbar/actions`: command actions per protocol and the command life cycle shared by the
 * commander and the collectors that own single-session devices.
 */
export { CommandExecutor } from './executor.js';
export type { ActionResolver, CommandExecutorOptions, Disposition, Handled, PreparedAction } from './executor.js';
export { modbusDeviceSchema, modbusDevicesSchema, resolveModbusDevices } from './modbus/device-config.js';
export type { ModbusDeviceConfig, ResolvedModbusDevice } from './modbus/device-config.js';
export { MODBUS_WRITE, prepareModbusWrite } from './modbus/write-action.js';
export type { ModbusWriter } from './modbus/write-action.js';
export type { ProtocolBinding } from './binding.js';
export { createModbusBinding } from './modbus/binding.js';
export { arbinCommanderSectionSchema, createArbinBinding } from './arbin/index.js';
export type { ArbinBinding, ArbinBindingDeps, ArbinCommanderSection, ArbinOwner } from './arbin/index.js';
export type { ArbinCyclerPort } from './arbin/actions.js';
export { ARBIN_ACTION_ERROR_CODES } from './arbin/errors.js';
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
export { CommandPipeline } from './pipeline.js';
export type { PipelineSinks } from './pipeline.js';
