/**
 * `busbar tail <topic>`: decodes a topic's Avro records (single-object or Confluent framing) and
 * prints each as one JSON line `{"topic","partition","offset","key","timestamp","value"}` (dates as
 * ISO 8601, bytes as hex). A record that does not decode is reported on standard error with its
 * code and skipped.
 */
import { randomUUID } from 'node:crypto';
import { alertSerde, commandResultSerde, commandSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import type { Serde } from '@busbar/avro';
import type { TopicsConfig } from '@busbar/kafka';
import { errorCode } from '@busbar/core';
import type { CliIo } from './io.js';
import { EXIT, jsonLine, within } from './io.js';
import { connect } from './connection.js';
import type { ConnectionOptions } from './connection.js';

/** Options of `busbar tail` (see its `--help`). */
export interface TailOptions extends ConnectionOptions {
  readonly fromBeginning: boolean;
  readonly max?: number | undefined;
  readonly timeoutS?: number | undefined;
}

type AnySerde = Serde<unknown, never>;

/** The value serde of each topic role (`readings`, `commands`...: the `topics:` section's keys). */
const SERDES: Record<keyof TopicsConfig, AnySerde> = {
  readings: readingSerde as AnySerde,
  deviceEvents: deviceEventSerde as AnySerde,
  commands: commandSerde as AnySerde,
  deviceCommands: commandSerde as AnySerde,
  commandResults: commandResultSerde as AnySerde,
  alerts: alertSerde as AnySerde,
  deadLetter: deadLetterSerde as AnySerde,
};

/** Role names as typed on the command line (`device-events` or `deviceEvents`). */
function roleOf(name: string): keyof TopicsConfig | undefined {
  const camel = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  return camel in SERDES ? (camel as keyof TopicsConfig) : undefined;
}

/**
 * Resolves `<topic>`: a role (`readings`, `command-results`...) names the configured topic; a topic
 * name is used as given, its serde the role whose configured name it is.
 *
 * @returns the topic name and its serde, or undefined serde for a topic Busbar does not configure
 *   (each record is then decoded by its single-object fingerprint).
 */
export function resolveTopic(arg: string, topics: TopicsConfig): { topic: string; serde: AnySerde | undefined } {
  const role = roleOf(arg);
  if (role !== undefined) return { topic: topics[role], serde: SERDES[role] };
  const byName = (Object.keys(SERDES) as (keyof TopicsConfig)[]).find((r) => topics[r] === arg);
  return { topic: arg, serde: byName === undefined ? undefined : SERDES[byName] };
}

/** The serde of a single-object record by its fingerprint (topics Busbar does not configure). */
function serdeByHeader(value: Uint8Array): AnySerde | undefined {
  if (value.length < 10 || value[0] !== 0xc3 || value[1] !== 0x01) return undefined;
  const fp = Buffer.from(value.buffer, value.byteOffset + 2, 8).readBigUInt64LE();
  const writer = readingSerde.catalog().writer(fp);
  return Object.values(SERDES).find((s) => s.recordName === writer?.fullName);
}

/**
 * Prints records until `max` were printed, `timeoutS` passed, or SIGINT.
 *
 * @returns {@link EXIT}.ok (also on timeout: what was there was printed).
 * @throws {ConfigError} from the connection settings; kafkajs errors when the cluster cannot be reached.
 */
export async function tail(topicArg: string, o: TailOptions, io: CliIo): Promise<number> {
  const conn = connect(o, io.env, 'busbar-cli');
  const { topic, serde } = resolveTopic(topicArg, conn.topics);
  const consumer = conn.kafka.consumer({ groupId: `busbar-cli-tail-${randomUUID()}` });
  let printed = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const onSigint = (): void => finish();
  process.once('SIGINT', onSigint);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: o.fromBeginning });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        if (o.max !== undefined && printed >= o.max) return;
        const value = message.value;
        const position = { topic: t, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, timestamp: new Date(Number(message.timestamp)) };
        if (!value) {
          io.out(jsonLine({ ...position, value: null }));
        } else {
          const s = serde ?? serdeByHeader(value);
          if (!s) {
            io.err(`busbar: ${t}/${partition}@${message.offset}: not decoded (not a Busbar single-object record: header ${Buffer.from(value.subarray(0, 10)).toString('hex')}; give a configured topic or its role to read Confluent-framed records)`);
            return;
          }
          try {
            const decoder = conn.framing.decoder(s);
            await decoder.prepare([value]);
            io.out(jsonLine({ ...position, value: decoder.decode(value) }));
          } catch (err) {
            io.err(`busbar: ${t}/${partition}@${message.offset}: not decoded (${errorCode(err)}: ${err instanceof Error ? err.message : String(err)})`);
            return;
          }
        }
        printed++;
        if (o.max !== undefined && printed >= o.max) finish();
      },
    });
    await (o.timeoutS === undefined ? finished : within(finished, o.timeoutS * 1000));
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await Promise.allSettled([consumer.disconnect(), conn.framing.close()]);
  }
}
