import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyBitToRegister, decodeBlock, decodeRaw, encodeRaw, encodeWrite } from '../../src/codec/values.js';
import { parseRegisterMap } from '../../src/codec/register-map.js';
import type { ByteOrder, DataType, RegisterPoint, WordOrder } from '../../src/codec/register-map.js';
import { planReads } from '../../src/codec/read-plan.js';
import type { ReadBlock } from '../../src/codec/read-plan.js';
import { ModbusResponseError, ModbusWriteRefusedError } from '../../src/errors.js';

interface Vector {
  dataType: Exclude<DataType, 'bit'>;
  byteOrder: ByteOrder;
  wordOrder: WordOrder;
  registers: string[];
  raw: number;
  note: string;
}
const file = JSON.parse(readFileSync(new URL('../vectors/register-values.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
  spec: {
    readHoldingRegisters: { start: number; registers: string[]; values: number[] };
    readCoils: { start: number; statusBytes: string[]; count: number };
  };
};
const hex = (s: string): number => Number.parseInt(s, 16);
const point = (v: Pick<Vector, 'dataType' | 'byteOrder' | 'wordOrder'>, extra: Partial<RegisterPoint> = {}): RegisterPoint => ({
  name: 'x',
  type: 'holding',
  address: 0,
  dataType: v.dataType,
  byteOrder: v.byteOrder,
  wordOrder: v.wordOrder,
  ...extra,
});

describe('Drivers > Modbus > codec > values', () => {
  describe('register vectors (hand-built hex, every data type × order)', () => {
    it('covers every data type × applicable order', () => {
      const seen = new Set(file.vectors.map((v) => `${v.dataType}/${v.byteOrder}/${v.wordOrder}`));
      for (const t of ['int32', 'uint32', 'float32', 'float64']) for (const b of ['big', 'little']) for (const w of ['big', 'little']) expect(seen).toContain(`${t}/${b}/${w}`);
      for (const t of ['int16', 'uint16']) for (const b of ['big', 'little']) expect(seen).toContain(`${t}/${b}/big`);
    });
    for (const v of file.vectors) {
      const label = `${v.dataType} byte ${v.byteOrder} word ${v.wordOrder}: ${v.note}`;
      it(`decodes ${label}`, () => {
        expect(decodeRaw(point(v), v.registers.map(hex))).toBe(v.raw);
      });
      it(`encodes ${label}`, () => {
        expect(encodeRaw(point(v), v.raw)).toEqual(v.registers.map(hex));
      });
      it(`decodes ${label} inside a block at a non-zero start, with neighbours`, () => {
        const width = v.registers.length;
        const p = point(v, { address: 101, name: 'mid' });
        const block: ReadBlock = { type: 'holding', functionCode: 3, start: 100, count: width + 2, points: [p] };
        expect(decodeBlock(block, [0xdead, ...v.registers.map(hex), 0xbeef])).toEqual({ mid: v.raw });
      });
    }
  });

  describe('spec examples', () => {
    it('§6.3 read holding registers 108-110 → 555, 0, 100', () => {
      const s = file.spec.readHoldingRegisters;
      const map = parseRegisterMap({ points: s.values.map((_, i) => ({ name: `r${i}`, type: 'holding', address: s.start + i, dataType: 'uint16' })) });
      const [block] = planReads(map);
      expect(block).toMatchObject({ functionCode: 3, start: 107, count: 3 });
      expect(decodeBlock(block!, s.registers.map(hex))).toEqual({ r0: 555, r1: 0, r2: 100 });
    });
    it('§6.1 read coils 20-38 → status bytes CD 6B 05 (LSB first), padding bits ignored', () => {
      const s = file.spec.readCoils;
      const bits: boolean[] = [];
      for (const b of s.statusBytes.map(hex)) for (let i = 0; i < 8; i++) bits.push(((b >> i) & 1) === 1);
      const map = parseRegisterMap({ points: Array.from({ length: s.count }, (_, i) => ({ name: `coil_${20 + i}`, type: 'coil', address: s.start + i, dataType: 'bit' })) });
      const [block] = planReads(map);
      expect(block).toMatchObject({ functionCode: 1, start: 19, count: 19 });
      const out = decodeBlock(block!, bits);
      // Spec text: "coils 27-20 = 1100 1101", "35-28 = 0110 1011", "38-36 = 101".
      expect([27, 26, 25, 24, 23, 22, 21, 20].map((c) => (out[`coil_${c}`] ? 1 : 0)).join('')).toBe('11001101');
      expect([35, 34, 33, 32, 31, 30, 29, 28].map((c) => (out[`coil_${c}`] ? 1 : 0)).join('')).toBe('01101011');
      expect([38, 37, 36].map((c) => (out[`coil_${c}`] ? 1 : 0)).join('')).toBe('101');
    });
  });

  describe('scale, offset, bits', () => {
    it('applies value = raw × scale + offset', () => {
      const p = point({ dataType: 'int16', byteOrder: 'big', wordOrder: 'big' }, { scale: 0.1, offset: -40 });
      const block: ReadBlock = { type: 'input', functionCode: 4, start: 0, count: 1, points: [{ ...p, type: 'input' }] };
      // 0x02EE = 750 → 750 × 0.1 − 40 = 35
      expect(decodeBlock(block, [0x02ee]).x).toBeCloseTo(35, 10);
    });
    it('reads bits 0 and 15 of a register (bit 0 = least significant)', () => {
      const lo: RegisterPoint = { name: 'lo', type: 'input', address: 5, dataType: 'bit', bit: 0 };
      const hi: RegisterPoint = { name: 'hi', type: 'input', address: 5, dataType: 'bit', bit: 15 };
      const mid: RegisterPoint = { name: 'mid', type: 'input', address: 5, dataType: 'bit', bit: 7 };
      const block: ReadBlock = { type: 'input', functionCode: 4, start: 5, count: 1, points: [lo, hi, mid] };
      expect(decodeBlock(block, [0x8001])).toEqual({ lo: true, hi: true, mid: false });
      expect(decodeBlock(block, [0x0080])).toEqual({ lo: false, hi: false, mid: true });
    });
    it('applyBitToRegister sets and clears one bit only', () => {
      expect(applyBitToRegister(0x0000, 0, true)).toBe(0x0001);
      expect(applyBitToRegister(0xffff, 15, false)).toBe(0x7fff);
      expect(applyBitToRegister(0x1234, 3, true)).toBe(0x123c);
      expect(applyBitToRegister(0x123c, 3, false)).toBe(0x1234);
    });
  });

  describe('malformed responses: exact error, nothing returned', () => {
    const p: RegisterPoint = { name: 'v', type: 'holding', address: 0, dataType: 'float32' };
    const block: ReadBlock = { type: 'holding', functionCode: 3, start: 0, count: 2, points: [p] };
    const coil: ReadBlock = { type: 'coil', functionCode: 1, start: 0, count: 3, points: [{ name: 'c', type: 'coil', address: 2, dataType: 'bit' }] };
    const cases: [string, ReadBlock, unknown[]][] = [
      ['too few registers', block, [0x3f80]],
      ['too many registers', block, [0x3f80, 0, 0]],
      ['register above 0xFFFF', block, [0x10000, 0]],
      ['negative register', block, [-1, 0]],
      ['non-integer register', block, [1.5, 0]],
      ['boolean in a register block', block, [true, false]],
      ['too few bits', coil, [true, false]],
      ['number in a bit block', coil, [1, 0, 1]],
    ];
    for (const [name, b, data] of cases) {
      it(name, () => {
        let out: unknown;
        let err: unknown;
        try {
          out = decodeBlock(b, data as number[]);
        } catch (e) {
          err = e;
        }
        expect(out).toBeUndefined();
        expect(err).toBeInstanceOf(ModbusResponseError);
        expect((err as ModbusResponseError).code).toBe('BB_MODBUS_RESPONSE_INVALID');
      });
    }
  });
});

describe('Drivers > Modbus > codec > encodeWrite', () => {
  const setpoint: RegisterPoint = { name: 'voltage_setpoint_v', type: 'holding', address: 10, dataType: 'float32', wordOrder: 'little', unit: 'V', writable: { min: 0, max: 60 } };
  const scaled: RegisterPoint = { name: 'current_limit_a', type: 'holding', address: 20, dataType: 'uint16', scale: 0.01, writable: { min: 0, max: 20 } };
  const coil: RegisterPoint = { name: 'output_enabled', type: 'coil', address: 0, dataType: 'bit', writable: { min: 0, max: 1 } };
  const offOnly: RegisterPoint = { name: 'output_enabled', type: 'coil', address: 0, dataType: 'bit', writable: { min: 0, max: 0 } };
  const regBit: RegisterPoint = { name: 'ovp_enabled', type: 'holding', address: 4, dataType: 'bit', bit: 3, writable: { min: 0, max: 1 } };

  it('float32 CDAB set-point: 1.0 V → registers 0x0000 0x3F80 (FC 16)', () => {
    expect(encodeWrite(setpoint, 1)).toMatchObject({ type: 'holding', address: 10, functionCode: 16, words: [0x0000, 0x3f80], value: 1 });
  });
  it('uint16 with scale 0.01: 12.34 A → raw 1234 = 0x04D2 (FC 06)', () => {
    expect(encodeWrite(scaled, 12.34)).toMatchObject({ functionCode: 6, words: [0x04d2], raw: 1234 });
  });
  it('rounds to the nearest step and reports the stored value', () => {
    const w = encodeWrite(scaled, 12.345_6);
    expect(w.raw).toBe(1235);
    expect(w.value).toBeCloseTo(12.35, 10);
  });
  it('accepts the bounds themselves', () => {
    expect(encodeWrite(setpoint, 60).value).toBe(60);
    expect(encodeWrite(setpoint, 0).value).toBe(0);
  });
  it('coil: true → FC 05 bit on; 0 → off', () => {
    expect(encodeWrite(coil, true)).toMatchObject({ type: 'coil', functionCode: 5, bit: true, raw: 1 });
    expect(encodeWrite(coil, 0)).toMatchObject({ type: 'coil', functionCode: 5, bit: false, raw: 0 });
  });
  it('bit in a holding register needs a read-modify-write', () => {
    expect(encodeWrite(regBit, true)).toMatchObject({ type: 'holding', address: 4, functionCode: 6, bit: true, bitIndex: 3, readModifyWrite: true });
  });

  const refusals: [string, RegisterPoint, number | boolean, string][] = [
    ['above max', setpoint, 60.001, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
    ['below min', setpoint, -0.1, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
    ['NaN', setpoint, Number.NaN, 'BB_MODBUS_NOT_WRITABLE'],
    ['Infinity', setpoint, Number.POSITIVE_INFINITY, 'BB_MODBUS_NOT_WRITABLE'],
    ['boolean to a number point', setpoint, true, 'BB_MODBUS_NOT_WRITABLE'],
    ['2 to a bit', coil, 2, 'BB_MODBUS_NOT_WRITABLE'],
    ['on to an off-only coil', offOnly, true, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
    ['read-only holding register', { ...setpoint, writable: undefined }, 1, 'BB_MODBUS_NOT_WRITABLE'],
    ['input register', { name: 'v', type: 'input', address: 0, dataType: 'uint16', writable: { min: 0, max: 1 } }, 1, 'BB_MODBUS_NOT_WRITABLE'],
    ['discrete input', { name: 'd', type: 'discrete', address: 0, dataType: 'bit', writable: { min: 0, max: 1 } }, true, 'BB_MODBUS_NOT_WRITABLE'],
    ['not representable after scaling', { ...scaled, writable: { min: 0, max: 1000 } }, 700, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
    ['rounding steps below min', { ...scaled, scale: 0.1, writable: { min: 0.04, max: 1 } }, 0.04, 'BB_MODBUS_WRITE_OUT_OF_RANGE'],
  ];
  for (const [name, p, value, code] of refusals) {
    it(`refuses ${name} with ${code}`, () => {
      let err: unknown;
      let out: unknown;
      try {
        out = encodeWrite(p, value);
      } catch (e) {
        err = e;
      }
      expect(out).toBeUndefined();
      expect(err).toBeInstanceOf(ModbusWriteRefusedError);
      expect((err as ModbusWriteRefusedError).code).toBe(code);
      expect((err as ModbusWriteRefusedError).context.point).toBe(p.name);
    });
  }
});
