import { describe, expect, it } from 'vitest';
import { channelStateTransition, loadArbinCredentials, toChannelReading } from '../src/index.js';
import { decodeChannelInfoFeedback } from '../src/codec/channel-info.js';
import { parseFrame } from '../src/codec/frame.js';
import { vectorBytes } from './helpers/vectors.js';

describe('Reading', () => {
  it('maps the vector record to SI names, 1-based channel, parsed step and cycle', () => {
    const rec = decodeChannelInfoFeedback(parseFrame(vectorBytes('server_channel_info_msg'), 'feedback')).records[0]!;
    const r = toChannelReading(rec);
    expect(r).toMatchObject({ channel: 14, channel_index0: 13, status: 'Rest', state: 'running', cycle_index: 1, step_index: 1, step_label: 'Step_A', schedule_name: 'Rest+207855.sdx', test_name: '0', test_time_s: 2.5432 });
    expect(r.voltage_v).toBeCloseTo(3.4565, 4);
    expect(r.aux_temperatures).toEqual([]);
  });

  const at = (status_code: number, status: string, step: number | null = 1, extra: { comm_failure?: boolean; cycle?: number } = {}) => ({
    channel: 3, status_code, status, comm_failure: extra.comm_failure ?? false, step_index: step, cycle_index: extra.cycle ?? 1,
  });

  it.each([
    ['idle → charge', at(0, 'Idle', null), at(2, 'Charge'), 'started'],
    ['charge → rest (next step)', at(2, 'Charge', 1), at(4, 'Rest', 2), 'step-changed'],
    ['rest → rest, new cycle', at(4, 'Rest', 4, { cycle: 1 }), at(4, 'Rest', 4, { cycle: 2 }), 'step-changed'],
    ['rest → finished', at(4, 'Rest', 4), at(15, 'Finished', null), 'finished'],
    ['charge → unsafe', at(2, 'Charge'), at(8, 'Unsafe'), 'fault'],
    ['unsafe → idle', at(8, 'Unsafe'), at(0, 'Idle', null), 'fault-cleared'],
    ['charge → idle (stopped)', at(2, 'Charge'), at(0, 'Idle', null), 'stopped'],
    ['charge → pause', at(2, 'Charge'), at(18, 'Pause'), 'paused'],
    ['pause → charge', at(18, 'Pause'), at(2, 'Charge'), 'resumed'],
    ['comm lost', at(2, 'Charge'), at(2, 'Charge', 1, { comm_failure: true }), 'comm-lost'],
  ] as const)('%s → %s', (_n, prev, next, kind) => {
    expect(channelStateTransition(prev, next)?.kind).toBe(kind);
  });

  it('no event when nothing changed; first reading only reports faults', () => {
    expect(channelStateTransition(at(2, 'Charge'), at(2, 'Charge'))).toBeNull();
    expect(channelStateTransition(undefined, at(2, 'Charge'))).toBeNull();
    expect(channelStateTransition(undefined, at(8, 'Unsafe'))).toMatchObject({ kind: 'fault', severity: 'critical', from: null, to: 'Unsafe', channel: 3 });
  });
});

describe('Client > loadArbinCredentials', () => {
  it('reads env, then *_FILE secrets; redacts the password', () => {
    const c = loadArbinCredentials({ ARBIN_CTI_USERNAME: 'user', ARBIN_CTI_PASSWORD_FILE: '/run/secrets/pw' }, (p) => (p === '/run/secrets/pw' ? 'hunter2\n' : ''));
    expect(c.username).toBe('user');
    expect(c.password).toBe('hunter2');
    expect(JSON.stringify(c)).not.toContain('hunter2');
    expect(String(c)).not.toContain('hunter2');
  });

  it('names the missing variable, never a value', () => {
    expect(() => loadArbinCredentials({ ARBIN_CTI_USERNAME: 'user' })).toThrow(expect.objectContaining({ code: 'BB_ARBIN_CREDENTIALS_MISSING', message: expect.stringContaining('ARBIN_CTI_PASSWORD') }));
    expect(() => loadArbinCredentials({ ARBIN_CTI_USERNAME: 'u', ARBIN_CTI_PASSWORD: 'p'.repeat(40) })).toThrow(expect.objectContaining({ code: 'BB_ARBIN_INVALID_ARGUMENT', message: expect.not.stringContaining('ppp') }));
  });
});
