import { describe, expect, it } from 'vitest';
import { decodeAckRecord } from '@busbar/alert-control';
import type { Alert } from '@busbar/avro';
import { buildAck, foldEpisodes } from '../src/alert.js';
import { runCli } from '../src/program.js';
import { capture } from './support/capture.js';

const ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

describe('cli > alert > buildAck', () => {
  it('writes the record the alerter decodes (key = the alert id), with or without a comment', () => {
    const { ack, value } = buildAck({ alertId: ID, by: 'alice', comment: 'fan replaced' }, 1_764_000_000_000);
    expect(decodeAckRecord(value)).toEqual(ack);
    expect(JSON.parse(value.toString('utf8'))).toEqual({ v: 1, action: 'ack', alert_id: ID, by: 'alice', comment: 'fan replaced', at_ms: 1_764_000_000_000 });
    expect(JSON.parse(buildAck({ alertId: ID, by: 'bob' }, 5).value.toString('utf8'))).toEqual({ v: 1, action: 'ack', alert_id: ID, by: 'bob', at_ms: 5 });
  });

  it.each([
    ['an empty --by', { alertId: ID, by: '' }, /by: /],
    ['a --by longer than 256 characters', { alertId: ID, by: 'b'.repeat(257) }, /by: /],
    ['a --comment longer than 1024 characters', { alertId: ID, by: 'alice', comment: 'c'.repeat(1025) }, /comment: /],
    ['an alert id longer than 128 characters', { alertId: 'a'.repeat(129), by: 'alice' }, /alert_id: /],
  ])('refuses %s with BB_CONFIG_INVALID naming the field', (_, o, field) => {
    expect(() => buildAck(o, 1)).toThrow(expect.objectContaining({ code: 'BB_CONFIG_INVALID', message: expect.stringMatching(field) }));
  });
});

describe('cli > alert > foldEpisodes', () => {
  const rec = (alertId: string, state: Alert['state'], severity: Alert['severity'], atMs: number, deviceId = 'psu-1'): Alert => ({ alert_id: alertId, rule: 'psu-temp', device_id: deviceId, channel: null, signal: 'temperature_c', severity, state, value: null, threshold: null, timestamp: new Date(atMs), message: `${state} ${severity}` });
  const records = [
    rec('b', 'FIRING', 'WARNING', 2000, 'psu-2'),
    rec('a', 'FIRING', 'WARNING', 1000),
    rec('a', 'ACKNOWLEDGED', 'WARNING', 1500),
    rec('a', 'FIRING', 'CRITICAL', 3000),
    rec('c', 'FIRING', 'WARNING', 2500, 'psu-3'),
    rec('c', 'RESOLVED', 'WARNING', 4000, 'psu-3'),
  ];

  it('one summary per episode: its last state, severity and message, its first and last time, by first time', () => {
    expect(foldEpisodes(records, false)).toEqual([
      { alert_id: 'a', rule: 'psu-temp', device_id: 'psu-1', channel: null, signal: 'temperature_c', severity: 'CRITICAL', state: 'FIRING', first_at: new Date(1000), last_at: new Date(3000), message: 'FIRING CRITICAL' },
      expect.objectContaining({ alert_id: 'b', state: 'FIRING', first_at: new Date(2000), last_at: new Date(2000) }),
      expect.objectContaining({ alert_id: 'c', state: 'RESOLVED', first_at: new Date(2500), last_at: new Date(4000) }),
    ]);
  });

  it('open only: FIRING and ACKNOWLEDGED episodes, not RESOLVED ones', () => {
    expect(foldEpisodes(records, true).map((e) => e.alert_id)).toEqual(['a', 'b']);
    expect(foldEpisodes([rec('a', 'FIRING', 'WARNING', 1), rec('a', 'ACKNOWLEDGED', 'WARNING', 2)], true).map((e) => e.state)).toEqual(['ACKNOWLEDGED']);
  });
});

describe('cli > busbar alert list (arguments)', () => {
  it('a bad --since exits 2 naming it, before any broker is asked', async () => {
    const io = capture();
    expect(await runCli(['alert', 'list', '--since', 'yesterday'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('busbar: --since yesterday: expected a positive duration');
  });
});

describe('cli > busbar alert ack (arguments)', () => {
  it('--help describes it and exits 0', async () => {
    const io = capture();
    expect(await runCli(['alert', 'ack', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^Usage: busbar alert ack \[options\] <alert-id>/);
    expect(io.stdout.join('\n')).toContain('--timeout-s <s>');
  });

  it('--by is required, --timeout-s must be positive, a too long comment exits 2, all before any broker is asked', async () => {
    const io = capture();
    expect(await runCli(['alert', 'ack', ID], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("required option '--by <who>' not specified");
    const io2 = capture();
    expect(await runCli(['alert', 'ack', ID, '--by', 'alice', '--wait', '--timeout-s', '0'], io2)).toBe(2);
    expect(io2.stderr.join('\n')).toContain('--timeout-s must be a positive number');
    const io3 = capture();
    expect(await runCli(['alert', 'ack', ID, '--by', 'alice', '--comment', 'c'.repeat(1025), '--brokers', '127.0.0.1:1'], io3)).toBe(2);
    expect(io3.stderr.join('\n')).toMatch(/busbar: the alerter would refuse this acknowledgement: alert-control record: comment: /);
  });
});
