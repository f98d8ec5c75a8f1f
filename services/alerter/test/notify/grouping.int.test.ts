/**
 * Built-in grouping through the alerter on the run's real Kafka and SMTP (@busbar/testkit shared)
 * and a local webhook receiver: 20 cells of one rack over threshold → one mail and one POST after
 * group_wait; one more → one after group_interval listing 21; the alerter restarted while the
 * resolves wait in their group (not committed) → the next alerter sends the RESOLVED group.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger } from '@busbar/core';
import { readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sharedKafka, smtpSink, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import type { SharedKafka, SmtpSink } from '@busbar/testkit/shared';
import { alerterConfigSchema, startAlerter } from '../../src/index.js';
import { RecordingMetrics } from '../support/recording-metrics.js';

interface GroupPost { groupKey: string; status: string; groupLabels: Record<string, string>; alerts: { device_id: string; state: string }[] }

let kafkaServer: SharedKafka;
let sink: SmtpSink;
let kafka: ReturnType<typeof createKafka>;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
let alerter: RunningService | undefined;
const posts: GroupPost[] = [];
const hook = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    posts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as GroupPost);
    res.writeHead(200);
    res.end();
  });
});
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('grouping-test', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };
const groupId = uniqueName('grouping-alerter');
const metrics = new RecordingMetrics();

const start = async (): Promise<RunningService> => startAlerter(alerterConfigSchema.parse({
  kafka: { brokers: kafkaServer.brokers },
  topics,
  groupId,
  rules: [{ id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', critical: 60, clear: 40, forMs: 0 }],
  email: { smtp: { host: sink.host, port: sink.port }, from: 'busbar@lab.test', to: [sink.address] },
  webhooks: [{ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }],
  routing: { deviceLabels: { 'cell-r1-*': { rack: 'r1' } }, groupBy: ['rack'], groupWaitMs: 2000, groupIntervalMs: 8000 },
  acks: { enabled: false },
  outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
  ops: { port: 0 },
}), { logger: noopLogger, metrics });

const readings = (devices: readonly string[], v: number): Promise<unknown> => producer.send({
  topic: topics.readings,
  acks: -1,
  messages: devices.map((d) => ({ key: d, value: readingSerde.encode({ device_id: d, protocol: 'modbus', timestamp: new Date(), values: { temperature_c: v } }) })),
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not in time: ${what}`);
    await sleep(100);
  }
};
/** The devices a group mail lists, sorted. */
const devicesIn = (text: string | undefined): string[] => [...(text ?? '').matchAll(/Device: +(cell-r1-\d+)/g)].map((m) => m[1]!).sort();
const rack = Array.from({ length: 20 }, (_, i) => `cell-r1-${i + 1}`);
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

beforeAll(async () => {
  [kafkaServer, sink] = await Promise.all([sharedKafka(), smtpSink('grouping')]);
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  kafka = createKafka({ clientId: 'grouping-test', brokers: kafkaServer.brokers });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 2 }, { topic: topics.alerts, numPartitions: 3 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  alerter = await start();
}, 120_000);

afterAll(async () => {
  await alerter?.stop();
  await producer?.disconnect();
  await new Promise<void>((r) => hook.close(() => r()));
}, 60_000);

describe('alerter > notify > grouping (real Kafka + SMTP, local webhook)', () => {
  it('one rack: one notification after group_wait, one after group_interval, and the RESOLVED group after a restart', async () => {
    // 20 cells of rack r1 over threshold at once → ONE mail and ONE POST listing the 20, after group_wait
    const t0 = Date.now();
    await readings(rack, 70);
    await sleep(1000);
    expect(await sink.messages()).toEqual([]); // the group waits
    const first = await sink.waitFor(() => true, 60_000);
    const firstAtMs = Date.now();
    expect(firstAtMs - t0).toBeGreaterThanOrEqual(2000);
    await until('the first POST', () => posts.length >= 1);
    await sleep(1500); // nothing else comes
    expect((await sink.messages()).map((m) => m.subject)).toEqual(['[Busbar CRITICAL] 20 firing: rack=r1']);
    expect(devicesIn(first.text)).toEqual(sorted(rack));
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ groupKey: '{rack="r1"}', status: 'firing', groupLabels: { rack: 'r1' } });
    expect(sorted(posts[0]!.alerts.map((a) => `${a.device_id}:${a.state}`))).toEqual(sorted(rack.map((d) => `${d}:FIRING`)));

    // one more cell → one notification, group_interval after the first, listing the 21 firing
    await readings(['cell-r1-21'], 70);
    await until('the second mail', async () => (await sink.messages()).length >= 2);
    expect(Date.now() - firstAtMs).toBeGreaterThanOrEqual(7500); // group_interval 8 s after the first (long enough for the RESOLVED phase below to stop the alerter within it) (the first was seen a little after it was sent)
    await until('the second POST', () => posts.length >= 2);
    const second = (await sink.messages())[1]!;
    expect(second.subject).toBe('[Busbar CRITICAL] 21 firing: rack=r1');
    expect(devicesIn(second.text)).toEqual(sorted([...rack, 'cell-r1-21']));
    expect(posts[1]!.alerts.filter((a) => a.state === 'FIRING')).toHaveLength(21);

    // all recover; the alerter stops while the RESOLVED records wait in their group (written, not committed)
    const admin = kafka.admin();
    await admin.connect();
    const written = async (): Promise<number> => (await admin.fetchTopicOffsets(topics.alerts)).reduce((n, p) => n + Number(p.high), 0);
    const before = await written();
    await readings([...rack, 'cell-r1-21'], 30);
    await until('the 21 RESOLVED records written', async () => (await written()) >= before + 21);
    await alerter!.stop();
    alerter = undefined;
    expect((await sink.messages()).length).toBe(2);
    expect(posts).toHaveLength(2);
    const committed = (await admin.fetchOffsets({ groupId: `${groupId}.notify.email`, topics: [topics.alerts] }))[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(committed).toBeLessThanOrEqual(before); // no RESOLVED committed (the high watermarks count the transaction markers too); the FIRINGs were: the next alerter does not mail them again, below
    await admin.disconnect();

    // the next alerter reads them again: ONE RESOLVED group mail and POST
    alerter = await start();
    await until('the RESOLVED mail', async () => (await sink.messages()).length >= 3);
    await until('the RESOLVED POST', () => posts.length >= 3);
    await sleep(1500);
    const mails = await sink.messages();
    expect(mails.map((m) => m.subject)).toEqual(['[Busbar CRITICAL] 20 firing: rack=r1', '[Busbar CRITICAL] 21 firing: rack=r1', '[Busbar RESOLVED] 21 resolved: rack=r1']);
    expect(devicesIn(mails[2]!.text)).toEqual(sorted([...rack, 'cell-r1-21']));
    expect(posts).toHaveLength(3);
    expect(posts[2]).toMatchObject({ groupKey: '{rack="r1"}', status: 'resolved' });
    expect(posts[2]!.alerts.map((a) => a.state)).toEqual(Array.from({ length: 21 }, () => 'RESOLVED'));
    expect(metrics.count('busbar_alerter_group_notifications_total', { channel: 'email', kind: 'first' })).toBe(2); // one before the restart, one after
    expect(metrics.count('busbar_alerter_group_notifications_total', { channel: 'email', kind: 'update' })).toBe(1);
  }, 180_000);
});
