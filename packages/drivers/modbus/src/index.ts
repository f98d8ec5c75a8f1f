/**
 * `@busbar/driver-modbus`: Modbus TCP/RTU for Busbar collectors and the commander.
 *
 * - codec (pure): register maps (`parseRegisterMap`), read planning (`planReads`), decoding
 *   (`decodeBlock`) and write validation/encoding (`encodeWrite`);
 * - client: `ModbusDeviceClient` on modbus-serial, one request in flight, typed errors; connects once and reports its loss;
 * - simulator: `startPowerSupplySimulator` and its `POWER_SUPPLY_MAP`;
 * - the safety rig's PCS: `buildPcsMap` (its register map, §4.3 conflicts as options) and `PcsHeartbeat`.
 */
export {
  ERROR_CODES,
  MODBUS_EXCEPTION_NAMES,
  ModbusConfigError,
  ModbusConnectionError,
  ModbusExceptionError,
  ModbusResponseError,
  ModbusTimeoutError,
  ModbusWriteRefusedError,
  modbusExceptionName,
} from './errors.js';
export type { ModbusErrorCode, ModbusRequestContext } from './errors.js';
export { parseRegisterMap, registerMapSchema, registerPointSchema, registerWidth } from './codec/register-map.js';
export type { ByteOrder, DataType, DeviceMap, RegisterPoint, RegisterType, WordOrder, WritableRange } from './codec/register-map.js';
export { MAX_READ_BITS, MAX_READ_REGISTERS, READ_FUNCTION_CODE, planReads } from './codec/read-plan.js';
export type { PlanOptions, ReadBlock } from './codec/read-plan.js';
export { applyBitToRegister, decodeBlock, encodeWrite } from './codec/values.js';
export type { EncodedWrite, PointValue, PointValues } from './codec/values.js';
export { ModbusDeviceClient } from './client/modbus-client.js';
export type {
  ModbusDeviceClientEvents,
  ModbusDeviceClientOptions,
  ReadAllResult,
  RtuConnection,
  TcpConnection,
  WriteResult,
} from './client/modbus-client.js';
export { PCS_COUNTS_PER, PCS_HEARTBEAT_MAX_S, PCS_HEARTBEAT_POINT, buildPcsMap, pcsSetpointRaw } from './codec/pcs-map.js';
export type { PcsLimitRanges, PcsMapOptions, PcsOpModeCodes, PcsProfile } from './codec/pcs-map.js';
export { HEARTBEAT_BYPASS_S, PcsHeartbeat, heartbeatIssues } from './client/pcs-heartbeat.js';
export type { HeartbeatWriter, PcsHeartbeatEvents, PcsHeartbeatOptions } from './client/pcs-heartbeat.js';
export { POWER_SUPPLY_MAP, startPowerSupplySimulator } from './simulator/power-supply.js';
export type { PowerSupplySimulator, PowerSupplySimulatorOptions, PowerSupplyState } from './simulator/power-supply.js';
