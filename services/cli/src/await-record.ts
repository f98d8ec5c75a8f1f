/**
 * Waiting for one record that a service publishes in answer to what the CLI sends (a command's
 * result, an ACKNOWLEDGED alert): subscribe at the topic's current end before sending, so the answer
 * cannot be missed and older records are not read.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { within } from './io.js';

/** A value decoder as `AvroFraming.decoder` makes it (prepared per batch for a schema registry). */
export interface PreparedDecoder<T> {
  prepare(payloads: readonly (Uint8Array | null)[]): Promise<void>;
  decode(bytes: Uint8Array): T;
}

/**
 * Subscribes `consumer` to `topic` at its current end (every partition's high watermark, taken now,
 * before the caller sends) and resolves the returned promise with the first decoded record for which
 * `match` holds, or `undefined` after `timeoutMs`. Records that do not decode are skipped (a dead
 * letter for the services, not an answer for the CLI).
 *
 * @param timeoutMs - bounds the join and, from then on, the wait for the record, ms.
 * @returns once the consumer has joined: `answer` settles later (it is wrapped so that awaiting this
 *   function does not wait for the record).
 * @throws kafkajs' error when the offsets cannot be read or the consumer cannot connect.
 */
export async function awaitRecord<T>(kafka: Kafka, consumer: Consumer, topic: string, decoder: PreparedDecoder<T>, match: (value: T) => boolean, timeoutMs: number): Promise<{ answer: Promise<T | undefined> }> {
  const admin = kafka.admin();
  let ends: { partition: number; high: string }[];
  try {
    await admin.connect();
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let settle: (r: T | undefined) => void = () => undefined;
  const done = new Promise<T | undefined>((resolve) => (settle = resolve));
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      try {
        await decoder.prepare([message.value]);
        const r = decoder.decode(message.value);
        if (match(r)) settle(r);
      } catch {
        // not a record this tool can read (a dead letter for the services): not ours either
      }
    },
  });
  await within(joined, timeoutMs);
  // positioned at the end as it was before the caller sends: the answer cannot be missed, older records are not read
  for (const e of ends) consumer.seek({ topic, partition: e.partition, offset: e.high });
  const timer = setTimeout(() => settle(undefined), timeoutMs);
  return { answer: done.finally(() => clearTimeout(timer)) };
}
