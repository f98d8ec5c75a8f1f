/**
 * The ACL set of docs/security.md against a real broker: a SASL_SSL listener (test CA made with
 * openssl, SCRAM and PLAIN users) with Kafka's StandardAuthorizer and no access without an ACL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { createKafka, topicsConfigSchema } from '@busbar/kafka';
import type { KafkaConnectionConfig, SaslMechanism } from '@busbar/kafka';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';
import { aclsFor, applyAcls } from '../src/acls.js';
import { busbarTopics, createBusbarTopics } from '../src/topics.js';
import { runTopicsCli } from '../src/run.js';

const topics = topicsConfigSchema.parse(undefined);
const USERS = [
  { username: 'admin', password: 'admin-secret' },
  { username: 'issuer', password: 'issuer-secret' },
  { username: 'commander', password: 'commander-secret' },
  { username: 'intruder', password: 'intruder-secret' },
];
let server: KafkaHandle;
let secrets: string;
let admin: Admin;

/** The `kafka:` section of a service signing in as `user` over SASL_SSL. */
function sectionOf(user: string, mechanism: SaslMechanism = 'SCRAM-SHA-512', password?: string): KafkaConnectionConfig {
  const passwordFile = join(secrets, `${user}-${mechanism}.password`);
  writeFileSync(passwordFile, `${password ?? USERS.find((u) => u.username === user)!.password}\n`);
  return { brokers: server.saslSsl!.brokers, clientId: `acl-test-${user}`, ssl: { caFile: server.saslSsl!.caFile }, sasl: { mechanism, username: user, passwordFile }, connectionTimeoutMs: 5000, requestTimeoutMs: 10_000 };
}

/** Produces one record as Busbar's publishers do (idempotent), or with a plain producer. */
async function produce(config: KafkaConnectionConfig, topic: string, idempotent = true): Promise<void> {
  const producer = createKafka(config).producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 1 } });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ key: 'rack-1', value: 'x' }] });
  } finally {
    await producer.disconnect();
  }
}

/** The Kafka error type (`TOPIC_AUTHORIZATION_FAILED`...) of a kafkajs error or of its causes (kafkajs wraps a non-retriable one); 'produced' when `p` resolved. */
async function outcome(p: Promise<void>): Promise<string> {
  try {
    await p;
    return 'produced';
  } catch (err) {
    for (let e = err as { type?: string; cause?: unknown } | undefined; e !== undefined; e = e.cause as typeof e) if (typeof e.type === 'string') return e.type;
    return String(err);
  }
}

beforeAll(async () => {
  secrets = mkdtempSync(join(tmpdir(), 'busbar-acl-secrets-'));
  server = await startKafka({ saslSsl: { users: USERS, superUsers: ['admin'] } });
  // the topics and ACLs are set up over SASL_SSL by the super user, as an operator would
  admin = createKafka(sectionOf('admin')).admin();
  await admin.connect();
  await createBusbarTopics(admin, busbarTopics(topics), {});
  await applyAcls(admin, [...aclsFor({ role: 'issuer', principal: 'issuer' }, topics), ...aclsFor({ role: 'commander', principal: 'User:commander' }, topics)]);
}, 180_000);

afterAll(async () => {
  await admin?.disconnect();
  await server?.dispose();
  if (secrets) rmSync(secrets, { recursive: true, force: true });
});

describe('Kafka ACLs on the command topics over SASL_SSL', () => {
  it('lets a principal with WRITE on the commands topic produce (SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN)', async () => {
    await expect(produce(sectionOf('issuer', 'SCRAM-SHA-512'), topics.commands)).resolves.toBeUndefined();
    await expect(produce(sectionOf('issuer', 'SCRAM-SHA-256'), topics.commands)).resolves.toBeUndefined();
    await expect(produce(sectionOf('issuer', 'PLAIN'), topics.commands)).resolves.toBeUndefined();
    const end = await admin.fetchTopicOffsets(topics.commands);
    expect(end.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThanOrEqual(3);
  });

  it('refuses an authenticated principal without an ACL with TOPIC_AUTHORIZATION_FAILED', async () => {
    const p = produce(sectionOf('intruder'), topics.commands, false);
    await expect(p).rejects.toThrow('Not authorized to access topics: [Topic authorization failed]');
    expect(await outcome(p)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('refuses the same principal with an idempotent producer (Busbar\'s) already at InitProducerId: CLUSTER_AUTHORIZATION_FAILED (no WRITE anywhere)', async () => {
    expect(await outcome(produce(sectionOf('intruder'), topics.commands))).toBe('CLUSTER_AUTHORIZATION_FAILED');
  });

  it('refuses the issuer on a topic it has no WRITE on (readings), and the commander on the commands topic', async () => {
    expect(await outcome(produce(sectionOf('issuer'), topics.readings))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await outcome(produce(sectionOf('commander'), topics.commands))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('lets the commander produce routed commands and results (its WRITE ACLs)', async () => {
    expect(await outcome(produce(sectionOf('commander'), topics.deviceCommands))).toBe('produced');
    expect(await outcome(produce(sectionOf('commander'), topics.commandResults))).toBe('produced');
  });

  it('refuses a wrong password at sign-in (SASL authentication failed), before any ACL', async () => {
    const err = await produce(sectionOf('issuer', 'SCRAM-SHA-256', 'not-the-password'), topics.commands).catch((e: unknown) => e as Error);
    expect(err?.name).toBe('KafkaJSSASLAuthenticationError');
  });

  it('refuses a client that does not trust the broker certificate (no caFile: system CAs)', async () => {
    const config = { ...sectionOf('issuer'), ssl: true as const, connectionTimeoutMs: 3000 };
    const kafka = createKafka(config);
    const a = kafka.admin({ retry: { retries: 0 } });
    await expect(a.connect()).rejects.toThrow(/certificate/i);
    await a.disconnect();
  });

  it('applies grants from the command line with the admin\'s kafka section (busbar-topics acls --apply)', async () => {
    const config = join(secrets, 'admin.yaml');
    const admin = sectionOf('admin');
    writeFileSync(config, JSON.stringify({ kafka: { brokers: admin.brokers, ssl: admin.ssl, sasl: admin.sasl } }));
    expect(await outcome(produce(sectionOf('intruder'), topics.alerts))).toBe('CLUSTER_AUTHORIZATION_FAILED');
    const out: string[] = [];
    const err: string[] = [];
    expect(await runTopicsCli(['acls', '--config', config, '--grant', 'alerter=intruder', '--apply'], {}, { out: (l) => void out.push(l), err: (l) => void err.push(l) })).toBe(0);
    expect(err).toEqual([]);
    expect(out).toContain('User:intruder  WRITE  topic busbar.alerts.v1  applied');
    expect(await outcome(produce(sectionOf('intruder'), topics.alerts))).toBe('produced');
  });
});
