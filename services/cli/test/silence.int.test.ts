/**
 * `busbar silence add | list | expire` as an operator runs them (`runCli`, in process), against the
 * run's real Kafka and SMTP sink (@busbar/testkit shared) and a real alerter (`startAlerter`) that
 * follows the silences topic: a silence on a rack's label mutes the next alert of a device of that
 * rack (no mail; `busbar_alerter_notifications_skipped_total{reason="silenced"}`) while a device of
 * another rack is mailed; after `silence expire` the next alert of the rack is mailed again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger } from '@busbar/core';
import { readingSerde } from '@busbar/avro';
import { alerterConfigSchema, startAlerter } from '@busbar/alerter';
import { DEFAULT_TOPICS, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sharedKafka, smtpSink, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import type { SharedKafka, SmtpSink } from '@busbar/testkit/shared';
import { runCli } from '../src/program.js';
import { capture } from './support/capture.js';
import { RecordingMetrics } from './support/recording-metrics.js';

let kafkaServer: SharedKafka;
let sink: SmtpSink;
let alerter: RunningService | undefined;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
const metrics = new RecordingMetrics();
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('cli-silence', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };
const silencesTopic = uniqueName('cli-silence-silences');

const until = async (ok: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> => {
  for (const end = Date.now() + ms; !(await ok()); ) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
async function send(deviceId: string, temperatureC: number, atMs: number): Promise<void> {
  await producer.send({ topic: topics.readings, acks: -1, messages: [{ key: deviceId, value: readingSerde.encode({ device_id: deviceId, protocol: 'modbus', timestamp: new Date(atMs), values: { temperature_c: temperatureC } }) }] });
}
const mailsOf = async (device: string): Promise<number> => (await sink.messages()).filter((m) => m.subject?.includes(` ${device}:`) === true).length;
const silenced = (): number => metrics.count('busbar_alerter_notifications_skipped_total', { channel: 'email', reason: 'silenced' });
async function cli(...argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = capture();
  const code = await runCli([...argv, '--brokers', kafkaServer.brokers.join(','), '--silences-topic', silencesTopic], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

beforeAll(async () => {
  [kafkaServer, sink] = await Promise.all([sharedKafka(), smtpSink('cli-silence')]);
  const kafka = createKafka({ clientId: 'cli-silence-test', brokers: kafkaServer.brokers });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 2 }, { topic: topics.alerts, numPartitions: 1 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  alerter = await startAlerter(alerterConfigSchema.parse({
    kafka: { brokers: kafkaServer.brokers },
    topics,
    groupId: uniqueName('cli-silence-alerter'),
    rules: [{ id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', critical: 60, clear: 40, forMs: 0 }],
    email: { smtp: { host: sink.host, port: sink.port }, from: 'busbar@lab.test', to: [sink.address] },
    routing: { deviceLabels: { 'cell-r3-*': { rack: 'r3' }, 'cell-r4-*': { rack: 'r4' } }, silences: { topic: silencesTopic } },
    acks: { enabled: false },
    outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
    ops: { port: 0 },
  }), { logger: noopLogger, metrics });
  await until(() => Object.values(alerter!.ready!()).every((c) => c.ok), 'alerter ready', 60_000); // it creates the silences topic
}, 180_000);

afterAll(async () => {
  await alerter?.stop();
  await producer?.disconnect();
}, 60_000);

describe('cli > busbar silence (real Kafka, SMTP sink, alerter)', () => {
  it('a bad matcher or an end before the start is refused (exit 2, naming it) and nothing is written', async () => {
    const bad = await cli('silence', 'add', '--matcher', 'rack="r3', '--duration', '1h', '--by', 'alice', '--comment', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr.join('\n')).toContain('--matcher: matcher "rack=\\"r3": unterminated quoted value');
    const backwards = await cli('silence', 'add', '--matcher', 'rack="r3"', '--starts', '2030-01-02T00:00Z', '--until', '2030-01-01T00:00Z', '--by', 'alice', '--comment', 'x');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr.join('\n')).toMatch(/--until 2030-01-01T00:00Z: the end .* is not after the start/);
    const all = await cli('silence', 'list', '--all');
    expect(all).toMatchObject({ code: 0, stdout: [] });
  });

  it('silence add mutes the next alert of the silenced rack (no mail, counted as silenced), another rack is mailed; after silence expire the rack is mailed again', async () => {
    const added = await cli('silence', 'add', '--matcher', 'rack="r3"', '--matcher', 'alertname=~"cell-.*"', '--duration', '1h', '--by', 'alice', '--comment', 'rack r3 maintenance', '--id', 'maint-r3');
    expect(added).toMatchObject({ code: 0, stdout: ['maint-r3'] });
    const listed = await cli('silence', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([expect.objectContaining({ id: 'maint-r3', status: 'active', matchers: ['rack="r3"', 'alertname=~"cell-.*"'], created_by: 'alice', comment: 'rack r3 maintenance' })]);
    await new Promise((r) => setTimeout(r, 1500)); // the alerter's table tails the topic

    const t0 = Date.now();
    await send('cell-r3-1', 70, t0);
    await send('cell-r4-1', 70, t0);
    await sink.waitFor((m) => m.subject?.includes(' cell-r4-1:') === true, 30_000);
    await until(() => silenced() >= 1, 'the FIRING of cell-r3-1 skipped as silenced');
    expect(await mailsOf('cell-r3-1')).toBe(0);

    const expired = await cli('silence', 'expire', 'maint-r3');
    expect(expired).toMatchObject({ code: 0, stdout: ['maint-r3'] });
    expect((await cli('silence', 'list')).stdout).toEqual([]);
    const all = (await cli('silence', 'list', '--all')).stdout.map((l) => JSON.parse(l) as Record<string, string>);
    expect(all).toEqual([expect.objectContaining({ id: 'maint-r3', status: 'expired', created_by: 'alice' })]);
    expect(Date.parse(all[0]!['ends_at']!)).toBeLessThanOrEqual(Date.now());
    expect((await cli('silence', 'expire', 'maint-r3')).stderr.join('\n')).toContain('expired already');
    expect((await cli('silence', 'expire', 'no-such-silence')).code).toBe(1);
    await new Promise((r) => setTimeout(r, 1500));

    const before = silenced();
    await send('cell-r3-2', 70, t0 + 1000);
    await sink.waitFor((m) => m.subject?.includes(' cell-r3-2:') === true, 30_000);
    expect(silenced()).toBe(before);
  }, 120_000);
});
