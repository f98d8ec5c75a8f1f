/**
 * Acknowledgement end to end on the run's real Kafka and SMTP (@busbar/testkit shared), a real
 * Alertmanager 0.25 and the PagerDuty Events API v2 stand-in: the alerter fires a WARNING, an ack
 * record on the alert-control topic makes it publish an ACKNOWLEDGED Alert (same id), send PagerDuty
 * `acknowledge` (same dedup_key) and silence the episode in Alertmanager; the escalation to
 * CRITICAL that follows is published but neither mailed nor paged; the RESOLVED goes everywhere.
 * An ack of an unknown id publishes nothing; a malformed ack record is dead-lettered.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Alert, DeadLetter } from '@busbar/avro';
import { alertSerde, deadLetterSerde, readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS, createKafka, readTopicToEnd } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { startAlertmanager } from '@busbar/testkit';
import type { AlertmanagerHandle } from '@busbar/testkit';
import { sharedKafka, smtpSink, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import type { SharedKafka, SmtpSink } from '@busbar/testkit/shared';
import { encodeAckRecord } from '@busbar/alert-control';
import { alerterConfigSchema, startAlerter } from '../../src/index.js';
import { startPagerDutyStandIn } from '../support/pagerduty-events-v2.js';
import type { PagerDutyStandIn } from '../support/pagerduty-events-v2.js';

const dir = mkdtempSync(join(tmpdir(), 'busbar-ack-'));
let kafkaServer: SharedKafka;
let sink: SmtpSink;
let am: AlertmanagerHandle;
let pd: PagerDutyStandIn;
let alerter: RunningService | undefined;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('ack-test', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };
const controlTopic = uniqueName('ack-test-control');

const until = async <T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function records<T>(topic: string, decoder: { decode(b: Buffer): T }): Promise<T[]> {
  const found: T[] = [];
  await readTopicToEnd({ kafka: createKafka({ brokers: kafkaServer.brokers, clientId: uniqueName('ack-test') }), topic, decoder, timeoutMs: 30_000 }, (v) => {
    found.push(v);
  });
  return found;
}
const alertsOf = async (deviceId: string): Promise<Alert[]> => (await records(topics.alerts, alertSerde)).filter((a) => a.device_id === deviceId);

async function send(deviceId: string, temperatureC: number, atMs: number): Promise<void> {
  await producer.send({ topic: topics.readings, acks: -1, messages: [{ key: deviceId, value: readingSerde.encode({ device_id: deviceId, protocol: 'modbus', timestamp: new Date(atMs), values: { temperature_c: temperatureC } }) }] });
}
async function ack(key: string, value: Buffer): Promise<void> {
  await producer.send({ topic: controlTopic, acks: -1, messages: [{ key, value }] });
}

const alerterGroup = uniqueName('ack-alerter');
/** The alerter of these tests (the same group across a restart). */
async function startTestAlerter(): Promise<RunningService> {
  const started = await startAlerter(alerterConfigSchema.parse({
    kafka: { brokers: kafkaServer.brokers },
    topics,
    groupId: alerterGroup,
    rules: [{ id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 }],
    email: { smtp: { host: sink.host, port: sink.port }, from: 'busbar@lab.test', to: [sink.address] },
    alertmanagers: [{ url: am.url, resendIntervalMs: 1000 }],
    pagerduty: [{ routingKeyFile: join(dir, 'pd-key'), url: pd.url }],
    acks: { topic: controlTopic },
    outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
    ops: { port: 0 },
  }), { logger: noopLogger, metrics: noopMetrics });
  await until(async () => started.ready!(), (r) => Object.values(r).every((c) => c.ok));
  return started;
}

beforeAll(async () => {
  [kafkaServer, sink, pd] = await Promise.all([sharedKafka(), smtpSink('ack'), startPagerDutyStandIn()]);
  am = await startAlertmanager({ config: 'route:\n  receiver: none\nreceivers:\n  - name: none\n' });
  const kafka = createKafka({ clientId: 'ack-test', brokers: kafkaServer.brokers });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 2 }, { topic: topics.alerts, numPartitions: 1 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  writeFileSync(join(dir, 'pd-key'), 'R0123456789abcdef0123456789abcde\n');
  alerter = await startTestAlerter();
}, 180_000);

afterAll(async () => {
  await alerter?.stop();
  await producer?.disconnect();
  await am?.dispose();
  await pd?.close();
}, 60_000);

describe('alerter > ack (real Kafka, Alertmanager, SMTP; PagerDuty stand-in)', () => {
  it('ack of a firing episode: ACKNOWLEDGED published, PagerDuty acknowledge, Alertmanager silence; the escalation is held back; the RESOLVED goes out', async () => {
    const t0 = Date.now();
    await send('psu-ack', 65, t0); // WARNING
    const [firing] = await until(() => alertsOf('psu-ack'), (xs) => xs.length === 1);
    const id = firing!.alert_id;
    await sink.waitFor((m) => m.subject?.startsWith('[Busbar WARNING] psu-ack') === true, 30_000);
    await until(async () => pd.received, (rs) => rs.some((r) => r.body['event_action'] === 'trigger' && r.body['dedup_key'] === id));

    await ack(id, encodeAckRecord({ alertId: id, by: 'alice', comment: 'on my way', atMs: t0 + 500 }));
    const acked = await until(() => alertsOf('psu-ack'), (xs) => xs.some((a) => a.state === 'ACKNOWLEDGED'));
    expect(acked.find((a) => a.state === 'ACKNOWLEDGED')).toMatchObject({ alert_id: id, rule: 'psu-temp', severity: 'WARNING', signal: 'temperature_c', timestamp: new Date(t0 + 500), message: 'ACKNOWLEDGED by alice: psu-ack temperature_c (rule psu-temp) — on my way' });
    const pdAck = await until(async () => pd.received, (rs) => rs.some((r) => r.body['event_action'] === 'acknowledge'));
    expect(pdAck.find((r) => r.body['event_action'] === 'acknowledge')).toMatchObject({ status: 202, problems: [], body: { dedup_key: id } });
    const silences = await until(async () => (await (await fetch(`${am.url}/api/v2/silences`)).json()) as { matchers: { name: string; value: string }[]; comment: string; status: { state: string } }[], (ss) => ss.length > 0);
    expect(silences[0]).toMatchObject({ matchers: [{ name: 'alert_id', value: id }], status: { state: 'active' }, comment: expect.stringContaining('ACKNOWLEDGED by alice') });
    const inAm = await until(async () => (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: Record<string, string>; status: { silencedBy: string[] } }[], (xs) => xs.some((x) => x.labels['alert_id'] === id && x.status.silencedBy.length > 0));
    expect(inAm.find((x) => x.labels['alert_id'] === id)?.labels['severity']).toBe('warning');

    await send('psu-ack', 90, t0 + 1000); // escalates to CRITICAL: published, not notified
    await until(() => alertsOf('psu-ack'), (xs) => xs.some((a) => a.state === 'FIRING' && a.severity === 'CRITICAL'));
    await send('psu-ack', 40, t0 + 2000);
    await sink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] psu-ack') === true, 30_000);
    await until(async () => pd.received, (rs) => rs.some((r) => r.body['event_action'] === 'resolve' && r.body['dedup_key'] === id));
    expect((await sink.messages()).map((m) => m.subject?.split(']')[0])).toEqual(['[Busbar WARNING', '[Busbar RESOLVED']);
    expect(pd.received.filter((r) => r.body['dedup_key'] === id).map((r) => r.body['event_action'])).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect((await alertsOf('psu-ack')).map((a) => `${a.state}:${a.severity}`)).toEqual(['FIRING:WARNING', 'ACKNOWLEDGED:WARNING', 'FIRING:CRITICAL', 'RESOLVED:CRITICAL']);
  }, 120_000);

  it('an ack of an id that does not fire publishes nothing; a malformed ack record is dead-lettered with BB_ALERTER_ACK_INVALID', async () => {
    const before = (await records(topics.alerts, alertSerde)).length;
    await ack('same-partition', encodeAckRecord({ alertId: '00000000-0000-0000-0000-000000000000', by: 'bob', atMs: Date.now() }));
    await ack('same-partition', Buffer.from('{"v":1,"action":"ack","by":"bob","at_ms":1}'));
    // same key: the bad record comes after the unknown-id ack in one partition, so once it is dead-lettered the ack was handled
    const dead = await until(() => records<DeadLetter>(topics.deadLetter, deadLetterSerde), (ds) => ds.some((d) => d.source_topic === controlTopic));
    expect(dead.find((d) => d.source_topic === controlTopic)).toMatchObject({ error_code: 'BB_ALERTER_ACK_INVALID', reason: expect.stringContaining('alert_id') });
    expect(await records(topics.alerts, alertSerde)).toHaveLength(before);
  }, 60_000);
  it('an episode acknowledged before a restart: its escalation after the restart is still held back (the alert-control topic is followed by every member), the RESOLVED goes out', async () => {
    const t0 = Date.now();
    await send('psu-restart', 65, t0); // WARNING
    const [firing] = await until(() => alertsOf('psu-restart'), (xs) => xs.length === 1);
    const id = firing!.alert_id;
    await sink.waitFor((m) => m.subject?.startsWith('[Busbar WARNING] psu-restart') === true, 30_000);
    await ack(id, encodeAckRecord({ alertId: id, by: 'carol', atMs: t0 + 500 }));
    await until(() => alertsOf('psu-restart'), (xs) => xs.some((a) => a.state === 'ACKNOWLEDGED'));
    // the e-mail channel has read (and committed) the ACKNOWLEDGED record: a restart will not read it again
    const admin = createKafka({ brokers: kafkaServer.brokers, clientId: uniqueName('ack-test') }).admin();
    await admin.connect();
    const end = (await admin.fetchTopicOffsets(topics.alerts)).map((o) => o.high).join(',');
    await until(async () => (await admin.fetchOffsets({ groupId: `${alerterGroup}.notify.email`, topics: [topics.alerts] }))[0]!.partitions.map((p) => p.offset).join(','), (o) => o === end);
    await admin.disconnect();

    await alerter!.stop();
    alerter = await startTestAlerter();
    await send('psu-restart', 90, t0 + 1000); // escalates to CRITICAL: published, not mailed
    await until(() => alertsOf('psu-restart'), (xs) => xs.some((a) => a.state === 'FIRING' && a.severity === 'CRITICAL'));
    await send('psu-restart', 40, t0 + 2000);
    await sink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] psu-restart') === true, 30_000);
    expect((await sink.messages()).filter((m) => m.subject?.includes('psu-restart') === true).map((m) => m.subject?.split(']')[0])).toEqual(['[Busbar WARNING', '[Busbar RESOLVED']);
  }, 120_000);
});
