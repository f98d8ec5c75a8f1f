/**
 * Default Kafka topics of Busbar and their record keys (schemas/README.md documents the same).
 * Keys are the device id, so one device's records stay in one partition, in order. Partition
 * counts are a deployment choice (defaults: 6 for readings, 3 for the others); consumers scale by
 * consumer group up to the partition count.
 */

/** One topic: default name, value record, key, default partition count. */
export interface TopicSpec {
  /** Default topic name (versioned: a breaking contract change gets a new topic). */
  readonly name: string;
  /** Full Avro name of the value record. */
  readonly valueRecord: string;
  /** Which value field is the Kafka key (UTF-8 bytes of it). */
  readonly key: 'device_id' | 'target.device_id' | 'original key';
  /** Default partition count when Busbar creates the topic. */
  readonly defaultPartitions: number;
}

/** Busbar's default topics, by role. */
export const TOPICS = {
  readings: { name: 'busbar.readings.v1', valueRecord: 'io.busbar.v1.Reading', key: 'device_id', defaultPartitions: 6 },
  deviceEvents: { name: 'busbar.device-events.v1', valueRecord: 'io.busbar.v1.DeviceEvent', key: 'device_id', defaultPartitions: 3 },
  commands: { name: 'busbar.commands.v1', valueRecord: 'io.busbar.v1.Command', key: 'target.device_id', defaultPartitions: 3 },
  commandResults: { name: 'busbar.command-results.v1', valueRecord: 'io.busbar.v1.CommandResult', key: 'device_id', defaultPartitions: 3 },
  alerts: { name: 'busbar.alerts.v1', valueRecord: 'io.busbar.v1.Alert', key: 'device_id', defaultPartitions: 3 },
  deadLetter: { name: 'busbar.dead-letter.v1', valueRecord: 'io.busbar.v1.DeadLetter', key: 'original key', defaultPartitions: 3 },
} as const satisfies Record<string, TopicSpec>;
