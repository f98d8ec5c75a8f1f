/**
 * Reading a topic back, from a point in time up to the offsets it had when the call started — for a
 * service that rebuilds in-memory state at start (the commander's and the collectors' answered
 * command ids). Uses a throw-away consumer group and commits nothing.
 *
 * It starts at the first offset of each partition whose timestamp is at or after `sinceMs`
 * (`fetchTopicOffsetsByTimestamp`), not at the beginning, so a long topic is not read in full; and it
 * fails rather than return part of the state: a caller that went on with a partial set of answered
 * ids could execute a command twice.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from '@busbar/core';
import { BusbarError, isBusbarError, noopLogger, sleep } from '@busbar/core';
import type { AvroFraming } from '@busbar/avro';
import { framedDecoder, framingOf } from './framing.js';
import type { Decoder } from './serde.js';
import { retryKafkaStartup } from './startup.js';
import type { StartupRetryOptions } from './startup.js';

/** Options of {@link readTopicToEnd}. */
export interface ReadToEndOptions<T> {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly decoder: Decoder<T>;
  /** Start at records timestamped at or after this, ms since the epoch (default: the beginning). */
  readonly sinceMs?: number;
  /** Give up after this long, ms (default 120 000): then it throws. */
  readonly timeoutMs?: number;
  /** Value framing (both are read). @default the framing `createKafka` attached to `kafka` */
  readonly framing?: AvroFraming;
  readonly logger?: Logger;
  /** Retry of Kafka's retriable errors while reading the offsets and joining (default: 60 s bound; see `retryKafkaStartup`). */
  readonly startupRetry?: Omit<StartupRetryOptions, 'logger'>;
}

/**
 * Calls `onRecord` for each decodable record of `topic` from `sinceMs` up to its end offsets at call
 * time. Undecodable records are skipped (they were dead-lettered when first consumed). Both
 * framings are read; while the schema registry cannot resolve a batch's ids the read waits (and
 * fails with `BB_KAFKA_REPLAY_INCOMPLETE` when that outlasts `timeoutMs`).
 *
 * @returns the number of records passed to `onRecord`; 0 when the topic does not exist or has nothing in range.
 * @throws {BusbarError} `BB_KAFKA_REPLAY_INCOMPLETE` when the end is not reached within `timeoutMs`;
 *   whatever `onRecord` throws; kafkajs' error when reading the offsets or joining fails with an error
 *   that is not retriable, or still fails after `startupRetry`'s bound.
 */
export async function readTopicToEnd<T>(options: ReadToEndOptions<T>, onRecord: (value: T) => void): Promise<number> {
  const log = options.logger ?? noopLogger;
  const retry = { ...options.startupRetry, logger: log };
  const start = new Map<number, bigint>();
  const end = new Map<number, bigint>();
  // a topic just created may answer "not the leader" / "does not host this topic-partition" for a while
  const exists = await retryKafkaStartup(`read the offsets of ${options.topic}`, async () => {
    const admin = options.kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(options.topic)) return false;
      for (const o of await admin.fetchTopicOffsets(options.topic)) {
        end.set(o.partition, BigInt(o.high));
        start.set(o.partition, BigInt(o.low));
      }
      if (options.sinceMs !== undefined) {
        // offset -1 = no record at or after sinceMs: nothing to read in that partition
        for (const o of await admin.fetchTopicOffsetsByTimestamp(options.topic, options.sinceMs)) {
          const from = BigInt(o.offset);
          start.set(o.partition, from < 0n ? (end.get(o.partition) ?? 0n) : from);
        }
      }
      return true;
    } finally {
      await admin.disconnect();
    }
  }, retry);
  if (!exists) return 0;
  // a partition is pending while it has records between its start and its end offset
  const pending = new Set([...end].filter(([p, high]) => high > (start.get(p) ?? 0n)).map(([p]) => p));
  if (pending.size === 0) return 0;
  let count = 0;
  const decoder = framedDecoder(options.decoder, options.framing ?? framingOf(options.kafka));
  let finished = false;
  const consumer = options.kafka.consumer({ groupId: `busbar-replay-${randomUUID()}` });
  await retryKafkaStartup(`connect the replay consumer of ${options.topic}`, () => consumer.connect(), retry);
  try {
    await retryKafkaStartup(`subscribe to ${options.topic}`, () => consumer.subscribe({ topic: options.topic, fromBeginning: true }), retry);
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 120_000;
      const timer = setTimeout(() => {
        finished = true;
        reject(new BusbarError('BB_KAFKA_REPLAY_INCOMPLETE', `reading ${options.topic} back did not reach its end within ${timeoutMs} ms (partitions left: ${[...pending].join(', ')})`, { context: { topic: options.topic, timeoutMs } }));
      }, timeoutMs);
      const done = (): void => {
        finished = true;
        clearTimeout(timer);
        resolve();
      };
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const p of pending) consumer.seek({ topic: options.topic, partition: p, offset: String(start.get(p) ?? 0n) });
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const stop = end.get(batch.partition) ?? 0n;
            const from = start.get(batch.partition) ?? 0n;
            if (decoder.prepare !== undefined) {
              for (;;) {
                try {
                  await decoder.prepare(batch.messages.map((m) => m.value));
                  break;
                } catch (err) {
                  if (finished) return;
                  log.warn({ err: err instanceof Error ? err.message : String(err) }, 'schema registry cannot resolve schema ids while reading a topic back; waiting');
                  await sleep(500);
                }
              }
            }
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset < from) continue;
              if (offset >= stop) break;
              let value: T;
              try {
                value = decoder.decode(m.value ?? Buffer.alloc(0));
              } catch (err) {
                // an id the registry could not resolve: retry the batch rather than skip a record
                if (isBusbarError(err) && err.retriable) throw err;
                continue; // dead-lettered when first consumed
              }
              onRecord(value);
              count++;
            }
            // done once the batch reaches the end offset (its last offset covers compacted gaps and transaction markers)
            if (BigInt(batch.lastOffset()) + 1n >= stop) pending.delete(batch.partition);
            if (pending.size === 0) done();
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
  } finally {
    await consumer.disconnect().catch((err: unknown) => log.warn({ err: String(err) }, 'replay consumer did not disconnect cleanly'));
  }
  return count;
}
