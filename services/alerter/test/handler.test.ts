import { describe, expect, it, vi } from 'vitest';
import type { Alert } from '@busbar/avro';
import { createReadingsHandler } from '../src/handler.js';
import type { ThresholdRule } from '../src/rules/threshold.js';
import { RecordingMetrics } from './support/recording-metrics.js';
import { countingControl, reading } from './support/readings.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };

/** A publisher that fails its first `failures` calls, then acknowledges; logs every step in `log`. */
function flakyPublisher(failures: number, log: string[]): { publish: (alerts: readonly Alert[]) => Promise<void>; acked: Alert[][] } {
  let calls = 0;
  const acked: Alert[][] = [];
  return {
    acked,
    publish: (alerts) => {
      calls++;
      log.push(`publish#${calls}`);
      if (calls <= failures) return Promise.reject(new Error('broker unavailable'));
      acked.push([...alerts]);
      log.push(`acked:${alerts.map((a) => `${a.state}:${a.severity}`).join(',')}`);
      return Promise.resolve();
    },
  };
}

/** Records what the handler hands to the outbox (`notify`), as the outbox's `enqueue` would. */
function recordingOutbox(log: string[]): { notify: (alerts: readonly Alert[]) => void; sent: Alert[] } {
  const sent: Alert[] = [];
  return {
    sent,
    notify: (alerts) => {
      for (const a of alerts) {
        sent.push(a);
        log.push(`outbox:${a.state}:${a.severity}`);
      }
    },
  };
}

describe('alerter > handler', () => {
  it('loses no alert when publishing fails once: the redelivered batch publishes it, then notifies once', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(1, log);
    const mail = recordingOutbox(log);
    const metrics = new RecordingMetrics();
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: mail.notify, metrics });
    const batch = [reading(40, 1000, 'psu-1', 0), reading(95, 2000, 'psu-1', 1)];

    await expect(handle(batch, countingControl())).rejects.toThrow('broker unavailable');
    expect(mail.sent).toEqual([]); // nothing notified for an unacknowledged record
    expect(metrics.count('busbar_alerter_transitions_total')).toBe(0);

    await handle(batch, countingControl()); // the consumer redelivers the uncommitted batch
    expect(pub.acked).toHaveLength(1);
    const [alert] = pub.acked[0]!;
    expect(alert).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', device_id: 'psu-1', value: 95, threshold: 80 });
    expect(mail.sent).toEqual([alert]);
    expect(log).toEqual(['publish#1', 'publish#2', 'acked:FIRING:CRITICAL', 'outbox:FIRING:CRITICAL']);
    expect(metrics.count('busbar_alerter_transitions_total', { state: 'FIRING', severity: 'CRITICAL' })).toBe(1);

    // once applied, a later batch still beyond the bound is quiet, and the resolve shares the id
    await handle([reading(96, 3000, 'psu-1', 2)], countingControl());
    await handle([reading(40, 4000, 'psu-1', 3)], countingControl());
    expect(pub.acked.map((b) => b.map((a) => a.state))).toEqual([['FIRING'], ['RESOLVED']]);
    expect(pub.acked[1]![0]!.alert_id).toBe(alert!.alert_id);
    expect(mail.sent.map((a) => a.state)).toEqual(['FIRING', 'RESOLVED']);
  });

  it('keeps a failed batch’s for-duration progress out of the state, so the redelivery counts it from the same reading', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(1, log);
    const handle = createReadingsHandler({ rules: [{ ...rule, forMs: 5000 }], publish: pub.publish, notify: () => undefined });
    const batch = [reading(95, 0, 'psu-1', 0), reading(95, 5000, 'psu-1', 1)];
    await expect(handle(batch, countingControl())).rejects.toThrow();
    await handle(batch, countingControl());
    expect(pub.acked).toEqual([[expect.objectContaining({ state: 'FIRING', severity: 'CRITICAL', timestamp: new Date(5000) })]]);
  });

  it('records the notifications in the outbox only after the Alert record was acknowledged', async () => {
    const log: string[] = [];
    let ack: () => void = () => {};
    const mail = recordingOutbox(log);
    const handle = createReadingsHandler({
      rules: [rule],
      publish: () => new Promise<void>((resolve) => {
        log.push('publish');
        ack = () => {
          log.push('acked');
          resolve();
        };
      }),
      notify: mail.notify,
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // any retry or notification timer runs on virtual time
    let done: Promise<void>;
    try {
      done = handle([reading(95, 1000)], countingControl());
      await vi.advanceTimersByTimeAsync(60_000); // a minute without the acknowledgement: still nothing notified
    } finally {
      vi.useRealTimers();
    }
    expect(log).toEqual(['publish']);
    ack();
    await done;
    expect(log).toEqual(['publish', 'acked', 'outbox:FIRING:CRITICAL']);
  });

  it('ignores devices the rule does not select and values it cannot read', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(0, log);
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: (a) => void log.push(`outbox:${a.length}`) });
    const nan = reading(Number.NaN, 2000);
    await handle([reading(95, 1000, 'chamber-1'), nan], countingControl());
    expect(log).toEqual([]);
  });

  it('throws (batch redelivered, state untouched) when the notifications cannot be recorded', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(0, log);
    let outboxBroken = true;
    const mail = recordingOutbox(log);
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: (a) => {
      if (outboxBroken) throw new Error('disk full');
      mail.notify(a);
    } });
    const batch = [reading(95, 1000, 'psu-1', 0)];
    await expect(handle(batch, countingControl())).rejects.toThrow('disk full');
    outboxBroken = false;
    await handle(batch, countingControl()); // the redelivery fires the same transition again
    expect(mail.sent.map((a) => a.state)).toEqual(['FIRING']);
    expect(pub.acked[0]![0]!.alert_id).toBe(pub.acked[1]![0]!.alert_id); // same alert id: the outbox records it once
  });
});
