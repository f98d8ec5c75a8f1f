import { describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import type { Alert } from '@busbar/avro';
import { toAlert } from '../src/alert.js';
import { AlertOutbox } from '../src/notify/outbox.js';
import type { Notifier } from '../src/notify/outbox.js';
import type { ThresholdRule } from '../src/rules/threshold.js';
import { RecordingMetrics } from './support/recording-metrics.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };
let series = 0;
function episode(): [Alert, Alert] {
  const base = { rule, deviceId: 'psu-1', channel: null, seriesKey: `psu-temp|psu-1|${++series}`, episode: 1, episodeStartMs: 1000 };
  return [toAlert({ ...base, state: 'FIRING', severity: 'CRITICAL', value: 95, threshold: 80, atMs: 1000 }), toAlert({ ...base, state: 'RESOLVED', severity: 'CRITICAL', value: 40, threshold: 55, atMs: 5000 })];
}

/** A notifier whose sends succeed, fail or hang as the test says; records what it delivered. */
function scripted(channel: string): Notifier & { sent: string[]; mode: 'ok' | 'fail' | 'hang'; release(): void } {
  let releases: (() => void)[] = [];
  const n = {
    channel, sent: [] as string[], mode: 'ok' as 'ok' | 'fail' | 'hang',
    release: () => { for (const r of releases) r(); releases = []; },
    send: async (a: Alert) => {
      if (n.mode === 'fail') throw new Error('refused');
      if (n.mode === 'hang') await new Promise<void>((r) => releases.push(r));
      n.sent.push(`${a.state}:${a.alert_id.slice(0, 8)}`);
    },
  };
  return n;
}

describe('alerter > outbox (unit)', () => {
  it('a batch redelivered after its notification went out records nothing new: the mail is sent once', async () => {
    const mail = scripted('email');
    const outbox = new AlertOutbox({ path: ':memory:', notifiers: [mail] });
    const [firing] = episode();
    outbox.enqueue([firing]);
    outbox.deliverDue();
    await outbox.settled();
    outbox.enqueue([firing]); // the consumer redelivers the uncommitted batch after the mail went out
    expect(outbox.pending).toBe(0);
    outbox.deliverDue();
    await outbox.settled();
    expect(mail.sent).toEqual([`FIRING:${firing.alert_id.slice(0, 8)}`]);
  });

  it('a slow channel holds only its own notifications: another alert on another channel goes out meanwhile', async () => {
    const mail = scripted('email');
    const hook = scripted('webhook-1');
    mail.mode = 'hang';
    const outbox = new AlertOutbox({ path: ':memory:', notifiers: [mail, hook] });
    const [a] = episode();
    outbox.enqueue([a]);
    outbox.deliverDue(); // the e-mail of a hangs
    await new Promise((r) => setImmediate(r));
    const [b] = episode();
    outbox.enqueue([b]);
    outbox.deliverDue();
    await new Promise((r) => setImmediate(r));
    expect(hook.sent).toEqual([`FIRING:${a.alert_id.slice(0, 8)}`, `FIRING:${b.alert_id.slice(0, 8)}`]);
    expect(mail.sent).toEqual([]);
    mail.release();
    mail.mode = 'ok';
    await outbox.settled();
    outbox.deliverDue();
    await outbox.settled();
    expect(mail.sent.sort()).toEqual([`FIRING:${a.alert_id.slice(0, 8)}`, `FIRING:${b.alert_id.slice(0, 8)}`].sort());
  });

  it('keeps FIRING before RESOLVED per alert and channel, and expires the RESOLVED with a FIRING that could not be delivered', async () => {
    const clock = new ManualClock(1_000_000);
    const metrics = new RecordingMetrics();
    const mail = scripted('email');
    mail.mode = 'fail';
    const outbox = new AlertOutbox({ path: ':memory:', notifiers: [mail], clock, expireAfterMs: 60_000, retry: { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0 }, metrics });
    const [firing, resolved] = episode();
    outbox.enqueue([firing, resolved]);
    for (let i = 0; i < 3; i++) {
      outbox.deliverDue();
      await outbox.settled();
      clock.advance(1000);
    }
    expect(metrics.count('busbar_alerter_notify_errors_total', { channel: 'email' })).toBe(3); // only the FIRING was attempted
    clock.advance(60_000);
    mail.mode = 'ok';
    outbox.deliverDue();
    await outbox.settled();
    expect(mail.sent).toEqual([]); // neither the FIRING nor, after it, its RESOLVED
    expect(metrics.count('busbar_alerter_notifications_expired_total', { channel: 'email' })).toBe(2);
    expect(outbox.pending).toBe(0);
  });

  it('reports each channel as failing from a failed attempt (why, since when, how many wait) until one succeeds', async () => {
    const clock = new ManualClock(10_000);
    const mail = scripted('email');
    const hook = scripted('webhook-1');
    const outbox = new AlertOutbox({ path: ':memory:', notifiers: [mail, hook], clock, retry: { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0 } });
    expect(outbox.channelStatus()).toEqual({ email: { ok: true }, 'webhook-1': { ok: true } });
    mail.mode = 'fail';
    const [firing] = episode();
    outbox.enqueue([firing]);
    outbox.deliverDue();
    await outbox.settled();
    clock.advance(5000);
    expect(outbox.channelStatus()).toEqual({ email: { ok: false, reason: 'last attempt failed 5 s ago: refused; 1 notification(s) waiting in the outbox' }, 'webhook-1': { ok: true } });
    mail.mode = 'ok';
    outbox.deliverDue();
    await outbox.settled();
    expect(outbox.channelStatus()).toEqual({ email: { ok: true }, 'webhook-1': { ok: true } });
    await outbox.stop();
  });
});
