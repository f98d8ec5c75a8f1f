import { describe, expect, it } from 'vitest';
import { parseRegisterMap } from '../../src/codec/register-map.js';
import { ModbusConfigError } from '../../src/errors.js';

const ok = { name: 'voltage_v', type: 'input', address: 0, dataType: 'float32' };

function issuesOf(input: unknown): readonly string[] {
  try {
    parseRegisterMap(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ModbusConfigError);
    expect((e as ModbusConfigError).code).toBe('BB_MODBUS_CONFIG_INVALID');
    return (e as ModbusConfigError).issues;
  }
  throw new Error('expected a ModbusConfigError');
}

describe('Drivers > Modbus > codec > register-map', () => {
  it('fills defaults and freezes the result', () => {
    const map = parseRegisterMap({ points: [ok], pollIntervalMs: 1000 });
    expect(map.points[0]).toEqual({ ...ok, byteOrder: 'big', wordOrder: 'big', scale: 1, offset: 0 });
    expect(map.pollIntervalMs).toBe(1000);
    expect(Object.isFrozen(map.points[0])).toBe(true);
  });

  it('accepts bits of a status word next to the whole word, and distinct bits', () => {
    const map = parseRegisterMap({
      points: [
        { name: 'status_word', type: 'input', address: 6, dataType: 'uint16' },
        { name: 'status_output_on', type: 'input', address: 6, dataType: 'bit', bit: 0 },
        { name: 'status_over_temperature', type: 'input', address: 6, dataType: 'bit', bit: 3 },
        { name: 'setpoint_v', type: 'holding', address: 6, dataType: 'float32', writable: { min: 0, max: 60 } },
      ],
    });
    expect(map.points).toHaveLength(4);
  });

  // [description, points, expected issue (exact string)]
  const bad: [string, unknown[], string][] = [
    ['address too large', [{ ...ok, address: 65536 }], 'points[0].address: must be 0..65535'],
    ['negative address', [ok, { ...ok, name: 'b', address: -1 }], 'points[1].address: must be 0..65535'],
    ['fractional address', [{ ...ok, address: 1.5 }], 'points[0].address: must be 0..65535'],
    ['float64 past the end', [{ ...ok, dataType: 'float64', address: 65533 }], 'points[0].address: float64 at 65533 runs past register 65535'],
    ['unknown type', [{ ...ok, type: 'register' }], 'points[0].type: must be one of holding, input, coil, discrete'],
    ['unknown data type', [{ ...ok, dataType: 'int8' }], 'points[0].dataType: must be one of int16, uint16, int32, uint32, float32, float64, bit'],
    ['bad name', [{ ...ok, name: 'Voltage V' }], 'points[0].name: must be snake_case: a-z first, then a-z, 0-9 or _, at most 64 characters'],
    ['coil with non-bit type', [{ name: 'c', type: 'coil', address: 0, dataType: 'uint16' }], 'points[0].dataType: must be bit for a coil (got uint16)'],
    ['coil with a bit number', [{ name: 'c', type: 'coil', address: 0, dataType: 'bit', bit: 2 }], 'points[0].bit: not allowed for a coil: a coil is a single bit'],
    ['bit 16', [{ name: 'b', type: 'holding', address: 0, dataType: 'bit', bit: 16 }], 'points[0].bit: must be 0..15'],
    ['bit in a register without a bit number', [{ name: 'b', type: 'input', address: 0, dataType: 'bit' }], 'points[0].bit: required (0..15) for a bit in a input register'],
    ['bit number on a non-bit', [{ ...ok, bit: 1 }], 'points[0].bit: only allowed with dataType bit (got float32)'],
    ['scale zero', [{ ...ok, scale: 0 }], 'points[0].scale: must be a finite non-zero number'],
    ['scale on a bit', [{ name: 'c', type: 'coil', address: 0, dataType: 'bit', scale: 2 }], 'points[0].scale: not applicable to bit points (must be 1)'],
    ['word order on int16', [{ ...ok, dataType: 'int16', wordOrder: 'little' }], 'points[0].wordOrder: not applicable to int16 (one register)'],
    ['writable min > max', [{ ...ok, type: 'holding', writable: { min: 10, max: 5 } }], 'points[0].writable: min 10 > max 5'],
    ['writable input register', [{ ...ok, writable: { min: 0, max: 5 } }], 'points[0].writable: not allowed: input registers are read-only (spec §4.3)'],
    ['writable bit with 2', [{ name: 'c', type: 'coil', address: 0, dataType: 'bit', writable: { min: 0, max: 2 } }], 'points[0].writable.max: must be 0 or 1 for a bit point'],
    ['writable not representable', [{ name: 'i_a', type: 'holding', address: 0, dataType: 'uint16', scale: 0.01, writable: { min: 0, max: 1000 } }], 'points[0].writable.max: 1000 is not representable as uint16 with scale 0.01 and offset 0 (raw 100000 outside 0..65535)'],
    ['duplicate names', [ok, { ...ok, address: 10 }], 'points[1].name: duplicate name voltage_v (also points[0])'],
    ['overlapping float32s', [ok, { ...ok, name: 'current_a', address: 1 }], 'points[1].address: overlaps voltage_v (input 0..1) (points[0])'],
    ['same bit twice', [{ name: 'a', type: 'input', address: 3, dataType: 'bit', bit: 2 }, { name: 'b', type: 'input', address: 3, dataType: 'bit', bit: 2 }], 'points[1].address: same bit 2 of input register 3 as a (points[0])'],
    ['bit inside a float32', [ok, { name: 'b', type: 'input', address: 1, dataType: 'bit', bit: 2 }], 'points[1].address: bit point b lies inside the float32 voltage_v (points[0])'],
    ['two coils at one address', [{ name: 'a', type: 'coil', address: 3, dataType: 'bit' }, { name: 'b', type: 'coil', address: 3, dataType: 'bit' }], 'points[1].address: overlaps a (coil 3..3) (points[0])'],
    ['unknown field', [{ ...ok, adress: 3 }], 'points[0]: Unrecognized key: "adress"'],
  ];
  for (const [name, points, expected] of bad) {
    it(`refuses ${name}`, () => {
      expect(issuesOf({ points })).toContain(expected);
    });
  }

  it('refuses a non-object, an empty map, a bad poll interval', () => {
    expect(issuesOf(null)[0]).toMatch(/^\(root\): /);
    expect(issuesOf({ points: [] })).toContain('points: must list at least one point');
    expect(issuesOf({ points: [ok], pollIntervalMs: 5 })).toContain('pollIntervalMs: must be an integer 10..86400000 (ms)');
  });

  it('lists every issue, and the first path in context', () => {
    try {
      parseRegisterMap({ points: [{ ...ok, address: -1 }, { ...ok, name: 'x', scale: 0 }] });
      expect.unreachable();
    } catch (e) {
      const err = e as ModbusConfigError;
      expect(err.issues.length).toBeGreaterThanOrEqual(2);
      expect(err.context.path).toBe('points[0].address');
      expect(err.message).toContain('points[1].scale: must be a finite non-zero number');
    }
  });
});
