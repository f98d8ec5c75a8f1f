/**
 * The alert outbox against real servers on 127.0.0.1: the SMTP sink of @busbar/testkit (down, then
 * up again on the same port), an SMTP port that accepts and never greets (a raw TCP server), and a
 * pager hook (a local HTTP server).
 */
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { startSmtp } from '@busbar/testkit';
import { AlertOutbox } from '../src/notify/outbox.js';
import { EmailNotifier } from '../src/notify/email.js';
import { postWebhook } from '../src/notify/webhook.js';
import { toAlert } from '../src/alert.js';
import type { Notifier } from '../src/notify/outbox.js';
import type { ThresholdRule } from '../src/rules/threshold.js';
import { RecordingMetrics } from './support/recording-metrics.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };
const GREETING_TIMEOUT_MS = 300;

let silentSmtp: TcpServer;
const smtpSockets = new Set<Socket>();
let hook: HttpServer;
const hookBodies: Record<string, unknown>[] = [];
const events: string[] = [];

const portOf = (s: TcpServer | HttpServer): number => (s.address() as AddressInfo).port;
const listen = (s: TcpServer | HttpServer): Promise<void> => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
const close = (s: TcpServer | HttpServer): Promise<void> => new Promise((resolve) => s.close(() => resolve()));
const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The FIRING (CRITICAL) and RESOLVED alerts of one episode of psu-1. */
function episode(): [Alert, Alert] {
  const base = { rule, deviceId: 'psu-1', channel: null, seriesKey: `psu-temp|psu-1|${Math.random()}`, episode: 1, episodeStartMs: 1000 };
  const firing = toAlert({ ...base, state: 'FIRING', severity: 'CRITICAL', value: 95, threshold: 80, atMs: 1000 });
  const resolved = toAlert({ ...base, state: 'RESOLVED', severity: 'CRITICAL', value: 40, threshold: 55, atMs: 5000 });
  return [firing, resolved];
}

beforeAll(async () => {
  silentSmtp = createTcpServer((socket) => {
    // accepts the connection and never sends the 220 greeting
    smtpSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => smtpSockets.delete(socket));
  });
  hook = createHttpServer((req, res) => {
    void readBody(req).then((body) => {
      hookBodies.push(JSON.parse(body) as Record<string, unknown>);
      events.push('webhook received');
      res.writeHead(200).end();
    });
  });
  await Promise.all([listen(silentSmtp), listen(hook)]);
});

afterAll(async () => {
  for (const s of smtpSockets) s.destroy();
  await Promise.all([close(silentSmtp), close(hook)]);
});

describe('alerter > outbox (loopback servers)', () => {
  it('keeps retrying the e-mail of a silent SMTP server (greeting timeout) while the webhook is delivered, counting each failed attempt', async () => {
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
            events.push('email attempt failed');
            throw err;
          }
        },
      },
      { channel: 'webhook-1', send: (a) => postWebhook(`http://127.0.0.1:${portOf(hook)}/busbar`, a, 2000) },
    ];
    const metrics = new RecordingMetrics();
    const outbox = new AlertOutbox({ path: ':memory:', notifiers, retry: { initialDelayMs: 50, maxDelayMs: 50, jitter: 0 }, metrics });
    const [firing] = episode();
    outbox.enqueue([firing]);
    outbox.start();
    try {
      await until(() => mailErrors.length >= 2);
    } finally {
      await outbox.stop();
      email.close();
    }
    // the e-mail failed on nodemailer's greeting timeout we configured (its default is 30 s)
    expect(mailErrors[0]).toMatchObject({ code: 'BB_ALERTER_SMTP_FAILED', message: expect.stringMatching(/Greeting never received.*\[ETIMEDOUT\]/) as unknown });
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'email' })).toBeGreaterThanOrEqual(2);
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'email' })).toBe(0);
    // the webhook went out once, while the e-mail was still waiting for its greeting
    expect(hookBodies).toEqual([expect.objectContaining({ alert_id: firing.alert_id, state: 'FIRING', severity: 'CRITICAL', device_id: 'psu-1' })]);
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'webhook-1' })).toBe(1);
    expect(events.indexOf('webhook received')).toBeLessThan(events.indexOf('email attempt failed'));
  }, 20_000);

  it('loses no mail across an SMTP outage and an alerter restart: FIRING then RESOLVED, once each, after the server is back', async () => {
    const smtp = await startSmtp();
    const port = smtp.port;
    await smtp.stop(); // the mail server is down when the alert fires
    const path = join(mkdtempSync(join(tmpdir(), 'busbar-outbox-')), 'outbox.sqlite');
    const settings = { smtp: { host: '127.0.0.1', port, secure: false, connectionTimeoutMs: 500, greetingTimeoutMs: 500, socketTimeoutMs: 1000 }, from: 'busbar@lab.test', to: ['oncall@lab.test'] };
    const [firing, resolved] = episode();

    const email1 = new EmailNotifier(settings);
    const metrics1 = new RecordingMetrics();
    const first = new AlertOutbox({ path, notifiers: [{ channel: 'email', send: (a) => email1.send(a) }], retry: { initialDelayMs: 100, maxDelayMs: 200, jitter: 0 }, metrics: metrics1 });
    first.enqueue([firing]);
    first.enqueue([firing]); // a redelivered batch records nothing twice
    first.enqueue([resolved]);
    first.start();
    await until(() => metrics1.count('busbar_alerter_notify_errors_total', { channel: 'email' }) >= 2);
    expect(first.pending).toBe(2);
    await first.stop(); // the alerter restarts while the mail server is still down
    email1.close();

    const back = await startSmtp({ port }); // the mail server returns
    const email2 = new EmailNotifier(settings);
    const metrics2 = new RecordingMetrics();
    const second = new AlertOutbox({ path, notifiers: [{ channel: 'email', send: (a) => email2.send(a) }], retry: { initialDelayMs: 100, maxDelayMs: 200, jitter: 0 }, metrics: metrics2 });
    second.start();
    try {
      await until(() => back.messages.length >= 2);
      await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
      expect(back.messages.map((m) => m.subject)).toEqual([expect.stringMatching(/CRITICAL/), expect.stringMatching(/RESOLVED/)]);
      expect(second.pending).toBe(0);
      expect(metrics2.count('busbar_alerter_notifications_total', { channel: 'email' })).toBe(2);
    } finally {
      await second.stop();
      email2.close();
      await back.stop();
    }
  }, 30_000);

  it('expires a notification it could not deliver in time, counted and logged with its alert id', async () => {
    const metrics = new RecordingMetrics();
    const logged: Record<string, unknown>[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (f: Record<string, unknown>) => void logged.push(f), child: () => logger };
    const outbox = new AlertOutbox({ path: ':memory:', notifiers: [{ channel: 'email', send: () => Promise.reject(new Error('refused')) }], expireAfterMs: 200, retry: { initialDelayMs: 50, maxDelayMs: 50, jitter: 0 }, metrics, logger });
    const [firing] = episode();
    outbox.enqueue([firing]);
    outbox.start();
    await until(() => metrics.count('busbar_alerter_notifications_expired_total', { channel: 'email' }) === 1);
    await outbox.stop();
    expect(logged).toContainEqual(expect.objectContaining({ alertId: firing.alert_id, state: 'FIRING', channel: 'email', lastError: 'refused' }));
  }, 10_000);
});
