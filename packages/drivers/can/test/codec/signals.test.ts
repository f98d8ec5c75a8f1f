import { describe, expect, it } from 'vitest';
import { isBusbarError } from '@busbar/core';
import { parseDbc } from '../../src/codec/dbc.js';
import { decodeFrame, decodeMessage, encodeFrame, encodeMessage, roundHalfEven } from '../../src/codec/signals.js';
import { dbcText, hex, vectorsFor, VECTOR_DBCS } from '../support/vectors.js';

function close(actual: number | undefined, expected: number): boolean {
  if (actual === undefined) return false;
  if (Object.is(actual, expected)) return true;
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

describe.each(VECTOR_DBCS)('cantools vectors: %s', (file, strict) => {
  const dbc = parseDbc(dbcText(file), { strict });
  const v = vectorsFor(file);

  it(`decodes every cantools decode vector (${v.decode.length})`, () => {
    expect(v.decode.length).toBeGreaterThan(0);
    for (const vec of v.decode) {
      const got = decodeFrame(dbc, { id: vec.id, extended: vec.extended, data: hex(vec.data) });
      expect(got.message.name).toBe(vec.message);
      expect(Object.keys(got.values).sort(), `${vec.message} ${vec.data}`).toEqual(Object.keys(vec.values).sort());
      for (const [name, want] of Object.entries(vec.values)) {
        if (!close(got.values[name], want)) expect.fail(`${vec.message}.${name} of ${vec.data}: got ${got.values[name]}, cantools ${want}`);
      }
      expect(got.labels).toEqual(vec.labels);
    }
  });

  it(`encodes every cantools encode vector to the same bytes (${v.encode.length})`, () => {
    expect(v.encode.length).toBeGreaterThan(0);
    for (const vec of v.encode) {
      const m = dbc.messageByName(vec.message);
      if (m === undefined) expect.fail(`no message ${vec.message}`);
      const data = encodeMessage(m, vec.values);
      expect(Buffer.from(data).toString('hex'), `${vec.message} ${JSON.stringify(vec.values)}`).toBe(vec.data);
    }
  });

  it(`refuses every value cantools refuses as out of range (${v.encodeErrors.length})`, () => {
    for (const vec of v.encodeErrors) {
      const m = dbc.messageByName(vec.message);
      if (m === undefined) expect.fail(`no message ${vec.message}`);
      let caught: unknown;
      try {
        encodeMessage(m, vec.values);
      } catch (err) {
        caught = err;
      }
      expect(isBusbarError(caught) && caught.code, `${vec.message}.${vec.signal}`).toBe('BB_CAN_VALUE_OUT_OF_RANGE');
      expect((caught as Error).message).toContain(vec.signal);
    }
  });
});

describe('decode/encode by hand (expected bytes from the DBC layout, not from our encoder)', () => {
  const rig = parseDbc(dbcText('busbar_safety_rig_bmu.dbc'));

  it('decodes a BMU pdo1 (safety-rig reference §3.3: int16 ×0.1 A, uint16 ×0.01 V, uint8 ×0.01+2.2 V, int8 °C)', () => {
    // 0x181: current -12.5 A = -125 = 0xFF83 LE; voltage 47.30 V = 4730 = 0x127A LE; min cell 3.30 V = 110; max 3.45 V = 125; min -5 °C; max 31 °C
    const d = decodeFrame(rig, { id: 0x181, extended: false, data: hex('83 ff 7a 12 6e 7d fb 1f') });
    expect(d.message.name).toBe('BMU01_pdo1');
    expect(d.values.CMA_Current).toBeCloseTo(-12.5, 10);
    expect(d.values.CMA_Voltage).toBeCloseTo(47.3, 10);
    expect(d.values.Min_Cell_Voltage).toBeCloseTo(3.3, 10);
    expect(d.values.Max_Cell_Voltage).toBeCloseTo(3.45, 10);
    expect(d.values.CMA_Min_Temp).toBe(-5);
    expect(d.values.CMA_Max_Temp).toBe(31);
  });

  it('a raw cell voltage of 0 decodes to 2.2 V (reference §3.3 gotcha)', () => {
    const d = decodeFrame(rig, { id: 0x482, extended: false, data: new Uint8Array(8) });
    expect(d.values.Cell_13_Voltage).toBeCloseTo(2.2, 12);
  });

  it('encodes the original SDO request 2F 05 18 01 00 00 00 00 (reference §3.4)', () => {
    const f = encodeFrame(rig, 'BMU03_SDO_Req', { SDO_size_indicate: 1, SDO_Expidited: 1, SDO_unused_bytes: 3, SDO_toggle: 0, SDO_CMD: 1, SDO_Index: 0x1805, SDO_SubIndex: 1, SDO_Data: 0 });
    expect(f.id).toBe(0x603);
    expect(Buffer.from(f.data).toString('hex')).toBe('2f05180100000000');
  });

  it('decodes big-endian Sendyne values on an extended id, with the value-table label', () => {
    const d = decodeFrame(rig, { id: 0x0a100100, extended: true, data: hex('e1 00 12 34 05 ab cd 07') });
    expect(d.values.Sendyne_Data_V1).toBe(0x1234);
    expect(d.values.Sendyne_Data_V2).toBe(0xabcd);
    expect(d.labels.Sendyne_OpCode).toBe('isolation resistance');
    expect(() => decodeFrame(rig, { id: 0x0a100100, extended: false, data: new Uint8Array(8) })).toThrow(expect.objectContaining({ code: 'BB_CAN_UNKNOWN_MESSAGE' }));
  });

  it('reads IEEE float32 little-endian and float64 big-endian', () => {
    const f = parseDbc(dbcText('busbar_float_ext.dbc'));
    const le = Buffer.alloc(8);
    le.writeFloatLE(1.5, 0);
    le.writeFloatLE(-2.25, 4);
    const d = decodeFrame(f, { id: 256, extended: false, data: le });
    expect(d.values).toEqual({ Temperature_F32: 1.5, Pressure_F32: -2.25 });
    const be = Buffer.alloc(8);
    be.writeDoubleBE(-1234.5678, 0);
    expect(decodeFrame(f, { id: 259, extended: false, data: be }).values.Power_F64_BE).toBe(-1234.5678);
    expect(Buffer.from(encodeFrame(f, 'Double_Motorola', { Power_F64_BE: -1234.5678 }).data).equals(be)).toBe(true);
  });
});

describe('errors', () => {
  const rig = parseDbc(dbcText('busbar_safety_rig_bmu.dbc'));
  const pdo1 = rig.messageByName('BMU01_pdo1');
  if (pdo1 === undefined) throw new Error('test DBC lacks BMU01_pdo1');

  it('a frame of the wrong length is BB_CAN_FRAME_LENGTH with expected/actual', () => {
    for (const n of [0, 7, 9]) {
      let caught: unknown;
      try {
        decodeMessage(pdo1, new Uint8Array(n));
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'BB_CAN_FRAME_LENGTH', context: { expected: 8, actual: n } });
    }
  });

  it('a missing signal value is BB_CAN_SIGNAL_MISSING naming it', () => {
    expect(() => encodeMessage(pdo1, { CMA_Current: 1 })).toThrow(expect.objectContaining({ code: 'BB_CAN_SIGNAL_MISSING', message: expect.stringContaining('CMA_Voltage') }));
  });

  it('values outside the DBC range or the raw bits are BB_CAN_VALUE_OUT_OF_RANGE; checkRange:false keeps the bit check', () => {
    const ok = { CMA_Current: 0, CMA_Voltage: 0, Min_Cell_Voltage: 3, Max_Cell_Voltage: 3, CMA_Min_Temp: 0, CMA_Max_Temp: 0 };
    expect(() => encodeMessage(pdo1, { ...ok, Min_Cell_Voltage: 4.76 })).toThrow(expect.objectContaining({ code: 'BB_CAN_VALUE_OUT_OF_RANGE' }));
    expect(() => encodeMessage(pdo1, { ...ok, CMA_Max_Temp: Number.NaN })).toThrow(expect.objectContaining({ code: 'BB_CAN_VALUE_OUT_OF_RANGE' }));
    expect(() => encodeMessage(pdo1, { ...ok, Min_Cell_Voltage: 4.76 }, { checkRange: false })).toThrow(expect.objectContaining({ code: 'BB_CAN_VALUE_OUT_OF_RANGE', message: expect.stringContaining('does not fit 8 unsigned bits') }));
    expect(encodeMessage(pdo1, { ...ok, Min_Cell_Voltage: 4.75 })[4]).toBe(255);
  });
});

describe('multiplexing', () => {
  const f = parseDbc(dbcText('busbar_float_ext.dbc'));
  it('simple multiplexing decodes only the selected page; an undefined page decodes the multiplexer alone', () => {
    expect(Object.keys(decodeFrame(f, { id: 301, extended: false, data: hex('10 00 05 00 00 00 00 09') }).values).sort()).toEqual(['Common', 'Page', 'Page1_Value']);
    expect(Object.keys(decodeFrame(f, { id: 301, extended: false, data: hex('f0 00 00 00 00 00 00 09') }).values).sort()).toEqual(['Common', 'Page']);
  });
  it('extended multiplexing (SG_MUL_VAL_) follows the multiplexer tree', () => {
    const d = decodeFrame(f, { id: 300, extended: false, data: hex('01 06 ff ff 00 00 00 00') });
    expect(d.values).toEqual({ Mode: 1, Sub: 6, Beta: -1 });
    const g = decodeFrame(f, { id: 300, extended: false, data: hex('01 05 34 12 00 00 00 00') });
    expect(g.values).toEqual({ Mode: 1, Sub: 5, Gamma: 0x1234 });
    expect(decodeFrame(f, { id: 300, extended: false, data: hex('03 00 00 00 fe ff ff ff') }).values).toEqual({ Mode: 3, Delta: -2 });
  });
});

describe('roundHalfEven (Python round, as cantools encodes)', () => {
  it.each([
    [0.5, 0], [1.5, 2], [2.5, 2], [-0.5, -0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [2.5001, 3], [7, 7],
  ])('%f → %f', (x, want) => {
    expect(roundHalfEven(x)).toBe(want);
  });
});
