/**
 * Routes through the alerter on the run's real Kafka and SMTP (@busbar/testkit shared) and a local
 * HTTP pager hook: rack r1's alerts go to the hook only, the others to the e-mail only (the default).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import { readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sharedKafka, smtpSink, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import type { SharedKafka, SmtpSink } from '@busbar/testkit/shared';
import { alerterConfigSchema, startAlerter } from '../../src/index.js';

let kafkaServer: SharedKafka;
let sink: SmtpSink;
let alerter: RunningService | undefined;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
const hooked: { device_id: string; state: string }[] = [];
const hook = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    hooked.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { device_id: string; state: string });
    res.writeHead(200);
    res.end();
  });
});
const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('routes-test', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };

beforeAll(async () => {
  [kafkaServer, sink] = await Promise.all([sharedKafka(), smtpSink('routes')]);
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const kafka = createKafka({ clientId: 'routes-test', brokers: kafkaServer.brokers });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 2 }, { topic: topics.alerts, numPartitions: 1 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  alerter = await startAlerter(alerterConfigSchema.parse({
    kafka: { brokers: kafkaServer.brokers },
    topics,
    groupId: uniqueName('routes-alerter'),
    rules: [{ id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', critical: 60, clear: 40, forMs: 0 }],
    email: { smtp: { host: sink.host, port: sink.port }, from: 'busbar@lab.test', to: [sink.address] },
    webhooks: [{ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }],
    routing: { deviceLabels: { 'cell-r1-*': { rack: 'r1' } }, routes: [{ matchers: ['rack="r1"'], receivers: ['webhook-1'] }], defaultReceivers: ['email'] },
    acks: { enabled: false },
    outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
    ops: { port: 0 },
  }), { logger: noopLogger, metrics: noopMetrics });
}, 120_000);

afterAll(async () => {
  await alerter?.stop();
  await producer?.disconnect();
  await new Promise<void>((r) => hook.close(() => r()));
}, 60_000);

describe('alerter > routing > routes (real Kafka + SMTP, local pager hook)', () => {
  it('rack r1 → the hook only (FIRING and RESOLVED); another rack → the e-mail only', async () => {
    const t0 = Date.now();
    const send = (device: string, v: number, at: number): Promise<unknown> => producer.send({ topic: topics.readings, acks: -1, messages: [{ key: device, value: readingSerde.encode({ device_id: device, protocol: 'modbus', timestamp: new Date(at), values: { temperature_c: v } }) }] });
    await send('cell-r1-1', 70, t0);
    await send('cell-r2-1', 70, t0);
    await send('cell-r1-1', 30, t0 + 1000);
    await send('cell-r2-1', 30, t0 + 1000);
    await sink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] cell-r2-1') === true, 60_000);
    for (const end = Date.now() + 30_000; hooked.filter((h) => h.state === 'RESOLVED').length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    expect(hooked.map((h) => `${h.device_id}:${h.state}`)).toEqual(['cell-r1-1:FIRING', 'cell-r1-1:RESOLVED']);
    expect((await sink.messages()).map((m) => m.subject?.split(':')[0])).toEqual(['[Busbar CRITICAL] cell-r2-1', '[Busbar RESOLVED] cell-r2-1']);
  }, 120_000);

  it('a route on severity: the WARNING to the e-mail, its CRITICAL escalation to the hook — and the RESOLVED to both (each sent a FIRING of the alert)', async () => {
    const own = { ...DEFAULT_TOPICS, ...uniqueTopics('routes-sev', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };
    const kafka = createKafka({ clientId: 'routes-test', brokers: kafkaServer.brokers });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: own.readings, numPartitions: 1 }, { topic: own.alerts, numPartitions: 1 }, { topic: own.deadLetter, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const sevSink = await smtpSink('routes-sev');
    const severityAlerter = await startAlerter(alerterConfigSchema.parse({
      kafka: { brokers: kafkaServer.brokers },
      topics: own,
      groupId: uniqueName('routes-sev-alerter'),
      rules: [{ id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', warning: 50, critical: 60, clear: 40, forMs: 0 }],
      email: { smtp: { host: sevSink.host, port: sevSink.port }, from: 'busbar@lab.test', to: [sevSink.address] },
      webhooks: [{ name: 'pager', url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }],
      routing: { routes: [{ matchers: ['severity="critical"'], receivers: ['webhook-pager'] }], defaultReceivers: ['email'] },
      acks: { enabled: false },
      outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
      ops: { port: 0 },
    }), { logger: noopLogger, metrics: noopMetrics });
    try {
      const before = hooked.length;
      const t0 = Date.now();
      const send = (v: number, at: number): Promise<unknown> => producer.send({ topic: own.readings, acks: -1, messages: [{ key: 'cell-sev-1', value: readingSerde.encode({ device_id: 'cell-sev-1', protocol: 'modbus', timestamp: new Date(at), values: { temperature_c: v } }) }] });
      await send(55, t0); // WARNING: routed to the default receivers (the e-mail)
      await sevSink.waitFor((m) => m.subject?.startsWith('[Busbar WARNING] cell-sev-1') === true, 60_000);
      await send(70, t0 + 1000); // CRITICAL escalation, same alert id: the hook
      await send(30, t0 + 2000); // RESOLVED
      await sevSink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] cell-sev-1') === true, 60_000);
      for (const end = Date.now() + 30_000; hooked.slice(before).filter((h) => h.state === 'RESOLVED').length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      expect(hooked.slice(before).map((h) => `${h.device_id}:${h.state}`)).toEqual(['cell-sev-1:FIRING', 'cell-sev-1:RESOLVED']);
      expect((await sevSink.messages()).map((m) => m.subject?.split(':')[0])).toEqual(['[Busbar WARNING] cell-sev-1', '[Busbar RESOLVED] cell-sev-1']);
    } finally {
      await severityAlerter.stop();
    }
  }, 120_000);
});
