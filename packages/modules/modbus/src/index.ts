/**
 * `@busbar/module-modbus`: the Modbus protocol module (device file schema, session, poll → Reading,
 * `modbus.write`), loaded by the Modbus collector and the commander.
 */
export { modbusModule, toReading } from './module.js';
export { resolveModbusDevices } from './device-config.js';
export type { ResolvedModbusDevice } from './device-config.js';
