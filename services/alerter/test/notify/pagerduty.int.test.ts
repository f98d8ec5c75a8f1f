/**
 * The PagerDuty receiver through the notification dispatcher (Alert records on the run's real Kafka)
 * against a local HTTP server that validates each event field by field against the Events API v2
 * schema (test/support/pagerduty-events-v2.ts): trigger/resolve with one dedup_key per episode,
 * 429/5xx retried, 400 given up at once (with the episode's later events: no resolve for a trigger
 * PagerDuty refused).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { alertSerde } from '@busbar/avro';
import { createKafka } from '@busbar/kafka';
import { sharedKafka, uniqueName, uniqueTopics } from '@busbar/testkit/shared';
import { toAlert } from '../../src/alert.js';
import { ALERTER_GROUP_HEADER, NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { pagerDutyNotifier, postPagerDutyEvent } from '../../src/notify/pagerduty.js';
import { readSecretFile } from '../../src/notify/secrets.js';
import type { PagerDutyTarget } from '../../src/notify/pagerduty.js';
import type { ThresholdRule } from '../../src/rules/threshold.js';
import { RecordingMetrics } from '../support/recording-metrics.js';
import { startPagerDutyStandIn } from '../support/pagerduty-events-v2.js';
import type { PagerDutyStandIn } from '../support/pagerduty-events-v2.js';

const rule: ThresholdRule = { id: 'cell-temp', devices: ['cell-*'], signal: 'temperature_c', direction: 'above', warning: 45, critical: 60, clear: 40, forMs: 0 };
let seq = 0;
function episode(deviceId: string): { warning: Alert; critical: Alert; resolved: Alert } {
  const base = { rule, signal: rule.signal, deviceId, channel: 2, seriesKey: `cell-temp|${deviceId}|2|${++seq}`, episode: 1, episodeStartMs: 1_000_000 };
  return {
    warning: toAlert({ ...base, state: 'FIRING', severity: 'WARNING', value: 50, threshold: 45, atMs: 1_000_000 }),
    critical: toAlert({ ...base, state: 'FIRING', severity: 'CRITICAL', value: 65, threshold: 60, atMs: 1_005_000 }),
    resolved: toAlert({ ...base, state: 'RESOLVED', severity: 'CRITICAL', value: 35, threshold: 40, atMs: 1_060_000 }),
  };
}
const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

let pd: PagerDutyStandIn;
let target: PagerDutyTarget;
let kafka: ReturnType<typeof createKafka>;
let producer: ReturnType<typeof kafka.producer>;
const ORIGIN = 'busbar-alerter-pd-test';
beforeAll(async () => {
  pd = await startPagerDutyStandIn();
  kafka = createKafka({ clientId: 'pd-test', brokers: (await sharedKafka()).brokers });
  producer = kafka.producer();
  await producer.connect();
  const dir = mkdtempSync(join(tmpdir(), 'busbar-pd-'));
  writeFileSync(join(dir, 'routing-key'), 'R0123456789abcdef0123456789abcde\n');
  target = { routingKey: readSecretFile(join(dir, 'routing-key'), 'pagerduty.0.routingKeyFile', dir), url: pd.url, severity: { WARNING: 'warning', CRITICAL: 'critical' }, deviceGroups: { 'cell-r1-*': 'rack r1' }, clientUrl: 'http://grafana.test/d/x?var-device={device}', timeoutMs: 2000 };
}, 180_000);
afterAll(async () => {
  await producer?.disconnect();
  await pd?.close();
});

/** A dispatcher with the PagerDuty channel on a fresh alerts topic, and how to publish Alert records to it. */
async function dispatcherWith(metrics: RecordingMetrics): Promise<{ dispatcher: NotificationDispatcher; publish: (alerts: Alert[]) => Promise<void> }> {
  const topics = uniqueTopics('pd-test', { alerts: 'alerts', deadLetter: 'dead-letter' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.alerts, numPartitions: 1 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const dispatcher = new NotificationDispatcher({
    kafka, producer, topic: topics.alerts, deadLetterTopic: topics.deadLetter, groupPrefix: uniqueName('pd-test'), origin: ORIGIN,
    notifiers: [pagerDutyNotifier('pagerduty-1', target)], retry: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0 }, sessionTimeoutMs: 6000, metrics,
  });
  await dispatcher.start();
  const publish = async (alerts: Alert[]): Promise<void> => {
    await producer.send({ topic: topics.alerts, acks: -1, messages: alerts.map((a) => ({ key: a.device_id, value: alertSerde.encode(a), headers: { [ALERTER_GROUP_HEADER]: ORIGIN } })) });
  };
  return { dispatcher, publish };
}

describe('alerter > notify > pagerduty (Events API v2 stand-in validating the schema)', () => {
  it('trigger, escalation and resolve of one episode: every event valid, one dedup_key (the alert id), the resolve reuses it', async () => {
    const metrics = new RecordingMetrics();
    const { dispatcher, publish } = await dispatcherWith(metrics);
    const e = episode('cell-r1-4');
    pd.received.length = 0;
    await publish([e.warning]);
    await publish([e.critical]);
    await publish([e.resolved]);
    await until(() => pd.received.length === 3, 30_000);
    await dispatcher.stop();
    expect(pd.received.map((r) => r.problems)).toEqual([[], [], []]);
    expect(pd.received.map((r) => [r.body['event_action'], r.body['dedup_key'], r.status])).toEqual([
      ['trigger', e.warning.alert_id, 202], ['trigger', e.warning.alert_id, 202], ['resolve', e.warning.alert_id, 202],
    ]);
    expect(pd.received[1]?.body).toMatchObject({
      routing_key: 'R0123456789abcdef0123456789abcde', client: 'Busbar', client_url: 'http://grafana.test/d/x?var-device=cell-r1-4',
      payload: { summary: e.critical.message, source: 'cell-r1-4', severity: 'critical', timestamp: new Date(1_005_000).toISOString(), component: 'channel 2 temperature_c', group: 'rack r1', class: 'cell-temp', custom_details: { value: 65, threshold: 60, alert_id: e.critical.alert_id } },
    });
    expect(pd.received[0]?.body).toMatchObject({ payload: { severity: 'warning' } });
    expect(metrics.count('busbar_alerter_notifications_total', { channel: 'pagerduty-1' })).toBe(3);
  }, 60_000);

  it('429 and 5xx are retried by the dispatcher (the resolve waits for its trigger); the episode keeps its key', async () => {
    const metrics = new RecordingMetrics();
    const { dispatcher, publish } = await dispatcherWith(metrics);
    const e = episode('cell-r2-1');
    pd.received.length = 0;
    pd.answerNext(429, 503, 500);
    await publish([e.warning, e.resolved]);
    await until(() => pd.received.filter((r) => r.status === 202).length === 2, 30_000);
    await dispatcher.stop();
    expect(pd.received.map((r) => [r.body['event_action'], r.status])).toEqual([['trigger', 429], ['trigger', 503], ['trigger', 500], ['trigger', 202], ['resolve', 202]]);
    expect(new Set(pd.received.map((r) => r.body['dedup_key']))).toEqual(new Set([e.warning.alert_id]));
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'pagerduty-1' })).toBe(3);
    expect(metrics.count('busbar_alerter_notifications_expired_total', { channel: 'pagerduty-1' })).toBe(0);
  }, 60_000);

  it('a 400 is permanent: attempted once, given up (counted as expired) with the episode\'s resolve; the next episode goes out', async () => {
    const metrics = new RecordingMetrics();
    const { dispatcher, publish } = await dispatcherWith(metrics);
    const e = episode('cell-r3-1');
    const next = episode('cell-r3-1');
    pd.received.length = 0;
    pd.answerNext(400);
    await publish([e.warning, e.resolved]);
    await until(() => pd.received.length === 1, 30_000);
    await new Promise((r) => setTimeout(r, 400)); // more than the largest retry delay: nothing else comes
    await publish([next.warning]);
    await until(() => pd.received.length === 2, 30_000);
    await dispatcher.stop();
    expect(pd.received.map((r) => [r.body['event_action'], r.body['dedup_key'], r.status])).toEqual([['trigger', e.warning.alert_id, 400], ['trigger', next.warning.alert_id, 202]]);
    expect(metrics.count('busbar_alerter_notifications_expired_total', { channel: 'pagerduty-1' })).toBe(2);
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'pagerduty-1' })).toBe(1);
  }, 60_000);

  it('the stand-in refuses what the schema refuses (a wrong key length, a 1025-character summary, a bad severity): BB_ALERTER_NOTIFY_REJECTED', async () => {
    pd.received.length = 0;
    const ok = { routing_key: target.routingKey, event_action: 'trigger', dedup_key: 'k1', payload: { summary: 's', source: 'cell-1', severity: 'info', timestamp: '2026-12-03T10:00:00.000Z', component: 'c', group: 'g', class: 'x', custom_details: {} } } as const;
    await postPagerDutyEvent(pd.url, ok, 2000);
    await expect(postPagerDutyEvent(pd.url, { ...ok, routing_key: 'short' }, 2000)).rejects.toMatchObject({ code: 'BB_ALERTER_NOTIFY_REJECTED', retriable: false });
    await expect(postPagerDutyEvent(pd.url, { ...ok, payload: { ...ok.payload, summary: 'x'.repeat(1025) } }, 2000)).rejects.toMatchObject({ code: 'BB_ALERTER_NOTIFY_REJECTED' });
    await expect(postPagerDutyEvent(pd.url, { ...ok, payload: { ...ok.payload, severity: 'fatal' as 'info' } }, 2000)).rejects.toMatchObject({ code: 'BB_ALERTER_NOTIFY_REJECTED' });
    expect(pd.received.map((r) => r.problems)).toEqual([[], ['routing_key must be a 32-character string'], ['payload.summary must be a string of 1..1024 characters'], ['payload.severity must be critical, error, warning or info']]);
    await expect(postPagerDutyEvent('http://127.0.0.1:1/v2/enqueue', ok, 2000)).rejects.toMatchObject({ code: 'BB_ALERTER_PAGERDUTY_FAILED', retriable: true });
  });
});
