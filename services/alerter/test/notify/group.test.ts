import { describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { groupKeyOf, groupStatus, singleAlertGroup } from '../../src/notify/group.js';
import { formatAlertMail, formatGroupMail } from '../../src/notify/email.js';

const at = new Date('2026-12-03T10:00:00.000Z');
const alert = (id: string, device: string, state: Alert['state'], severity: Alert['severity'] = 'WARNING'): Alert => ({
  alert_id: id, rule: 'cell-temp', device_id: device, channel: null, signal: 'temperature_c', severity, state, value: 47.5, threshold: 45, timestamp: at, message: `${severity}: ${device} temperature_c = 47.5 > 45 (rule cell-temp)`,
});

describe('alerter > notify > group (unit)', () => {
  it('the group key lists the labels sorted by name with quoted values, so equal label sets give equal keys', () => {
    expect(groupKeyOf({ rule: 'cell-temp', rack: 'r3' })).toBe('{rack="r3",rule="cell-temp"}');
    expect(groupKeyOf({ rack: 'r3', rule: 'cell-temp' })).toBe(groupKeyOf({ rule: 'cell-temp', rack: 'r3' }));
    expect(groupKeyOf({ rack: 'a"b' })).toBe('{rack="a\\"b"}');
  });

  it('status: firing while any alert is not resolved, resolved when all are', () => {
    const g = { key: 'k', groupLabels: {}, alerts: [alert('a', 'd1', 'RESOLVED'), alert('b', 'd2', 'FIRING')] };
    expect(groupStatus(g)).toBe('firing');
    expect(groupStatus({ ...g, alerts: [alert('a', 'd1', 'RESOLVED')] })).toBe('resolved');
  });

  it('a single alert is a group of one keyed by its id, and its mail is the alert mail', () => {
    const a = alert('id-1', 'cell-1', 'FIRING');
    const g = singleAlertGroup(a);
    expect(g).toEqual({ key: '{alert_id="id-1"}', groupLabels: { alert_id: 'id-1' }, alerts: [a] });
    expect(formatGroupMail(g)).toEqual(formatAlertMail(a));
  });

  it('a group mail counts firing and resolved alerts, names its labels and worst severity, and lists every alert, firing first', () => {
    const g = { key: '{rack="r3"}', groupLabels: { rack: 'r3' }, alerts: [alert('a', 'cell-1', 'RESOLVED'), alert('b', 'cell-2', 'FIRING', 'CRITICAL'), alert('c', 'cell-3', 'FIRING')] };
    const mail = formatGroupMail(g);
    expect(mail.subject).toBe('[Busbar CRITICAL] 2 firing, 1 resolved: rack=r3');
    const order = ['cell-2', 'cell-3', 'cell-1'].map((d) => mail.text.indexOf(`Device:    ${d}`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(formatGroupMail({ ...g, alerts: [alert('a', 'cell-1', 'RESOLVED'), alert('d', 'cell-4', 'RESOLVED')] }).subject).toBe('[Busbar RESOLVED] 2 resolved: rack=r3');
  });
});
