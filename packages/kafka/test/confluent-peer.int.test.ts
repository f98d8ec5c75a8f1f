/**
 * Interop with code nobody here wrote: Confluent's Python client (confluent-kafka 2.16.1,
 * `AvroDeserializer` / `AvroSerializer` over fastavro, from scripts/peers/requirements.txt) against
 * Busbar's Confluent framing, through real Kafka and a real schema registry (Apicurio).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { commandSerde, readingSerde, type Command, type ReadingInput } from '@busbar/avro';
import { startKafka, startSchemaRegistry } from '@busbar/testkit';
import type { KafkaHandle, SchemaRegistryHandle } from '@busbar/testkit';
import { PRODUCER_OPTIONS, RecordPublisher, createKafka, kafkaConfigSchema, readTopicToEnd } from '../src/index.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = fileURLToPath(new URL('./peers/confluent_peer.py', import.meta.url));

function peersPython(): string {
  const py = process.env['BUSBAR_PEERS_PYTHON'] ?? join(repo, '.venv/peers/bin/python');
  if (!existsSync(py)) throw new Error(`peers Python not found at ${py}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
  return py;
}

let kafkaServer: KafkaHandle;
let registry: SchemaRegistryHandle;
let kafka: Kafka;
let producer: Producer;
const dir = mkdtempSync(join(tmpdir(), 'busbar-confluent-peer-'));

beforeAll(async () => {
  [kafkaServer, registry] = await Promise.all([startKafka(), startSchemaRegistry()]);
  kafka = createKafka({ ...kafkaConfigSchema.parse({ brokers: kafkaServer.brokers, avro: { framing: 'confluent', registry: { url: registry.url } } }), clientId: 'peer-test' });
  producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await Promise.all([kafkaServer?.dispose(), registry?.dispose()]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('kafka > Confluent framing ↔ confluent-kafka (Python)', () => {
  it("AvroDeserializer reads Busbar's readings (schema id from the registry, values, timestamps, maps)", async () => {
    const topic = `busbar.readings.${randomUUID().slice(0, 8)}`;
    const readings: ReadingInput[] = Array.from({ length: 5 }, (_, i) => ({
      device_id: `arbin-${i}`, protocol: 'arbin-cti', channel: i + 1, timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 100 * i)),
      values: { voltage_v: 3.5 + i / 100, current_a: -1.25 }, exact_values: { charge_ah: `1.${i}` }, states: { status: 'Charge' }, quality: 'GOOD', sequence: 2 ** 40 + i,
    }));
    await new RecordPublisher(producer, topic, readingSerde).publish(readings.map((r) => ({ key: r.device_id, value: r })));
    const { stdout } = await run(peersPython(), [script, 'read', kafkaServer.brokers.join(','), registry.url, topic, String(readings.length)], { timeout: 90_000 });
    const got = stdout.trim().split('\n').map((l) => JSON.parse(l) as { schema_id: number; value: Record<string, unknown> });
    const latest = (await (await fetch(`${registry.url}/subjects/${topic}-value/versions/latest`)).json()) as { id: number };
    expect(got.map((g) => g.schema_id)).toEqual(readings.map(() => latest.id));
    expect(got.map((g) => g.value).sort((a, b) => String(a['device_id']).localeCompare(String(b['device_id'])))).toEqual(
      readings.map((r) => ({
        device_id: r.device_id, protocol: r.protocol, channel: r.channel, timestamp: r.timestamp.toISOString().replace('Z', '+00:00').replace(/\.(\d{3})\+/, '.$1000+').replace('.000000+', '+'),
        values: r.values, exact_values: r.exact_values, states: r.states, quality: 'GOOD', sequence: r.sequence, record_type: null,
      })),
    );
  }, 120_000);

  it('Busbar decodes a command AvroSerializer wrote with the committed Command schema', async () => {
    const topic = `busbar.commands.${randomUUID().slice(0, 8)}`;
    const schemaFile = join(dir, 'command.avsc');
    writeFileSync(schemaFile, JSON.stringify(commandSerde.schema().json, null, 2)); // pretty-printed: another text than Busbar registers
    const command = {
      command_id: 'py-1', issuer: 'python', issued_at: '2026-01-02T03:04:05.123Z', expires_at: '2026-01-02T03:05:05Z', target: { device_id: 'psu-1', channel: null },
      action: 'modbus.write', parameters: { current_setpoint_a: 1.5, enable: true, steps: 3, note: 'from python', none: null }, dry_run: false,
    };
    const { stdout } = await run(peersPython(), [script, 'write', kafkaServer.brokers.join(','), registry.url, topic, schemaFile, JSON.stringify(command)], { timeout: 60_000 });
    const { schema_id: schemaId } = JSON.parse(stdout) as { schema_id: number };
    expect(schemaId).toBeGreaterThan(0);
    const got: Command[] = [];
    await readTopicToEnd({ kafka, topic, decoder: commandSerde }, (c) => got.push(c));
    expect(got).toEqual([
      {
        command_id: 'py-1', issuer: 'python', issued_at: new Date('2026-01-02T03:04:05.123Z'), expires_at: new Date('2026-01-02T03:05:05Z'), target: { device_id: 'psu-1', channel: null },
        action: 'modbus.write', parameters: { current_setpoint_a: 1.5, enable: true, steps: 3, note: 'from python', none: null }, dry_run: false,
        key_id: null, signature: null, // Command v2's optional signature fields: unsigned
      },
    ]);
  }, 120_000);
});
