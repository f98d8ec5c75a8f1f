import { describe, expect, it } from 'vitest';
import { parseRegisterMap } from '../../src/codec/register-map.js';
import type { DeviceMap } from '../../src/codec/register-map.js';
import { planReads } from '../../src/codec/read-plan.js';
import { ModbusConfigError } from '../../src/errors.js';

const holding = (address: number, dataType = 'uint16', name = `h${address}`): object => ({ name, type: 'holding', address, dataType });
const coil = (address: number): object => ({ name: `c${address}`, type: 'coil', address, dataType: 'bit' });
const summary = (map: DeviceMap, opts = {}): string[] => planReads(map, opts).map((b) => `${b.type}@${b.start}+${b.count}:${b.points.length}`);

describe('Drivers > Modbus > codec > read-plan', () => {
  it('joins contiguous registers into one block and splits at gaps', () => {
    const map = parseRegisterMap({ points: [holding(0, 'float32'), holding(2), holding(3, 'float64'), holding(10)] });
    expect(summary(map)).toEqual(['holding@0+7:3', 'holding@10+1:1']);
  });
  it('joins across a gap when maxGap allows it', () => {
    const map = parseRegisterMap({ points: [holding(0, 'float32'), holding(5), holding(20)] });
    expect(summary(map, { maxGap: 3 })).toEqual(['holding@0+6:2', 'holding@20+1:1']);
    expect(summary(map, { maxGap: 14 })).toEqual(['holding@0+21:3']);
  });
  it('never exceeds 125 registers per read (spec §6.3)', () => {
    const map = parseRegisterMap({ points: Array.from({ length: 300 }, (_, i) => holding(i)) });
    expect(summary(map)).toEqual(['holding@0+125:125', 'holding@125+125:125', 'holding@250+50:50']);
  });
  it('never splits a point at the limit: a float32 at 124 starts a new block', () => {
    const map = parseRegisterMap({ points: [...Array.from({ length: 124 }, (_, i) => holding(i)), holding(124, 'float32')] });
    expect(summary(map)).toEqual(['holding@0+124:124', 'holding@124+2:1']);
  });
  it('exactly 125 registers is one read', () => {
    const map = parseRegisterMap({ points: [...Array.from({ length: 123 }, (_, i) => holding(i)), holding(123, 'float32')] });
    expect(summary(map)).toEqual(['holding@0+125:124']);
  });
  it('never exceeds 2000 bits per read (spec §6.1)', () => {
    const map = parseRegisterMap({ points: Array.from({ length: 2001 }, (_, i) => coil(i)) });
    expect(summary(map)).toEqual(['coil@0+2000:2000', 'coil@2000+1:1']);
  });
  it('keeps tables apart and orders holding, input, coil, discrete', () => {
    const map = parseRegisterMap({
      points: [
        { name: 'd', type: 'discrete', address: 0, dataType: 'bit' },
        coil(0),
        { name: 'i', type: 'input', address: 0, dataType: 'int16' },
        holding(0),
        { name: 'b0', type: 'input', address: 1, dataType: 'bit', bit: 0 },
        { name: 'b1', type: 'input', address: 1, dataType: 'bit', bit: 1 },
      ],
    });
    expect(summary(map)).toEqual(['holding@0+1:1', 'input@0+2:3', 'coil@0+1:1', 'discrete@0+1:1']);
    expect(planReads(map).map((b) => b.functionCode)).toEqual([3, 4, 1, 2]);
  });
  it('reads only the tables listed in readTables (a device that answers FC 04 only), in the usual order', () => {
    const map = parseRegisterMap({
      points: [
        { name: 'd', type: 'discrete', address: 0, dataType: 'bit' },
        coil(0),
        { name: 'i', type: 'input', address: 0, dataType: 'int16' },
        holding(0),
      ],
    });
    expect(planReads(map, { readTables: ['input'] }).map((b) => b.functionCode)).toEqual([4]);
    expect(planReads(map, { readTables: ['discrete', 'holding'] }).map((b) => b.functionCode)).toEqual([3, 2]);
    expect(planReads(map, { readTables: [] })).toEqual([]);
    expect(() => planReads(map, { readTables: ['inputs' as 'input'] })).toThrow(/readTables: "inputs" is not one of holding, input, coil, discrete/);
  });

  it('honours smaller limits', () => {
    const map = parseRegisterMap({ points: Array.from({ length: 10 }, (_, i) => holding(i)) });
    expect(summary(map, { maxRegisters: 4 })).toEqual(['holding@0+4:4', 'holding@4+4:4', 'holding@8+2:2']);
  });
  const badOptions: [object, string][] = [
    [{ maxRegisters: 126 }, 'maxRegisters: must be an integer 1..125 (got 126)'],
    [{ maxBits: 2001 }, 'maxBits: must be an integer 1..2000 (got 2001)'],
    [{ maxGap: -1 }, 'maxGap: must be an integer 0..2000 (got -1)'],
    [{ maxRegisters: 3 }, 'points.x: float64 needs 4 registers, more than maxRegisters 3'],
  ];
  for (const [opts, msg] of badOptions) {
    it(`refuses ${JSON.stringify(opts)}`, () => {
      const map = parseRegisterMap({ points: [holding(0, 'float64', 'x')] });
      try {
        planReads(map, opts);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ModbusConfigError);
        expect((e as ModbusConfigError).issues).toEqual([msg]);
      }
    });
  }
});
