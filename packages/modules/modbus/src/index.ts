/**
 * `@busbar/module-modbus`: the Modbus protocol module (device file schema, session, poll → Reading,
 * `modbus.write`), loaded by the Modbus collector and the commander.
 */
export { modbusModule, openModbusSession, toReading, PROTOCOL } from './module.js';
export type { ModbusSession } from './module.js';
export { modbusDeviceSchema, modbusDevicesSchema, resolveModbusDevices } from './device-config.js';
export type { ModbusDeviceConfig, ResolvedModbusDevice } from './device-config.js';
export { MODBUS_WRITE, prepareModbusWrite, validateModbusWrite } from './write-action.js';
export type { ModbusWritePlan, ModbusWriter } from './write-action.js';
