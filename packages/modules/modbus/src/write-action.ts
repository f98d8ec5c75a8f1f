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
import type { DeviceMap, EncodedWrite, RegisterPoint } from '@busbar/driver-modbus';
import { encodeWrite } from '@busbar/driver-modbus';
import type { PreparedAction } from '@busbar/commands';
import { defineAction } from '@busbar/protocol';
import { CommandRefusedError, requireParameter } from '@busbar/safety';
import type { ResolvedModbusDevice } from './device-config.js';

/** The one thing the action needs from a connected Modbus client. */
export interface ModbusWriter {
  /** Writes `value` to the point named `pointName` (validated again by the client). */
  write(pointName: string, value: number | boolean): Promise<unknown>;
}

/** Name of the action. */
export const MODBUS_WRITE = 'modbus.write';

/** A validated `modbus.write`: the point, the value asked for, and its encoding. */
export interface ModbusWritePlan {
  readonly point: RegisterPoint;
  readonly value: number | boolean;
  readonly encoded: EncodedWrite;
}

/**
 * Validates a `modbus.write` command against `map`. Pure.
 *
 * @throws {CommandRefusedError} `BB_COMMAND_UNKNOWN_ACTION`, `BB_COMMAND_PARAMETER_MISSING`,
 *   `BB_COMMAND_PARAMETER_INVALID`; `BB_MODBUS_UNKNOWN_POINT`; the driver's `BB_MODBUS_NOT_WRITABLE`,
 *   `BB_MODBUS_WRITE_OUT_OF_RANGE` refusals.
 */
export function validateModbusWrite(cmd: Command, map: DeviceMap): ModbusWritePlan {
  if (cmd.action !== MODBUS_WRITE) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `action ${cmd.action} is not supported by Modbus devices (supported: ${MODBUS_WRITE})`);
  const pointName = requireParameter(cmd.parameters, 'point');
  if (typeof pointName !== 'string') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter point must be a string, got ${JSON.stringify(pointName)}`);
  const value = requireParameter(cmd.parameters, 'value');
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `parameter value must be a number or boolean, got ${JSON.stringify(value)}`);
  const point = map.points.find((p) => p.name === pointName);
  if (!point) throw new CommandRefusedError('BB_MODBUS_UNKNOWN_POINT', `device ${cmd.target.device_id} has no point ${pointName}`, { point: pointName });
  return { point, value, encoded: encodeWrite(point, value) }; // throws the driver's refusal
}

/** `write voltage_setpoint_v = 12 V`. */
function describe(plan: ModbusWritePlan): string {
  return `write ${plan.point.name} = ${String(plan.encoded.value)}${plan.point.unit ? ` ${plan.point.unit}` : ''}`;
}

/** Writes a validated plan. @returns the result details (point, value, raw register value). */
async function run(writer: ModbusWriter, plan: ModbusWritePlan): Promise<Record<string, string>> {
  await writer.write(plan.point.name, plan.value);
  return { point: plan.point.name, value: String(plan.encoded.value), raw: String(plan.encoded.raw) };
}

/**
 * Validates a `modbus.write` command against `map` and prepares it for a `CommandExecutor` (for
 * callers that hold a writer rather than a module session, e.g. tests and benches).
 *
 * @param writer - resolves the client to write with, at run time.
 * @throws as {@link validateModbusWrite}.
 */
export function prepareModbusWrite(cmd: Command, map: DeviceMap, writer: () => ModbusWriter): PreparedAction {
  const plan = validateModbusWrite(cmd, map);
  return { summary: describe(plan), run: () => run(writer(), plan) };
}

/** The `modbus.write` action of the Modbus module. */
export const modbusWriteAction = defineAction<ResolvedModbusDevice, { readonly client: ModbusWriter }, ModbusWritePlan>({
  validate: (cmd, device) => validateModbusWrite(cmd, device.registerMap),
  describe,
  execute: (session, plan, ctx) => {
    ctx.beforeSend(); // after waiting for the poll in progress
    return run(session.client, plan);
  },
});
