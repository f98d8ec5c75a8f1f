import { describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { ackSilenceOf, toAlertmanagerAlerts } from '../../src/notify/alertmanager.js';
import type { AlertmanagerTarget } from '../../src/notify/alertmanager.js';

const at = new Date('2026-12-03T10:00:00.000Z');
const firing: Alert = { alert_id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', rule: 'cell-temp', device_id: 'cell-r1-7', channel: 3, signal: 'temperature_c', severity: 'WARNING', state: 'FIRING', value: 47.5, threshold: 45, timestamp: at, message: 'WARNING: cell-r1-7 channel 3 temperature_c = 47.5 > 45 (rule cell-temp)' };
const target: AlertmanagerTarget = {
  url: 'http://am.test:9093', labels: { lab: 'b2' }, deviceLabels: { 'cell-r1-*': { rack: 'r1' }, 'cell-*': { rack: 'unknown' } },
  generatorUrl: 'http://grafana.test/d/x?var-device={device}&var-ch={channel}&var-rule={rule}', resendIntervalMs: 60_000, timeoutMs: 1000,
};
const NOW = Date.parse('2026-12-03T10:00:05.000Z');

describe('alerter > notify > alertmanager (unit)', () => {
  it('a FIRING: labels from rule/device/channel/signal/severity/episode plus static and first-matching device labels; endsAt 4 resend intervals after the send', () => {
    expect(toAlertmanagerAlerts(firing, target, NOW)).toEqual([{
      labels: { lab: 'b2', rack: 'r1', alertname: 'cell-temp', rule: 'cell-temp', device: 'cell-r1-7', channel: '3', signal: 'temperature_c', severity: 'warning', alert_id: firing.alert_id },
      annotations: { summary: firing.message, value: '47.5', threshold: '45' },
      startsAt: '2026-12-03T10:00:00.000Z',
      endsAt: '2026-12-03T10:04:05.000Z',
      generatorURL: 'http://grafana.test/d/x?var-device=cell-r1-7&var-ch=3&var-rule=cell-temp',
    }]);
  });

  it('a RESOLVED ends at its transition time; a CRITICAL brings its WARNING twin resolved (an escalation replaces the WARNING alert)', () => {
    const resolved = toAlertmanagerAlerts({ ...firing, state: 'RESOLVED', timestamp: new Date('2026-12-03T10:30:00.000Z') }, target, NOW);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ startsAt: '2026-12-03T10:30:00.000Z', endsAt: '2026-12-03T10:30:00.000Z', labels: { severity: 'warning' } });
    const escalated = toAlertmanagerAlerts({ ...firing, severity: 'CRITICAL' }, target, NOW);
    expect(escalated.map((a) => [a.labels['severity'], a.endsAt])).toEqual([['critical', '2026-12-03T10:04:05.000Z'], ['warning', '2026-12-03T10:00:00.000Z']]);
  });

  it('no channel label for a device-wide rule, no value/threshold annotations when unknown, no generatorURL unconfigured, placeholders URL-encoded', () => {
    const [a] = toAlertmanagerAlerts({ ...firing, channel: null, value: null, threshold: null, device_id: 'psu 1/a' }, { ...target, generatorUrl: undefined, deviceLabels: {} }, NOW);
    expect(a?.labels).not.toHaveProperty('channel');
    expect(a?.annotations).toEqual({ summary: firing.message });
    expect(a).not.toHaveProperty('generatorURL');
    const [b] = toAlertmanagerAlerts({ ...firing, device_id: 'psu 1/a' }, target, NOW);
    expect(b?.generatorURL).toBe('http://grafana.test/d/x?var-device=psu%201%2Fa&var-ch=3&var-rule=cell-temp');
  });

  it('the rule’s own labels win over static and device labels of the same name', () => {
    const [a] = toAlertmanagerAlerts(firing, { ...target, labels: { device: 'spoofed', severity: 'info' } }, NOW);
    expect(a?.labels).toMatchObject({ device: 'cell-r1-7', severity: 'warning' });
  });

  it('an acknowledged episode gets a silence matching its alert id from now for ackSilenceMs, with the ack as comment', () => {
    expect(ackSilenceOf({ ...firing, state: 'ACKNOWLEDGED', message: 'ACKNOWLEDGED by alice: on it' }, 3_600_000, NOW)).toEqual({
      matchers: [{ name: 'alert_id', value: firing.alert_id, isRegex: false, isEqual: true }],
      startsAt: '2026-12-03T10:00:05.000Z', endsAt: '2026-12-03T11:00:05.000Z', createdBy: 'busbar-alerter', comment: 'ACKNOWLEDGED by alice: on it',
    });
  });
});
