import { describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { BusbarError, ManualClock, noopLogger, noopMetrics } from '@busbar/core';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
import type { AlertGroup } from '../../src/notify/group.js';
import type { GroupedDeliveryOptions } from '../../src/notify/grouped-delivery.js';
import { GroupedDelivery } from '../../src/notify/grouped-delivery.js';
import { alertLabeler } from '../../src/routing/labels.js';

const at = new Date('2026-12-03T10:00:00.000Z');
const alert = (id: string, device: string, state: Alert['state']): Alert => ({
  alert_id: id, rule: 'cell-temp', device_id: device, channel: null, signal: 'temperature_c', severity: 'WARNING', state, value: 47.5, threshold: 45, timestamp: at, message: `${device} ${state}`,
});
const record = (partition: number, offset: number, value: Alert, writtenAtMs = 0): ConsumedRecord<Alert> => ({ value, key: value.device_id, topic: 'alerts', partition, offset: String(offset), kafkaTimestampMs: writtenAtMs });

/** A batch control that records the late commits per partition. */
function control(partition: number, commits: string[], nextOffset = '0'): BatchControl {
  return {
    heartbeat: () => Promise.resolve(),
    isRunning: () => true,
    groupId: 'g',
    nextOffset: { topic: 'alerts', partition, offset: nextOffset },
    commit: () => Promise.reject(new Error('a grouped channel commits with commitLater only')),
    commitLater: (offset) => {
      commits.push(`${partition}:${offset}`);
      return Promise.resolve();
    },
  };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(over: Partial<GroupedDeliveryOptions> = {}): { d: GroupedDelivery; clock: ManualClock; sent: AlertGroup[]; commits: string[]; held: Set<string>; fail: { next: Error[] } } {
  const clock = new ManualClock(0);
  const sent: AlertGroup[] = [];
  const held = new Set<string>();
  const fail = { next: [] as Error[] };
  const d = new GroupedDelivery({
    channel: 'email',
    sendGroup: (g) => {
      const err = fail.next.shift();
      if (err) return Promise.reject(err);
      sent.push(g);
      return Promise.resolve();
    },
    grouping: { groupBy: ['rack'], groupWaitMs: 2000, groupIntervalMs: 4000, labelsOf: alertLabeler({ labels: {}, deviceLabels: { 'cell-r1-*': { rack: 'r1' } } }) },
    admit: (r) => !r.value.device_id.includes('muted'),
    onHeld: (r, isHeld) => (isHeld ? held.add(`${r.partition}:${r.offset}`) : held.delete(`${r.partition}:${r.offset}`)),
    onAttempt: () => undefined,
    member: () => true,
    expireAfterMs: 60_000,
    retry: { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0 },
    clock,
    logger: noopLogger,
    metrics: noopMetrics,
    ...over,
  });
  d.assigned([0, 1]);
  return { d, clock, sent, commits: [], held, fail };
}

describe('alerter > notify > grouped-delivery (unit)', () => {

  it('a batch whose records all went to the dead-letter topic (handed over empty) is committed past only when nothing earlier waits in hand', async () => {
    const s = setup();
    const commits: string[] = [];
    await s.d.take([record(0, 10, alert('a', 'cell-r1-1', 'FIRING'))], control(0, commits, '11'));
    await s.d.take([], control(0, commits, '12')); // offset 11 dead-lettered: the FIRING at 10 still waits for group_wait
    await settle();
    expect(commits).toEqual([]);
    s.clock.advance(2000);
    s.d.tick();
    await settle();
    expect(commits).toEqual(['0:10']); // after its delivery (the dead record at 11 is read again after a restart: dead-lettered again, nothing lost)
    await s.d.take([], control(0, commits, '14')); // nothing in hand now: committed past the dead records
    await settle();
    expect(commits).toEqual(['0:10', '0:13']);
  });
  it('returns each batch at once; commits nothing before the group notification was delivered, then up to the last record it covered', async () => {
    const s = setup();
    const commits: string[] = [];
    expect(await s.d.take([record(0, 0, alert('a', 'cell-r1-1', 'FIRING')), record(0, 1, alert('b', 'cell-r1-2', 'FIRING'))], control(0, commits))).toEqual({ committed: true });
    s.clock.advance(1999);
    s.d.tick();
    await settle();
    expect(s.sent).toEqual([]);
    expect(commits).toEqual([]);
    expect(s.held.size).toBe(2);
    s.clock.advance(1);
    s.d.tick();
    await settle();
    expect(s.sent.map((g) => g.alerts.map((a) => a.alert_id))).toEqual([['a', 'b']]);
    expect(commits).toEqual(['0:1']);
    expect(s.held.size).toBe(0);
  });

  it('a muted record does not enter its group and is committed at once — but not past a record still waiting in its group', async () => {
    const s = setup();
    const commits: string[] = [];
    await s.d.take([record(0, 0, alert('m', 'cell-r1-muted', 'FIRING'))], control(0, commits));
    await settle();
    expect(commits).toEqual(['0:0']); // nothing before it waits
    await s.d.take([record(0, 1, alert('a', 'cell-r1-1', 'FIRING')), record(0, 2, alert('n', 'cell-r1-muted-2', 'FIRING'))], control(0, commits));
    await settle();
    expect(commits).toEqual(['0:0']); // 1 waits in its group: 2 is not committed
    s.clock.advance(2000);
    s.d.tick();
    await settle();
    expect(s.sent.map((g) => g.alerts.map((a) => a.alert_id))).toEqual([['a']]);
    expect(commits).toEqual(['0:0', '0:2']);
  });

  it('records fetched again after a rebalance that left the partition here are not grouped twice; those of a partition that moved are dropped uncommitted', async () => {
    const s = setup();
    const commits: string[] = [];
    const r0 = record(0, 5, alert('a', 'cell-r1-1', 'FIRING'));
    const r1 = record(1, 7, alert('b', 'cell-r1-2', 'FIRING'));
    await s.d.take([r0], control(0, commits));
    await s.d.take([r1], control(1, commits));
    s.d.revoked();
    s.clock.advance(5000);
    s.d.tick();
    await settle();
    expect(s.sent).toEqual([]); // nothing sent while the assignment is not known
    s.d.assigned([0]);
    await s.d.take([r0], control(0, commits)); // fetched again from the committed offset
    s.d.tick();
    await settle();
    expect(s.sent.map((g) => g.alerts.map((a) => a.alert_id))).toEqual([['a']]);
    expect(commits).toEqual(['0:5']);
    expect(s.held.size).toBe(0);
  });

  it('retries a failed notification with backoff and commits after it went out; gives it up (and commits) when refused for good', async () => {
    const s = setup();
    const commits: string[] = [];
    s.fail.next.push(new Error('smtp down'));
    await s.d.take([record(0, 0, alert('a', 'cell-r1-1', 'FIRING'))], control(0, commits));
    s.clock.advance(2000);
    s.d.tick();
    await settle();
    expect(commits).toEqual([]);
    s.clock.advance(999);
    s.d.tick();
    await settle();
    expect(s.sent).toEqual([]);
    s.clock.advance(1);
    s.d.tick();
    await settle();
    expect(s.sent).toHaveLength(1);
    expect(commits).toEqual(['0:0']);
    s.fail.next.push(new BusbarError('BB_ALERTER_NOTIFY_REJECTED', 'refused', { retriable: false }));
    await s.d.take([record(0, 1, alert('a', 'cell-r1-1', 'RESOLVED'))], control(0, commits));
    s.clock.advance(4000);
    s.d.tick();
    await settle();
    expect(s.sent).toHaveLength(1);
    expect(commits).toEqual(['0:0', '0:1']); // given up: not retried, committed
  });

  it('stop: nothing more is sent and nothing undelivered is committed', async () => {
    const s = setup();
    const commits: string[] = [];
    await s.d.take([record(0, 0, alert('a', 'cell-r1-1', 'FIRING'))], control(0, commits));
    await s.d.stop();
    s.clock.advance(10_000);
    s.d.tick();
    await settle();
    expect(s.sent).toEqual([]);
    expect(commits).toEqual([]);
  });
});
