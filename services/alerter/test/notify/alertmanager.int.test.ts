/**
 * The Alertmanager receiver against a real Alertmanager 0.25 (@busbar/testkit startAlertmanager)
 * that mails through the testkit SMTP sink: alerts go from the alerts topic on the run's real Kafka
 * through the notification dispatcher, as in the alerter.
 * Observed in the mails: grouping by rack (two alerts → one mail), an inhibition rule (a PCS-off
 * alert mutes the other alerts of its rack), a silence created through the API v2 (no mail), the
 * RESOLVED mail; and in the API: re-sends keep a firing alert's `endsAt` moving, also for a firing
 * series the channel only knows from the rule state (`recoverOpen`, after a restart).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { alertSerde } from '@busbar/avro';
import { createKafka } from '@busbar/kafka';
import { startAlertmanager, startSmtp } from '@busbar/testkit';
import type { AlertmanagerHandle, SmtpHandle } from '@busbar/testkit';
import { sharedKafka, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import { toAlert } from '../../src/alert.js';
import { alertmanagerNotifier, postAlertmanagerAlerts } from '../../src/notify/alertmanager.js';
import type { AlertmanagerTarget } from '../../src/notify/alertmanager.js';
import { ALERTER_GROUP_HEADER, NotificationDispatcher } from '../../src/notify/dispatcher.js';
import type { ThresholdRule } from '../../src/rules/threshold.js';
import { RecordingMetrics } from '../support/recording-metrics.js';

const cellTemp: ThresholdRule = { id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', warning: 45, critical: 60, clear: 40, forMs: 0 };
const pcsOff: ThresholdRule = { id: 'pcs-off', devices: ['pcs-*'], signal: 'dc_power_w', direction: 'below', critical: 1, clear: 100, forMs: 0 };

let seq = 0;
function alert(rule: ThresholdRule, deviceId: string, state: 'FIRING' | 'RESOLVED', severity: 'WARNING' | 'CRITICAL' = 'CRITICAL', startMs = Date.now()): Alert {
  return toAlert({ rule, signal: rule.signal, deviceId, channel: 1, state, severity, value: state === 'FIRING' ? 70 : 30, threshold: 60, atMs: state === 'FIRING' ? startMs : Date.now(), seriesKey: `${rule.id}|${deviceId}|1|${++seq}`, episode: 1, episodeStartMs: startMs });
}

let smtp: SmtpHandle;
let am: AlertmanagerHandle;
const metrics = new RecordingMetrics();
let dispatcher: NotificationDispatcher;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
const topics = uniqueTopics('am-test', { alerts: 'alerts', deadLetter: 'dead-letter' });
const ORIGIN = 'busbar-alerter-am-test';
/** What the rule state says fires (the dispatcher's `recoverOpen`). */
let recovered: Alert[] = [];

/** Writes Alert records to the alerts topic as the alerter's batch transaction does (key = device, group header). */
async function publish(alerts: Alert[]): Promise<void> {
  await producer.send({ topic: topics.alerts, acks: -1, messages: alerts.map((a) => ({ key: a.device_id, value: alertSerde.encode(a), headers: { [ALERTER_GROUP_HEADER]: ORIGIN } })) });
}

type ParsedMail = SmtpHandle['messages'][number];

const target = (url: string): AlertmanagerTarget => ({
  url,
  labels: { lab: 'b2' },
  deviceLabels: { '*-r1-*': { rack: 'r1' }, '*-r2-*': { rack: 'r2' }, '*-r3-*': { rack: 'r3' }, '*-r4-*': { rack: 'r4' } },
  generatorUrl: 'http://grafana.test/d/busbar-alerts?var-device={device}&var-alert={alert_id}',
  resendIntervalMs: 1000,
  timeoutMs: 2000,
});

/** Mails whose subject names the rack (the group label is the subject's last word in Alertmanager's default template). */
const mailsOf = (rack: string): ParsedMail[] => smtp.messages.filter((m) => (m.subject ?? '').includes(` ${rack} `) || (m.subject ?? '').endsWith(` ${rack}`) || (m.subject ?? '').includes(`rack="${rack}"`));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface GettableAlert { labels: Record<string, string>; endsAt: string; status: { state: string; inhibitedBy: string[]; silencedBy: string[] } }
async function amAlerts(): Promise<GettableAlert[]> {
  return (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as GettableAlert[];
}
async function until<T>(get: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v).slice(0, 500)}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  smtp = await startSmtp();
  am = await startAlertmanager({
    config: `global:
  smtp_smarthost: '127.0.0.1:${smtp.port}'
  smtp_from: 'alertmanager@busbar.test'
  smtp_require_tls: false
route:
  receiver: lab-mail
  group_by: [rack]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: lab-mail
    email_configs:
      - to: 'oncall@busbar.test'
        send_resolved: true
inhibit_rules:
  - source_matchers: ['alertname="pcs-off"']
    target_matchers: ['alertname!="pcs-off"']
    equal: [rack]
`,
  });
  const kafka = createKafka({ clientId: 'am-test', brokers: (await sharedKafka()).brokers });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.alerts, numPartitions: 2 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  dispatcher = new NotificationDispatcher({
    kafka, producer, topic: topics.alerts, deadLetterTopic: topics.deadLetter, groupPrefix: uniqueName('am-test'), origin: ORIGIN,
    notifiers: [alertmanagerNotifier('alertmanager-1', target(am.url))], retry: { initialDelayMs: 100, maxDelayMs: 500 }, sessionTimeoutMs: 6000, metrics,
    recoverOpen: () => recovered,
  });
  await dispatcher.start();
}, 180_000);

afterAll(async () => {
  await dispatcher?.stop();
  await producer?.disconnect();
  await am?.dispose();
  await smtp?.stop();
});

describe('alerter > notify > alertmanager (real Alertmanager 0.25 + SMTP sink)', () => {
  it('groups two alerts of one rack into one mail, with the labels, the Grafana link and the summary', async () => {
    const a = alert(cellTemp, 'cell-r1-1', 'FIRING');
    const b = alert(cellTemp, 'cell-r1-2', 'FIRING');
    await publish([a, b]);
    const mail = await smtp.waitFor((m) => (m.subject ?? '').startsWith('[FIRING:2]') && mailsOf('r1').includes(m), 15_000);
    await sleep(2500); // a group_interval more: still one mail for the rack
    expect(mailsOf('r1')).toHaveLength(1);
    const html = String(mail.html);
    expect(html).toContain('cell-r1-1');
    expect(html).toContain('cell-r1-2');
    expect(html).toContain('lab = b2');
    expect(html).toContain('severity = critical');
    expect(html).toContain(`alert_id = ${a.alert_id}`);
    expect(html).toContain('http://grafana.test/d/busbar-alerts?var-device=cell-r1-1&amp;var-alert=');
    expect(a.message).toBe('CRITICAL: cell-r1-1 channel 1 temperature_c = 70 (rule cell-temp)');
    expect(html).toContain(`summary = ${a.message}`); // the Alert's message
    const inAm = (await amAlerts()).filter((x) => x.labels['rack'] === 'r1');
    expect(inAm.map((x) => x.labels['device']).sort()).toEqual(['cell-r1-1', 'cell-r1-2']);

    // resolved: sent with endsAt; Alertmanager mails the RESOLVED of the group
    await publish([alert(cellTemp, 'cell-r1-1', 'RESOLVED'), alert(cellTemp, 'cell-r1-2', 'RESOLVED')].map((r, i) => ({ ...r, alert_id: [a, b][i]!.alert_id })));
    const resolved = await smtp.waitFor((m) => (m.subject ?? '').startsWith('[RESOLVED]') && mailsOf('r1').includes(m), 15_000);
    expect(String(resolved.html)).toContain('cell-r1-2');
    await until(() => dispatcher.openAlerts('alertmanager-1').filter((x) => x.device_id.startsWith('cell-r1-')), (xs) => xs.length === 0);
  }, 30_000);

  it('a PCS-off alert inhibits the other alerts of its rack: the mail names only the PCS', async () => {
    await publish([alert(pcsOff, 'pcs-r2-1', 'FIRING')]);
    await until(amAlerts, (xs) => xs.some((x) => x.labels['device'] === 'pcs-r2-1'));
    const consequence = alert(cellTemp, 'cell-r2-1', 'FIRING');
    await publish([consequence]);
    const inhibited = await until(amAlerts, (xs) => xs.some((x) => x.labels['device'] === 'cell-r2-1'));
    expect(inhibited.find((x) => x.labels['device'] === 'cell-r2-1')?.status).toMatchObject({ state: 'suppressed', inhibitedBy: [expect.any(String)] });
    const mail = await smtp.waitFor((m) => mailsOf('r2').includes(m), 15_000);
    await sleep(2500); // a group_interval: the inhibited alert brings no second mail
    expect(mailsOf('r2')).toHaveLength(1);
    expect(mail.subject).toMatch(/^\[FIRING:1\]/);
    expect(String(mail.html)).toContain('pcs-r2-1');
    expect(String(mail.html)).not.toContain('cell-r2-1');
  }, 30_000);

  it('a silence created through the API v2 mutes a rack: no mail, the alert shows silenced; a rack beside it is mailed', async () => {
    const now = Date.now();
    const res = await fetch(`${am.url}/api/v2/silences`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ name: 'rack', value: 'r3', isRegex: false, isEqual: true }], startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'busbar-test', comment: 'maintenance of rack r3' }),
    });
    expect(res.status).toBe(200);
    const { silenceID } = (await res.json()) as { silenceID: string };
    await publish([alert(cellTemp, 'cell-r3-1', 'FIRING'), alert(cellTemp, 'cell-r4-1', 'FIRING', 'WARNING')]);
    const xs = await until(amAlerts, (all) => all.some((x) => x.labels['device'] === 'cell-r3-1'));
    expect(xs.find((x) => x.labels['device'] === 'cell-r3-1')?.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceID] });
    await smtp.waitFor((m) => mailsOf('r4').includes(m), 15_000); // the unsilenced rack beside it is mailed ...
    await sleep(2500);
    expect(mailsOf('r3')).toEqual([]); // ... the silenced one is not
  }, 30_000);

  it('re-sends a firing alert at the resend interval, moving its endsAt forward, until its RESOLVED is delivered', async () => {
    const a = alert(cellTemp, 'cell-r4-9', 'FIRING', 'WARNING');
    await publish([a]);
    const first = await until(amAlerts, (xs) => xs.some((x) => x.labels['device'] === 'cell-r4-9'));
    const endsAt0 = Date.parse(first.find((x) => x.labels['device'] === 'cell-r4-9')!.endsAt);
    const later = await until(amAlerts, (xs) => xs.some((x) => x.labels['device'] === 'cell-r4-9' && Date.parse(x.endsAt) > endsAt0), 5000);
    expect(Date.parse(later.find((x) => x.labels['device'] === 'cell-r4-9')!.endsAt)).toBeGreaterThan(endsAt0);
    expect(metrics.count('busbar_alerter_notifications_resent_total', { channel: 'alertmanager-1' })).toBeGreaterThan(0);
    expect(dispatcher.openAlerts('alertmanager-1').map((x) => x.alert_id)).toContain(a.alert_id);
    await publish([{ ...alert(cellTemp, 'cell-r4-9', 'RESOLVED', 'WARNING'), alert_id: a.alert_id }]);
    await until(amAlerts, (xs) => !xs.some((x) => x.labels['device'] === 'cell-r4-9' && x.status.state === 'active'));
    await until(() => dispatcher.openAlerts('alertmanager-1').map((x) => x.alert_id), (ids) => !ids.includes(a.alert_id));
    await sleep(2500); // more than two intervals: no re-send brings the resolved alert back
    expect((await amAlerts()).filter((x) => x.labels['device'] === 'cell-r4-9' && x.status.state === 'active')).toEqual([]);
  }, 30_000);

  it('after a restart: a firing series the channel has no record of (the rule state\'s) is re-sent from recoverOpen, until its RESOLVED is delivered', async () => {
    const a = alert(cellTemp, 'cell-r4-7', 'FIRING', 'WARNING');
    recovered = [a]; // fires in the rule state; its FIRING record was delivered before the "restart"
    const first = await until(amAlerts, (xs) => xs.some((x) => x.labels['alert_id'] === a.alert_id), 5000);
    const endsAt0 = Date.parse(first.find((x) => x.labels['alert_id'] === a.alert_id)!.endsAt);
    await until(amAlerts, (xs) => xs.some((x) => x.labels['alert_id'] === a.alert_id && Date.parse(x.endsAt) > endsAt0), 5000);
    expect(dispatcher.openAlerts('alertmanager-1').map((x) => x.alert_id)).not.toContain(a.alert_id); // not from a record
    // its RESOLVED is delivered while the (lagging) rule state still lists it: never re-sent again
    await publish([{ ...alert(cellTemp, 'cell-r4-7', 'RESOLVED', 'WARNING'), alert_id: a.alert_id }]);
    await until(amAlerts, (xs) => !xs.some((x) => x.labels['alert_id'] === a.alert_id && x.status.state === 'active'));
    await sleep(2500);
    expect((await amAlerts()).filter((x) => x.labels['alert_id'] === a.alert_id && x.status.state === 'active')).toEqual([]);
    recovered = [];
  }, 30_000);

  it('an alert Alertmanager refuses (no labels) is BB_ALERTER_NOTIFY_REJECTED, not retriable; a dead port is retriable', async () => {
    await expect(postAlertmanagerAlerts(am.url, [{ labels: {}, annotations: {}, startsAt: new Date().toISOString(), endsAt: new Date().toISOString() }], 2000))
      .rejects.toMatchObject({ code: 'BB_ALERTER_NOTIFY_REJECTED', retriable: false });
    await expect(postAlertmanagerAlerts('http://127.0.0.1:1', [], 2000)).rejects.toMatchObject({ code: 'BB_ALERTER_ALERTMANAGER_FAILED', retriable: true });
  });
});
