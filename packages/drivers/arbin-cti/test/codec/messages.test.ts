import { describe, expect, it } from 'vitest';
import { AUX_TYPES, emptyChannelRecord, encodeAssignScheduleRequest, encodeStartScheduleRequest, type ChannelInfoRecord } from '../../src/index.js';
import { decodeChannelInfoFeedback, encodeChannelInfoFeedback, encodeChannelInfoRequest } from '../../src/codec/channel-info.js';
import { decodeConsoleMessageFeedback, encodeConsoleMessageRequest } from '../../src/codec/console-message.js';
import { decodeContinueChannelRequest, decodeJumpToStepRequest, decodeResumeScheduleRequest, encodeContinueChannelRequest, encodeJumpToStepRequest, encodeResumeScheduleRequest } from '../../src/codec/schedule.js';
import { decodeSerialNumberFeedback, encodeGetSerialNumberRequest } from '../../src/codec/serial-number.js';
import { decodeUpdateMetaVariablesRequest, encodeSetMetaVariableRequest, encodeUpdateMetaVariablesRequest, mvMetaCode } from '../../src/codec/meta-variable.js';
import { describeResult } from '../../src/codec/result-codes.js';
import { encodeLoginRequest } from '../../src/codec/login.js';
import { feedbackCodeFor, CTI_COMMANDS } from '../../src/codec/commands.js';
import { parseFrame } from '../../src/codec/frame.js';
import { parseStepAndCycle } from '../../src/codec/status.js';
import { buildFrame, vectorBytes } from '../helpers/vectors.js';

const u16 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff];
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const f32 = (v: number): number[] => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return [...b];
};
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

describe('Codec > messages beyond pycti (vendor layouts, README §6)', () => {
  it('resume: int32 channel, u8 all, 101 reserved; 128 bytes (README §6.2)', () => {
    const expected = buildFrame('request', 0xbb310002, [...u32(4), 0, ...zeros(101)]);
    expect(encodeResumeScheduleRequest({ channel_index0: 4 })).toEqual(expected);
    expect(decodeResumeScheduleRequest(parseFrame(expected, 'request'))).toEqual({ channel_index0: 4, all_channels: false });
  });

  it('continue: u32 N + u16[N] ([I4.5] layout)', () => {
    const expected = buildFrame('request', 0xbb320006, [...u32(2), ...u16(0), ...u16(7)]);
    expect(encodeContinueChannelRequest({ channel_indexes0: [0, 7] })).toEqual(expected);
    expect(expected.length).toBe(26 + 4);
    expect(decodeContinueChannelRequest(parseFrame(expected, 'request'))).toEqual({ channel_indexes0: [0, 7] });
  });

  it('jump: int32 step (0-based), int32 channel, 101 reserved; 131 bytes', () => {
    const expected = buildFrame('request', 0xbb320005, [...u32(2), ...u32(5), ...zeros(101)]);
    expect(encodeJumpToStepRequest({ channel_index0: 5, step_index0: 2 })).toEqual(expected);
    expect(expected.length).toBe(131);
    expect(decodeJumpToStepRequest(parseFrame(expected, 'request'))).toEqual({ channel_index0: 5, step_index0: 2 });
  });

  it('MV-advanced: u16 count, 18 reserved, {u16 ch, u16 code, f32}[] ([P1.1])', () => {
    const expected = buildFrame('request', 0xbb150002, [...u16(2), ...zeros(18), ...u16(0), ...u16(52), ...f32(1.5), ...u16(3), ...u16(116), ...f32(-2)]);
    const entries = [{ channel_index0: 0, mv_meta_code: 52, value: 1.5 }, { channel_index0: 3, mv_meta_code: 116, value: -2 }];
    expect(encodeUpdateMetaVariablesRequest(entries)).toEqual(expected);
    expect(decodeUpdateMetaVariablesRequest(parseFrame(expected, 'request'))).toEqual(entries);
    expect(() => encodeUpdateMetaVariablesRequest([])).toThrow(expect.objectContaining({ code: 'BB_ARBIN_INVALID_ARGUMENT' }));
  });

  it('get serial number: zero args request; feedback u32 serial + u8 result', () => {
    expect(encodeGetSerialNumberRequest()).toEqual(buildFrame('request', 0xbb340001, zeros(106)));
    const fb = buildFrame('feedback', 0xbb430001, [...u32(207855), 0, ...zeros(101)]);
    expect(decodeSerialNumberFeedback(parseFrame(fb, 'feedback'))).toEqual({ serial_number: 207855, result: 0 });
  });

  it('console message: wchar[1024] request (2070 bytes); u32 result feedback', () => {
    const text = Buffer.alloc(2048);
    text.write('[2024-01-01]<-->hello', 0, 'utf16le');
    expect(encodeConsoleMessageRequest('[2024-01-01]<-->hello')).toEqual(buildFrame('request', 0xcd140002, text));
    expect(decodeConsoleMessageFeedback(parseFrame(buildFrame('feedback', 0xcd410002, u32(1)), 'feedback'))).toEqual({ result: 1 });
  });

  it('feedback code rule (README §1) holds for every implemented command', () => {
    for (const { request, feedback } of Object.values(CTI_COMMANDS)) expect(feedbackCodeFor(request)).toBe(feedback);
  });

  it('MV_UD meta codes (README §4.7)', () => {
    expect([1, 4, 5, 16].map(mvMetaCode)).toEqual([52, 55, 105, 116]);
    expect(() => mvMetaCode(17)).toThrow(expect.objectContaining({ code: 'BB_ARBIN_INVALID_ARGUMENT' }));
  });

  it.each([
    ['username too long', () => encodeLoginRequest({ username: 'x'.repeat(32), password: 'p' })],
    ['non-latin1 password', () => encodeLoginRequest({ username: 'u', password: 'π' })],
    ['channel index −2', () => encodeChannelInfoRequest({ channel_index0: -2 })],
    ['schedule too long', () => encodeAssignScheduleRequest({ channel_index0: 0, schedule: 's'.repeat(200) })],
    ['lone surrogate', () => encodeStartScheduleRequest({ test_name: '\ud800x', channel_indexes0: [0] })],
    ['NaN MV value', () => encodeSetMetaVariableRequest({ channel_index0: 0, mv_meta_code: 52, mv_data: Number.NaN })],
    ['empty start list', () => encodeStartScheduleRequest({ test_name: 't', channel_indexes0: [] })],
  ])('refuses to encode: %s', (_n, f) => {
    expect(f).toThrow(expect.objectContaining({ code: 'BB_ARBIN_INVALID_ARGUMENT' }));
  });

  it('credentials never appear in the error message', () => {
    try {
      encodeLoginRequest({ username: 'u', password: 'secret-secret-secret-secret-secret' });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('secret');
    }
  });
});

describe('Codec > channel info with aux values and several records', () => {
  const withAux = (i: number): ChannelInfoRecord => {
    const r = emptyChannelRecord(i);
    const aux = Object.fromEntries(AUX_TYPES.map((t) => [t, [] as { value: number; dt: number }[]])) as unknown as ChannelInfoRecord['aux'];
    (aux.voltage as { value: number; dt: number }[]).push({ value: 3.5, dt: 0.25 });
    (aux.temperature as { value: number; dt: number }[]).push({ value: 25, dt: 0 }, { value: 26.5, dt: 0.5 });
    return { ...r, aux, status: 2, status_name: 'Charge', voltage_v: 4, step_and_cycle_format: '[2] 3: CC, Current' };
  };

  it('round-trips two records with aux groups in count order', () => {
    const bytes = encodeChannelInfoFeedback([withAux(0), withAux(1)]);
    expect(bytes.length).toBe(24 + 2 * (1753 + 3 * 8) + 2);
    const fb = decodeChannelInfoFeedback(parseFrame(bytes, 'feedback'));
    expect(fb.records.map((r) => r.channel_index0)).toEqual([0, 1]);
    expect(fb.records[1]?.aux.temperature).toEqual([{ value: 25, dt: 0 }, { value: 26.5, dt: 0.5 }]);
    expect(fb.records[0]?.aux.voltage).toEqual([{ value: 3.5, dt: 0.25 }]);
  });

  it('refuses counts that promise more aux values than the frame holds (BB_ARBIN_TRUNCATED)', () => {
    const real = Buffer.from(vectorBytes('server_channel_info_msg'));
    real.writeUInt16LE(1, 24 + 1727); // one aux temperature, no data
    const fixed = buildFrame('feedback', 0xeeba0003, real.subarray(20, real.length - 2));
    expect(() => decodeChannelInfoFeedback(parseFrame(fixed, 'feedback'))).toThrow(expect.objectContaining({ code: 'BB_ARBIN_TRUNCATED' }));
  });

  it('refuses a record count beyond the frame', () => {
    const f = buildFrame('feedback', 0xeeba0003, u32(2));
    expect(() => decodeChannelInfoFeedback(parseFrame(f, 'feedback'))).toThrow(expect.objectContaining({ code: 'BB_ARBIN_TRUNCATED' }));
  });

  it('wrong command code → BB_ARBIN_UNEXPECTED_COMMAND', () => {
    expect(() => decodeChannelInfoFeedback(parseFrame(vectorBytes('server_stop_schedule_msg'), 'feedback'))).toThrow(expect.objectContaining({ code: 'BB_ARBIN_UNEXPECTED_COMMAND' }));
  });

  it('drops a leading BOM in wide strings (pycti utf-16 quirk, README §3.5)', () => {
    const bytes = Buffer.from(encodeChannelInfoFeedback([emptyChannelRecord(0)]));
    Buffer.from('fffe6e006f006e006500', 'hex').copy(bytes, 24 + 715);
    const fixed = buildFrame('feedback', 0xeeba0003, bytes.subarray(20, bytes.length - 2));
    expect(decodeChannelInfoFeedback(parseFrame(fixed, 'feedback')).records[0]?.barcode).toBe('none');
  });
});

describe('Codec > status and result codes', () => {
  it('parses the step-and-cycle text', () => {
    expect(parseStepAndCycle('[1] 1: Step_A, Rest')).toEqual({ cycle_index: 1, step_index: 1, step_label: 'Step_A', step_type: 'Rest' });
    expect(parseStepAndCycle('[12] 7: CC Charge, Current')).toEqual({ cycle_index: 12, step_index: 7, step_label: 'CC Charge', step_type: 'Current' });
    expect(parseStepAndCycle('none')).toBeUndefined();
    expect(parseStepAndCycle('')).toBeUndefined();
  });

  it('maps result codes with vendor meaning and source', () => {
    expect(describeResult('startSchedule', 0x12)).toMatchObject({ ok: false, code: 0x12, name: 'CTI_START_CHANNEL_RUNNING', reason: 'channel running or unsafe', source: 'README §5.2' });
    expect(describeResult('setMetaVariable', 0x11).name).toBe('CTI_SET_MV_METACODE_NOTEXIST');
    expect(describeResult('setMetaVariable', 0x12).reason).toBe('channel is not running');
    expect(describeResult('login', 3).ok).toBe(true);
    expect(describeResult('stopSchedule', 0x99)).toMatchObject({ ok: false, name: 'UNKNOWN_0x99' });
    expect(describeResult('resumeSchedule', 0x23).name).toBe('RESUME_NO_TEST_NAME');
  });
});
