import { describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { ManualClock } from '@busbar/core';
import { OpenAlerts } from '../../src/notify/open-alerts.js';

const at = new Date('2026-12-03T10:00:00.000Z');
const alert = (id: string, state: Alert['state']): Alert => ({
  alert_id: id, rule: 'cell-temp', device_id: `cell-${id}`, channel: null, signal: 'temperature_c', severity: 'WARNING', state, value: 47.5, threshold: 45, timestamp: at, message: `${id} ${state}`,
});
const ids = (alerts: readonly Alert[]): string[] => alerts.map((a) => a.alert_id);

describe('alerter > notify > open-alerts (unit)', () => {
  it('a delivered FIRING is due every interval until its RESOLVED is delivered or it is closed', () => {
    const clock = new ManualClock(0);
    const o = new OpenAlerts(clock);
    o.delivered('email', 60_000, alert('a', 'FIRING'), 0);
    o.delivered('email', 60_000, alert('b', 'FIRING'), 1);
    clock.advance(59_999);
    expect(o.due('email', 60_000)).toEqual([]);
    clock.advance(1);
    expect(ids(o.due('email', 60_000))).toEqual(['a', 'b']);
    expect(o.due('email', 60_000)).toEqual([]); // due again one interval later
    o.delivered('email', 60_000, alert('a', 'RESOLVED'), 0);
    o.close('email', 'b'); // an ack taken in hand
    clock.advance(60_000);
    expect(o.due('email', 60_000)).toEqual([]);
    expect(o.due('webhook-1', 60_000)).toEqual([]); // per channel
  });

  it('recovered alerts are due at once when admitted and not resolved here, and dropped once they no longer fire; a partition that moved takes its open alerts with it', () => {
    const clock = new ManualClock(0);
    const o = new OpenAlerts(clock);
    o.delivered('am', 60_000, alert('r', 'FIRING'), 0);
    o.delivered('am', 60_000, alert('r', 'RESOLVED'), 0);
    o.delivered('am', 60_000, alert('p', 'FIRING'), 2);
    const firing = [alert('x', 'FIRING'), alert('r', 'FIRING'), alert('m', 'FIRING')];
    const recovered = { firing, admit: (a: Alert) => a.alert_id !== 'm' };
    expect(ids(o.due('am', 60_000, recovered))).toEqual(['x']); // r resolved here, m muted, p not due yet
    expect(ids(o.list('am'))).toEqual(['p']); // recovered ones are not listed
    o.keepPartitions('am', [0, 1]);
    clock.advance(60_000);
    expect(ids(o.due('am', 60_000, { firing: [], admit: () => true }))).toEqual([]); // x no longer fires, p's partition moved
  });
});
