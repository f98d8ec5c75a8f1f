/**
 * Interop with code nobody here wrote: a Kafka Connect standalone worker (Apache Kafka's
 * connect-runtime 4.3.1) with Apicurio Registry's Avro converter (2.4.2, Confluent id handling)
 * reads a Busbar topic written in the Confluent framing into a file sink (connect-file's
 * FileStreamSinkConnector). Real Kafka and a real registry from @busbar/testkit; the worker's jars
 * from scripts/infra/fetch-connect.sh.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readingSerde, type ReadingInput } from '@busbar/avro';
import { cacheDir, DEFAULT_APICURIO_VERSION, DEFAULT_KAFKA_VERSION, kafkaHome, startKafka, startSchemaRegistry } from '@busbar/testkit';
import type { KafkaHandle, SchemaRegistryHandle } from '@busbar/testkit';
import { PRODUCER_OPTIONS, RecordPublisher, createKafka } from '../src/index.js';

const connectHome = join(cacheDir(), 'connect', `${process.env['BUSBAR_KAFKA_VERSION'] || DEFAULT_KAFKA_VERSION}-apicurio-${process.env['BUSBAR_APICURIO_VERSION'] || DEFAULT_APICURIO_VERSION}`);
const dir = mkdtempSync(join(tmpdir(), 'busbar-connect-'));
let kafkaServer: KafkaHandle;
let registry: SchemaRegistryHandle;
let worker: ChildProcess | undefined;
let log = '';

beforeAll(async () => {
  if (!existsSync(join(connectHome, '.complete'))) throw new Error(`Kafka Connect jars not found in ${connectHome}: run \`bash scripts/infra/fetch-connect.sh\` (or scripts/infra/fetch-all.sh)`);
  [kafkaServer, registry] = await Promise.all([startKafka(), startSchemaRegistry()]);
}, 180_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGTERM');
    const timer = setTimeout(() => worker?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await Promise.all([kafkaServer?.dispose(), registry?.dispose()]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('kafka > Confluent framing ↔ Kafka Connect with Apicurio AvroConverter', () => {
  it("FileStreamSink writes Busbar's readings as Connect structs, every field", async () => {
    const topic = `busbar.readings.${randomUUID().slice(0, 8)}`;
    const kafka = createKafka({ brokers: kafkaServer.brokers, clientId: 'connect-test', avro: { framing: 'confluent', registry: { url: registry.url } } });
    const producer = kafka.producer(PRODUCER_OPTIONS);
    await producer.connect();
    const readings: ReadingInput[] = [0, 1, 2].map((i) => ({ device_id: `psu-${i}`, protocol: 'modbus', channel: i === 0 ? null : i, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), values: { voltage_v: 12 + i }, states: { mode: 'CV' }, sequence: i }));
    await new RecordPublisher(producer, topic, readingSerde).publish(readings.map((r) => ({ key: r.device_id, value: r })));
    await producer.disconnect();

    const out = join(dir, 'readings.txt');
    writeFileSync(join(dir, 'worker.properties'), [
      `bootstrap.servers=${kafkaServer.brokers[0]}`,
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      'value.converter=io.apicurio.registry.utils.converter.AvroConverter',
      `value.converter.apicurio.registry.url=${registry.origin}/apis/registry/v2`,
      'value.converter.apicurio.registry.as-confluent=true', // 4-byte id after 00, as the Confluent wire format
      'value.converter.apicurio.registry.use-id=contentId', // the ids of Apicurio's Confluent API are content ids
      'value.converter.apicurio.registry.headers.enabled=false',
      `offset.storage.file.filename=${join(dir, 'offsets')}`,
      'offset.flush.interval.ms=1000',
      'listeners=http://127.0.0.1:0',
    ].join('\n'));
    writeFileSync(join(dir, 'sink.properties'), ['name=busbar-file-sink', 'connector.class=org.apache.kafka.connect.file.FileStreamSinkConnector', 'tasks.max=1', `topics=${topic}`, `file=${out}`].join('\n'));
    worker = spawn('java', ['-Xmx384m', '-XX:+UseSerialGC', `-Dlog4j2.configurationFile=${join(kafkaHome(), 'log4j2.properties')}`, '-cp', join(connectHome, 'libs', '*'), 'org.apache.kafka.connect.cli.ConnectStandalone', join(dir, 'worker.properties'), join(dir, 'sink.properties')], { stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const lines = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter((l) => l !== '') : []);
    const end = Date.now() + 90_000;
    while (lines().length < 3 && Date.now() < end && worker.exitCode === null) await new Promise((r) => setTimeout(r, 500));
    if (lines().length < 3) throw new Error(`Connect wrote ${lines().length} of 3 lines; worker log:\n${log.split('\n').filter((l) => /ERROR|Exception|Caused/.test(l)).slice(0, 20).join('\n')}`);
    // Struct.toString of the Reading: channel null is left out; timestamp-micros comes as the long it is
    expect(lines().sort()).toEqual([
      'Struct{device_id=psu-0,protocol=modbus,timestamp=1767225600000000,values={voltage_v=12.0},exact_values={},states={mode=CV},quality=GOOD,sequence=0}',
      'Struct{device_id=psu-1,protocol=modbus,channel=1,timestamp=1767225601000000,values={voltage_v=13.0},exact_values={},states={mode=CV},quality=GOOD,sequence=1}',
      'Struct{device_id=psu-2,protocol=modbus,channel=2,timestamp=1767225602000000,values={voltage_v=14.0},exact_values={},states={mode=CV},quality=GOOD,sequence=2}',
    ]);
  }, 150_000);
});
