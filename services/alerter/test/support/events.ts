/** Test builders: device events and readings with states, as the consumer hands them to the handler. */
import type { DeviceEvent, Reading } from '@busbar/avro';
import type { ConsumedRecord } from '@busbar/kafka';

/** A DeviceEvent of `deviceId` at `atMs` (ms since epoch); `fields` override the rest. */
export function deviceEvent(kind: DeviceEvent['kind'], atMs: number, deviceId = 'plc-1', fields: Partial<DeviceEvent> = {}): DeviceEvent {
  return { event_id: `ev-${deviceId}-${atMs}-${kind}`, device_id: deviceId, protocol: 'modbus', channel: null, timestamp: new Date(atMs), kind, previous_state: null, state: null, reason: null, error_code: null, details: {}, ...fields };
}

/** A Reading of `deviceId` at `atMs` with `values` and `states` (record type `cycler_channel` unless given). */
export function stateReading(values: Record<string, number>, atMs: number, deviceId = 'arbin-1', fields: Partial<Reading> = {}): Reading {
  return { device_id: deviceId, protocol: 'arbin-cti', channel: 1, timestamp: new Date(atMs), values, exact_values: {}, states: {}, quality: 'GOOD', sequence: 0, record_type: 'cycler_channel', ...fields };
}

/** As consumed from `topic` partition `partition`. */
export function consumed<T extends Reading | DeviceEvent>(value: T, topic: string, partition = 0, offset = 0): ConsumedRecord<T> {
  return { value, key: value.device_id, topic, partition, offset: String(offset), kafkaTimestampMs: value.timestamp.getTime() };
}
