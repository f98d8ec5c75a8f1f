/**
 * Notifications against real sockets on 127.0.0.1: an SMTP port that accepts and never greets
 * (a raw TCP server) and a pager hook (a local HTTP server).
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadingsHandler } from '../src/handler.js';
import { EmailNotifier } from '../src/notify/email.js';
import { postWebhook } from '../src/notify/webhook.js';
import type { Notifier } from '../src/handler.js';
import type { ThresholdRule } from '../src/rules/threshold.js';
import { RecordingMetrics } from './support/recording-metrics.js';
import { countingControl, reading } from './support/readings.js';

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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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

describe('alerter > handler > notifications (loopback servers)', () => {
  it('fails the e-mail of a silent SMTP server after greetingTimeoutMs, calls the webhook meanwhile, counts the error and keeps heartbeating', async () => {
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
      { channel: 'webhook', send: (a) => postWebhook(`http://127.0.0.1:${portOf(hook)}/busbar`, a, 2000) },
    ];
    const metrics = new RecordingMetrics();
    metrics.onIncrement = (e) => events.push(`${e.name}{${String(e.labels.channel ?? '')}}`);
    const control = countingControl();
    const published: string[] = [];
    const handle = createReadingsHandler({
      rules: [rule],
      publish: (alerts) => {
        published.push(...alerts.map((a) => a.alert_id));
        return Promise.resolve();
      },
      notifiers,
      notifyAttempts: 2,
      retryBackoff: { initialDelayMs: 50, maxDelayMs: 50, jitter: 0 },
      heartbeatIntervalMs: 50,
      metrics,
    });
    try {
      await handle([reading(95, 1000)], control);
    } finally {
      email.close();
    }

    // the e-mail failed on nodemailer's greeting timeout we configured (its default is 30 s, beyond this test's bound)
    expect(mailErrors).toHaveLength(2);
    expect(mailErrors[0]).toMatchObject({ code: 'ETIMEDOUT', message: expect.stringMatching(/Greeting never received/) as unknown });
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'email' })).toBe(1);
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'email' })).toBe(0);
    // the webhook went out while the e-mail was still waiting for its greeting
    expect(hookBodies).toEqual([expect.objectContaining({ alert_id: published[0], state: 'FIRING', severity: 'CRITICAL', device_id: 'psu-1' })]);
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'webhook' })).toBe(1);
    expect(events.indexOf('webhook received')).toBeLessThan(events.indexOf('email attempt failed'));
    expect(events.filter((e) => e.startsWith('busbar_alerter_notif'))).toEqual([
      'busbar_alerter_notifications_total{webhook}',
      'busbar_alerter_notify_errors_total{email}',
    ]);
    // the batch's group membership was kept alive while waiting
    expect(control.heartbeats).toBeGreaterThanOrEqual(2);
  }, 15_000);
});
