/**
 * Templates against real receivers: the Slack and Opsgenie hooks of examples/alerter.yaml (templates
 * examples/alerter/*.hbs, secrets from examples/secrets, loaded by the alerter's own loader) POSTed
 * to local stand-ins that check each payload field by field (test/support/chat-receivers.ts), a mail
 * template through the test kit's SMTP server, and a template failing at send given up at once by
 * the notification dispatcher on real Kafka (counted, not retried).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { alertSerde } from '@busbar/avro';
import { createKafka } from '@busbar/kafka';
import { startSmtp } from '@busbar/testkit';
import { sharedKafka, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import { alerterConfigSchema, loadAlerterConfig, resolveAlerterSecrets } from '../../src/config.js';
import type { AlerterConfig } from '../../src/config.js';
import { toAlert } from '../../src/alert.js';
import { EmailNotifier } from '../../src/notify/email.js';
import { groupKeyOf } from '../../src/notify/group.js';
import type { AlertGroup } from '../../src/notify/group.js';
import { ALERTER_GROUP_HEADER, NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { postWebhook, postWebhookGroup } from '../../src/notify/webhook.js';
import type { WebhookTarget } from '../../src/notify/webhook.js';
import type { ThresholdRule } from '../../src/rules/threshold.js';
import { startChatReceivers } from '../support/chat-receivers.js';
import type { ChatReceivers } from '../support/chat-receivers.js';
import { RecordingMetrics } from '../support/recording-metrics.js';

const EXAMPLES = resolve(fileURLToPath(new URL('../../../../examples', import.meta.url)));
const rule: ThresholdRule = { id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', warning: 45, critical: 55, clear: 40, forMs: 0 };

function alertOf(device: string, state: 'FIRING' | 'RESOLVED', extra: Partial<Alert> = {}): Alert {
  return { ...toAlert({ rule, signal: 'temperature_c', deviceId: device, channel: 4, seriesKey: `cell-temp|${device}|4`, episode: 1, episodeStartMs: 1000, state, severity: 'CRITICAL', value: state === 'FIRING' ? 57.5 : 39, threshold: 55, atMs: Date.UTC(2026, 11, 3, 12) }), ...extra };
}

let receivers: ChatReceivers;
let slack: WebhookTarget;
let opsgenie: WebhookTarget;
let config: AlerterConfig;

beforeAll(async () => {
  receivers = await startChatReceivers('FAKE-opsgenie-api-key-replace-me');
  config = loadAlerterConfig(join(EXAMPLES, 'alerter.yaml'), {});
  const hook = (name: string): AlerterConfig['webhooks'][number] => config.webhooks.find((h) => h.name === name)!;
  // as the alerter builds them (alerter.ts), the URL pointed at the local stand-in
  slack = { ...hook('slack'), url: `${receivers.base}/slack/services/TFAKE/BFAKE/FAKE`, channel: 'webhook-slack' };
  opsgenie = { ...hook('opsgenie'), url: `${receivers.base}/v2/alerts`, channel: 'webhook-opsgenie' };
});

afterAll(async () => {
  await receivers.stop();
});

const last = (): ChatReceivers['requests'][number] => receivers.requests.at(-1)!;

describe('alerter > notify > templates > examples/alerter/slack.hbs (Slack incoming webhook)', () => {
  it('a FIRING and its RESOLVED: text and one mrkdwn section per alert, escaped, with the panel link', async () => {
    const firing = alertOf('cell-r3-07', 'FIRING', { message: 'CRITICAL: cell-r3-07 channel 4 temperature_c = 57.5 <above> "bound" & rising (rule cell-temp)' });
    await postWebhook(slack, firing);
    expect(last().problems).toEqual([]);
    const body = last().body as { text: string; blocks: { text: { text: string } }[] };
    expect(body.text).toBe(`[FIRING] 1 firing: alert_id=${firing.alert_id} `);
    expect(body.blocks).toHaveLength(1);
    expect(body.blocks[0]!.text.text).toContain('*FIRING CRITICAL* `cell-r3-07` channel 4 temperature_c = 57.5 (bound 55)');
    expect(body.blocks[0]!.text.text).toContain('&lt;above&gt; "bound" &amp; rising');
    expect(body.blocks[0]!.text.text).toContain(`<https://grafana.lab.example/d/busbar-alerts?var-device=cell-r3-07&var-alert=${firing.alert_id}|panel>`);
    await postWebhook(slack, alertOf('cell-r3-07', 'RESOLVED'));
    expect(last().problems).toEqual([]);
    expect((last().body as { text: string }).text).toMatch(/^\[RESOLVED\] 1 resolved: /);
  });

  it('a group of 60 alerts: at most 50 section blocks, each text ≤ 3000 characters', async () => {
    const long = 'x'.repeat(4000);
    const alerts = Array.from({ length: 60 }, (_, i) => alertOf(`cell-r3-${String(i).padStart(2, '0')}`, i % 3 === 0 ? 'RESOLVED' : 'FIRING', i === 1 ? { message: long } : {}));
    const group: AlertGroup = { key: groupKeyOf({ rack: 'r3' }), groupLabels: { rack: 'r3' }, alerts };
    await postWebhookGroup(slack, group);
    expect(last().problems).toEqual([]);
    const body = last().body as { text: string; blocks: { text: { text: string } }[] };
    expect(body.text).toBe('[FIRING] 40 firing 20 resolved: rack=r3 ');
    expect(body.blocks).toHaveLength(50);
    expect([...body.blocks[1]!.text.text]).toHaveLength(3000);
  });
});

describe('alerter > notify > templates > examples/alerter/opsgenie.hbs (Opsgenie Alert API v2 create alert)', () => {
  it('FIRING and RESOLVED of one episode: valid requests with the GenieKey header, the same alias; another episode another alias', async () => {
    const firing = alertOf('cell-r3-07', 'FIRING', { message: `CRITICAL: cell-r3-07 channel 4 temperature_c = 57.5 ${'very long text '.repeat(20)}` });
    await postWebhook(opsgenie, firing);
    const fired = last();
    expect(fired.problems).toEqual([]);
    expect(fired.headers.authorization).toBe('GenieKey FAKE-opsgenie-api-key-replace-me');
    const f = fired.body as { message: string; alias: string; priority: string; tags: string[]; details: Record<string, string>; description: string };
    expect([...f.message]).toHaveLength(130);
    expect(f.message.endsWith('…')).toBe(true);
    expect(f.priority).toBe('P1');
    expect(f.tags).toEqual(['busbar', 'firing', 'severity:critical', 'rule:cell-temp', 'device:cell-r3-07']);
    expect(f.details).toMatchObject({ device: 'cell-r3-07', channel: '4', signal: 'temperature_c', alert_id: firing.alert_id, status: 'firing', alert_count: '1' });
    expect(f.description).toContain(firing.message);

    await postWebhook(opsgenie, alertOf('cell-r3-07', 'RESOLVED'));
    expect(last().problems).toEqual([]);
    expect((last().body as { alias: string }).alias).toBe(f.alias);
    expect((last().body as { tags: string[] }).tags).toContain('resolved');

    await postWebhook(opsgenie, alertOf('cell-r3-08', 'FIRING', { severity: 'WARNING' }));
    expect(last().problems).toEqual([]);
    expect((last().body as { alias: string }).alias).not.toBe(f.alias);
    expect((last().body as { priority: string }).priority).toBe('P3');
  });

  it('a group: one request, alias = the group key, message counting the alerts', async () => {
    const group: AlertGroup = { key: groupKeyOf({ rack: 'r3' }), groupLabels: { rack: 'r3' }, alerts: [alertOf('cell-r3-01', 'FIRING'), alertOf('cell-r3-02', 'RESOLVED')] };
    await postWebhookGroup(opsgenie, group);
    expect(last().problems).toEqual([]);
    expect(last().body).toMatchObject({ message: '[FIRING] 2 alerts: rack=r3 ', alias: 'busbar {rack="r3"}', priority: 'P1', details: { alert_count: '2', group_key: '{rack="r3"}' } });
  });

  it('the stand-in refuses what the documentation refuses (a long message, a numeric detail)', async () => {
    const bad = { ...opsgenie, template: '{"message": {{json alerts.0.message}}, "details": {"n": {{alerts.length}} } }' };
    await expect(postWebhook(bad, alertOf('cell-r3-07', 'FIRING', { message: 'm'.repeat(131) }))).rejects.toMatchObject({ code: 'BB_ALERTER_WEBHOOK_FAILED', retriable: false });
    expect(last().problems).toEqual(['message must be a string of at most 130 characters', 'details must map strings to strings']);
  });
});

describe('alerter > notify > templates > e-mail through the SMTP server', () => {
  it('subject and text from template files, relative to the configuration; an absent text keeps the default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-mailtpl-'));
    writeFileSync(join(dir, 'subject.hbs'), '[{{upper status}}] {{#each alerts}}{{device}} {{/each}}\n');
    writeFileSync(join(dir, 'text.hbs'), '{{#each alerts}}{{state}} {{labels.rack}}/{{device}} ch {{channel}}: {{signal}} = {{value}} °C (bound {{threshold}}) <{{generatorUrl}}>\n{{/each}}');
    await using smtp = await startSmtp();
    const parsed = alerterConfigSchema.parse({
      kafka: { brokers: ['127.0.0.1:9092'] }, rules: [{ id: 'cell-temp', signal: 'temperature_c', critical: 55, clear: 40 }],
      routing: { deviceLabels: { 'cell-r3-*': { rack: 'r3' } } },
      email: { smtp: { host: smtp.host, port: smtp.port }, from: 'busbar@lab.test', to: ['oncall@lab.test'], templates: { subjectFile: 'subject.hbs', textFile: 'text.hbs', generatorUrl: 'https://g.lab/d?device={device}' } },
    });
    const c = resolveAlerterSecrets(parsed, dir);
    const labels = { labels: c.routing!.labels, deviceLabels: c.routing!.deviceLabels };
    const notifier = new EmailNotifier({ ...c.email!, labels });
    const subjectOnly = new EmailNotifier({ ...c.email!, labels, templates: { subject: c.email!.templates!.subject } });
    try {
      const firing = alertOf('cell-r3-07', 'FIRING');
      await notifier.send(firing);
      const mail = await smtp.waitFor((m) => m.subject === '[FIRING] cell-r3-07');
      expect(mail.text).toBe('FIRING r3/cell-r3-07 ch 4: temperature_c = 57.5 °C (bound 55) <https://g.lab/d?device=cell-r3-07>\n');
      expect(mail.headers.get('x-busbar-alert-id')).toBe(firing.alert_id);
      await notifier.sendGroup({ key: groupKeyOf({ rack: 'r3' }), groupLabels: { rack: 'r3' }, alerts: [firing, alertOf('cell-r3-08', 'RESOLVED')] });
      const grouped = await smtp.waitFor((m) => m.subject === '[FIRING] cell-r3-07 cell-r3-08');
      expect(grouped.text).toContain('RESOLVED r3/cell-r3-08 ch 4: temperature_c = 39 °C');
      await subjectOnly.send(alertOf('cell-r3-09', 'RESOLVED'));
      const plain = await smtp.waitFor((m) => m.subject === '[RESOLVED] cell-r3-09');
      expect(plain.text).toMatch(/^RESOLVED: cell-r3-09 channel 4 temperature_c = 39 \(rule cell-temp\)\n\nDevice: {4}cell-r3-09\n/);
    } finally {
      notifier.close();
      subjectOnly.close();
    }
  });
});

describe('alerter > notify > templates > examples/alerter/mail-*.hbs through the SMTP server', () => {
  it('the example subject and text: worst severity and place in the subject, one block per alert in the text', async () => {
    await using smtp = await startSmtp();
    const parsed = alerterConfigSchema.parse({
      kafka: { brokers: ['127.0.0.1:9092'] }, rules: [{ id: 'cell-temp', signal: 'temperature_c', critical: 55, clear: 40 }],
      email: { smtp: { host: smtp.host, port: smtp.port }, from: 'busbar@lab.test', to: ['oncall@lab.test'], templates: { subjectFile: 'alerter/mail-subject.hbs', textFile: 'alerter/mail-text.hbs' } },
    });
    const notifier = new EmailNotifier(resolveAlerterSecrets(parsed, EXAMPLES).email!);
    try {
      const firing = alertOf('cell-r3-07', 'FIRING');
      await notifier.send(firing);
      const mail = await smtp.waitFor((m) => m.subject === '[Busbar CRITICAL] cell-r3-07 channel 4: temperature_c = 57.5');
      expect(mail.text).toContain(`FIRING CRITICAL: cell-r3-07 channel 4\n${firing.message}\n\n  signal     temperature_c\n  value      57.5\n  bound      55\n`);
      expect(mail.text).toContain(`  alert id   ${firing.alert_id}\n`);
      expect(mail.text).not.toContain('panel'); // no generatorUrl configured
      await notifier.sendGroup({ key: groupKeyOf({ rack: 'r3' }), groupLabels: { rack: 'r3' }, alerts: [alertOf('cell-r3-01', 'RESOLVED'), alertOf('cell-r3-02', 'RESOLVED')] });
      const grouped = await smtp.waitFor((m) => m.subject === '[Busbar RESOLVED] 0 firing, 2 resolved: rack=r3');
      expect(grouped.text?.match(/^RESOLVED CRITICAL: cell-r3-0[12] channel 4$/gm)).toHaveLength(2);
    } finally {
      notifier.close();
    }
  });
});

describe('alerter > notify > templates > a template failing at send, through the dispatcher (real Kafka)', () => {
  it('is given up at once: not retried, counted as expired; the FIRING before it was delivered', async () => {
    // renders the FIRING, fails on the RESOLVED (an unknown helper): not checked at load here on purpose
    const hook: WebhookTarget = { url: `${receivers.base}/slack/services/T/B/fails`, timeoutMs: 2000, channel: 'webhook-x', template: '{{#if (eq status "resolved")}}{{nohelper 1}}{{/if}}{"text": {{json alerts.0.message}}, "blocks": []}' };
    const attempts: unknown[] = [];
    const metrics = new RecordingMetrics();
    const kafka = createKafka({ clientId: 'template-test', brokers: (await sharedKafka()).brokers });
    const producer = kafka.producer();
    await producer.connect();
    const topics = uniqueTopics('template-test', { alerts: 'alerts', deadLetter: 'dead-letter' });
    const origin = 'busbar-alerter-template-test';
    const dispatcher = new NotificationDispatcher({
      kafka, producer, topic: topics.alerts, deadLetterTopic: topics.deadLetter, groupPrefix: uniqueName('template-test'), origin,
      notifiers: [{ channel: 'webhook-x', send: (a) => postWebhook(hook, a).catch((err: unknown) => { attempts.push(err); throw err; }) }],
      retry: { initialDelayMs: 20, maxDelayMs: 20, jitter: 0 },
      metrics,
    });
    const before = receivers.requests.length;
    const firing = alertOf('cell-r3-50', 'FIRING');
    try {
      await dispatcher.start();
      await producer.send({ topic: topics.alerts, acks: -1, messages: [firing, alertOf('cell-r3-50', 'RESOLVED')].map((a) => ({ key: a.device_id, value: alertSerde.encode(a), headers: { [ALERTER_GROUP_HEADER]: origin } })) });
      const end = Date.now() + 30_000;
      while (metrics.count('busbar_alerter_notifications_expired_total', { channel: 'webhook-x' }) < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300)); // a retry, were there one, would come within 20 ms
    } finally {
      await dispatcher.stop();
      await producer.disconnect();
    }
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'webhook-x' })).toBe(1);
    expect(metrics.count('busbar_alerter_notifications_expired_total', { channel: 'webhook-x' })).toBe(1);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ code: 'BB_ALERTER_TEMPLATE_RENDER_FAILED', retriable: false });
    expect(receivers.requests.slice(before).map((r) => (r.body as { text: string }).text)).toEqual([firing.message]);
  }, 90_000);
});
