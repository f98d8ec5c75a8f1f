import { describe, expect, it } from 'vitest';
import type { Alert } from '@busbar/avro';
import { PAGERDUTY_SUMMARY_MAX, toPagerDutyEvent } from '../../src/notify/pagerduty.js';
import type { PagerDutyTarget } from '../../src/notify/pagerduty.js';

const firing: Alert = { alert_id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', rule: 'cell-temp', device_id: 'cell-r1-7', channel: 3, signal: 'temperature_c', severity: 'CRITICAL', state: 'FIRING', value: 61.5, threshold: 60, timestamp: new Date('2026-12-03T10:00:00.000Z'), message: 'CRITICAL: cell-r1-7 channel 3 temperature_c = 61.5 > 60 (rule cell-temp)' };
const target: PagerDutyTarget = { routingKey: 'R0123456789abcdef0123456789abcde', url: 'http://pd.test/v2/enqueue', severity: { WARNING: 'warning', CRITICAL: 'critical' }, deviceGroups: { 'cell-r1-*': 'rack r1' }, clientUrl: 'http://grafana.test/d/x?var-device={device}', timeoutMs: 1000 };

describe('alerter > notify > pagerduty (unit)', () => {
  it('FIRING → trigger with dedup_key = alert id and the documented payload fields', () => {
    expect(toPagerDutyEvent(firing, target)).toEqual({
      routing_key: target.routingKey, event_action: 'trigger', dedup_key: firing.alert_id,
      payload: {
        summary: firing.message, source: 'cell-r1-7', severity: 'critical', timestamp: '2026-12-03T10:00:00.000Z', component: 'channel 3 temperature_c', group: 'rack r1', class: 'cell-temp',
        custom_details: { rule: 'cell-temp', device_id: 'cell-r1-7', channel: 3, signal: 'temperature_c', severity: 'CRITICAL', value: 61.5, threshold: 60, alert_id: firing.alert_id },
      },
      client: 'Busbar', client_url: 'http://grafana.test/d/x?var-device=cell-r1-7',
    });
  });

  it('RESOLVED → resolve reusing the trigger’s dedup_key, without payload', () => {
    expect(toPagerDutyEvent({ ...firing, state: 'RESOLVED' }, target)).toEqual({ routing_key: target.routingKey, event_action: 'resolve', dedup_key: firing.alert_id });
  });

  it('ACKNOWLEDGED → acknowledge with the same dedup_key, without payload', () => {
    expect(toPagerDutyEvent({ ...firing, state: 'ACKNOWLEDGED' }, target)).toEqual({ routing_key: target.routingKey, event_action: 'acknowledge', dedup_key: firing.alert_id });
  });

  it('maps severities by configuration; no group when no glob matches; component is the signal without a channel', () => {
    const e = toPagerDutyEvent({ ...firing, severity: 'WARNING', channel: null, device_id: 'psu-1' }, { ...target, severity: { WARNING: 'info', CRITICAL: 'error' } });
    expect(e.payload).toMatchObject({ severity: 'info', component: 'temperature_c' });
    expect(e.payload).not.toHaveProperty('group');
    expect(toPagerDutyEvent(firing, { ...target, severity: { WARNING: 'info', CRITICAL: 'error' } }).payload?.severity).toBe('error');
  });

  it('cuts a summary longer than 1024 characters to exactly 1024', () => {
    const e = toPagerDutyEvent({ ...firing, message: 'x'.repeat(3000) }, target);
    expect(e.payload?.summary).toHaveLength(PAGERDUTY_SUMMARY_MAX);
    expect(e.payload?.summary.endsWith('…')).toBe(true);
    expect(toPagerDutyEvent({ ...firing, message: 'y'.repeat(1024) }, target).payload?.summary).toBe('y'.repeat(1024));
  });
});
