import { describe, expect, it } from 'vitest';
import { EXAMPLE_DB_MAPPING, mapHeader } from '@busbar/driver-basytec';
import type { ResultfileHeader } from '@busbar/driver-basytec';
import { dbTimestampSource, fileTimestampSource } from '../src/session.js';

const header = (cells: string[], startedAtMs: number | undefined): ResultfileHeader => ({
  meta: { testName: 't', battery: undefined, plan: undefined, channel: undefined, startOfTest: startedAtMs === undefined ? undefined : '01.01.2025 08:00:00', startedAtMs, endOfTest: undefined, entries: {} },
  columns: mapHeader(cells), separator: 'tab', encoding: undefined, headerLine: `~${cells.join('\t')}`, dataOffset: 0, dataLine: 1,
});

describe('module-basytec > session > timestamp source', () => {
  it('files: the clock columns under auto, Start of Test + elapsed under elapsed (or when the file has no clock)', () => {
    const withClock = header(['Time[s]', 'DataSet', 'DateTime', 'U[V]'], 0);
    expect(fileTimestampSource(withClock, 'auto')).toBe('clock');
    expect(fileTimestampSource(withClock, 'elapsed')).toBe('elapsed');
    expect(fileTimestampSource(header(['Time[h]', 'DataSet', 'Date', 'Time', 'U[V]'], 0), 'auto')).toBe('clock');
    expect(fileTimestampSource(header(['Time[s]', 'DataSet', 'U[V]'], 0), 'auto')).toBe('elapsed');
    // elapsed asked for, but no Start of Test: the parser falls back to the clock columns
    expect(fileTimestampSource(header(['Time[s]', 'DataSet', 'DateTime'], undefined), 'elapsed')).toBe('clock');
  });

  it('database: the clock when the mapping has DateTime or Date + Time, else Start of Test + elapsed', () => {
    expect(dbTimestampSource(EXAMPLE_DB_MAPPING.data.columns)).toBe('elapsed');
    expect(dbTimestampSource({ ds: 'DataSet', dt: 'DateTime' })).toBe('clock');
    expect(dbTimestampSource({ ds: 'DataSet', d: 'Date', t: 'Time' })).toBe('clock');
  });
});
