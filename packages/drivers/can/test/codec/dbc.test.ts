import { describe, expect, it } from 'vitest';
import { parseDbc } from '../../src/codec/dbc.js';
import type { DbcSignal } from '../../src/codec/dbc.js';
import { dbcText, vectorsFor, VECTOR_DBCS } from '../support/vectors.js';

function muxIds(s: DbcSignal): number[] | null {
  if (s.multiplexerRanges === undefined) return null;
  const out: number[] = [];
  for (const [lo, hi] of s.multiplexerRanges) for (let i = lo; i <= hi; i++) out.push(i);
  return out;
}

describe.each(VECTOR_DBCS)('parse %s like cantools', (file, strict) => {
  const dbc = parseDbc(dbcText(file), { strict });
  const v = vectorsFor(file);

  it(`has cantools' ${v.messageCount} messages and ${v.signalCount} signals`, () => {
    expect(dbc.messages.length).toBe(v.messageCount);
    expect(dbc.messages.reduce((n, m) => n + m.signals.length, 0)).toBe(v.signalCount);
  });

  it('has the same message and signal properties', () => {
    for (const vm of v.messages) {
      const m = dbc.messageById(vm.id, vm.extended);
      if (m === undefined) expect.fail(`missing message ${vm.name}`);
      expect({ name: m.name, length: m.length, senders: m.senders, comment: m.comment ?? null, cycleTimeMs: m.cycleTimeMs ?? null }).toEqual({ name: vm.name, length: vm.length, senders: vm.senders, comment: vm.comment, cycleTimeMs: vm.cycleTimeMs });
      const byName = new Map(m.signals.map((s) => [s.name, s]));
      expect(m.signals.length).toBe(vm.signals.length);
      for (const vs of vm.signals) {
        const s = byName.get(vs.name);
        if (s === undefined) expect.fail(`missing signal ${vm.name}.${vs.name}`);
        const ours = {
          startBit: s.startBit, length: s.length, byteOrder: s.byteOrder, signed: s.signed, valueType: s.valueType, factor: s.factor, offset: s.offset,
          minimum: s.minimum ?? null, maximum: s.maximum ?? null, unit: s.unit, isMultiplexer: s.isMultiplexer, multiplexerSignal: s.multiplexerSignal ?? null,
          multiplexerIds: muxIds(s), choices: s.choices === undefined ? null : Object.fromEntries([...s.choices].map(([k, l]) => [String(k), l])), comment: s.comment ?? null, receivers: s.receivers,
        };
        const theirs = { ...vs } as Partial<typeof vs>;
        delete theirs.name;
        expect(ours, `${vm.name}.${vs.name}`).toEqual(theirs);
      }
    }
  });
});

describe('tesla_can.dbc strictness', () => {
  it('strict parsing refuses the dangling VAL_ 568 UI_mapSpeedLimit with its line', () => {
    expect(() => parseDbc(dbcText('tesla_can.dbc'))).toThrow(expect.objectContaining({ code: 'BB_CAN_DBC_INVALID', message: expect.stringMatching(/^DBC line 783, column \d+: message UI_driverAssistRoadSign has no signal UI_mapSpeedLimit/) }));
  });
});

describe('database-level facts', () => {
  const rig = parseDbc(dbcText('busbar_safety_rig_bmu.dbc'));
  it('reads version, nodes, attributes with defaults and the extended-id flag (bit 31)', () => {
    expect(rig.version).toBe('busbar-safety-rig-bmu 1');
    expect(rig.nodes.map((n) => n.name)).toEqual(['Module', 'Tester', 'BMS_Diags']);
    expect(rig.attributeDefinitions.get('Baudrate')?.defaultValue).toBe(500000);
    expect(rig.messageByName('SYNC')?.cycleTimeMs).toBe(100);
    expect(rig.messageByName('BMU01_pdo1')?.cycleTimeMs).toBeUndefined();
    const sendyne = rig.messageByName('SendyneResp');
    expect(sendyne).toMatchObject({ id: 0x0a100100, extended: true });
    expect(rig.messageById(0x0a100100, false)).toBeUndefined();
    const tables = parseDbc('VAL_TABLE_ Onoff 1 "on" 0 "off" ;\nBO_ 1 M: 1 N\n SG_ S : 0|1@1+ (1,0) [0|1] "" X\n');
    expect([...(tables.valueTables.get('Onoff') ?? [])]).toEqual([[1, 'on'], [0, 'off']]);
  });
});

/** Malformed DBC text: the exact error code, line and column, and nothing returned. */
const MALFORMED: ReadonlyArray<readonly [string, string, string, number, number]> = [
  ['SG_ outside a message', 'VERSION ""\n SG_ A : 0|8@1+ (1,0) [0|0] "" X\n', 'BB_CAN_DBC_SYNTAX', 2, 2],
  ['missing colon after the message name', 'BO_ 100 Msg 8 Node\n', 'BB_CAN_DBC_SYNTAX', 1, 13],
  ['byte order other than 0/1', 'BO_ 100 Msg: 8 N\n SG_ A : 0|8@2+ (1,0) [0|0] "" X\n', 'BB_CAN_DBC_SYNTAX', 2, 14],
  ['sign other than +/-', 'BO_ 100 Msg: 8 N\n SG_ A : 0|8@1 (1,0) [0|0] "" X\n', 'BB_CAN_DBC_SYNTAX', 2, 16],
  ['unterminated unit string', 'BO_ 100 Msg: 8 N\n SG_ A : 0|8@1+ (1,0) [0|0] "V X\n', 'BB_CAN_DBC_SYNTAX', 2, 29],
  ['bad multiplexer indicator', 'BO_ 100 Msg: 8 N\n SG_ A x3 : 0|8@1+ (1,0) [0|0] "" X\n', 'BB_CAN_DBC_SYNTAX', 2, 8],
  ['unknown keyword', 'BO_ 100 Msg: 8 N\nFOO_ 1 2 ;\n', 'BB_CAN_DBC_SYNTAX', 2, 1],
  ['stray character', 'BO_ 100 Msg: 8 N\n SG_ A : 0|8@1+ (1;0) [0|0] "" X\n', 'BB_CAN_DBC_SYNTAX', 2, 19],
  ['missing semicolon at end of file', 'BO_ 100 Msg: 8 N\nCM_ BO_ 100 "x"\n', 'BB_CAN_DBC_SYNTAX', 2, 16],
  ['signal beyond the message (Intel)', 'BO_ 100 Msg: 2 N\n SG_ A : 8|9@1+ (1,0) [0|0] "" X\n', 'BB_CAN_DBC_INVALID', 2, 2],
  ['signal beyond the message (Motorola)', 'BO_ 100 Msg: 2 N\n SG_ A : 8|10@0+ (1,0) [0|0] "" X\n', 'BB_CAN_DBC_INVALID', 2, 2],
  ['duplicate frame id', 'BO_ 100 A: 8 N\nBO_ 100 B: 8 N\n', 'BB_CAN_DBC_INVALID', 2, 1],
  ['multiplexed signal with no multiplexer', 'BO_ 100 Msg: 8 N\n SG_ A m1 : 0|8@1+ (1,0) [0|0] "" X\n', 'BB_CAN_DBC_INVALID', 2, 1],
  ['float valtype on a 16-bit signal', 'BO_ 100 Msg: 8 N\n SG_ A : 0|16@1+ (1,0) [0|0] "" X\nSIG_VALTYPE_ 100 A : 1;\n', 'BB_CAN_DBC_INVALID', 3, 18],
  ['comment for an undefined message', 'CM_ BO_ 5 "x";\n', 'BB_CAN_DBC_INVALID', 1, 9],
  ['id beyond 29 bits', 'BO_ 3221225473 Msg: 8 N\n', 'BB_CAN_DBC_INVALID', 1, 5],
  ['zero factor', 'BO_ 100 Msg: 8 N\n SG_ A : 0|8@1+ (0,0) [0|0] "" X\n', 'BB_CAN_DBC_INVALID', 2, 2],
];

describe('malformed DBC text', () => {
  it.each(MALFORMED)('%s → %s at line %i, column %i', (_what, text, code, line, column) => {
    let result: unknown;
    let caught: unknown;
    try {
      result = parseDbc(text);
    } catch (err) {
      caught = err;
    }
    expect(result).toBeUndefined();
    expect(caught).toMatchObject({ code: expect.stringMatching(new RegExp(`^${code.split(' ')[0] ?? ''}`)), context: { line, column } });
    expect((caught as Error).message).toMatch(new RegExp(`^DBC line ${line}, column ${column}: `));
  });
});
