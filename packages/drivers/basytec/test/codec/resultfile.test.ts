import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResultfile, ResultfileParser, parseNumber, parseHms, parseWallTime } from '../../src/codec/resultfile.js';
import type { ResultRow } from '../../src/codec/resultfile.js';
import { BasytecError } from '../../src/errors.js';
import { buildResultfile } from './builder.js';

const vector = (name: string): Buffer => readFileSync(new URL(`../vectors/${name}`, import.meta.url));
const UTC = { timeZone: 'UTC' } as const;
const BERLIN = { timeZone: 'Europe/Berlin' } as const;

describe('real sample from PyProBE (reference §7)', () => {
  const r = parseResultfile(vector('pyprobe_sample_data_basytec.txt'), BERLIN);

  it('reads the preamble keys (reference §3.2)', () => {
    expect(r.header.meta).toMatchObject({ testName: 'test', battery: 'cell', plan: 'plan.pln', channel: '1814 CH14 XCTS_40', startOfTest: '19.06.2023 17:56:53', endOfTest: '05.07.2023 11:05:04' });
    expect(r.header.meta.entries['Operator (Data converting)']).toBe('basytec');
    // 17:56:53 CEST = 15:56:53 UTC
    expect(r.header.meta.startedAtMs).toBe(Date.UTC(2023, 5, 19, 15, 56, 53));
  });

  it('decides UTF-8 (the copy has U+FFFD in T1[…C]), tab separation, 29 columns, 74 rows, no errors', () => {
    expect(r.header.encoding).toBe('utf-8');
    expect(r.header.separator).toBe('tab');
    expect(r.header.columns).toHaveLength(29);
    expect(r.header.columns[22]?.header).toBe('T1[\uFFFDC]');
    expect(r.rows).toHaveLength(74);
    expect(r.errors).toEqual([]);
    expect(r.rows.map((x) => x.data_set)).toEqual(Array.from({ length: 74 }, (_, i) => i + 1));
  });

  it('maps the first and last rows by name (values as printed in the file)', () => {
    const first = r.rows[0] as ResultRow;
    expect(first).toMatchObject({ data_set: 1, elapsed_s: 0, line: 3, command: 'Pause', state: 3, level: 1, cycle_count: 0, loop_count: 1 });
    expect(first.values).toMatchObject({ voltage_v: 3.52575489148741, current_a: 0, temperature_1_c: 25.47953 });
    expect(first.timestampMs).toBe(Date.UTC(2023, 5, 19, 15, 56, 53));
    const last = r.rows[73] as ResultRow;
    expect(last).toMatchObject({ data_set: 74, elapsed_s: 70.2358036666668, line: 4, command: 'Charge' });
    expect(last.values['voltage_v']).toBe(3.53285012323902);
    expect(last.values['current_a']).toBe(0.449601734416934);
    expect(last.values['power_w']).toBe(1.58837554284334);
    expect(last.values['charge_ah']).toBe(0.001248916998009);
    expect(last.timestampMs).toBe(Date.UTC(2023, 5, 19, 15, 56, 53) + 70_236);
  });

  it('follows the State pattern 3 / 0 / 1… / 2 of a step (reference §3.4)', () => {
    const charge = r.rows.filter((x) => x.line === 4);
    expect(charge[0]?.state).toBe(3);
    expect(charge[1]?.state).toBe(0);
    expect(charge[0]?.values['step_time_s']).toBe(0);
  });
});

describe('constructed samples (reference §7)', () => {
  it('tab, hours, CRLF, Latin-1, Date+Time columns: 17 columns, 16 rows, four steps', () => {
    const r = parseResultfile(vector('constructed_tab_hours_crlf_latin1.txt'), BERLIN);
    expect(r.errors).toEqual([]);
    expect(r.header.encoding).toBe('windows-1252');
    expect(r.header.columns).toHaveLength(17);
    expect(r.header.columns[13]?.header).toBe('T1[°C]');
    expect(r.rows).toHaveLength(16);
    expect([...new Set(r.rows.map((x) => `${x.line}:${x.command}`))]).toEqual(['2:Pause', '3:Charge', '4:Pause', '5:Discharge']);
    const third = r.rows[2] as ResultRow;
    // Time[h] 0.041667 → 150.0012 s; clock 08:02:30 CET = 07:02:30 UTC
    expect(third.elapsed_s).toBeCloseTo(150.0012, 6);
    expect(third.timestampMs).toBe(Date.UTC(2024, 2, 12, 7, 2, 30));
    expect(r.rows.some((x) => (x.values['current_a'] ?? 0) < 0 && x.command === 'Discharge')).toBe(true);
    // no CR leaks into the last field
    expect(r.rows.every((x) => typeof x.state === 'number')).toBe(true);
  });

  it('space-separated with DateTime re-joined: 9 rows, DateTime gives the timestamp', () => {
    const r = parseResultfile(vector('constructed_space_seconds_datetime_latin1.txt'), BERLIN);
    expect(r.errors).toEqual([]);
    expect(r.header.separator).toBe('space');
    expect(r.rows).toHaveLength(9);
    const row = r.rows[4] as ResultRow;
    expect(row).toMatchObject({ data_set: 5, command: 'Discharge', state: 0 });
    expect(row.values['charge_ah']).toBe(-1.4e-6);
    expect(row.values['current_a']).toBe(-0.5001);
    expect(row.timestampMs).toBe(Date.UTC(2024, 8, 2, 12, 5, 0));
    // timestampSource 'elapsed' keeps the 10 ms resolution the DateTime column lacks
    const e = parseResultfile(vector('constructed_space_seconds_datetime_latin1.txt'), { ...BERLIN, timestampSource: 'elapsed' });
    expect(e.rows[4]?.timestampMs).toBe(Date.UTC(2024, 8, 2, 12, 5, 0, 10));
  });
});

describe('pitfalls of reference §3.7, one by one', () => {
  const H = ['Time[s]', 'DataSet', 'U[V]', 'I[A]'];

  it('1. the last ~ line is the header, not skipped', () => {
    const r = parseResultfile(buildResultfile(H, [['0', '1', '3.5', '0']]), UTC);
    expect(r.header.columns.map((c) => c.target)).toEqual(['elapsed_s', 'data_set', 'voltage_v', 'current_a']);
    expect(r.rows).toHaveLength(1);
  });

  it('2. the leading ~ of the first header name is stripped before matching', () => {
    const r = parseResultfile(buildResultfile(H, [['1.5', '1', '3.5', '0']]), UTC);
    expect(r.header.columns[0]?.header).toBe('Time[s]');
    expect(r.rows[0]?.elapsed_s).toBe(1.5);
  });

  it('3. the separator comes from the header line (tab, else spaces; runs of spaces tolerated)', () => {
    const tab = parseResultfile(buildResultfile(H, [['0', '1', '3.5', '0']], { sep: '\t' }), UTC);
    const sp = parseResultfile(buildResultfile(H, [['0', '1', '3.5', '0']], { sep: ' ' }), UTC);
    expect(tab.header.separator).toBe('tab');
    expect(sp.header.separator).toBe('space');
    const aligned = Buffer.from(buildResultfile(H, [], { sep: ' ' }).toString('latin1') + '0   1  3.5   0\n', 'latin1');
    expect(parseResultfile(aligned, UTC).rows[0]?.values['voltage_v']).toBe(3.5);
  });

  it('4. with spaces, DateTime (two tokens) is re-joined; a row one token short is an error', () => {
    const hdr = ['Time[s]', 'DataSet', 'DateTime', 'U[V]'];
    const r = parseResultfile(buildResultfile(hdr, [['0', '1', '01.01.2025 10:00:01', '3.5'], ['1', '2', '01.01.2025']], { sep: ' ' }), UTC);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]?.timestampMs).toBe(Date.UTC(2025, 0, 1, 10, 0, 1));
    expect(r.errors[0]?.code).toBe('BB_BASYTEC_ROW_COLUMN_COUNT');
  });

  it('5. columns by name and unit, in any order: h, s, h:min:s and both …-Set spellings', () => {
    const a = parseResultfile(buildResultfile(['I[A]', 'DataSet', 'Time[h]', 'U[V]', 'Ah-Ch-Set', 'Ah-Dis-Set'], [['-1', '7', '0.5', '3.2', '0.1', '0.2']]), UTC);
    expect(a.rows[0]).toMatchObject({ data_set: 7, elapsed_s: 1800, values: { voltage_v: 3.2, current_a: -1, set_charged_ah: 0.1, set_discharged_ah: 0.2 } });
    const b = parseResultfile(buildResultfile(['Time[h:min:s]', 'DataSet', 'U[mV]', 'Ah-Charge-Set', 'Ah-Discharge-Set'], [['25:01:02.5', '1', '3200', '0.1', '0.2']]), UTC);
    expect(b.rows[0]).toMatchObject({ elapsed_s: 25 * 3600 + 62.5, values: { voltage_v: 3.2, set_charged_ah: 0.1, set_discharged_ah: 0.2 } });
    expect(b.rows[0]?.timestampMs).toBe(Date.UTC(2025, 0, 1, 10, 0, 0) + (25 * 3600 + 62.5) * 1000);
  });

  it('6. Windows-1252 first: the byte 0xB0 is a degree sign; UTF-8 when the preamble is well-formed UTF-8; T1[…C] matched loosely', () => {
    const latin = parseResultfile(buildResultfile(['Time[s]', 'DataSet', 'T1[°C]'], [['0', '1', '25']], { encoding: 'latin1' }), UTC);
    expect(latin.header.encoding).toBe('windows-1252');
    expect(latin.header.columns[2]?.header).toBe('T1[°C]');
    const utf = parseResultfile(buildResultfile(['Time[s]', 'DataSet', 'T1[°C]'], [['0', '1', '25']], { encoding: 'utf8' }), UTC);
    expect(utf.header.encoding).toBe('utf-8');
    expect(utf.header.columns[2]?.header).toBe('T1[°C]');
    for (const r of [latin, utf]) expect(r.rows[0]?.values['temperature_1_c']).toBe(25);
    // Windows-1252 bytes 0x80-0x9F are not Latin-1 controls: 0x80 is €
    const euro = Buffer.concat([buildResultfile(['Time[s]', 'DataSet', 'Note'], []), Buffer.from([0x30, 0x09, 0x31, 0x09, 0x80, 0x0a])]);
    expect(parseResultfile(euro, UTC).rows[0]?.extra['Note']).toBe('€');
  });

  it('7. large files stream: only the partial line is held (a 20 000-row file pushed in 4 KiB chunks)', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [String(i), String(i + 1), '3.5', '1']);
    const bytes = buildResultfile(H, rows);
    const p = new ResultfileParser(UTC);
    let n = 0;
    let maxPending = 0;
    for (let i = 0; i < bytes.length; i += 4096) {
      n += p.push(bytes.subarray(i, i + 4096)).rows.length;
      maxPending = Math.max(maxPending, bytes.length - i - 4096 > 0 ? p.consumedOffset : 0);
      expect(Math.min(i + 4096, bytes.length) - p.consumedOffset).toBeLessThan(4096 + 64);
    }
    n += p.end().rows.length;
    expect(n).toBe(20_000);
    expect(maxPending).toBeGreaterThan(0);
  });

  it('8. Time (clock) and ~Time[h] (elapsed) both present: Time is the clock when Date exists', () => {
    const r = parseResultfile(buildResultfile(['Time[h]', 'DataSet', 'Date', 'Time', 'U[V]'], [['1', '1', '01.01.2025', '11:00:05', '3.3']]), UTC);
    expect(r.header.columns.map((c) => c.kind)).toEqual(['number', 'integer', 'date', 'clock', 'number']);
    expect(r.rows[0]?.elapsed_s).toBe(3600);
    expect(r.rows[0]?.timestampMs).toBe(Date.UTC(2025, 0, 1, 11, 0, 5));
  });

  it('9. rows carry the de-duplication key parts: preamble test/channel/start and DataSet', () => {
    const r = parseResultfile(buildResultfile(H, [['0', '41', '3.5', '0']]), UTC);
    expect([r.header.meta.testName, r.header.meta.channel, r.header.meta.startOfTest, r.rows[0]?.data_set]).toEqual(['t1', '0101 CH01 CTS', '01.01.2025 10:00:00', 41]);
  });
});

describe('split points of a growing line (STYLE.md §4)', () => {
  for (const name of ['constructed_tab_hours_crlf_latin1.txt', 'constructed_space_seconds_datetime_latin1.txt', 'pyprobe_sample_data_basytec.txt']) {
    it(`${name}: every two-way split and byte by byte give the rows of one push`, () => {
      const bytes = vector(name);
      const whole = parseResultfile(bytes, BERLIN).rows;
      // every split point of the constructed files; the 13 kB real file every 13th (and byte by byte below)
      const step = name.startsWith('pyprobe') ? 13 : 1;
      for (let i = 1; i < bytes.length; i += step) {
        const p = new ResultfileParser(BERLIN);
        const rows = [...p.push(bytes.subarray(0, i)).rows, ...p.push(bytes.subarray(i)).rows, ...p.end().rows];
        expect(rows).toEqual(whole);
      }
      const p = new ResultfileParser(BERLIN);
      const rows: ResultRow[] = [];
      for (let i = 0; i < bytes.length; i++) rows.push(...p.push(bytes.subarray(i, i + 1)).rows);
      rows.push(...p.end().rows);
      expect(rows).toEqual(whole);
    }, 60_000);
  }

  it('a row without its line feed is held back until the LF arrives (a file being written)', () => {
    const bytes = buildResultfile(['Time[s]', 'DataSet', 'U[V]'], [['0', '1', '3.5'], ['1', '2', '3.6']]);
    const cut = bytes.length - 3; // inside the last row
    const p = new ResultfileParser(UTC);
    expect(p.push(bytes.subarray(0, cut)).rows.map((r) => r.data_set)).toEqual([1]);
    expect(p.consumedOffset).toBe(bytes.lastIndexOf('\n', bytes.length - 2) + 1);
    expect(p.push(bytes.subarray(cut)).rows.map((r) => r.data_set)).toEqual([2]);
  });

  it('a CR LF split between chunks and a UTF-8 character split between chunks', () => {
    const bytes = buildResultfile(['Time[s]', 'DataSet', 'T1[°C]', 'Note'], [['0', '1', '25', 'ä']], { eol: '\r\n', encoding: 'utf8' });
    const cr = bytes.indexOf('\r\n', bytes.length - 10);
    const ae = bytes.indexOf(Buffer.from('ä', 'utf8'), bytes.length - 10);
    for (const i of [cr + 1, ae + 1]) {
      const p = new ResultfileParser(UTC);
      const rows = [...p.push(bytes.subarray(0, i)).rows, ...p.push(bytes.subarray(i)).rows];
      expect(rows[0]?.extra['Note']).toBe('ä');
    }
  });

  it('resumes mid-file from a stored header and byte offset', () => {
    const bytes = vector('constructed_tab_hours_crlf_latin1.txt');
    const first = new ResultfileParser(BERLIN);
    const all = first.push(bytes).rows;
    const cut = all[5] as ResultRow;
    const resumed = new ResultfileParser({ ...BERLIN, resume: { header: first.header!, offset: cut.endOffset, lineNumber: cut.lineNumber + 1 } });
    expect(resumed.push(bytes.subarray(cut.endOffset)).rows).toEqual(all.slice(6));
  });
});

describe('malformed input: specific errors, nothing else lost', () => {
  const H = ['Time[s]', 'DataSet', 'U[V]', 'Line', 'Time[h:min:s]'];
  const cases: ReadonlyArray<readonly [string, readonly string[], string, Record<string, unknown>]> = [
    ['too few fields', ['1', '2', '3.5', '4'], 'BB_BASYTEC_ROW_COLUMN_COUNT', { expected: 5, actual: 4 }],
    ['too many fields', ['1', '2', '3.5', '4', '0:00:01', 'x'], 'BB_BASYTEC_ROW_COLUMN_COUNT', { expected: 5, actual: 6 }],
    ['voltage not a number', ['1', '2', '3,5,1', '4', '0:00:01'], 'BB_BASYTEC_ROW_VALUE_INVALID', { column: 'U[V]', value: '3,5,1' }],
    ['empty voltage', ['1', '2', '', '4', '0:00:01'], 'BB_BASYTEC_ROW_VALUE_INVALID', { column: 'U[V]' }],
    ['DataSet not an integer', ['1', '2.5', '3.5', '4', '0:00:01'], 'BB_BASYTEC_ROW_VALUE_INVALID', { column: 'DataSet', value: '2.5' }],
    ['hex is not a number', ['1', '0x10', '3.5', '4', '0:00:01'], 'BB_BASYTEC_ROW_VALUE_INVALID', { column: 'DataSet' }],
    ['bad h:min:s', ['1', '2', '3.5', '4', '1:75:00'], 'BB_BASYTEC_ROW_VALUE_INVALID', { column: 'Time[h:min:s]', value: '1:75:00' }],
  ];
  for (const [what, row, code, ctx] of cases) {
    it(`${what} → ${code}, with the good rows around it kept`, () => {
      const bytes = buildResultfile(H, [['0', '1', '3.5', '4', '0:00:00'], row, ['2', '3', '3.6', '4', '0:00:02']]);
      const r = parseResultfile(bytes, UTC);
      expect(r.rows.map((x) => x.data_set)).toEqual([1, 3]);
      expect(r.errors).toHaveLength(1);
      const e = r.errors[0] as BasytecError;
      expect(e).toBeInstanceOf(BasytecError);
      expect(e.code).toBe(code);
      expect(e.context).toMatchObject({ lineNumber: 15, ...ctx });
    });
  }

  it('a bad DateTime and a bad Date+Time', () => {
    const a = parseResultfile(buildResultfile(['Time[s]', 'DataSet', 'DateTime'], [['0', '1', '32.01.2025 10:00:00']]), UTC);
    expect(a.errors[0]).toMatchObject({ code: 'BB_BASYTEC_ROW_VALUE_INVALID', context: { column: 'DateTime' } });
    const b = parseResultfile(buildResultfile(['Time[s]', 'DataSet', 'Date', 'Time'], [['0', '1', '01.01.2025', '25:00:00']]), UTC);
    expect(b.errors[0]).toMatchObject({ code: 'BB_BASYTEC_ROW_VALUE_INVALID', context: { column: 'Date+Time' } });
  });

  it('no absolute time: no Start of Test and no clock column', () => {
    const bytes = buildResultfile(['Time[s]', 'DataSet'], [['0', '1']], { preamble: ['~Resultfile from Basytec Battery Test System'] });
    expect(parseResultfile(bytes, UTC).errors[0]?.code).toBe('BB_BASYTEC_TIMESTAMP_UNAVAILABLE');
  });

  it('not a Resultfile, header without DataSet, without a time column, with a repeated column', () => {
    expect(() => parseResultfile(Buffer.from('Time;U\n1;2\n'), UTC)).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_NOT_A_RESULTFILE' }));
    expect(() => parseResultfile(buildResultfile(['Time[s]', 'U[V]'], [['0', '1']]), UTC)).toThrow(/no DataSet column/);
    expect(() => parseResultfile(buildResultfile(['DataSet', 'U[V]'], [['0', '1']]), UTC)).toThrow(/no time column/);
    expect(() => parseResultfile(buildResultfile(['Time[s]', 'DataSet', 'U[V]', 'U[V]'], [['0', '1', '2', '3']]), UTC)).toThrow(/repeats column "U\[V\]"/);
  });

  it('a line over the cap is dropped with BB_BASYTEC_LINE_TOO_LONG and parsing resumes', () => {
    const head = buildResultfile(['Time[s]', 'DataSet'], [['0', '1']]);
    const bytes = Buffer.concat([head, Buffer.alloc(1000, 0x31), Buffer.from('\n2\t3\n')]);
    const p = new ResultfileParser({ ...UTC, maxLineBytes: 256 });
    const out = { rows: [] as ResultRow[], errors: [] as BasytecError[] };
    for (let i = 0; i < bytes.length; i += 100) {
      const o = p.push(bytes.subarray(i, i + 100));
      out.rows.push(...o.rows);
      out.errors.push(...o.errors);
    }
    expect(out.rows.map((r) => r.data_set)).toEqual([1, 3]);
    expect(out.errors.map((e) => e.code)).toEqual(['BB_BASYTEC_LINE_TOO_LONG']);
    expect(out.rows[1]?.lineNumber).toBe(16);
  });

  it('a "~" line after data rows is reported, not taken as data', () => {
    const bytes = Buffer.concat([buildResultfile(['Time[s]', 'DataSet'], [['0', '1']]), Buffer.from('~Time[s]\tDataSet\n1\t2\n')]);
    const r = parseResultfile(bytes, UTC);
    expect(r.rows.map((x) => x.data_set)).toEqual([1, 2]);
    expect(r.errors[0]?.code).toBe('BB_BASYTEC_HEADER_INVALID');
  });

  it('an unknown time zone and a bad cap are refused at construction', () => {
    expect(() => new ResultfileParser({ timeZone: 'Mars/Olympus' })).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_TIME_ZONE_INVALID' }));
    expect(() => new ResultfileParser({ timeZone: 'UTC', maxLineBytes: 10 })).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_CONFIG_INVALID' }));
  });
});

describe('field readers', () => {
  it('numbers: exponent notation, decimal comma, rejects', () => {
    expect(parseNumber('1.259385498273E-7')).toBe(1.259385498273e-7);
    expect(parseNumber('-1.4E-6')).toBe(-1.4e-6);
    expect(parseNumber('3,25')).toBe(3.25);
    for (const bad of ['', 'abc', '1.2.3', ' 1', '0x1f', 'NaN', 'Infinity']) expect(parseNumber(bad)).toBeUndefined();
  });
  it('h:mm:ss, hours beyond 24, and wall times', () => {
    expect(parseHms('100:00:01.25')).toBe(360001.25);
    expect(parseHms('1:60:00')).toBeUndefined();
    expect(parseWallTime('29.02.2024', '23:59:59.5')).toEqual({ year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, millisecond: 500 });
    expect(parseWallTime('2024-02-29', '23:59:59')).toBeUndefined();
  });
  it('unknown columns are kept as extras (number or text)', () => {
    const r = parseResultfile(buildResultfile(['Time[s]', 'DataSet', 'Chamber-T', 'Label'], [['0', '1', '1.5E1', 'run A']]), UTC);
    expect(r.rows[0]?.extra).toEqual({ 'Chamber-T': 15, Label: 'run A' });
  });
});
