/**
 * The `modbus.write` action: write one register point or coil that the device's register map
 * declares writable, within its declared `writable` range (engineering units).
 *
 * Parameters: `point` (string, the map's point name, e.g. `voltage_setpoint_v`), `value` (number in
 * the point's unit, or boolean / 0 / 1 for bits). Refusals (nothing written): unknown point,
 * point not writable, value outside the range or not representable — decided by the driver's pure
 * `encodeWrite` before any byte is sent.
 */
import type { Command } from '@busbar/avro';
import type { DeviceMap } from '@busbar/driver-modbus';
import { encodeWrite } from '@busbar/driver-modbus';
import { CommandRefusedError, requireParameter } from '@busbar/safety';
import type { PreparedAction } from '../executor.js';

/** The one thing the action needs from a connected Modbus client. */
export interface ModbusWriter {
  /** Writes `value` to the point named `pointName` (validated again by the client). */
  write(pointName: string, value: number | boolean): Promise<unknown>;
}

/** Name of the action. */
export const MODBUS_WRITE = 'modbus.write';

/**
 * Validates a `modbus.write` command against `map` and prepares it.
 *
 * @param writer - resolves the client to write with, at run time (the connection may change).
 * @throws {CommandRefusedError} `BB_COMMAND_UNKNOWN_ACTION`, `BB_COMMAND_PARAMETER_MISSING`,
 *   `BB_COMMAND_PARAMETER_INVALID`; the driver's `BB_MODBUS_NOT_WRITABLE`,
 *   `BB_MODBUS_WRITE_OUT_OF_RANGE`, `BB_MODBUS_UNKNOWN_POINT` refusals.
 */
export function prepareModbusWrite(cmd: Command, map: DeviceMap, writer: () => ModbusWriter): PreparedAction {
  if (cmd.action !== MODBUS_WRITE) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `action ${cmd.action} is not supported by Modbus devices (supported: ${MODBUS_WRITE})`);
  const pointName = requireParameter(cmd.parameters, 'point');
  if (typeof pointName !== 'string') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter point must be a string, got ${JSON.stringify(pointName)}`);
  const value = requireParameter(cmd.parameters, 'value');
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter value must be a number or boolean, got ${JSON.stringify(value)}`);
  const point = map.points.find((p) => p.name === pointName);
  if (!point) throw new CommandRefusedError('BB_MODBUS_UNKNOWN_POINT', `device ${cmd.target.device_id} has no point ${pointName}`, { point: pointName });
  const encoded = encodeWrite(point, value); // throws the driver's refusal
  const summary = `write ${point.name} = ${String(encoded.value)}${point.unit ? ` ${point.unit}` : ''}`;
  return {
    summary,
    run: async () => {
      await writer().write(point.name, value);
      return { point: point.name, value: String(encoded.value), raw: String(encoded.raw) };
    },
  };
}
