/**
 * docs/interop.md runs as written, against the run's shared Kafka broker: its Python snippet
 * (fastavro + confluent-kafka, from the peers venv — scripts/peers/setup-venv.sh) and its Java
 * snippet (Apache Avro 1.11 `BinaryMessageDecoder` / `BinaryMessageEncoder` from the Kafka Connect
 * classpath that scripts/infra/fetch-connect.sh fetches from Maven Central, kafka-clients from the
 * Kafka distribution) consume Readings that Busbar published and produce a Command that Busbar's
 * serde decodes — with nothing but the `.avsc` files of schemas/.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { commandSerde, readingSerde } from '@busbar/avro';
import type { Command, ReadingInput } from '@busbar/avro';
import { cacheDir, DEFAULT_APICURIO_VERSION, DEFAULT_KAFKA_VERSION, kafkaHome } from '@busbar/testkit';
import { sharedKafka, uniqueName } from '@busbar/testkit/shared';
import { peersPython } from '../../deploy/local/rig-peers.js';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCHEMAS = join(ROOT, 'schemas');
const doc = readFileSync(join(ROOT, 'docs', 'interop.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'busbar-interop-doc-'));
const connectLibs = join(cacheDir(), 'connect', `${process.env['BUSBAR_KAFKA_VERSION'] || DEFAULT_KAFKA_VERSION}-apicurio-${process.env['BUSBAR_APICURIO_VERSION'] || DEFAULT_APICURIO_VERSION}`, 'libs');

/** The first fenced block of `lang` in docs/interop.md. */
function snippet(lang: string): string {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc);
  if (m === null) throw new Error(`docs/interop.md has no ${lang} block`);
  return m[1]!;
}

const readings: ReadingInput[] = [
  { device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date(Date.UTC(2026, 11, 3, 12, 0, 0)), values: { voltage_v: 12.5, current_a: 1.25 }, states: { mode: 'CV' }, sequence: 7 },
  { device_id: 'arbin-1', protocol: 'arbin-cti', channel: 3, timestamp: new Date(Date.UTC(2026, 11, 3, 12, 0, 1)), values: { voltage_v: 3.7 }, sequence: 8 },
];

/** Topics of one snippet run: the readings published by Busbar, and an empty commands topic. */
async function topicsWithReadings(name: string): Promise<{ brokers: string; readingsTopic: string; commandsTopic: string; kafka: Kafka }> {
  const { brokers } = await sharedKafka();
  const kafka = new Kafka({ clientId: 'interop-doc', brokers, logLevel: logLevel.NOTHING });
  const readingsTopic = uniqueName(`interop.${name}.readings`);
  const commandsTopic = uniqueName(`interop.${name}.commands`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [readingsTopic, commandsTopic].map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic: readingsTopic, messages: readings.map((r) => ({ key: r.device_id, value: Buffer.from(readingSerde.encode(r)) })) });
  } finally {
    await producer.disconnect();
  }
  return { brokers: brokers.join(','), readingsTopic, commandsTopic, kafka };
}

/** The commands on `topic`, decoded by Busbar (the test fails on a record Busbar cannot decode). */
async function commandsOn(kafka: Kafka, topic: string): Promise<{ key: string; command: Command }[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('interop-doc-check') });
  await consumer.connect();
  const out: { key: string; command: Command }[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolveRun, reject) => {
      const timer = setTimeout(() => reject(new Error(`no command on ${topic} within 30 s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          out.push({ key: message.key?.toString() ?? '', command: commandSerde.decode(message.value!) });
          clearTimeout(timer);
          resolveRun();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command a snippet produced: printed (`COMMAND <hex>`) and found on the commands topic, decoded by Busbar. */
async function commandOf(stdout: string, kafka: Kafka, topic: string): Promise<Command> {
  const hex = /^COMMAND ([0-9a-f]+)$/m.exec(stdout)?.[1];
  expect(hex, stdout).toBeDefined();
  expect(hex!.slice(0, 20)).toBe('c3013e42e3a21b04b867'); // Command 0x67b8041ba2e3423e, little-endian
  const onTopic = await commandsOn(kafka, topic);
  expect(onTopic.map((c) => c.key)).toEqual(['psu-1']);
  expect(onTopic[0]!.command).toEqual(commandSerde.decode(Buffer.from(hex!, 'hex')));
  return onTopic[0]!.command;
}

describe('docs/interop.md', () => {
  it('the Python snippet (fastavro, confluent-kafka) consumes Busbar readings from Kafka and produces a command Busbar decodes', async () => {
    const py = peersPython();
    if (py === undefined) throw new Error('peers Python not found: run `bash scripts/peers/setup-venv.sh` (or set BUSBAR_PEERS_PYTHON)');
    writeFileSync(join(dir, 'busbar_interop.py'), snippet('python'));
    const t = await topicsWithReadings('python');
    const { stdout } = await run(py, [join(dir, 'busbar_interop.py'), t.brokers, t.readingsTopic, t.commandsTopic, String(readings.length), SCHEMAS], { timeout: 90_000 });
    const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { device: 'psu-1', channel: null, timestamp: '2026-12-03T12:00:00+00:00', values: { voltage_v: 12.5, current_a: 1.25 } },
      { device: 'arbin-1', channel: 3, timestamp: '2026-12-03T12:00:01+00:00', values: { voltage_v: 3.7 } },
    ]);
    const cmd = await commandOf(stdout, t.kafka, t.commandsTopic);
    expect(cmd).toMatchObject({ issuer: 'python-snippet', target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { voltage_setpoint_v: 24 }, dry_run: true });
    expect(cmd.expires_at.getTime() - cmd.issued_at.getTime()).toBe(60_000);
  });

  it('the Java snippet (Avro BinaryMessageDecoder/Encoder, kafka-clients) consumes Busbar readings from Kafka and produces a command Busbar decodes', async () => {
    if (!existsSync(connectLibs)) throw new Error(`Avro jars not found in ${connectLibs}: run \`bash scripts/infra/fetch-connect.sh\` (or scripts/infra/fetch-all.sh)`);
    const avroJar = readdirSync(connectLibs).find((f) => /^avro-\d[\d.]*\.jar$/.test(f));
    if (avroJar === undefined) throw new Error(`no avro-*.jar in ${connectLibs}`);
    writeFileSync(join(dir, 'BusbarInterop.java'), snippet('java'));
    const t = await topicsWithReadings('java');
    // Java's single-file source launcher (compiles in memory); kafka-clients, Jackson and slf4j from Kafka's libs, Avro from Connect's
    const classpath = [`${join(kafkaHome(), 'libs')}/*`, join(connectLibs, avroJar)].join(':');
    const { stdout } = await run('java', ['-cp', classpath, join(dir, 'BusbarInterop.java'), t.brokers, t.readingsTopic, t.commandsTopic, String(readings.length), SCHEMAS], { timeout: 150_000 });
    expect(stdout.split('\n').filter((l) => l.startsWith('READING'))).toEqual([
      `READING device=psu-1 channel=null timestamp_us=${Date.UTC(2026, 11, 3, 12, 0, 0) * 1000} values={voltage_v=12.5, current_a=1.25}`,
      `READING device=arbin-1 channel=3 timestamp_us=${Date.UTC(2026, 11, 3, 12, 0, 1) * 1000} values={voltage_v=3.7}`,
    ]);
    const cmd = await commandOf(stdout, t.kafka, t.commandsTopic);
    expect(cmd).toMatchObject({ issuer: 'java-snippet', target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { voltage_setpoint_v: 24 }, dry_run: true });
    expect(cmd.expires_at.getTime() - cmd.issued_at.getTime()).toBe(60_000);
  });
});
