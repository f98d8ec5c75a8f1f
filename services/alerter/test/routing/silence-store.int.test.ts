/**
 * Silences on the alerter's own channels, through the alerter on the run's real Kafka and SMTP
 * (@busbar/testkit shared): a silence record on the compacted silences topic (matcher on a label
 * from `deviceLabels`) mutes a rack's alerts — no FIRING mail and no RESOLVED mail — while a rack
 * beside it is mailed; a tombstone lifts it; an alerter started afterwards reads the silence back.
 * Inhibition: a firing PCS-off alert (read from the rule state) mutes the other alerts of its rack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import { readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sharedKafka, smtpSink, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import type { SharedKafka, SmtpSink } from '@busbar/testkit/shared';
import { encodeSilence } from '@busbar/alert-control';
import { alerterConfigSchema, startAlerter } from '../../src/index.js';

let kafkaServer: SharedKafka;
let sink: SmtpSink;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
const running: RunningService[] = [];
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('silence-test', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };
const silencesTopic = uniqueName('silence-test-silences');

async function start(name: string): Promise<RunningService> {
  const s = await startAlerter(alerterConfigSchema.parse({
    kafka: { brokers: kafkaServer.brokers },
    topics,
    groupId: uniqueName(name),
    rules: [
      { id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', critical: 60, clear: 40, forMs: 0 },
      { id: 'pcs-off', devices: ['pcs-*'], signal: 'dc_power_w', direction: 'below', critical: 1, clear: 100, forMs: 0 },
    ],
    email: { smtp: { host: sink.host, port: sink.port }, from: 'busbar@lab.test', to: [sink.address] },
    routing: {
      deviceLabels: { 'cell-r3-*': { rack: 'r3' }, 'cell-r4-*': { rack: 'r4' }, 'pcs-r2': { rack: 'r2' }, 'cell-r2-*': { rack: 'r2' } },
      silences: { topic: silencesTopic },
      inhibitRules: [{ sourceMatchers: ['alertname="pcs-off"'], targetMatchers: ['alertname!="pcs-off"'], equal: ['rack'] }],
    },
    acks: { enabled: false },
    outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
    ops: { port: 0 },
  }), { logger: noopLogger, metrics: noopMetrics });
  running.push(s);
  for (const end = Date.now() + 60_000; !Object.values(s.ready!()).every((c) => c.ok); ) {
    if (Date.now() > end) throw new Error(`alerter not ready: ${JSON.stringify(s.ready!())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return s;
}
async function send(deviceId: string, temperatureC: number, atMs: number, signal = 'temperature_c'): Promise<void> {
  await producer.send({ topic: topics.readings, acks: -1, messages: [{ key: deviceId, value: readingSerde.encode({ device_id: deviceId, protocol: 'modbus', timestamp: new Date(atMs), values: { [signal]: temperatureC } }) }] });
}
const subjects = async (device: string): Promise<string[]> => (await sink.messages()).filter((m) => m.subject?.includes(` ${device}:`) === true).map((m) => m.subject!.split(']')[0]!.slice(1));

beforeAll(async () => {
  [kafkaServer, sink] = await Promise.all([sharedKafka(), smtpSink('silences')]);
  const kafka = createKafka({ clientId: 'silence-test', brokers: kafkaServer.brokers });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 2 }, { topic: topics.alerts, numPartitions: 1 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop().catch(() => undefined)));
  await producer?.disconnect();
}, 60_000);

describe('alerter > routing: silences and inhibition through the alerter (real Kafka + SMTP; the alerters of the first test keep running beside the later ones, all with the same routing)', () => {
  it('a silence on rack r3 mutes its FIRING and RESOLVED mails, rack r4 is mailed; after a tombstone r3 is mailed again; a restarted alerter reads the silence back', async () => {
    await start('silences-a'); // creates the silences topic
    const now = Date.now();
    await producer.send({ topic: silencesTopic, acks: -1, messages: [{ key: 'maint-r3', value: encodeSilence({ id: 'maint-r3', matchers: ['rack="r3"'], startsAtMs: now - 1000, endsAtMs: now + 3_600_000, createdBy: 'alice', comment: 'maintenance' }) }] });
    await new Promise((r) => setTimeout(r, 1500)); // the alerter's table tails the topic

    const t0 = Date.now();
    await send('cell-r3-1', 70, t0);
    await send('cell-r4-1', 70, t0);
    await sink.waitFor((m) => m.subject?.includes(' cell-r4-1:') === true, 30_000);
    await send('cell-r3-1', 30, t0 + 1000);
    await send('cell-r4-1', 30, t0 + 1000);
    await sink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] cell-r4-1') === true, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await subjects('cell-r4-1')).toEqual(['Busbar CRITICAL', 'Busbar RESOLVED']);
    expect(await subjects('cell-r3-1')).toEqual([]);

    // a second alerter (another group, channels of its own) started now reads the silence back from the topic
    await start('silences-b');
    await send('cell-r3-2', 70, t0 + 2000);
    await send('cell-r4-2', 70, t0 + 2000);
    await sink.waitFor((m) => (m.subject?.includes(' cell-r4-2:') ?? false), 30_000); // mailed twice (two groups)
    await new Promise((r) => setTimeout(r, 1000));
    expect(await subjects('cell-r3-2')).toEqual([]);

    await producer.send({ topic: silencesTopic, acks: -1, messages: [{ key: 'maint-r3', value: null }] }); // lifted
    await new Promise((r) => setTimeout(r, 1500));
    await send('cell-r3-3', 70, t0 + 3000);
    await sink.waitFor((m) => m.subject?.includes(' cell-r3-3:') === true, 30_000);
  }, 180_000);

  it('inhibition: while the PCS-off alert of rack r2 fires, the cell alerts of r2 are not mailed (FIRING nor RESOLVED); once it resolved they are', async () => {
    await start('inhibit');
    const t0 = Date.now();
    await send('pcs-r2', 0, t0, 'dc_power_w'); // PCS off: the source
    await sink.waitFor((m) => m.subject?.includes(' pcs-r2:') === true, 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // its state record reaches every member's table
    await send('cell-r2-1', 70, t0 + 100); // a consequence, in another batch
    await send('cell-r4-9', 70, t0 + 100); // another rack
    await sink.waitFor((m) => m.subject?.includes(' cell-r4-9:') === true, 30_000);
    await send('cell-r2-1', 30, t0 + 200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await subjects('cell-r2-1')).toEqual([]);
    await send('pcs-r2', 500, t0 + 300, 'dc_power_w'); // the PCS is back: the source resolves
    await sink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] pcs-r2') === true, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    await send('cell-r2-2', 70, t0 + 400);
    await sink.waitFor((m) => m.subject?.includes(' cell-r2-2:') === true, 30_000);
  }, 120_000);
});
