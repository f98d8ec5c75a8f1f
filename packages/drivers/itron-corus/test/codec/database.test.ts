import { describe, expect, it } from 'vitest';
import { DatabaseAssembler, decodeRecord, encodeDatabaseFrames, recordToJson, type RecordField } from '../../src/codec/database.js';
import { ExactDecimal } from '../../src/codec/exact-decimal.js';
import { decodeResponseFrame } from '../../src/codec/frames.js';
import { INTERVAL_LAYOUT_52 } from '../../src/config/example-map.js';
import { hex, toHex, vectors } from '../vectors/load.js';

const ex = vectors.database_transfer_example;
const deviceFrames: Uint8Array[] = ex.exchange.filter((e: { direction: string }) => e.direction === 'device->client').map((e: { hex: string }) => decodeResponseFrame(hex(e.hex)));
const layout: RecordField[] = ex.layout.map((f: { name: string; class: RecordField['class']; affected_by_pulse_input: boolean }) => ({ name: f.name, class: f.class, affectedByPulseInput: f.affected_by_pulse_input }));

describe('Codec > database (README §9)', () => {
  it('reassembles the transfer example into the 3 records (record 2 split across frames)', () => {
    const asm = new DatabaseAssembler();
    const got: Uint8Array[] = [];
    for (const f of deviceFrames) got.push(...asm.push(f).records);
    expect(asm.finished).toBe(true);
    expect(asm.size).toBe(52);
    expect(got.map(toHex)).toEqual(ex.records_hex);
  });
  it('decodes the records with pulse weight 0.1 to the expected exact values', () => {
    const records = ex.records_hex.map((h: string) => recordToJson(decodeRecord(hex(h), layout, ExactDecimal.from(ex.input_pulse_weight))));
    const expected = ex.decoded_records.map((r: Record<string, string | number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));
    expect(records).toEqual(expected);
  });
  it('the shipped INTERVAL_LAYOUT_52 equals the vectors layout', () => {
    expect(INTERVAL_LAYOUT_52.map((f) => ({ name: f.name, class: f.class, affectedByPulseInput: f.affectedByPulseInput ?? false }))).toEqual(layout);
  });
  it('encodeDatabaseFrames (chunk 100) reproduces the device frames', () => {
    const stream = hex(ex.records_hex.join(''));
    expect(encodeDatabaseFrames(stream, 52, 100).map(toHex)).toEqual(deviceFrames.map(toHex));
  });
  it('empty answer (README §9.5) → no records, finished', () => {
    const asm = new DatabaseAssembler();
    expect(asm.push(decodeResponseFrame(hex(vectors.database_empty_example.hex))).records).toEqual([]);
    expect(asm.finished).toBe(true);
    expect(toHex(encodeDatabaseFrames(new Uint8Array(0), 0)[0] as Uint8Array)).toBe('018000');
  });
  it('out-of-order frame → BB_CORUS_DB_FRAME_ORDER', () => {
    const asm = new DatabaseAssembler();
    asm.push(deviceFrames[0] as Uint8Array);
    const bad = Uint8Array.from(deviceFrames[1] as Uint8Array);
    bad[0] = 3;
    expect(() => asm.push(bad)).toThrow(expect.objectContaining({ code: 'BB_CORUS_DB_FRAME_ORDER' }));
  });
  it('accepts any first frame number (README §9.3)', () => {
    const frames = encodeDatabaseFrames(hex(ex.records_hex.join('')), 52, 100, 0);
    const asm = new DatabaseAssembler();
    expect(frames.flatMap((f) => asm.push(f).records)).toHaveLength(3);
  });
  it('a trailing partial record → BB_CORUS_DB_PARTIAL_RECORD', () => {
    const frames = encodeDatabaseFrames(hex(ex.records_hex.join('')).subarray(0, 155), 52, 100);
    const asm = new DatabaseAssembler();
    asm.push(frames[0] as Uint8Array);
    expect(() => asm.push(frames[1] as Uint8Array)).toThrow(expect.objectContaining({ code: 'BB_CORUS_DB_PARTIAL_RECORD' }));
  });
  it('record of the wrong length for the layout → BB_CORUS_NO_LAYOUT', () => {
    expect(() => decodeRecord(new Uint8Array(51), layout, ExactDecimal.from(1))).toThrow(expect.objectContaining({ code: 'BB_CORUS_NO_LAYOUT' }));
  });
  it('multiplied divides after pulse scaling (README §9.6)', () => {
    const r = decodeRecord(Uint8Array.of(12, 0), [{ name: 'v', class: 'Word', affectedByPulseInput: true, multiplied: '3' }], ExactDecimal.from('0.1'));
    expect(r.v?.toString()).toBe('0.4');
  });
});
