/**
 * The alerter's rule state on Kafka: a compacted topic (see `record.ts` for its records), written by
 * the owner of each readings partition as its series fire, escalate and resolve (in the batch's
 * Kafka transaction, `alerter.ts`: read committed records only), and read back in
 * full by every alerter of the group (a `CompactedTable` that follows the topic). When a member is
 * handed a readings partition it waits until its table has read the same state partition up to its
 * current end — everything the previous owner wrote before it let the partition go — and restores
 * the firing series from it.
 */
import type { Logger } from '@busbar/core';
import { BusbarError, noopLogger } from '@busbar/core';
import { CompactedTable, ensureTopics, retryKafkaStartup } from '@busbar/kafka';
import type { createKafka } from '@busbar/kafka';
import type { RuleStateStore } from '../handler.js';
import type { SeriesStateRecord, StoredSeries } from './record.js';
import { decodeStateRecord, isFiring } from './record.js';

/** Partitions of a state topic created by the alerter when the readings topic does not exist yet. */
const DEFAULT_STATE_PARTITIONS = 6;

type Kafka = ReturnType<typeof createKafka>;

/** Options of {@link openRuleState}. */
export interface RuleStateOptions {
  readonly kafka: Kafka;
  /** The state topic. */
  readonly topic: string;
  /** The readings topic: the state topic needs at least its partition count. */
  readonly readingsTopic: string;
  /** The device-events topic when rules read it: the state topic needs at least its partition count too. */
  readonly eventsTopic?: string | undefined;
  /** Longest wait for the state topic to be read up to its end, ms (default 60 000). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/** The store, and how to stop following the topic. */
export interface KafkaRuleState extends RuleStateStore {
  /** Stops following the state topic. */
  stop(): Promise<void>;
  /** Why the state cannot be loaded (the table stopped following the topic), or `undefined`. */
  problem(): string | undefined;
  /**
   * The firing series whose episode is `alertId`, on any partition (read up to the topic's current
   * end first), or `undefined` when no series fires with that id (unknown, or resolved already).
   *
   * @throws `BB_KAFKA_REPLAY_INCOMPLETE` when the topic cannot be read to its end in time.
   */
  findEpisode(alertId: string): Promise<SeriesStateRecord | undefined>;
  /** The firing series of every partition as read so far (no wait). */
  allFiring(): Iterable<SeriesStateRecord>;
}

/**
 * Creates the state topic when absent (`cleanup.policy=compact`, as many partitions as the
 * readings topic — or the device-events topic, if larger — at least 6 when they do not exist yet),
 * checks its partition count, and reads it to its end.
 *
 * @throws {BusbarError} `BB_ALERTER_STATE_TOPIC_MISMATCH` when the state topic has fewer partitions
 *   than the readings topic (or the device-events topic); `BB_KAFKA_REPLAY_INCOMPLETE` when it cannot be read to its end in
 *   time; kafkajs' error when Kafka cannot be reached.
 */
export async function openRuleState(options: RuleStateOptions): Promise<KafkaRuleState> {
  const logger = options.logger ?? noopLogger;
  const admin = options.kafka.admin();
  await retryKafkaStartup('connect the admin client (state topic)', () => admin.connect(), { logger });
  let statePartitions: number;
  try {
    const partitionsOf = async (topic: string): Promise<number | undefined> => {
      if (!(await admin.listTopics()).includes(topic)) return undefined;
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0]?.partitions.length;
    };
    const inputs: { topic: string; partitions: number | undefined }[] = [];
    for (const topic of [options.readingsTopic, ...(options.eventsTopic !== undefined ? [options.eventsTopic] : [])]) {
      inputs.push({ topic, partitions: await retryKafkaStartup(`partitions of ${topic}`, () => partitionsOf(topic), { logger }) });
    }
    const needed = Math.max(...inputs.map((i) => i.partitions ?? 0));
    await ensureTopics(admin, [{ topic: options.topic, numPartitions: Math.max(needed, DEFAULT_STATE_PARTITIONS), config: { 'cleanup.policy': 'compact' } }], { logger });
    // a topic just created may be listed before the broker answered with its partitions: retried like UNKNOWN_TOPIC_OR_PARTITION
    statePartitions = await retryKafkaStartup(`partitions of ${options.topic}`, async () => {
      const n = await partitionsOf(options.topic);
      if (n === undefined || n === 0) throw Object.assign(new Error(`${options.topic}: no partition metadata yet`), { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
      return n;
    }, { logger });
    for (const i of inputs) if (i.partitions !== undefined && statePartitions < i.partitions) throw mismatch(options.topic, statePartitions, i.topic, i.partitions);
  } finally {
    await admin.disconnect();
  }
  const table = new CompactedTable<StoredSeries>({ kafka: options.kafka, topic: options.topic, decode: decodeStateRecord, timeoutMs: options.timeoutMs, logger });
  await table.start();
  logger.info({ topic: options.topic, partitions: statePartitions }, 'alerter state topic read');
  return {
    async load(partition) {
      if (partition >= statePartitions) throw mismatch(options.topic, statePartitions, options.readingsTopic, partition + 1);
      await table.catchUp([partition]);
      return table.entries(partition).values();
    },
    stop: () => table.stop(),
    problem: () => table.problem(),
    *allFiring() {
      for (let p = 0; p < statePartitions; p++) for (const r of table.entries(p).values()) if (isFiring(r)) yield r;
    },
    async findEpisode(alertId) {
      const all = Array.from({ length: statePartitions }, (_, p) => p);
      await table.catchUp(all);
      for (const p of all) for (const r of table.entries(p).values()) if (isFiring(r) && r.alertId === alertId) return r;
      return undefined;
    },
  };
}

function mismatch(topic: string, has: number, readingsTopic: string, needs: number): BusbarError {
  return new BusbarError('BB_ALERTER_STATE_TOPIC_MISMATCH', `alerter state topic ${topic} has ${has} partition(s); ${readingsTopic} needs at least ${needs}: recreate it with that many (cleanup.policy=compact)`, { context: { topic, partitions: has, needed: needs } });
}
