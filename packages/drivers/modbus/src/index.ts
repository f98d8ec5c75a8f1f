/**
 * `@busbar/driver-modbus`: Modbus TCP/RTU for Busbar collectors and the commander.
 *
 * - codec (pure): register maps (`parseRegisterMap`, `registerMapSchema`) and write
 *   validation/encoding (`encodeWrite`); read planning and block decoding are the client's internals;
 * - client: `ModbusDeviceClient` on modbus-serial, one request in flight, typed errors; connects once and reports its loss;
 * - simulator: `startPowerSupplySimulator` and its `POWER_SUPPLY_MAP`;
 * - the safety rig's PCS: `buildPcsMap` (its register map, §4.3 conflicts as options) and `PcsHeartbeat`;
 * - errors: the `BB_MODBUS_*` catalogue (`ERROR_CODES`); thrown errors are `BusbarError`s with those codes.
 *
 * Everything else is internal (the package's own tests import its modules directly).
 */
export { ERROR_CODES, ModbusConnectionError } from './errors.js';
export { parseRegisterMap, registerMapSchema } from './codec/register-map.js';
export type { DeviceMap, RegisterPoint } from './codec/register-map.js';
export { encodeWrite } from './codec/values.js';
export type { EncodedWrite, PointValues } from './codec/values.js';
export { ModbusDeviceClient } from './client/modbus-client.js';
/** @public For the safety-rig module (its consumer is being written). */
export {
  PCS_COUNTS_PER,
  PCS_HEARTBEAT_MAX_S,
  PCS_HEARTBEAT_POINT,
  buildPcsMap,
  pcsSetpointRaw,
} from './codec/pcs-map.js';
/** @public For the safety-rig module. */
export type { PcsLimitRanges, PcsMapOptions, PcsOpModeCodes, PcsProfile } from './codec/pcs-map.js';
/** @public For the safety-rig module. */
export { HEARTBEAT_BYPASS_S, PcsHeartbeat, heartbeatIssues } from './client/pcs-heartbeat.js';
/** @public For the safety-rig module. */
export type { HeartbeatWriter, PcsHeartbeatEvents, PcsHeartbeatOptions } from './client/pcs-heartbeat.js';
export { POWER_SUPPLY_MAP, startPowerSupplySimulator } from './simulator/power-supply.js';
export type { PowerSupplySimulator } from './simulator/power-supply.js';
