/**
 * SMTP transport security against the real SMTP server of @busbar/testkit (nodemailer's
 * `smtp-server`) with TLS, certificates made by openssl in the test: STARTTLS required and used,
 * implicit TLS, opportunistic STARTTLS (no more `ignoreTLS` by default), a private CA from
 * `caFile`, the password from `passwordFile`; and the failures — a plain server when TLS is
 * required (through the notification dispatcher on real Kafka: counted, retried, kept), an untrusted certificate, a wrong
 * password — each with its code and without the password in any message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { isBusbarError } from '@busbar/core';
import { startSmtp } from '@busbar/testkit';
import type { SmtpHandle } from '@busbar/testkit';
import { alerterConfigSchema, resolveAlerterSecrets } from '../../src/config.js';
import type { AlerterConfig } from '../../src/config.js';
import { toAlert } from '../../src/alert.js';
import { EmailNotifier } from '../../src/notify/email.js';
import { ALERTER_GROUP_HEADER, NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { alertSerde } from '@busbar/avro';
import { createKafka } from '@busbar/kafka';
import { sharedKafka, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import type { ThresholdRule } from '../../src/rules/threshold.js';
import { makeTestCerts } from '../support/certs.js';
import type { TestCerts } from '../support/certs.js';
import { RecordingMetrics } from '../support/recording-metrics.js';

const PASSWORD = 'smtp-pw-Zq81-not-in-logs';
const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };

let certs: TestCerts;
let configDir: string;
const servers: SmtpHandle[] = [];

function firing(): Alert {
  return toAlert({ rule, signal: 'temperature_c', deviceId: 'psu-1', channel: null, seriesKey: `psu-temp|psu-1|${Math.random()}`, episode: 1, episodeStartMs: 1000, state: 'FIRING', severity: 'CRITICAL', value: 95, threshold: 80, atMs: 1000 });
}

/** The alerter's `email` section as the configuration loader gives it (secret files read relative to `configDir`). */
function emailOf(smtp: Record<string, unknown>): NonNullable<AlerterConfig['email']> {
  const file = alerterConfigSchema.parse({
    kafka: { brokers: ['127.0.0.1:9092'] },
    rules: [{ id: 'psu-temp', signal: 'temperature_c', critical: 80, clear: 60 }],
    email: { smtp: { host: '127.0.0.1', connectionTimeoutMs: 2000, greetingTimeoutMs: 2000, socketTimeoutMs: 2000, ...smtp }, from: 'busbar@lab.test', to: ['oncall@lab.test'] },
  });
  return resolveAlerterSecrets(file, configDir).email!;
}

async function server(options: Parameters<typeof startSmtp>[0]): Promise<SmtpHandle> {
  const s = await startSmtp(options);
  servers.push(s);
  return s;
}

async function sendError(notifier: EmailNotifier): Promise<unknown> {
  try {
    await notifier.send(firing());
  } catch (err) {
    return err;
  } finally {
    notifier.close();
  }
  throw new Error('the send succeeded');
}

beforeAll(() => {
  certs = makeTestCerts();
  configDir = mkdtempSync(join(tmpdir(), 'busbar-alerter-smtp-config-'));
  writeFileSync(join(configDir, 'smtp-password.txt'), `${PASSWORD}\n`);
  writeFileSync(join(configDir, 'lab-ca.pem'), certs.caPem);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe('alerter > email over TLS (testkit SMTP server with TLS)', () => {
  it('sends over STARTTLS when it is required, verifying the server against the private CA of caFile, with the password of passwordFile', async () => {
    const smtp = await server({ tls: { key: certs.serverKey, cert: certs.serverCert, mode: 'starttls' }, auth: { user: 'alerts', password: PASSWORD } });
    const notifier = new EmailNotifier(emailOf({ port: smtp.port, requireTLS: true, caFile: 'lab-ca.pem', user: 'alerts', passwordFile: 'smtp-password.txt' }));
    try {
      await notifier.send(firing());
    } finally {
      notifier.close();
    }
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toMatchObject({ secure: true, user: 'alerts', rcptTo: ['oncall@lab.test'] });
    expect(smtp.received[0]!.mail.subject).toMatch(/^\[Busbar CRITICAL\] psu-1: temperature_c = 95/);
  });

  it('sends with implicit TLS (secure: true, SMTPS)', async () => {
    const smtp = await server({ tls: { key: certs.serverKey, cert: certs.serverCert, mode: 'implicit' } });
    const notifier = new EmailNotifier(emailOf({ port: smtp.port, secure: true, caFile: 'lab-ca.pem' }));
    try {
      await notifier.send(firing());
    } finally {
      notifier.close();
    }
    expect(smtp.received.map((r) => r.secure)).toEqual([true]);
  });

  it('upgrades with STARTTLS whenever the server offers it, without requireTLS (ignoreTLS is no longer set by default)', async () => {
    const smtp = await server({ tls: { key: certs.serverKey, cert: certs.serverCert, mode: 'starttls' } });
    const notifier = new EmailNotifier(emailOf({ port: smtp.port, caFile: 'lab-ca.pem' }));
    try {
      await notifier.send(firing());
    } finally {
      notifier.close();
    }
    expect(smtp.received.map((r) => r.secure)).toEqual([true]);
  });

  it('refuses a server certificate no configured CA vouches for (rejectUnauthorized defaults to true)', async () => {
    const smtp = await server({ tls: { key: certs.rogueKey, cert: certs.rogueCert, mode: 'starttls' } });
    const err = await sendError(new EmailNotifier(emailOf({ port: smtp.port, requireTLS: true, caFile: 'lab-ca.pem', user: 'alerts', passwordFile: 'smtp-password.txt' })));
    expect(isBusbarError(err) && err.code, String(err)).toBe('BB_ALERTER_SMTP_TLS_FAILED');
    expect((err as Error).message).toMatch(/^SMTP 127\.0\.0\.1:\d+: TLS could not be established \(STARTTLS is required \(requireTLS: true\)\): .*\[\w+\]$/);
    expect((err as Error).message).not.toContain(PASSWORD);
    expect(smtp.received).toHaveLength(0);
  });

  it('reports a wrong password with its code and without the password', async () => {
    const smtp = await server({ tls: { key: certs.serverKey, cert: certs.serverCert, mode: 'starttls' }, auth: { user: 'alerts', password: 'another-password' } });
    const err = await sendError(new EmailNotifier(emailOf({ port: smtp.port, requireTLS: true, caFile: 'lab-ca.pem', user: 'alerts', passwordFile: 'smtp-password.txt' })));
    expect(isBusbarError(err) && err.code).toBe('BB_ALERTER_SMTP_FAILED');
    expect((err as Error).message).toMatch(/\[EAUTH\]$/);
    expect((err as Error).message).not.toContain(PASSWORD);
  });

  it('through the dispatcher: a plain server when TLS is required fails each attempt with BB_ALERTER_SMTP_TLS_FAILED, counted and retried, the mail kept and nothing sent in clear', async () => {
    const smtp = await server({ auth: { user: 'alerts', password: PASSWORD } });
    const notifier = new EmailNotifier(emailOf({ port: smtp.port, requireTLS: true, user: 'alerts', passwordFile: 'smtp-password.txt' }));
    const errors: unknown[] = [];
    const metrics = new RecordingMetrics();
    const kafka = createKafka({ clientId: 'email-test', brokers: (await sharedKafka()).brokers });
    const producer = kafka.producer();
    await producer.connect();
    const topics = uniqueTopics('email-test', { alerts: 'alerts', deadLetter: 'dead-letter' });
    const origin = 'busbar-alerter-email-test';
    const dispatcher = new NotificationDispatcher({
      kafka, producer, topic: topics.alerts, deadLetterTopic: topics.deadLetter, groupPrefix: uniqueName('email-test'), origin,
      notifiers: [
        {
          channel: 'email',
          send: async (a) => {
            try {
              await notifier.send(a);
            } catch (err) {
              errors.push(err);
              throw err;
            }
          },
        },
      ],
      retry: { initialDelayMs: 20, maxDelayMs: 20, jitter: 0 },
      metrics,
    });
    let pending: number;
    try {
      await dispatcher.start();
      await producer.send({ topic: topics.alerts, acks: -1, messages: [{ key: 'psu-1', value: alertSerde.encode(firing()), headers: { [ALERTER_GROUP_HEADER]: origin } }] });
      const end = Date.now() + 30_000;
      while (errors.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      pending = dispatcher.pending;
    } finally {
      await dispatcher.stop();
      await producer.disconnect();
      notifier.close();
    }
    expect(errors.length).toBeGreaterThanOrEqual(3);
    for (const err of errors) {
      expect(isBusbarError(err) && err.code).toBe('BB_ALERTER_SMTP_TLS_FAILED');
      expect((err as Error).message).toMatch(/STARTTLS is required \(requireTLS: true\).*\[ETLS\]$/);
      expect((err as Error).message).not.toContain(PASSWORD);
    }
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'email' })).toBe(errors.length);
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'email' })).toBe(0);
    expect(pending).toBe(1);
    expect(smtp.received).toHaveLength(0);
  }, 90_000);
});
