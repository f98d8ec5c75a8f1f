/**
 * Test support: records every decodable record of some topics (and the raw dead letters) so that
 * end-to-end tests can wait for what the services published.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';

/** Something that decodes a topic's values (`prepare`: resolve schema ids first, Confluent framing). */
interface Decoder<T> {
  decode(b: Buffer): T;
  prepare?(payloads: readonly (Buffer | null)[]): Promise<void>;
}

/** Records of one topic, in arrival order. */
export class TopicLog<T> {
  readonly records: { key: string | null; value: T; timestampMs: number }[] = [];
  constructor(readonly topic: string, readonly decoder: Decoder<T>) {}

  /** Values so far matching `predicate`. */
  where(predicate: (v: T) => boolean): T[] {
    return this.records.map((r) => r.value).filter(predicate);
  }

  /** Waits until `count` values match `predicate`; returns them. */
  async waitFor(predicate: (v: T) => boolean, count = 1, timeoutMs = 20_000): Promise<T[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.where(predicate);
      if (found.length >= count) return found;
      if (Date.now() > end) throw new Error(`timed out waiting for ${count} record(s) on ${this.topic}; have ${found.length} matching of ${this.records.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** One consumer (its own group) recording several topics. */
export class Recorder {
  private consumer: Consumer | undefined;
  private readonly logs = new Map<string, TopicLog<unknown>>();

  constructor(private readonly kafka: Kafka) {}

  /** Adds a topic to record (before {@link start}). */
  log<T>(topic: string, decoder: Decoder<T>): TopicLog<T> {
    const l = new TopicLog<T>(topic, decoder);
    this.logs.set(topic, l as TopicLog<unknown>);
    return l;
  }

  /** Starts consuming every added topic from the beginning. */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `e2e-recorder-${randomUUID()}`, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.logs.keys()], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const l = this.logs.get(topic);
        if (!l) return;
        // a schema registry that cannot answer: wait (the record is retried), as the services do
        for (let tries = 0; l.decoder.prepare !== undefined; tries++) {
          try {
            await l.decoder.prepare([message.value]);
            break;
          } catch (err) {
            if (tries > 600) throw err;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        try {
          l.records.push({ key: message.key?.toString() ?? null, value: l.decoder.decode(message.value ?? Buffer.alloc(0)), timestampMs: Number(message.timestamp) });
        } catch {
          // the services dead-letter garbage; the recorder only keeps what decodes
        }
      },
    });
  }

  /** Stops consuming. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** Polls `cond` until true or throws after `timeoutMs`. */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
