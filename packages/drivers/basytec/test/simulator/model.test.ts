import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN, simulateRows } from '../../src/simulator/model.js';
import type { SimRow } from '../../src/simulator/model.js';
import { ResultfileFormat } from '../../src/simulator/resultfile-writer.js';
import { parseResultfile } from '../../src/codec/resultfile.js';

const rows = (): SimRow[] => [...simulateRows({ plan: DEFAULT_PLAN, sample_s: 5 })];

describe('simulated cell and plan', () => {
  it('runs the four steps with the State pattern 3/0/1…/2 and BaSyTec sign convention (reference §3.3, §3.4)', () => {
    const r = rows();
    expect([...new Set(r.map((x) => `${x.line}:${x.command}`))]).toEqual(['2:Pause', '3:Charge', '4:Pause', '5:Discharge']);
    for (const line of [2, 3, 4, 5]) {
      const s = r.filter((x) => x.line === line).map((x) => x.state);
      expect(s[0]).toBe(3);
      expect(s[1]).toBe(0);
      expect(s[s.length - 1]).toBe(2);
      expect(s.slice(2, -1).every((v) => v === 1)).toBe(true);
    }
    expect(r.filter((x) => x.command === 'Charge').every((x) => x.current_a > 0)).toBe(true);
    expect(r.filter((x) => x.command === 'Discharge').every((x) => x.current_a < 0)).toBe(true);
    expect(r.map((x) => x.dataSet)).toEqual(r.map((_, i) => i + 1));
    // charge throughput rises while charging and falls while discharging
    const ch = r.filter((x) => x.command === 'Charge');
    expect(ch[ch.length - 1]!.charge_ah).toBeGreaterThan(ch[0]!.charge_ah);
  });

  it('is deterministic', () => {
    expect(rows()).toEqual(rows());
  });
});

describe('Resultfile writer, read back by the parser, in every format variant', () => {
  const variants = [
    { separator: 'tab', encoding: 'latin1', eol: 'crlf', timeUnit: 'h', dateTimeColumn: false },
    { separator: 'space', encoding: 'latin1', eol: 'lf', timeUnit: 's', dateTimeColumn: true },
    { separator: 'tab', encoding: 'utf8', eol: 'lf', timeUnit: 's', dateTimeColumn: true },
    { separator: 'space', encoding: 'utf8', eol: 'crlf', timeUnit: 'h', dateTimeColumn: false },
  ] as const;
  for (const v of variants) {
    it(JSON.stringify(v), () => {
      const f = new ResultfileFormat({ ...v, testName: 'round trip', channel: '0001 CH09 SIM' });
      const r = rows().slice(0, 60);
      const bytes = Buffer.concat([f.preamble(), f.rows(r)]);
      expect(bytes.includes(Buffer.from(v.encoding === 'latin1' ? [0x5b, 0xb0, 0x43] : [0x5b, 0xc2, 0xb0, 0x43]))).toBe(true);
      const p = parseResultfile(bytes, { timeZone: 'UTC', timestampSource: 'elapsed' });
      expect(p.errors).toEqual([]);
      expect(p.header.encoding).toBe(v.encoding === 'latin1' ? 'windows-1252' : 'utf-8');
      expect(p.header.separator).toBe(v.separator);
      expect(p.header.meta.testName).toBe('round trip');
      expect(p.rows).toHaveLength(60);
      for (const [i, row] of p.rows.entries()) {
        const e = r[i]!;
        expect(row.data_set).toBe(e.dataSet);
        expect(row.elapsed_s).toBeCloseTo(e.elapsed_s, 6);
        expect(row).toMatchObject({ line: e.line, command: e.command, state: e.state, cycle_count: e.cycle });
        expect(row.values).toMatchObject({ voltage_v: e.voltage_v, current_a: e.current_a, charge_ah: e.charge_ah, temperature_1_c: e.temperature_c });
        expect(row.timestampMs).toBe(Date.UTC(2025, 0, 1, 8) + Math.round(row.elapsed_s! * 1000));
      }
    });
  }
});
