import { describe, expect, it } from 'vitest';
import { compileRecordColumns, mapRecord, parseDbWallTime } from '../../src/codec/record.js';
import { ZoneConverter } from '../../src/codec/timezone.js';

const zone = new ZoneConverter('Europe/Berlin');
const START = Date.UTC(2025, 0, 1, 7, 0, 0);

describe('database records through the Resultfile catalogue (reference §5 approach, §3.3)', () => {
  const cols = compileRecordColumns({ ds: 'DataSet', t: 'Time[h]', u: 'U[mV]', i: 'I[A]', cmd: 'Command', st: 'State', t1: 'T1[°C]', chamber: 'Chamber-T' });

  it('maps driver values (numbers, bigint, numeric text) with units, elapsed + start as timestamp, unknown columns as extras', () => {
    const r = mapRecord(cols, { ds: 12n, t: '0.5', u: 3712, i: -1.5, cmd: 'Discharge', st: 1, t1: 24.5, chamber: 'on' }, START, zone);
    expect(r).toMatchObject({ data_set: 12, elapsed_s: 1800, command: 'Discharge', state: 1, values: { voltage_v: 3.712, current_a: -1.5, temperature_1_c: 24.5 }, extra: { 'Chamber-T': 'on' } });
    expect(r.timestampMs).toBe(START + 1_800_000);
  });

  it('a DateTime column wins over start + elapsed (SQL and BaSyTec spellings)', () => {
    const c = compileRecordColumns({ ds: 'DataSet', dt: 'DateTime' });
    expect(mapRecord(c, { ds: 1, dt: '2025-07-01 12:00:00.250' }, undefined, zone).timestampMs).toBe(Date.UTC(2025, 6, 1, 10, 0, 0, 250));
    expect(mapRecord(c, { ds: 1, dt: '01.07.2025 12:00:00' }, undefined, zone).timestampMs).toBe(Date.UTC(2025, 6, 1, 10, 0, 0));
    expect(parseDbWallTime('2025-13-01 00:00:00')).toBeUndefined();
  });

  it('rejects a row with a specific error: missing DataSet, text in a number column, no time at all', () => {
    expect(() => mapRecord(cols, { ds: null, t: 0 }, START, zone)).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_DB_ROW_INVALID', context: { column: 'ds', header: 'DataSet' } }));
    expect(() => mapRecord(cols, { ds: 1, t: 0, u: 'high' }, START, zone)).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_DB_ROW_INVALID', context: { column: 'u', header: 'U[mV]' } }));
    expect(() => mapRecord(cols, { ds: 1, t: 0 }, undefined, zone)).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_TIMESTAMP_UNAVAILABLE' }));
  });

  it('refuses a mapping without DataSet or without a time column', () => {
    expect(() => compileRecordColumns({ t: 'Time[s]' })).toThrow(/no column maps to DataSet/);
    expect(() => compileRecordColumns({ ds: 'DataSet', u: 'U[V]' })).toThrow(/no column maps to a time/);
  });
});
