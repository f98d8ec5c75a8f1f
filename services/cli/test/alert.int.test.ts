/**
 * `busbar alert ack` as an operator runs it (`runCli`, in process), against the run's real Kafka and
 * SMTP sink (@busbar/testkit shared) and a real alerter (`startAlerter`) with a repeat interval:
 * `alert ack --wait` on a firing episode prints its ACKNOWLEDGED Alert, and the episode gets no
 * further repeat mail while an unacknowledged episode beside it keeps being repeated; `alert list
 * --firing` shows both open episodes with their last state; an ack of an
 * id that does not fire times out with exit 1 and says what to check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Alert } from '@busbar/avro';
import { alertSerde, readingSerde } from '@busbar/avro';
import { alerterConfigSchema, startAlerter } from '@busbar/alerter';
import { DEFAULT_TOPICS, createKafka, readTopicToEnd } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sharedKafka, smtpSink, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import type { SharedKafka, SmtpSink } from '@busbar/testkit/shared';
import { runCli } from '../src/program.js';
import { capture } from './support/capture.js';

/** The repeat interval of the test's alerter, ms (the configuration's floor is 1 min; the test shortens it on the parsed configuration). */
const REPEAT_MS = 1000;

let kafkaServer: SharedKafka;
let sink: SmtpSink;
let alerter: RunningService | undefined;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('cli-ack', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };
const controlTopic = uniqueName('cli-ack-control');

const until = async (ok: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> => {
  for (const end = Date.now() + ms; !(await ok()); ) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function send(deviceId: string, temperatureC: number, atMs: number): Promise<void> {
  await producer.send({ topic: topics.readings, acks: -1, messages: [{ key: deviceId, value: readingSerde.encode({ device_id: deviceId, protocol: 'modbus', timestamp: new Date(atMs), values: { temperature_c: temperatureC } }) }] });
}
async function alertsOf(deviceId: string): Promise<Alert[]> {
  const found: Alert[] = [];
  await readTopicToEnd({ kafka: createKafka({ brokers: kafkaServer.brokers, clientId: uniqueName('cli-ack-read') }), topic: topics.alerts, decoder: alertSerde, timeoutMs: 30_000 }, (a) => {
    if (a.device_id === deviceId) found.push(a);
  });
  return found;
}
const mailsOf = async (device: string): Promise<number> => (await sink.messages()).filter((m) => m.subject?.includes(` ${device}:`) === true).length;
async function cli(...argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = capture({ BUSBAR_TOPICS__ALERTS: topics.alerts }); // the deployment's alerts topic, as a service configuration would give it
  const code = await runCli([...argv, '--brokers', kafkaServer.brokers.join(','), '--control-topic', controlTopic], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

beforeAll(async () => {
  [kafkaServer, sink] = await Promise.all([sharedKafka(), smtpSink('cli-ack')]);
  const kafka = createKafka({ clientId: 'cli-ack-test', brokers: kafkaServer.brokers });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 2 }, { topic: topics.alerts, numPartitions: 1 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  const config = alerterConfigSchema.parse({
    kafka: { brokers: kafkaServer.brokers },
    topics,
    groupId: uniqueName('cli-ack-alerter'),
    rules: [{ id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 }],
    email: { smtp: { host: sink.host, port: sink.port }, from: 'busbar@lab.test', to: [sink.address] },
    routing: { repeatIntervalMs: 60_000 },
    acks: { topic: controlTopic },
    outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
    ops: { port: 0 },
  });
  alerter = await startAlerter({ ...config, routing: { ...config.routing!, repeatIntervalMs: REPEAT_MS } }, { logger: noopLogger, metrics: noopMetrics });
  await until(() => Object.values(alerter!.ready!()).every((c) => c.ok), 'alerter ready', 60_000); // it creates the alert-control topic
}, 180_000);

afterAll(async () => {
  await alerter?.stop();
  await producer?.disconnect();
}, 60_000);

describe('cli > busbar alert ack (real Kafka, SMTP sink, alerter)', () => {
  it('ack --wait prints the ACKNOWLEDGED alert; the acknowledged episode gets no more repeat mail, the other one keeps being repeated', async () => {
    const t0 = Date.now();
    await send('psu-acked', 65, t0);
    await send('psu-other', 65, t0);
    await until(async () => (await mailsOf('psu-acked')) >= 1 && (await mailsOf('psu-other')) >= 1, 'FIRING mails');
    const [firing] = await alertsOf('psu-acked');
    expect(firing).toMatchObject({ state: 'FIRING', severity: 'WARNING' });
    const id = firing!.alert_id;

    const acked = await cli('alert', 'ack', id, '--by', 'alice', '--comment', 'fan replaced', '--wait', '--timeout-s', '30');
    expect(acked.code).toBe(0);
    expect(acked.stdout).toHaveLength(1);
    expect(JSON.parse(acked.stdout[0]!)).toMatchObject({ alert_id: id, state: 'ACKNOWLEDGED', rule: 'psu-temp', device_id: 'psu-acked', severity: 'WARNING', message: 'ACKNOWLEDGED by alice: psu-acked temperature_c (rule psu-temp) — fan replaced' });
    expect((await alertsOf('psu-acked')).map((a) => a.state)).toEqual(['FIRING', 'ACKNOWLEDGED']);

    await sleep(2 * REPEAT_MS); // the channel reads the ACKNOWLEDGED record; a repeat already under way may still go out
    const ackedMails = await mailsOf('psu-acked');
    const otherMails = await mailsOf('psu-other');
    await sleep(4 * REPEAT_MS);
    expect(await mailsOf('psu-other')).toBeGreaterThanOrEqual(otherMails + 2); // repeats do go out for an unacknowledged episode
    expect(await mailsOf('psu-acked')).toBe(ackedMails);

    const open = capture({ BUSBAR_TOPICS__ALERTS: topics.alerts });
    expect(await runCli(['alert', 'list', '--firing', '--since', '10m', '--brokers', kafkaServer.brokers.join(',')], open)).toBe(0);
    const episodes = open.stdout.map((l) => JSON.parse(l) as { device_id: string; state: string; alert_id: string });
    expect(episodes).toHaveLength(2); // both began at t0: their order is by id
    expect(episodes).toEqual(expect.arrayContaining([expect.objectContaining({ alert_id: id, device_id: 'psu-acked', state: 'ACKNOWLEDGED' }), expect.objectContaining({ device_id: 'psu-other', state: 'FIRING' })]));
  }, 120_000);

  it('an ack of an id that does not fire: written, but no ACKNOWLEDGED alert: exit 1 naming what to check', async () => {
    const r = await cli('alert', 'ack', '00000000-0000-0000-0000-000000000000', '--by', 'bob', '--wait', '--timeout-s', '3');
    expect(r.code).toBe(1);
    expect(r.stdout).toEqual([]);
    const err = r.stderr.join('\n');
    expect(err).toContain(`acknowledgement of alert 00000000-0000-0000-0000-000000000000 by bob written to ${controlTopic}`);
    expect(err).toContain(`no ACKNOWLEDGED alert 00000000-0000-0000-0000-000000000000 on ${topics.alerts} within 3 s`);
    expect(err).toContain('busbar_alerter_acks_total{outcome="not_firing"}');
  }, 60_000);

  it('an alert-control topic that does not exist: exit 1, nothing created', async () => {
    const io = capture();
    expect(await runCli(['alert', 'ack', 'x', '--by', 'bob', '--brokers', kafkaServer.brokers.join(','), '--control-topic', uniqueName('cli-ack-missing')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/the alert-control topic cli-ack-missing\S* does not exist or this principal may not see it: the alerter creates it/);
  }, 60_000);
});
