/**
 * Every message vector in both directions: our encoder's params equal the vector request's params
 * (the vector is the oracle, never our encoder), and the vector reply decodes to the expected values.
 */
import { describe, expect, it } from 'vitest';
import { decodeReply, encodeRequest } from '../../src/codec/envelope.js';
import type { MacnetParams } from '../../src/codec/envelope.js';
import * as sys from '../../src/codec/system.js';
import * as st from '../../src/codec/status.js';
import * as cmd from '../../src/codec/commands.js';
import * as direct from '../../src/codec/direct.js';
import { messageVectors, vector } from '../vectors/load.js';
import type { MessageVector } from '../vectors/load.js';

function reply(v: MessageVector): Record<string, unknown> {
  const req = JSON.parse(v.request) as { params: MacnetParams };
  return decodeReply(JSON.parse(v.reply) as Record<string, unknown>, { ...req.params, id: 1987 }).result as Record<string, unknown>;
}

const encoders: Record<string, () => MacnetParams> = {
  '(0,0) echo': () => sys.encodeEcho(0),
  '(1,1) version info': () => sys.encodeVersionInfoRequest(),
  '(1,2) general info': () => sys.encodeGeneralInfoRequest(),
  '(1,3) procedure exists': () => sys.encodeProcedureExistsRequest('Procedure Name'),
  '(1,4) test name exists': () => sys.encodeTestNameExistsRequest('Test Name'),
  '(4,1) status of 2 channels': () => st.encodeMultiChannelRequest(1, 4, 2),
  '(4,2) voltages of 8 channels': () => st.encodeMultiChannelRequest(2, 0, 8),
  '(4,3) currents of 8 channels': () => st.encodeMultiChannelRequest(3, 0, 8),
  '(4,4) aux values': () => st.encodeChannelRequest(4, 1),
  '(4,6) test info': () => st.encodeChannelRequest(6, 3),
  '(4,7) channel reading': () => st.encodeChannelRequest(7, 3),
  '(4,7) MaccorSpoofer exact bytes': () => st.encodeChannelRequest(7, 3),
  '(4,8) flags and VARs (vendor example repeats Chan)': () => st.encodeChannelRequest(8, 3),
  '(4,9) test times': () => st.encodeMultiChannelRequest(9, 0, 8),
  '(4,10) end status': () => st.encodeChannelRequest(10, 3),
  '(6,2) start test as pymacnet sent it': () => cmd.encodeStartTest(4, { testName: 'Random', procName: 'proc_a', comment: 'Started with pymacnet at 1795237167.42504', crate: 2.5 }),
  '(6,4) resume': () => cmd.encodeChannelCommand(4, 3),
  '(6,5) reset': () => cmd.encodeChannelCommand(5, 3),
  '(6,7) start direct mode as pymacnet sent it': () =>
    direct.encodeStartDirectMode(4, 'Random', { mode: 'charge', current_a: 0, voltage_v: 4.2, power_w: 50, current_range: 1 }, { interval_s: 1 }),
  '(6,8) CC-CV 0.5 A to 4.2 V': () => direct.encodeSetDirectOutput(4, { mode: 'charge', current_a: 0.5, voltage_v: 4.2 }),
  '(6,9) set variable': () => cmd.encodeSetVariable(4, 3, -1.25),
  '(6,10) safety limits as pymacnet sent them': () =>
    cmd.encodeSetSafetyLimits(4, { max_voltage_v: 4.25, min_voltage_v: 2.5, max_charge_current_a: 3, max_discharge_current_a: 3, max_charge_power_w: 25, max_discharge_power_w: 25 }),
  '(6,10) vendor echo in single precision': () =>
    cmd.encodeSetSafetyLimits(3, { max_voltage_v: 5, min_voltage_v: 0.1, max_charge_current_a: 4.3, max_discharge_current_a: 2.5, max_charge_power_w: 0, max_discharge_power_w: 0 }),
  '(6,11) check test start': () => cmd.encodeCheckTestStart(3, { testName: 'Random', procName: 'Procedure Name', comment: 'Test comment', crate: 1 }),
};

describe('Codec > messages > encode', () => {
  it('has an encoder for every vector', () => {
    expect(Object.keys(encoders).sort()).toEqual(messageVectors.map((v) => v.name).sort());
  });
  for (const v of messageVectors) {
    it(`${v.name} (${v.source})`, () => {
      const encoder = encoders[v.name];
      if (!encoder) throw new Error('missing encoder');
      expect(JSON.parse(encodeRequest(encoder()))).toEqual(JSON.parse(v.request));
    });
  }
  it('writes compact JSON with no terminator (reference §3.2)', () => {
    expect(encodeRequest(st.encodeChannelRequest(7, 3))).toBe('{"jsonrpc":"2.0","method":"MacNet","params":{"FClass":4,"FNum":7,"Chan":3},"id":1987}');
  });
});

describe('Codec > messages > decode', () => {
  it('(0,0) echo: the method/params envelope is accepted', () => {
    expect(reply(vector('(0,0) echo'))).toEqual({ FClass: 0, FNum: 0 });
  });
  it('(1,1) version info', () => {
    expect(sys.decodeVersionInfo(reply(vector('(1,1) version info')))).toEqual({
      apiVersion: 1, exeVersion: '3.2.18', dllVersion: '3.2.18', versionsMatch: true, exeBuildTime: '2016-11-08T15:02:58', dllBuildTime: '2016-11-13T11:29:48',
    });
  });
  it('(1,1) accepts MaccorSpoofer\'s misspelled MacTest32DLLversionMsinor', () => {
    const r = { ...reply(vector('(1,1) version info')) };
    r['MacTest32DLLversionMsinor'] = r['MacTest32DLLversionMinor'];
    delete r['MacTest32DLLversionMinor'];
    expect(sys.decodeVersionInfo(r).dllVersion).toBe('3.2.18');
  });
  it('(1,2) general info', () => {
    expect(sys.decodeGeneralInfo(reply(vector('(1,2) general info')))).toEqual({
      systemId: 'Win10', systemType: 0, controllerBoards: 3, testChannels: 12, auxBoards: 1, auxChannels: 128, smb1Pos: 0, smb3Pos: 1,
    });
  });
  it('(1,3) and (1,4) booleans are "TRUE"/"FALSE" strings', () => {
    expect(sys.decodeProcedureExists(reply(vector('(1,3) procedure exists')))).toBe(true);
    expect(sys.decodeTestNameExists(reply(vector('(1,4) test name exists')))).toBe(true);
    expect(sys.decodeTestNameExists({ TestNameExists: 'FALSE' })).toBe(false);
    expect(() => sys.decodeTestNameExists({ TestNameExists: true })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_REPLY_MALFORMED' }));
  });
  it('(4,1) statuses are 1-based channels from Chan', () => {
    expect(st.decodeMultiStatus(reply(vector('(4,1) status of 2 channels')))).toEqual([
      { channel: 5, stat: 0, stat_name: 'Available', rf1: 0, rf1_name: 'Available', rf2: 0, rf2_name: 'Start of Step' },
      { channel: 6, stat: 0, stat_name: 'Available', rf1: 0, rf1_name: 'Available', rf2: 0, rf2_name: 'Start of Step' },
    ]);
  });
  it('(4,2) voltages keep negative values', () => {
    const v = st.decodeMultiValues(2, reply(vector('(4,2) voltages of 8 channels')));
    expect(v).toHaveLength(8);
    expect(v[5]).toEqual({ channel: 6, value: -1.81513690948486 });
  });
  it('(4,3) currents and (4,9) test times', () => {
    expect(st.decodeMultiValues(3, reply(vector('(4,3) currents of 8 channels'))).map((x) => x.value)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(st.decodeMultiValues(9, reply(vector('(4,9) test times')))[3]).toEqual({ channel: 4, value: 15 });
  });
  it('(4,4) aux values', () => {
    expect(st.decodeAuxValues(reply(vector('(4,4) aux values')))).toEqual([25.31, 3.9921, -0.0012]);
  });
  it('(4,6) test info', () => {
    expect(st.decodeTestInfo(reply(vector('(4,6) test info')))).toEqual({ channel: 4, testName: 'Arbitrary file name 2016-11-10 10-07-05_126', procName: 'Send email', comment: undefined, procDesc: undefined });
  });
  it('(4,7) reading: SI names and decoded status (RF1 31 Complete, RF2 193 normal end, Stat 4 Completed)', () => {
    expect(st.decodeChannelReading(reply(vector('(4,7) channel reading')))).toEqual({
      channel: 4, channelIndex0: 3, stat: 4, stat_name: 'Completed', rf1: 31, rf1_name: 'Complete', rf2: 193, rf2_name: 'O: normal end',
      voltage_v: 0.0062561989761889, current_a: 0, capacity_ah: 0, energy_wh: 0, test_time_s: 15, step_time_s: 10, cycle: 0, step: 2, record_number: 18, tester_time: '2016-11-14T09:24:08',
    });
  });
  it('(4,7) MaccorSpoofer bytes decode', () => {
    const r = st.decodeChannelReading(reply(vector('(4,7) MaccorSpoofer exact bytes')));
    expect([r.voltage_v, r.rf2_name, r.record_number, r.step]).toEqual([3.85, 'S: operator suspended or Pause step', 4225, 5]);
  });
  it('(4,8) flags and VARs', () => {
    expect(st.decodeGlobalFlagsAndVars(reply(vector('(4,8) flags and VARs (vendor example repeats Chan)')))).toEqual({ channel: 4, globalFlags: 0x20, vars: new Array(15).fill(0) });
    expect(() => st.decodeGlobalFlagsAndVars({ Chan: 0, GlobFlags: 'zz', VARs: [] })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_REPLY_MALFORMED' }));
  });
  it('(4,10) end status', () => {
    expect(st.decodeEndStatus(reply(vector('(4,10) end status')))).toEqual({ channel: 4, numOfEnds: 2, endNum: 1 });
  });
  for (const name of ['(6,2) start test as pymacnet sent it', '(6,4) resume', '(6,5) reset', '(6,7) start direct mode as pymacnet sent it', '(6,8) CC-CV 0.5 A to 4.2 V', '(6,9) set variable', '(6,11) check test start']) {
    it(`${name}: Result OK passes`, () => {
      const v = vector(name);
      expect(() => cmd.decodeCommandResult(v.fclass, v.fnum, reply(v))).not.toThrow();
    });
  }
  it('(6,10) vendor echo in single precision is within tolerance', () => {
    const v = vector('(6,10) vendor echo in single precision');
    const sent = { max_voltage_v: 5, min_voltage_v: 0.1, max_charge_current_a: 4.3, max_discharge_current_a: 2.5, max_charge_power_w: 0, max_discharge_power_w: 0 };
    const echo = cmd.decodeSafetyLimits(reply(v));
    expect(echo.min_voltage_v).toBe(0.100000001490116);
    expect(cmd.compareSafetyEcho(sent, echo)).toBeUndefined();
    expect(cmd.compareSafetyEcho(sent, { ...echo, max_charge_current_a: 4.4 })).toEqual({ field: 'max_charge_current_a', sent: 4.3, echoed: 4.4 });
  });
});

describe('Codec > messages > command results and arguments', () => {
  it('a numeric Result is mapped with its table', () => {
    expect(() => cmd.decodeCommandResult(6, 8, { Chan: 4, Result: 3 }, { 3: 'too fast' })).toThrow(
      expect.objectContaining({ code: 'BB_MACCOR_COMMAND_REJECTED', result: 3, meaning: 'too fast', context: expect.objectContaining({ channel: 5 }) }),
    );
  });
  it('a text Result is kept verbatim', () => {
    expect(() => cmd.decodeCommandResult(6, 3, { Result: 'Channel cannot be suspended' })).toThrow(expect.objectContaining({ meaning: 'Channel cannot be suspended' }));
  });
  it('a missing Result is malformed', () => {
    expect(() => cmd.decodeCommandResult(6, 3, {})).toThrow(expect.objectContaining({ code: 'BB_MACCOR_REPLY_MALFORMED' }));
  });
  it('success is "OK" (reference §6.10 example, what pymacnet checks) or numeric 0 (binary table: 0 = OK, reference §4); a refusal is refused', () => {
    expect(() => cmd.decodeCommandResult(6, 8, { Chan: 4, Result: 'OK' })).not.toThrow();
    expect(() => cmd.decodeCommandResult(6, 8, { Chan: 4, Result: 0 })).not.toThrow();
    expect(() => cmd.decodeCommandResult(6, 8, { Chan: 4, Result: 'ok' })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_COMMAND_REJECTED', outcome: 'refused' }));
    expect(() => cmd.decodeCommandResult(6, 8, { Chan: 4, Result: '0' })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_COMMAND_REJECTED' }));
  });
  const bad: [string, () => unknown][] = [
    ['VarNum 0', () => cmd.encodeSetVariable(0, 0, 1)],
    ['VarNum 16 (pymacnet says 1-16; vendor 1-15)', () => cmd.encodeSetVariable(0, 16, 1)],
    ['non-finite VAR value', () => cmd.encodeSetVariable(0, 1, Number.NaN)],
    ['min voltage ≥ max', () => cmd.encodeSetSafetyLimits(0, { max_voltage_v: 3, min_voltage_v: 3, max_charge_current_a: 1, max_discharge_current_a: 1, max_charge_power_w: 1, max_discharge_power_w: 1 })],
    ['negative current limit', () => cmd.encodeSetSafetyLimits(0, { max_voltage_v: 4, min_voltage_v: 3, max_charge_current_a: -1, max_discharge_current_a: 1, max_charge_power_w: 1, max_discharge_power_w: 1 })],
    ['four active set-points', () => direct.encodeSetDirectOutput(0, { mode: 'charge', current_a: 1, voltage_v: 4, power_w: 4, resistance_ohm: 1 })],
    ['negative current', () => direct.encodeSetDirectOutput(0, { mode: 'discharge', current_a: -1, voltage_v: 3 })],
    ['charge with nothing active', () => direct.encodeSetDirectOutput(0, { mode: 'charge' })],
  ];
  for (const [name, f] of bad) {
    it(`refuses ${name} with BB_MACCOR_INVALID_ARGUMENT`, () => {
      expect(f).toThrow(expect.objectContaining({ code: 'BB_MACCOR_INVALID_ARGUMENT' }));
    });
  }
  it('current range follows pymacnet\'s thresholds (reference §6.10)', () => {
    expect([0, 100e-6, 1e-3, 0.1, 1].map(direct.chooseCurrentRange)).toEqual([4, 1, 2, 3, 4]);
  });
});
