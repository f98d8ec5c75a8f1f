import { describe, expect, it } from 'vitest';
import { alertSerde } from '@busbar/avro';
import { toAcknowledgedAlert } from '../../src/ack/record.js';
import type { SeriesStateRecord } from '../../src/rule-state/record.js';

const ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

describe('alerter > ack > record', () => {
  it('the ACKNOWLEDGED Alert keeps the episode’s id, rule, device, channel and severity, at the ack’s time, and is a valid Alert v2 record', () => {
    const series: SeriesStateRecord = { rule: 'cell-temp', deviceId: 'cell-r1-4', channel: 2, severity: 'WARNING', episode: 3, episodeStartMs: 1000, alertId: ID, updatedMs: 1000 };
    const a = toAcknowledgedAlert(series, 'temperature_c', { alertId: ID, by: 'alice', comment: 'fan replaced', atMs: 9000 });
    expect(a).toEqual({ alert_id: ID, rule: 'cell-temp', device_id: 'cell-r1-4', channel: 2, signal: 'temperature_c', severity: 'WARNING', state: 'ACKNOWLEDGED', value: null, threshold: null, timestamp: new Date(9000), message: 'ACKNOWLEDGED by alice: cell-r1-4 channel 2 temperature_c (rule cell-temp) — fan replaced' });
    expect(alertSerde.decode(alertSerde.encode(a))).toEqual(a);
    expect(toAcknowledgedAlert({ ...series, channel: null }, 'temperature_c', { alertId: ID, by: 'bob', atMs: 9000 }).message).toBe('ACKNOWLEDGED by bob: cell-r1-4 temperature_c (rule cell-temp)');
  });
});
