/**
 * Fault: garbage on every topic — empty values, tombstones, text, an unknown fingerprint, a known
 * fingerprint with a broken body, a truncated record, a record of another schema, 64 KiB of noise —
 * while the historian, the alerter, the commander and a Modbus collector run as processes. Nothing
 * may crash: every consumer group dead-letters each bad record of its topic (with its bytes and a
 * reason code, counted in `busbar_kafka_dead_letters_total`) and goes on; the commander restarts
 * over a results topic full of garbage (the read-back skips it); and afterwards a reading still
 * reaches InfluxDB and a command routed through the commander to the collector still gets its result.
 * Real Kafka and InfluxDB (the run's shared servers), a real Modbus TCP simulator.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertSerde, readingSerde } from '@busbar/avro';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { recordRow } from './support/report.js';
import { serviceProcess } from './support/service-process.js';
import type { ServiceProcess } from './support/service-process.js';
import { storedPoints, until } from './support/stream.js';

let env: PipelineEnv;
let sim: PowerSupplySimulator;
let services: Record<'historian' | 'alerter' | 'commander' | 'collector', ServiceProcess>;

/** The bad records sent to every topic (values; `null` is a tombstone). */
function garbage(): (Buffer | null)[] {
  const reading = readingSerde.encode({ device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date(), values: { voltage_v: 1 } });
  const fingerprint = reading.subarray(2, 10);
  return [
    Buffer.alloc(0),
    null,
    Buffer.from('{"device_id":"psu-1","voltage_v":12}'), // JSON, no Avro framing
    Buffer.concat([Buffer.from([0xc3, 0x01]), randomBytes(8), Buffer.from('body')]), // unknown fingerprint
    Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprint, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]), // known fingerprint, broken body
    reading.subarray(0, Math.floor(reading.length / 2)), // truncated
    alertSerde.encode({ alert_id: randomUUID(), rule: 'r', device_id: 'psu-1', channel: null, signal: 'x', state: 'FIRING', severity: 'WARNING', value: 1, threshold: 1, timestamp: new Date(), message: 'not a reading' }), // another schema
    randomBytes(64 * 1024),
  ];
}

beforeAll(async () => {
  [env, sim] = await Promise.all([startPipelineEnv({ namespace: 'faults-garbage', clientId: 'faults' }), startPowerSupplySimulator({ seed: 9 })]);
  const dir = mkdtempSync(join(tmpdir(), 'busbar-faults-garbage-'));
  const common = { kafka: { brokers: env.kafka.brokers }, topics: env.topics };
  // psu-1 is an exclusive-session device: the commander routes its commands to the collector
  const device = { id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, session: 'exclusive', pollIntervalMs: 500, timeoutMs: 1000, map: { points: POWER_SUPPLY_MAP.points } };
  services = {
    historian: serviceProcess('historian', dir, { ...common, groupId: `faults-garbage-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token } }),
    alerter: serviceProcess('alerter', dir, { ...common, groupId: `faults-garbage-alerter-${env.run}`, rules: [{ id: 'psu-overtemp', devices: ['psu-1'], signal: 'temperature_c', direction: 'above', warning: 150, critical: 160, clear: 140, forMs: 0 }] }),
    commander: serviceProcess('commander', dir, { ...common, groupId: `faults-garbage-commander-${env.run}`, journal: { path: join(dir, 'state', 'commander.journal.sqlite') }, policy: { requireSignature: false }, modbus: { devices: [device] } }),
    collector: serviceProcess('collector-modbus', dir, { ...common, instanceId: `faults-${env.run}`, buffer: { path: join(dir, 'state', 'collector.buffer.sqlite') }, devices: [device] }),
  };
  await Promise.all(Object.values(services).map((s) => s.start()));
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(services ?? {}).map((s) => s.stop()));
  await env?.stop(() => sim?.close());
}, 60_000);

describe('faults > garbage on every topic', () => {
  it('dead-letters every bad record once per consumer group, crashes nothing, and keeps working', async () => {
    const topics = Object.values(env.topics);
    const perTopic = garbage().length;
    for (const topic of topics) {
      await env.producer.send({ topic, messages: garbage().map((value, i) => ({ key: i % 2 === 0 ? 'psu-1' : null, value })) });
    }
    // who consumes what: readings → historian and alerter; device events, results, alerts → historian (the alerter here has no
    // notification channel, so no channel group reads alerts); commands → commander; device-commands → the collector
    const consumers: Record<string, number> = { [env.topics.readings]: 2, [env.topics.deviceEvents]: 1, [env.topics.commandResults]: 1, [env.topics.alerts]: 1, [env.topics.commands]: 1, [env.topics.deviceCommands]: 1 };
    // on the alerts topic the record of "another schema" is a valid Alert (stored by the historian): not garbage there
    const badOn = (topic: string): number => perTopic - (topic === env.topics.alerts ? 1 : 0);
    const expected = Object.entries(consumers).reduce((n, [topic, c]) => n + c * badOn(topic), 0);
    await until(async () => env.deadLetters.records.length >= expected, `${expected} dead letters`, 60_000);
    await new Promise((r) => setTimeout(r, 2000)); // more would arrive now

    for (const s of Object.values(services)) expect(s.running(), `${s.name} still running`).toBe(true);
    const letters = env.deadLetters.records.map((r) => r.value);
    for (const [topic, groups] of Object.entries(consumers)) {
      const of = letters.filter((d) => d.source_topic === topic);
      expect(of.length, topic).toBe(groups * badOn(topic));
      expect(new Set(of.map((d) => `${d.partition}/${d.offset}`)).size, topic).toBe(badOn(topic));
      for (const d of of) expect(d.error_code).toMatch(/^BB_AVRO_/);
    }
    expect(letters.filter((d) => !(d.source_topic in consumers))).toEqual([]); // nobody consumes dead letters with a group
    const metricSum = (await services.historian.metric('busbar_kafka_dead_letters_total')) + (await services.alerter.metric('busbar_kafka_dead_letters_total')) + (await services.commander.metric('busbar_kafka_dead_letters_total')) + (await services.collector.metric('busbar_kafka_dead_letters_total'));
    expect(metricSum).toBe(expected);
    const codes = [...new Set(letters.map((d) => d.error_code))].sort();

    // the commander restarts over a results topic that holds garbage
    await services.commander.stop();
    await services.commander.start();

    // and the pipeline still works: a reading is stored, a routed command is executed by the collector
    await env.producer.send({ topic: env.topics.readings, messages: [{ key: 'faults-0', value: readingSerde.encode({ device_id: 'faults-0', protocol: 'faults', channel: null, timestamp: new Date(Date.now() - 60_000), values: { voltage_v: 1 } }) }] });
    const id = await env.sendCommand({ target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 7.5 } });
    await until(async () => (await storedPoints(env)) === 1, 'a reading stored after the garbage', 60_000);
    const [result] = await env.results.waitFor((r) => r.command_id === id, 1, 60_000);
    expect(result).toMatchObject({ status: 'EXECUTED' });
    expect(sim.state().voltageSetpointV).toBe(7.5);
    for (const s of Object.values(services)) expect(s.running(), `${s.name} still running`).toBe(true);

    const distinct = new Set(letters.map((d) => `${d.source_topic}/${d.partition}/${d.offset}`)).size;
    const consumed = Object.keys(consumers).reduce((n, topic) => n + badOn(topic), 0);
    recordRow({
      scenario: 'garbage on every topic', produced: consumed, stored: distinct, lost: consumed - distinct, duplicated: letters.length - expected, recoveryS: null,
      notes: `${perTopic} bad records × ${topics.length} topics (${consumed} bad ones on the 6 topics a group consumes; produced/stored count those); ${letters.length} dead letters (one per consumer group of each), codes ${codes.join(' ')}; 4 processes alive; a reading stored and a routed command EXECUTED afterwards`,
    });
  }, 300_000);
});
