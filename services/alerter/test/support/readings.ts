/** Test builders: consumed reading records and a batch control that counts heartbeats. */
import type { Reading } from '@busbar/avro';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';

/** A consumed reading of `device_id` with `temperature_c = value` at `atMs` (ms since epoch). */
export function reading(value: number, atMs: number, deviceId = 'psu-1', offset = 0): ConsumedRecord<Reading> {
  return {
    value: { device_id: deviceId, protocol: 'modbus', channel: null, timestamp: new Date(atMs), values: { temperature_c: value }, exact_values: {}, states: {}, quality: 'GOOD', sequence: offset },
    key: deviceId,
    topic: 'busbar.readings.v1',
    partition: 0,
    offset: String(offset),
    kafkaTimestampMs: atMs,
  };
}

/** A {@link BatchControl} that counts heartbeats and is always running. */
export function countingControl(): BatchControl & { heartbeats: number } {
  const c = {
    heartbeats: 0,
    heartbeat: () => {
      c.heartbeats++;
      return Promise.resolve();
    },
    isRunning: () => true,
    groupId: 'busbar-alerter',
    nextOffset: { topic: 'busbar.readings.v1', partition: 0, offset: '1' },
    commit: () => Promise.resolve(),
    commitLater: () => Promise.resolve(),
  };
  return c;
}
