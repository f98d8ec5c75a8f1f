/**
 * End to end over SASL_SSL with ACLs (issue 11): a Kafka broker with a SASL_SSL listener (test CA
 * made with openssl, SCRAM users) and the StandardAuthorizer; the ACLs of docs/security.md applied
 * by the admin through `applyAcls`; a Modbus collector and the commander configured with
 * `kafka.ssl.caFile` and `kafka.sasl.passwordFile`, each its own principal. An issuer's command is
 * EXECUTED (directly by the commander, and routed through the collector for a single-session
 * device); a principal without WRITE on the commands topic cannot put a command there.
 * The test observes the topics through the broker's plaintext listener (a super user).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Producer } from 'kafkajs';
import { commandResultSerde, commandSerde, readingSerde } from '@busbar/avro';
import type { CommandInput, CommandResult, Reading } from '@busbar/avro';
import { noopLogger, noopMetrics } from '@busbar/core';
import { signCommand } from '@busbar/commands';
import { PRODUCER_OPTIONS, createKafka, topicsConfigSchema } from '@busbar/kafka';
import type { KafkaConfig } from '@busbar/kafka';
import { resolveModbusDevices } from '@busbar/module-modbus';
import { collectorConfigSchema, startModbusCollector } from '@busbar/collector-modbus';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import type { RunningService } from '@busbar/runtime';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';
import { aclsFor, applyAcls, busbarTopics, createBusbarTopics } from '@busbar/topics';
import { Recorder } from '../support/recorder.js';
import type { TopicLog } from '../support/recorder.js';

const deps = { logger: noopLogger, metrics: noopMetrics };
const topics = topicsConfigSchema.parse(undefined);
const USERS = ['admin', 'collector', 'commander', 'issuer', 'intruder'].map((u) => ({ username: u, password: `${u}-${randomUUID()}`, mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const }));

let kafka: KafkaHandle;
let secrets: string;
let sim: PowerSupplySimulator;
let recorder: Recorder;
let results: TopicLog<CommandResult>;
let readings: TopicLog<Reading>;
const services: RunningService[] = [];
const producers: Producer[] = [];

/** The `kafka:` section of a service signing in as `user` (password in a file, CA file): what a deployment writes. */
function kafkaSection(user: string): KafkaConfig {
  const passwordFile = join(secrets, `${user}.password`);
  writeFileSync(passwordFile, `${USERS.find((u) => u.username === user)!.password}\n`, { mode: 0o600 });
  return { brokers: kafka.saslSsl!.brokers, ssl: { caFile: kafka.saslSsl!.caFile }, sasl: { mechanism: 'SCRAM-SHA-512', username: user, passwordFile } };
}

function devices(port: number): unknown[] {
  const map = { points: POWER_SUPPLY_MAP.points };
  return [
    { id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port }, unitId: 1, pollIntervalMs: 500, timeoutMs: 500, map },
    { id: 'psu-solo', connection: { kind: 'tcp', host: '127.0.0.1', port }, unitId: 1, pollIntervalMs: 500, timeoutMs: 500, session: 'exclusive', map },
  ];
}

/** A producer of `user` over SASL_SSL, as Busbar's publishers make them (idempotent). */
async function producerOf(user: string): Promise<Producer> {
  const p = createKafka({ ...kafkaSection(user), clientId: `e2e-${user}` }).producer({ ...PRODUCER_OPTIONS, allowAutoTopicCreation: false, retry: { retries: 1 } });
  producers.push(p);
  await p.connect();
  return p;
}

/** The issuer's signing key (Ed25519); the commander's policy holds its public half. */
const issuerKeys = generateKeyPairSync('ed25519');
const ISSUER_KEY = { id: 'e2e-issuer-2026', algorithm: 'ed25519' as const, key: issuerKeys.privateKey };
/** A key the policy knows, allowed on another device only. */
const viewerKeys = generateKeyPairSync('ed25519');
const VIEWER_KEY = { id: 'e2e-viewer', algorithm: 'ed25519' as const, key: viewerKeys.privateKey };
/** Another key under the issuer's key id, which the policy does not know: a forged signature. */
const strangerKey = { id: 'e2e-issuer-2026', algorithm: 'ed25519' as const, key: generateKeyPairSync('ed25519').privateKey };

/** Sends a command signed with `key` (the issuer's by default; `null`: unsigned). */
async function send(producer: Producer, cmd: Pick<CommandInput, 'target' | 'action' | 'parameters'>, key: { readonly id: string; readonly algorithm: 'ed25519'; readonly key: typeof ISSUER_KEY.key } | null = ISSUER_KEY): Promise<string> {
  const command_id = randomUUID();
  const full: CommandInput = { command_id, issuer: 'e2e-issuer', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), ...cmd };
  await producer.send({ topic: topics.commands, messages: [{ key: cmd.target.device_id, value: commandSerde.encode(key === null ? full : signCommand(full, key)) }] });
  return command_id;
}

beforeAll(async () => {
  secrets = mkdtempSync(join(tmpdir(), 'busbar-e2e-secrets-'));
  [kafka, sim] = await Promise.all([startKafka({ saslSsl: { users: USERS, superUsers: ['admin'] } }), startPowerSupplySimulator({ seed: 11, tickMs: 50 })]);
  const admin = createKafka({ ...kafkaSection('admin'), clientId: 'e2e-admin' }).admin();
  await admin.connect();
  try {
    await createBusbarTopics(admin, busbarTopics(topics), {});
    await applyAcls(admin, [
      ...aclsFor({ role: 'collector', principal: 'collector' }, topics),
      ...aclsFor({ role: 'commander', principal: 'commander', groupId: 'e2e-commander' }, topics),
      ...aclsFor({ role: 'issuer', principal: 'issuer' }, topics),
    ]);
  } finally {
    await admin.disconnect();
  }
  recorder = new Recorder(new Kafka({ clientId: 'e2e-observer', brokers: kafka.brokers, logLevel: logLevel.NOTHING }));
  results = recorder.log(topics.commandResults, commandResultSerde);
  readings = recorder.log(topics.readings, readingSerde);
  await recorder.start();

  const collectorRaw = collectorConfigSchema.parse({ kafka: kafkaSection('collector'), instanceId: 'e2e-secure', buffer: { path: join(secrets, 'collector.buffer.sqlite') }, devices: devices(sim.port) });
  services.push(await startModbusCollector({ ...collectorRaw, devices: resolveModbusDevices(collectorRaw.devices!, '.') }, deps));
  writeFileSync(join(secrets, 'issuer.pub.pem'), issuerKeys.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(secrets, 'viewer.pub.pem'), viewerKeys.publicKey.export({ type: 'spki', format: 'pem' }));
  const commanderRaw = commanderConfigSchema.parse({
    kafka: kafkaSection('commander'), groupId: 'e2e-commander', journal: { path: join(secrets, 'commander.journal.sqlite') }, modbus: { devices: devices(sim.port) },
    policy: {
      keys: [{ id: ISSUER_KEY.id, algorithm: 'ed25519', file: join(secrets, 'issuer.pub.pem'), issuer: 'e2e-issuer' }, { id: VIEWER_KEY.id, algorithm: 'ed25519', file: join(secrets, 'viewer.pub.pem') }],
      rules: [{ keys: [ISSUER_KEY.id], actions: ['modbus.write'], devices: ['psu-1', 'psu-solo'] }, { keys: [VIEWER_KEY.id], actions: ['modbus.write'], devices: ['psu-9'] }],
    },
  });
  services.push(await startCommander(resolveCommanderConfig(commanderRaw, '.'), deps));
}, 240_000);

afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  for (const s of services.reverse()) await s.stop().catch(() => undefined);
  await recorder?.stop().catch(() => undefined);
  await Promise.allSettled([kafka?.dispose(), sim?.close()]);
  if (secrets) rmSync(secrets, { recursive: true, force: true });
}, 120_000);

describe('e2e > Kafka over SASL_SSL with ACLs', () => {
  it('carries the collector\'s readings (its WRITE on the readings topic)', async () => {
    const [r] = await readings.waitFor((x) => x.device_id === 'psu-1', 1, 60_000);
    expect(r!.protocol).toBe('modbus');
  });

  it('executes an authorised issuer\'s command through the commander, and a routed one through the collector', async () => {
    const issuer = await producerOf('issuer');
    const direct = await send(issuer, { target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 12.5 } });
    const [done] = await results.waitFor((r) => r.command_id === direct, 1, 60_000);
    expect(done).toMatchObject({ status: 'EXECUTED', device_id: 'psu-1', action: 'modbus.write' });
    expect(sim.state().voltageSetpointV).toBe(12.5);

    const routed = await send(issuer, { target: { device_id: 'psu-solo' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 7.5 } });
    const [viaCollector] = await results.waitFor((r) => r.command_id === routed, 1, 60_000);
    expect(viaCollector).toMatchObject({ status: 'EXECUTED', device_id: 'psu-solo' });
    expect(sim.state().voltageSetpointV).toBe(7.5);
  });

  it('rejects, with their codes, an unsigned command, a badly signed one and one the policy does not allow — from a principal that may write the topic; nothing reaches the device', async () => {
    const issuer = await producerOf('issuer');
    const before = sim.state().writesAccepted;
    const write = { target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 33 } };
    const unsigned = await send(issuer, write, null);
    const forged = await send(issuer, write, strangerKey);
    const disallowed = await send(issuer, write, VIEWER_KEY);
    const codes = await Promise.all([unsigned, forged, disallowed].map(async (id) => (await results.waitFor((r) => r.command_id === id, 1, 60_000))[0]!));
    expect(codes.map((r) => [r.status, r.reason_code])).toEqual([['REJECTED', 'BB_COMMAND_UNSIGNED'], ['REJECTED', 'BB_COMMAND_BAD_SIGNATURE'], ['REJECTED', 'BB_COMMAND_NOT_AUTHORISED']]);
    expect(sim.state().writesAccepted).toBe(before);
  });

  it('keeps an unauthorised principal off the commands topic: nothing reaches the device', async () => {
    const before = sim.state().writesAccepted;
    const err = await producerOf('intruder').then(
      (p) => send(p, { target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 40 } }),
    ).then(() => undefined, (e: unknown) => e as Error & { type?: string });
    // Busbar's producers are idempotent: with no WRITE anywhere the broker refuses already at InitProducerId
    expect(err?.type).toBe('CLUSTER_AUTHORIZATION_FAILED');
    // a collector principal may write results but not commands
    const collector = await producerOf('collector');
    const refused = await send(collector, { target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 41 } }).then(() => 'sent', (e: unknown) => {
      for (let c = e as { type?: string; cause?: unknown } | undefined; c !== undefined; c = c.cause as typeof c) if (c.type) return c.type;
      return String(e);
    });
    expect(refused).toBe('TOPIC_AUTHORIZATION_FAILED');
    // a command after them still runs, and the refused ones never did
    const marker = await send(await producerOf('issuer'), { target: { device_id: 'psu-1' }, action: 'modbus.write', parameters: { point: 'current_limit_a', value: 2 } });
    await results.waitFor((r) => r.command_id === marker, 1, 60_000);
    expect(sim.state().voltageSetpointV).toBe(7.5);
    expect(sim.state().writesAccepted).toBe(before + 1);
  });
});
