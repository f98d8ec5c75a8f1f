import { describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { ManualClock } from '@busbar/core';
import { alertLabeler } from '../../src/routing/labels.js';
import type { GroupingOptions, RecordRef } from '../../src/notify/grouping.js';
import { AlertGrouping, HeldOffsets } from '../../src/notify/grouping.js';

const at = new Date('2026-12-03T10:00:00.000Z');
const alert = (id: string, device: string, state: Alert['state'], severity: Alert['severity'] = 'WARNING'): Alert => ({
  alert_id: id, rule: 'cell-temp', device_id: device, channel: null, signal: 'temperature_c', severity, state, value: 47.5, threshold: 45, timestamp: at, message: `${device} ${state}`,
});
const labelsOf = alertLabeler({ labels: {}, deviceLabels: { 'cell-r1-*': { rack: 'r1' }, 'cell-r2-*': { rack: 'r2' } } });
const options: GroupingOptions = { groupBy: ['rack'], groupWaitMs: 2000, groupIntervalMs: 4000, labelsOf };

let offset = 0;
const ref = (partition = 0): RecordRef => ({ partition, offset: String(offset++), writtenAtMs: 0 });
const summary = (g: AlertGrouping): string[][] => g.due().map((n) => [n.kind, n.group.key, ...n.group.alerts.map((a) => `${a.device_id}:${a.state}`)]);

describe('alerter > notify > grouping (unit)', () => {
  it('group_wait: a new group is notified once, after the wait, with every alert that entered it meanwhile; groups by the group_by labels', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping(options, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    clock.advance(500);
    g.add(alert('b', 'cell-r1-2', 'FIRING'), ref());
    g.add(alert('c', 'cell-r2-1', 'FIRING'), ref());
    clock.advance(1499);
    expect(g.due()).toEqual([]); // 1999 ms after the first alert of r1
    clock.advance(1);
    expect(summary(g)).toEqual([['first', '{rack="r1"}', 'cell-r1-1:FIRING', 'cell-r1-2:FIRING']]);
    clock.advance(500);
    expect(summary(g)).toEqual([['first', '{rack="r2"}', 'cell-r2-1:FIRING']]); // r2 began 500 ms later
    expect(g.size).toBe(2);
  });

  it('group_interval: changes after the first notification wait for the interval and list the firing alerts and those resolved since; a group all resolved and notified is dropped', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping(options, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    g.add(alert('b', 'cell-r1-2', 'FIRING'), ref());
    clock.advance(2000);
    const [first] = g.due();
    expect(first!.refs).toHaveLength(2);
    expect(g.delivered(first!)).toEqual(first!.refs);
    clock.advance(100);
    g.add(alert('c', 'cell-r1-3', 'FIRING'), ref());
    g.add(alert('a', 'cell-r1-1', 'RESOLVED'), ref());
    clock.advance(3899);
    expect(g.due()).toEqual([]);
    clock.advance(1); // group_interval after the first notification
    const [update] = g.due();
    expect(update!.kind).toBe('update');
    expect(update!.group.alerts.map((a) => `${a.device_id}:${a.state}`)).toEqual(['cell-r1-1:RESOLVED', 'cell-r1-2:FIRING', 'cell-r1-3:FIRING']);
    g.delivered(update!);
    g.add(alert('b', 'cell-r1-2', 'RESOLVED'), ref());
    g.add(alert('c', 'cell-r1-3', 'RESOLVED'), ref());
    clock.advance(4000);
    expect(summary(g)).toEqual([['update', '{rack="r1"}', 'cell-r1-2:RESOLVED', 'cell-r1-3:RESOLVED']]); // a, notified resolved, is gone
    expect(g.size).toBe(1); // in flight
  });

  it('drops a group once its resolves were delivered; the next alert of its labels opens a new group with a new group_wait', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping(options, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    clock.advance(2000);
    g.delivered(g.due()[0]!);
    g.add(alert('a', 'cell-r1-1', 'RESOLVED'), ref());
    clock.advance(4000);
    g.delivered(g.due()[0]!);
    expect(g.size).toBe(0);
    g.add(alert('d', 'cell-r1-4', 'FIRING'), ref());
    clock.advance(1999);
    expect(g.due()).toEqual([]);
    clock.advance(1);
    expect(summary(g)).toEqual([['first', '{rack="r1"}', 'cell-r1-4:FIRING']]);
  });

  it('repeat_interval: an unchanged group that still fires is notified again, without records; not when its firing alerts are acknowledged', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping({ ...options, repeatIntervalMs: 60_000 }, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    clock.advance(2000);
    g.delivered(g.due()[0]!);
    clock.advance(59_999);
    expect(g.due()).toEqual([]);
    clock.advance(1);
    const [repeat] = g.due();
    expect(repeat).toMatchObject({ kind: 'repeat', refs: [] });
    g.delivered(repeat!);
    g.acknowledge('a');
    clock.advance(120_000);
    expect(g.due()).toEqual([]);
  });

  it('a failed notification is tried again at the time given, with what changed meanwhile and every record it covered; a failed repeat waits an interval', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping({ ...options, repeatIntervalMs: 60_000 }, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    clock.advance(2000);
    const [n] = g.due();
    g.failed(n!, 3000);
    g.add(alert('b', 'cell-r1-2', 'FIRING'), ref());
    clock.advance(999);
    expect(g.due()).toEqual([]);
    clock.advance(1);
    const [again] = g.due();
    expect(again!.kind).toBe('first');
    expect(again!.group.alerts.map((a) => a.alert_id)).toEqual(['a', 'b']);
    expect(again!.refs.map((r) => r.offset)).toEqual([...n!.refs, ...again!.refs.slice(1)].map((r) => r.offset));
    expect(again!.refs).toHaveLength(2);
    g.delivered(again!);
    clock.advance(60_000);
    const [repeat] = g.due();
    g.failed(repeat!, 0);
    clock.advance(59_999);
    expect(g.due()).toEqual([]);
    clock.advance(1);
    expect(g.due()).toHaveLength(1);
  });

  it("an alert fired and resolved within group_wait is listed once, resolved; a RESOLVED of an alert not held (fired before a restart) is notified in a group; group_by ['...'] puts every alert alone", () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping(options, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    g.add(alert('a', 'cell-r1-1', 'RESOLVED'), ref());
    g.add(alert('z', 'cell-r1-9', 'RESOLVED'), ref());
    g.add(alert('x', 'cell-r1-8', 'ACKNOWLEDGED'), ref()); // not a state a group lists
    clock.advance(2000);
    const [n] = g.due();
    expect(n!.group.alerts.map((a) => `${a.alert_id}:${a.state}`)).toEqual(['a:RESOLVED', 'z:RESOLVED']);
    expect(n!.refs).toHaveLength(3);
    g.delivered(n!);
    expect(g.size).toBe(0);
    const alone = new AlertGrouping({ ...options, groupBy: ['...'] }, clock);
    alone.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    alone.add(alert('b', 'cell-r1-2', 'FIRING'), ref());
    clock.advance(2000);
    expect(summary(alone)).toEqual([['first', '{alert_id="a"}', 'cell-r1-1:FIRING'], ['first', '{alert_id="b"}', 'cell-r1-2:FIRING']]);
  });

  it('an escalation updates its alert in place; an alert stays in the group it entered; missing group_by labels are empty values', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping({ ...options, groupBy: ['rack', 'severity'] }, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref());
    g.add(alert('a', 'cell-r1-1', 'FIRING', 'CRITICAL'), ref());
    g.add(alert('q', 'other', 'FIRING'), ref());
    clock.advance(2000);
    expect(summary(g)).toEqual([
      ['first', '{rack="r1",severity="warning"}', 'cell-r1-1:FIRING'],
      ['first', '{rack="",severity="warning"}', 'other:FIRING'],
    ]);
  });

  it('a hand-over drops the alerts and records of the partitions that moved, not those in flight or kept', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping(options, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref(0));
    g.add(alert('b', 'cell-r1-2', 'FIRING'), ref(1));
    g.add(alert('c', 'cell-r2-1', 'FIRING'), ref(1));
    const dropped = g.keepPartitions([0]);
    expect(dropped.map((r) => r.partition)).toEqual([1, 1]);
    expect(g.size).toBe(1); // r2 had only partition 1
    clock.advance(2000);
    expect(summary(g)).toEqual([['first', '{rack="r1"}', 'cell-r1-1:FIRING']]);
  });

  it('a notification in flight across a hand-over: its records of a partition that moved are counted dropped once and not put back when it fails', () => {
    const clock = new ManualClock(0);
    const g = new AlertGrouping(options, clock);
    g.add(alert('a', 'cell-r1-1', 'FIRING'), ref(0));
    g.add(alert('b', 'cell-r1-2', 'FIRING'), ref(1));
    clock.advance(2000);
    const [n] = g.due();
    expect(n!.refs.map((r) => r.partition).sort()).toEqual([0, 1]);
    expect(g.keepPartitions([0]).map((r) => r.partition)).toEqual([1]);
    expect(g.keepPartitions([0])).toEqual([]); // a second rebalance while it is in flight: not counted again
    g.failed(n!, 3000);
    clock.advance(1000);
    const [retry] = g.due();
    expect(retry!.refs.map((r) => r.partition)).toEqual([0]); // partition 1's record is its new owner's
  });
});

describe('alerter > notify > grouping > HeldOffsets (unit)', () => {
  it('commits up to the lowest offset not done; a record fetched again is not taken twice; a partition that moved is forgotten', () => {
    const h = new HeldOffsets();
    expect(['10', '11', '12'].map((o) => h.take(0, o))).toEqual([true, true, true]);
    expect(h.done(0, '11')).toBeUndefined(); // 10 is not done
    expect(h.done(0, '10')).toBe('11');
    expect(h.take(0, '10')).toBe(false); // released for commit
    expect(h.take(0, '12')).toBe(false); // held
    expect(h.done(0, '12')).toBe('12');
    expect(h.done(0, '12')).toBeUndefined();
    h.keepPartitions([1]);
    expect(h.has(0)).toBe(false);
    expect(h.take(0, '10')).toBe(true); // owned again: read from its committed offset
  });
});
