/**
 * `@busbar/driver-modbus`: Modbus TCP/RTU for Busbar collectors and the commander.
 *
 * - codec (pure): register maps (`parseRegisterMap`, `registerMapSchema`) and write
 *   validation/encoding (`encodeWrite`); read planning and block decoding are the client's internals;
 * - client: `ModbusDeviceClient` on modbus-serial, one request in flight, typed errors, reconnect;
 * - simulator: `startPowerSupplySimulator` and its `POWER_SUPPLY_MAP`;
 * - errors: the `BB_MODBUS_*` catalogue (`ERROR_CODES`); thrown errors are `BusbarError`s with those codes.
 *
 * Everything else is internal (the package's own tests import its modules directly).
 */
export { ERROR_CODES } from './errors.js';
export { parseRegisterMap, registerMapSchema } from './codec/register-map.js';
export type { DeviceMap } from './codec/register-map.js';
export { encodeWrite } from './codec/values.js';
export type { PointValues } from './codec/values.js';
export { ModbusDeviceClient } from './client/modbus-client.js';
export { POWER_SUPPLY_MAP, startPowerSupplySimulator } from './simulator/power-supply.js';
export type { PowerSupplySimulator } from './simulator/power-supply.js';
