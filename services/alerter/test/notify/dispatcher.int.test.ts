/**
 * The notification dispatcher (the alerts topic as the outbox) against real servers on 127.0.0.1:
 * the run's Kafka broker, the SMTP sink of @busbar/testkit (down, then up again on the same port),
 * an SMTP port that accepts and never greets (a raw TCP server), and a pager hook (a local HTTP
 * server). Alert records are produced to a topic of the test's own, as the alerter's transactions
 * write them.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { alertSerde } from '@busbar/avro';
import { createKafka } from '@busbar/kafka';
import { startSmtp } from '@busbar/testkit';
import { sharedKafka, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import { toAlert } from '../../src/alert.js';
import { ALERTER_GROUP_HEADER, NotificationDispatcher } from '../../src/notify/dispatcher.js';
import type { Notifier } from '../../src/notify/dispatcher.js';
import { EmailNotifier } from '../../src/notify/email.js';
import { postWebhook } from '../../src/notify/webhook.js';
import type { ThresholdRule } from '../../src/rules/threshold.js';
import { RecordingMetrics } from '../support/recording-metrics.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };
const GREETING_TIMEOUT_MS = 300;
const FAST_RETRY = { initialDelayMs: 100, maxDelayMs: 200, jitter: 0 };
/** The alerter group the test's alerts come from. */
const ORIGIN = 'busbar-alerter-test';

type Kafka = ReturnType<typeof createKafka>;
let kafka: Kafka;
let producer: ReturnType<Kafka['producer']>;
let topics: { alerts: string; deadLetter: string };
let silentSmtp: TcpServer;
const smtpSockets = new Set<Socket>();
let hook: HttpServer;
let hookStatus = 200;
const hookBodies: Record<string, unknown>[] = [];
const running: NotificationDispatcher[] = [];

const portOf = (s: TcpServer | HttpServer): number => (s.address() as AddressInfo).port;
const listen = (s: TcpServer | HttpServer): Promise<void> => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
const close = (s: TcpServer | HttpServer): Promise<void> => new Promise((resolve) => s.close(() => resolve()));
const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The FIRING (CRITICAL) and RESOLVED alerts of one episode of `device`. */
function episode(device = 'psu-1'): [Alert, Alert] {
  const base = { rule, deviceId: device, channel: null, seriesKey: `psu-temp|${device}|${Math.random()}`, episode: 1, episodeStartMs: Date.now() };
  const firing = toAlert({ ...base, state: 'FIRING', severity: 'CRITICAL', value: 95, threshold: 80, atMs: Date.now() });
  const resolved = toAlert({ ...base, state: 'RESOLVED', severity: 'CRITICAL', value: 40, threshold: 55, atMs: Date.now() + 1 });
  return [firing, resolved];
}

/** Writes Alert records to the test's alerts topic, keyed by device (as the alerter does). */
async function produce(...alerts: Alert[]): Promise<void> {
  await producer.send({ topic: topics.alerts, acks: -1, messages: alerts.map((a) => ({ key: a.device_id, value: alertSerde.encode(a), headers: { [ALERTER_GROUP_HEADER]: ORIGIN } })) });
}

async function dispatcher(group: string, notifiers: Notifier[], extra: Partial<ConstructorParameters<typeof NotificationDispatcher>[0]> = {}): Promise<NotificationDispatcher> {
  const d = new NotificationDispatcher({ kafka, producer, topic: topics.alerts, deadLetterTopic: topics.deadLetter, groupPrefix: group, origin: ORIGIN, notifiers, retry: FAST_RETRY, sessionTimeoutMs: 6000, ...extra });
  running.push(d);
  await d.start();
  return d;
}

beforeAll(async () => {
  kafka = createKafka({ clientId: 'dispatcher-test', brokers: (await sharedKafka()).brokers });
  producer = kafka.producer();
  await producer.connect();
  silentSmtp = createTcpServer((socket) => {
    // accepts the connection and never sends the 220 greeting
    smtpSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => smtpSockets.delete(socket));
  });
  hook = createHttpServer((req, res) => {
    void readBody(req).then((body) => {
      hookBodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(hookStatus).end();
    });
  });
  await Promise.all([listen(silentSmtp), listen(hook)]);
}, 180_000);

beforeEach(async () => {
  topics = uniqueTopics('dispatcher-test', { alerts: 'alerts', deadLetter: 'dead-letter' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.alerts, numPartitions: 2 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  hookBodies.length = 0;
  hookStatus = 200;
});

afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
  for (const s of smtpSockets) s.destroy();
  await Promise.all([close(silentSmtp), close(hook)]);
  await producer?.disconnect();
}, 60_000);

describe('alerter > notification dispatcher (real Kafka, loopback servers)', () => {
  it('keeps retrying the e-mail of a silent SMTP server (greeting timeout) while the webhook, a channel of its own, is delivered', async () => {
    const email = new EmailNotifier({ smtp: { host: '127.0.0.1', port: portOf(silentSmtp), secure: false, connectionTimeoutMs: 1000, greetingTimeoutMs: GREETING_TIMEOUT_MS, socketTimeoutMs: 1000 }, from: 'busbar@lab.test', to: ['oncall@lab.test'] });
    const mailErrors: unknown[] = [];
    const notifiers: Notifier[] = [
      {
        channel: 'email',
        send: async (a) => {
          try {
            await email.send(a);
          } catch (err) {
            mailErrors.push(err);
            throw err;
          }
        },
      },
      { channel: 'webhook-1', send: (a) => postWebhook(`http://127.0.0.1:${portOf(hook)}/busbar`, a, 2000) },
    ];
    const metrics = new RecordingMetrics();
    const d = await dispatcher(uniqueName('silent'), notifiers, { metrics });
    const [firing] = episode();
    await produce(firing);
    try {
      await until(() => mailErrors.length >= 2 && hookBodies.length >= 1, 'two failed mail attempts and the webhook');
      expect(d.channelStatus()['email']).toMatchObject({ ok: false, reason: expect.stringMatching(/Greeting never received/) as unknown });
      expect(d.channelStatus()['webhook-1']).toEqual({ ok: true });
    } finally {
      await d.stop();
      email.close();
    }
    expect(mailErrors[0]).toMatchObject({ code: 'BB_ALERTER_SMTP_FAILED', message: expect.stringMatching(/Greeting never received.*\[ETIMEDOUT\]/) as unknown });
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'email' })).toBeGreaterThanOrEqual(2);
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'email' })).toBe(0);
    expect(hookBodies).toEqual([expect.objectContaining({ alert_id: firing.alert_id, state: 'FIRING', severity: 'CRITICAL', device_id: 'psu-1' })]);
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'webhook-1' })).toBe(1);
  }, 90_000);

  it('loses no mail across an SMTP outage and a restart: FIRING then RESOLVED, once each, after the server is back; nothing sent again by the next start', async () => {
    const smtp = await startSmtp();
    const port = smtp.port;
    await smtp.stop(); // the mail server is down when the alert fires
    const settings = { smtp: { host: '127.0.0.1', port, secure: false, connectionTimeoutMs: 500, greetingTimeoutMs: 500, socketTimeoutMs: 1000 }, from: 'busbar@lab.test', to: ['oncall@lab.test'] };
    const group = uniqueName('outage');
    const [firing, resolved] = episode();
    const [otherFiring] = episode('psu-2');

    const email1 = new EmailNotifier(settings);
    const metrics1 = new RecordingMetrics();
    const first = await dispatcher(group, [{ channel: 'email', send: (a) => email1.send(a) }], { metrics: metrics1 });
    await produce(firing, resolved, otherFiring);
    await until(() => metrics1.count('busbar_alerter_notify_errors_total', { channel: 'email' }) >= 2, 'failed attempts while the mail server is down');
    expect(first.pending).toBeGreaterThanOrEqual(1);
    await first.stop(); // the alerter restarts while the mail server is still down
    email1.close();

    const back = await startSmtp({ port }); // the mail server returns
    const email2 = new EmailNotifier(settings);
    const metrics2 = new RecordingMetrics();
    const second = await dispatcher(group, [{ channel: 'email', send: (a) => email2.send(a) }], { metrics: metrics2 });
    try {
      await until(() => back.messages.length >= 3, 'three mails after the server returned');
      await new Promise((r) => setTimeout(r, 500)); // nothing more arrives
      const ofFirst = back.messages.filter((m) => (m.subject ?? '').includes('psu-1'));
      expect(ofFirst.map((m) => m.subject)).toEqual([expect.stringMatching(/CRITICAL/), expect.stringMatching(/RESOLVED/)]);
      expect(back.messages).toHaveLength(3);
      expect(metrics2.count('busbar_alerter_notifications_total', { channel: 'email' })).toBe(3);
      await until(() => second.pending === 0, 'nothing pending');
    } finally {
      await second.stop();
      email2.close();
    }
    // a third start of the channel's group finds everything committed: no mail again
    const email3 = new EmailNotifier(settings);
    const third = await dispatcher(group, [{ channel: 'email', send: (a) => email3.send(a) }]);
    try {
      await new Promise((r) => setTimeout(r, 3000));
      expect(back.messages).toHaveLength(3);
    } finally {
      await third.stop();
      email3.close();
      await back.stop();
    }
  }, 120_000);

  it('gives a notification up after its expiry — and the later ones of the same alert with it — counted and logged with the alert id; other alerts go on', async () => {
    const metrics = new RecordingMetrics();
    const logged: Record<string, unknown>[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (f: Record<string, unknown>) => void logged.push(f), child: () => logger };
    const [firing, resolved] = episode('psu-3');
    const [other] = episode('psu-3');
    const sent: string[] = [];
    const d = await dispatcher(uniqueName('expiry'), [{ channel: 'email', send: (a) => (a.alert_id === firing.alert_id ? Promise.reject(new Error('refused')) : Promise.resolve(void sent.push(`${a.device_id}:${a.state}`))) }], { metrics, logger, expireAfterMs: 1000 });
    await produce(firing, resolved, other);
    try {
      await until(() => metrics.count('busbar_alerter_notifications_expired_total', { channel: 'email' }) === 2 && sent.length === 1, 'both notifications of the refused alert given up, the other delivered');
    } finally {
      await d.stop();
    }
    expect(sent).toEqual(['psu-3:FIRING']);
    expect(logged).toContainEqual(expect.objectContaining({ alertId: firing.alert_id, state: 'FIRING', channel: 'email', reason: expect.stringMatching(/not delivered within 1000 ms: refused/) as unknown }));
    expect(logged).toContainEqual(expect.objectContaining({ alertId: firing.alert_id, state: 'RESOLVED', channel: 'email', reason: 'an earlier notification of this alert was given up' }));
  }, 60_000);

  it('sends only its own alerter group\'s alerts: another group\'s, or a record without the header, is skipped', async () => {
    const sent: string[] = [];
    const d = await dispatcher(uniqueName('origin'), [{ channel: 'email', send: (a) => Promise.resolve(void sent.push(a.device_id)) }]);
    const [mine] = episode('psu-6');
    const [theirs] = episode('psu-7');
    const [bare] = episode('psu-8');
    await producer.send({ topic: topics.alerts, acks: -1, messages: [
      { key: theirs.device_id, value: alertSerde.encode(theirs), headers: { [ALERTER_GROUP_HEADER]: 'another-alerter-group' } },
      { key: bare.device_id, value: alertSerde.encode(bare) },
    ] });
    await produce(mine);
    try {
      await until(() => sent.length >= 1, 'the own alert sent');
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await d.stop();
    }
    expect(sent).toEqual(['psu-6']);
  }, 60_000);

  it('a new channel starts at the alerts written from its start on: the topic\'s history is not sent again; a restarted one goes on where it stood', async () => {
    const [old] = episode('psu-9');
    await produce(old); // history: written before the channel's group existed
    const sent: string[] = [];
    const group = uniqueName('newchannel');
    const first = await dispatcher(group, [{ channel: 'email', send: (a) => Promise.resolve(void sent.push(a.device_id)) }]);
    const [fresh] = episode('psu-10');
    await produce(fresh);
    try {
      await until(() => sent.length >= 1, 'the alert written after the start sent');
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await first.stop();
    }
    expect(sent).toEqual(['psu-10']);
    const [whileDown] = episode('psu-11');
    await produce(whileDown); // written while the channel was stopped: its group has offsets, so it is sent
    const second = await dispatcher(group, [{ channel: 'email', send: (a) => Promise.resolve(void sent.push(a.device_id)) }]);
    try {
      await until(() => sent.length >= 2, 'the alert written while the channel was down sent after its restart');
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await second.stop();
    }
    expect(sent).toEqual(['psu-10', 'psu-11']);
  }, 90_000);

  it('gives a notification up at once when the webhook refuses it for good (HTTP 400), without retrying', async () => {
    hookStatus = 400;
    const metrics = new RecordingMetrics();
    const d = await dispatcher(uniqueName('refused'), [{ channel: 'webhook-1', send: (a) => postWebhook(`http://127.0.0.1:${portOf(hook)}/busbar`, a, 2000) }], { metrics });
    const [firing] = episode('psu-5');
    await produce(firing);
    try {
      await until(() => metrics.count('busbar_alerter_notifications_expired_total', { channel: 'webhook-1' }) === 1, 'the refused notification given up');
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await d.stop();
    }
    expect(hookBodies).toHaveLength(1); // one attempt: a 400 is not retried
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'webhook-1' })).toBe(1);
  }, 60_000);

  it('per-channel states and acks: the webhook is not given ACKNOWLEDGED, PagerDuty-like channels are; an escalation after the ack is held back on both; the RESOLVED goes to both', async () => {
    const got: Record<string, string[]> = { hook: [], pager: [] };
    const metrics = new RecordingMetrics();
    await dispatcher(uniqueName('states'), [
      { channel: 'hook', send: async (a) => void got['hook']!.push(`${a.state}:${a.severity}`) },
      { channel: 'pager', states: ['FIRING', 'ACKNOWLEDGED', 'RESOLVED'], send: async (a) => void got['pager']!.push(`${a.state}:${a.severity}`) },
    ], { metrics });
    const [firing, resolved] = episode('psu-ack');
    const warning = { ...firing, severity: 'WARNING' as const };
    await produce(warning, { ...warning, state: 'ACKNOWLEDGED', message: 'ACKNOWLEDGED by alice' }, firing, resolved);
    await until(() => got['hook']!.length === 2 && got['pager']!.length === 3, 'the notifications');
    expect(got).toEqual({ hook: ['FIRING:WARNING', 'RESOLVED:CRITICAL'], pager: ['FIRING:WARNING', 'ACKNOWLEDGED:WARNING', 'RESOLVED:CRITICAL'] });
    expect(metrics.count('busbar_alerter_notifications_skipped_total', { channel: 'hook', reason: 'state' })).toBe(1);
    expect(metrics.count('busbar_alerter_notifications_skipped_total', { channel: 'hook', reason: 'acknowledged' })).toBe(1);
    expect(metrics.count('busbar_alerter_notifications_skipped_total', { channel: 'pager', reason: 'acknowledged' })).toBe(1);
  }, 60_000);

  it('repeats a delivered FIRING on a repeating channel until its ACKNOWLEDGED (one episode) or its RESOLVED (another) is read', async () => {
    const sent: string[] = [];
    const d = await dispatcher(uniqueName('repeat'), [{ channel: 'hook', repeatIntervalMs: 300, send: async (a) => void sent.push(`${a.device_id}:${a.state}`) }]);
    const [a] = episode('psu-r1');
    const [b, bResolved] = episode('psu-r2');
    await produce(a, b);
    await until(() => sent.filter((x) => x === 'psu-r1:FIRING').length >= 3 && sent.filter((x) => x === 'psu-r2:FIRING').length >= 3, 'two repeats of each');
    expect(d.openAlerts('hook').map((x) => x.device_id).sort()).toEqual(['psu-r1', 'psu-r2']);
    await produce({ ...a, state: 'ACKNOWLEDGED' }, bResolved);
    await until(() => sent.includes('psu-r2:RESOLVED') && d.openAlerts('hook').length === 0, 'the repeats stopped');
    const after = sent.length;
    await new Promise((r) => setTimeout(r, 1000)); // more than three intervals
    expect(sent.slice(after)).toEqual([]);
    expect(sent.filter((x) => x === 'psu-r1:ACKNOWLEDGED')).toEqual([]); // not a state of this channel
  }, 60_000);
});
