/**
 * Reading a topic from its beginning up to the offsets it had when the call started — e.g. for a
 * service that rebuilds in-memory state (the commander's answered command ids) at start.
 * Uses a throw-away consumer group and commits nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from '@busbar/core';
import { noopLogger } from '@busbar/core';
import type { Decoder } from './serde.js';

/** Options of {@link readTopicToEnd}. */
export interface ReadToEndOptions<T> {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly decoder: Decoder<T>;
  /** Skip records whose Kafka timestamp is older than this, ms since epoch. */
  readonly sinceMs?: number;
  /** Give up after this long, ms (default 30 000); what was read so far is kept. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * Calls `onRecord` for each decodable record of `topic` up to its end offsets at call time.
 * Undecodable records are skipped (they were dead-lettered when first consumed).
 *
 * @returns the number of records passed to `onRecord`; 0 when the topic does not exist.
 */
export async function readTopicToEnd<T>(options: ReadToEndOptions<T>, onRecord: (value: T) => void): Promise<number> {
  const log = options.logger ?? noopLogger;
  const admin = options.kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(options.topic)) return 0;
    const offsets = await admin.fetchTopicOffsets(options.topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  if (pending.size === 0) return 0;
  let count = 0;
  const consumer = options.kafka.consumer({ groupId: `busbar-replay-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        log.warn({ topic: options.topic, partitionsLeft: [...pending] }, 'replay timed out; continuing with what was read');
        resolve();
      }, options.timeoutMs ?? 30_000);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition) ?? 0n;
          for (const m of batch.messages) {
            if (BigInt(m.offset) >= end) break;
            if (options.sinceMs !== undefined && Number(m.timestamp) < options.sinceMs) continue;
            try {
              onRecord(options.decoder.decode(m.value ?? Buffer.alloc(0)));
              count++;
            } catch {
              // dead-lettered when first consumed
            }
          }
          const last = batch.messages[batch.messages.length - 1];
          if (last && BigInt(last.offset) + 1n >= end) pending.delete(batch.partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return count;
}
