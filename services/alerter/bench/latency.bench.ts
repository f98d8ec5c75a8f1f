/**
 * Alert latency, end to end, through real servers started by @busbar/testkit (Kafka, SMTP, Alertmanager
 * 0.25) and the alerter composition in this process (`startAlerter`): for each of N alerts (default 250,
 * `BENCH_N`), one reading beyond a rule's critical bound is published for a device of its own, and
 * three times are taken from just before the publish:
 *
 * - **Kafka floor**: a plain consumer (its own group) receives the same reading — produce → consume;
 * - **e-mail**: the SMTP sink accepted the alert's mail (`X-Busbar-Alert-Id`);
 * - **Alertmanager**: Alertmanager answered 200 to the `POST /api/v2/alerts` carrying the alert (a
 *   pass-through HTTP proxy in front of it notes when, per `alert_id`).
 *
 * Readings are paced (`BENCH_INTERVAL_MS`, default 20 ms) so the figures are latency, not backlog.
 * Bounded: N alerts, loopback only. Prints p50/p90/p99/max per path. Not an assertion:
 *
 *   npm run bench -w @busbar/alerter
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { noopLogger, noopMetrics } from '@busbar/core';
import { readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS, createKafka, ensureTopics } from '@busbar/kafka';
import { startAlertmanager, startKafka, startSmtp } from '@busbar/testkit';
import { alerterConfigSchema, startAlerter } from '../src/index.js';

const n = Number(process.env['BENCH_N'] ?? 250);
const intervalMs = Number(process.env['BENCH_INTERVAL_MS'] ?? 20);

const kafkaServer = await startKafka();
const smtp = await startSmtp();
const am = await startAlertmanager({ config: 'route:\n  receiver: none\nreceivers:\n  - name: none\n' });

/** Alertmanager reception times by alert id: a pass-through proxy notes when Alertmanager answered 200. */
const amAt = new Map<string, number>();
const proxy = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const up = request(`${am.url}${req.url ?? '/'}`, { method: req.method, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (upRes) => {
      const back: Buffer[] = [];
      upRes.on('data', (c: Buffer) => back.push(c));
      upRes.on('end', () => {
        if (upRes.statusCode === 200 && req.url === '/api/v2/alerts') {
          const now = performance.now();
          for (const a of JSON.parse(body.toString('utf8')) as { labels: Record<string, string>; endsAt: string }[]) {
            const id = a.labels['alert_id'];
            if (id !== undefined && !amAt.has(id) && a.labels['severity'] === 'critical') amAt.set(id, now);
          }
        }
        res.writeHead(upRes.statusCode ?? 502, { 'content-type': 'application/json' });
        res.end(Buffer.concat(back));
      });
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    up.end(body);
  });
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

const run = Math.random().toString(16).slice(2, 10);
const topics = { ...DEFAULT_TOPICS, readings: `bench.readings.${run}`, alerts: `bench.alerts.${run}`, deadLetter: `bench.dead-letter.${run}` };
const kafka = createKafka({ clientId: 'alerter-bench', brokers: kafkaServer.brokers });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [{ topic: topics.readings, numPartitions: 6 }, { topic: topics.alerts, numPartitions: 3 }, { topic: topics.deadLetter, numPartitions: 1 }]);
await admin.disconnect();

const alerter = await startAlerter(alerterConfigSchema.parse({
  kafka: { brokers: kafkaServer.brokers },
  topics,
  groupId: `bench-alerter-${run}`,
  rules: [{ id: 'bench-temp', devices: ['bench-*'], signal: 'temperature_c', direction: 'above', critical: 80, clear: 55, forMs: 0 }],
  email: { smtp: { host: smtp.host, port: smtp.port }, from: 'busbar@bench.test', to: ['oncall@bench.test'] },
  alertmanagers: [{ url: proxyUrl }],
  acks: { enabled: false },
  ops: { port: 0 },
}), { logger: noopLogger, metrics: noopMetrics });
for (let end = Date.now() + 60_000; !Object.values(alerter.ready!()).every((c) => c.ok); ) {
  if (Date.now() > end) throw new Error(`alerter not ready: ${JSON.stringify(alerter.ready!())}`);
  await new Promise((r) => setTimeout(r, 100));
}

/** Kafka floor: a consumer of its own group on the readings topic. */
const sentAt = new Map<string, number>();
const floorAt = new Map<string, number>();
const stageConsumers: ReturnType<typeof kafka.consumer>[] = [];
const floor = kafka.consumer({ groupId: `bench-floor-${run}`, maxWaitTimeInMs: 1000 });
await floor.connect();
await floor.subscribe({ topic: topics.readings, fromBeginning: true });
await floor.run({ eachMessage: async ({ message }) => {
  const id = message.key?.toString('utf8');
  if (id !== undefined && !floorAt.has(id)) floorAt.set(id, performance.now());
} });

/**
 * Stages of the alert path: an alert record seen by a read_uncommitted consumer (written by the
 * alerter's transaction, not committed yet) and by a read_committed one (committed: what the
 * notification channels read), keyed by device.
 */
const writtenAt = new Map<string, number>();
const committedAt = new Map<string, number>();
for (const [readUncommitted, at] of [[true, writtenAt], [false, committedAt]] as const) {
  const c = kafka.consumer({ groupId: `bench-alerts-${readUncommitted ? 'uncommitted' : 'committed'}-${run}`, maxWaitTimeInMs: 100, readUncommitted });
  await c.connect();
  await c.subscribe({ topic: topics.alerts, fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => {
    const device = message.key?.toString('utf8');
    if (device !== undefined && !at.has(device)) at.set(device, performance.now());
  } });
  stageConsumers.push(c);
}

/** Mail times by device id (the subject names the device). */
const mailAt = new Map<string, number>();
const seen = { n: 0 };
const pollMail = setInterval(() => {
  for (; seen.n < smtp.messages.length; seen.n++) {
    const m = smtp.messages[seen.n];
    const device = /\] (bench-\d+):/.exec(m?.subject ?? '')?.[1];
    if (device !== undefined && !mailAt.has(device)) mailAt.set(device, performance.now());
  }
}, 1);

const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: topics.readings, acks: -1, messages: [{ key: 'warm-up', value: readingSerde.encode({ device_id: 'warm-up', protocol: 'bench', timestamp: new Date(), values: { temperature_c: 20 } }) }] });
await new Promise((r) => setTimeout(r, 3000)); // the floor consumer has joined its group

const alertIdOf = new Map<string, string>();
const t0 = Date.now();
for (let i = 0; i < n; i++) {
  const device = `bench-${i}`;
  sentAt.set(device, performance.now());
  await producer.send({ topic: topics.readings, acks: 1, messages: [{ key: device, value: readingSerde.encode({ device_id: device, protocol: 'bench', timestamp: new Date(t0 + i), values: { temperature_c: 95 } }) }] });
  await new Promise((r) => setTimeout(r, intervalMs));
}
for (let end = Date.now() + 120_000; (mailAt.size < n || amAt.size < n || floorAt.size < n) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
clearInterval(pollMail);

// alert ids by device: read from the mails' X-Busbar-Alert-Id header
for (const m of smtp.messages) {
  const device = /\] (bench-\d+):/.exec(m.subject ?? '')?.[1];
  const id = m.headers.get('x-busbar-alert-id');
  if (device !== undefined && typeof id === 'string') alertIdOf.set(device, id);
}

function stats(name: string, at: (device: string) => number | undefined): string {
  const ms: number[] = [];
  for (const [device, sent] of sentAt) {
    const got = at(device);
    if (got !== undefined) ms.push(got - sent);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number): string => (ms.length === 0 ? '-' : (ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)] ?? 0).toFixed(1));
  return `${name.padEnd(44)} ${String(ms.length).padStart(4)}/${n}   p50 ${q(0.5).padStart(7)}   p90 ${q(0.9).padStart(7)}   p99 ${q(0.99).padStart(7)}   max ${q(1).padStart(7)} ms`;
}
console.log(`alert latency, ${n} alerts, one reading every ${intervalMs} ms, from just before the publish:`);
console.log(stats('Kafka produce → consume (floor)', (d) => floorAt.get(d)));
console.log(stats('reading → alert record written (uncommitted)', (d) => writtenAt.get(d)));
console.log(stats('reading → alert record committed (read)', (d) => committedAt.get(d)));
console.log(stats('reading → e-mail accepted by the SMTP sink', (d) => mailAt.get(d)));
console.log(stats('reading → Alertmanager answered 200', (d) => {
  const id = alertIdOf.get(d);
  return id === undefined ? undefined : amAt.get(id);
}));

await producer.disconnect();
await floor.disconnect();
for (const c of stageConsumers) await c.disconnect();
await alerter.stop();
await new Promise<void>((r) => proxy.close(() => r()));
await am.dispose();
await smtp.stop();
await kafkaServer.dispose();
