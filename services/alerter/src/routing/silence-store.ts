/**
 * The silences topic followed in memory: every alerter of a group reads the whole compacted topic
 * (`@busbar/alert-control` decodes its records) with a `CompactedTable` of its own, so a silence written by any
 * tool applies in every member within moments (the table tails the topic; a silence written just
 * before an alert fires may come too late for it).
 */
import type { Logger } from '@busbar/core';
import { noopLogger } from '@busbar/core';
import { CompactedTable, ensureTopics, retryKafkaStartup } from '@busbar/kafka';
import type { createKafka } from '@busbar/kafka';
import type { Silence } from '@busbar/alert-control';
import { decodeSilence } from '@busbar/alert-control';

/** The followed silences. */
export interface SilenceStore {
  /** The silences known now (also expired ones until they are deleted). */
  current(): Silence[];
  /** Why the table stopped following the topic, or `undefined`. */
  problem(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Creates the silences topic when absent (compacted, 1 partition) and reads it to its end.
 *
 * @throws {BusbarError} `BB_KAFKA_REPLAY_INCOMPLETE` when it cannot be read to its end in time;
 *   kafkajs' error when Kafka cannot be reached. Undecodable records are skipped and logged
 *   (`BB_ALERTER_SILENCE_INVALID`, `BB_ALERTER_MATCHER_INVALID`).
 */
export async function openSilences(o: { kafka: ReturnType<typeof createKafka>; topic: string; logger?: Logger }): Promise<SilenceStore> {
  const logger = o.logger ?? noopLogger;
  const admin = o.kafka.admin();
  await retryKafkaStartup('connect the admin client (silences topic)', () => admin.connect(), { logger });
  try {
    await ensureTopics(admin, [{ topic: o.topic, numPartitions: 1, config: { 'cleanup.policy': 'compact' } }], { logger });
  } finally {
    await admin.disconnect();
  }
  const table = new CompactedTable<Silence>({ kafka: o.kafka, topic: o.topic, decode: decodeSilence, logger });
  await table.start();
  return { current: () => [...table.entries(0).values()], problem: () => table.problem(), stop: () => table.stop() };
}
