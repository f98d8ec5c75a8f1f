/**
 * The Modbus protocol module — the smallest complete example of a Busbar protocol
 * (docs/adding-a-protocol.md): a device file schema, a session that connects once and reports its
 * loss, a poll that reads the register map, a pure poll → Reading, and one action.
 */
import type { ReadingInput } from '@busbar/avro';
import type { PointValues } from '@busbar/driver-modbus';
import { ModbusConnectionError, ModbusDeviceClient } from '@busbar/driver-modbus';
import type { OpenContext, ProtocolModule, Session } from '@busbar/protocol';
import type { ModbusDeviceConfig, ResolvedModbusDevice } from './device-config.js';
import { modbusDevicesSchema, resolveModbusDevices } from './device-config.js';
import { MODBUS_WRITE, modbusWriteAction } from './write-action.js';

/** Protocol name written into every record. */
export const PROTOCOL = 'modbus';

/** An open Modbus connection (TCP or RTU) to one device. */
export interface ModbusSession extends Session {
  readonly client: ModbusDeviceClient;
}

/**
 * Turns one poll of a device into a Reading: numeric points as they are, bits as 1/0;
 * `record_type` `modbus:<deviceClass>` (docs/data-model.md), so each kind of device has its own
 * InfluxDB measurement.
 *
 * @param values - point name → engineering value (SI units in the names, per the register map).
 * @param atMs - when the poll started, ms since the epoch.
 * @param deviceClass - the device's class (`deviceClassOf`): `power-supply`, `bms`...
 */
export function toReading(deviceId: string, values: PointValues, atMs: number, sequence: number, deviceClass: string): ReadingInput {
  const numeric: Record<string, number> = {};
  for (const [name, v] of Object.entries(values)) numeric[name] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  return { device_id: deviceId, protocol: PROTOCOL, channel: null, timestamp: new Date(atMs), values: numeric, quality: 'GOOD', sequence, record_type: `${PROTOCOL}:${deviceClass}` };
}

/**
 * Connects to one device once. The client never reconnects by itself: the collector runtime
 * reconnects (and reports the outage).
 *
 * @throws the driver's `BB_MODBUS_CONNECTION` / `BB_MODBUS_TIMEOUT`.
 */
export async function openModbusSession(device: ResolvedModbusDevice, ctx: OpenContext): Promise<ModbusSession> {
  const client = new ModbusDeviceClient({ connection: device.connection, unitId: device.unitId, timeoutMs: device.timeoutMs, map: device.registerMap, logger: ctx.logger, metrics: ctx.metrics, deviceId: device.id });
  const lost = new Promise<Error>((resolve) => client.once('disconnected', (reason) => resolve(new ModbusConnectionError(`device ${device.id}: connection lost: ${reason}`, { context: { device: device.id } }))));
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return { client, lost, close: () => client.close().catch(() => undefined) };
}

/** The Modbus module: TCP and RTU devices described by register maps; action `modbus.write`. */
export const modbusModule: ProtocolModule<ResolvedModbusDevice, ModbusSession, PointValues, undefined, ModbusDeviceConfig> = {
  protocol: PROTOCOL,
  actionPrefix: 'modbus.',
  devicesSchema: modbusDevicesSchema,
  resolveDevices: resolveModbusDevices,
  sessionMode: (device) => device.session,
  open: openModbusSession,
  poll: async (session) => (await session.client.readAll()).values,
  toRecords: (device, values, ctx) => ({ readings: [toReading(device.id, values, ctx.atMs, ctx.nextSequence(), device.deviceClass)] }),
  actions: { [MODBUS_WRITE]: modbusWriteAction },
};
