import { describe, expect, it } from 'vitest';
import { errorCode } from '@busbar/core';
import { parseScheduleCsv } from '../../src/schedule/csv.js';

const ENVELOPE = { currentA: { min: -100, max: 100 }, powerKw: { min: -30, max: 30 } };
const BOM = '\uFEFF';

function refusal(text: string, mode: 'current' | 'power' = 'current'): string {
  try {
    parseScheduleCsv(text, mode, ENVELOPE, 'test.csv');
  } catch (err) {
    expect(errorCode(err)).toBe('BB_RIG_SCHEDULE_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected BB_RIG_SCHEDULE_INVALID');
}

describe('Safety rig > schedule > csv', () => {
  it('reads the reference §7 example with a BOM, a header and CRLF', () => {
    const s = parseScheduleCsv(`${BOM}Interval [s],Current [A]\r\n600,-20\r\n300,0\r\n600,20\r\n`, 'current', ENVELOPE, 'example.csv');
    expect(s).toEqual({
      name: 'example.csv',
      mode: 'current',
      steps: [
        { durationS: 600, setpoint: { mode: 'current', value: -20 }, line: 2 },
        { durationS: 300, setpoint: { mode: 'current', value: 0 }, line: 3 },
        { durationS: 600, setpoint: { mode: 'current', value: 20 }, line: 4 },
      ],
    });
  });

  it('reads a power schedule without header, blank lines, spaces and a trailing comma', () => {
    const s = parseScheduleCsv('100, -15.72,\n\n100,0\n', 'power', ENVELOPE, 'p.csv');
    expect(s.steps.map((x) => [x.durationS, x.setpoint.value, x.line])).toEqual([[100, -15.72, 1], [100, 0, 3]]);
  });

  it('accepts the envelope bounds themselves', () => {
    expect(parseScheduleCsv('10,-100\n10,100', 'current', ENVELOPE, 'b.csv').steps).toHaveLength(2);
  });

  it.each([
    ['a set-point outside the envelope', 'Interval [s],Current [A]\n300,35\n300,-100.5\n', /line 3: current set-point -100\.5 A is outside the envelope \[-100, 100\] A/],
    ['a zero duration', '0,5\n', /line 1: duration 0 s must be > 0/],
    ['a negative duration', '-5,5\n', /line 1: duration -5 s must be > 0/],
    ['a word where a number belongs (not the header row)', 'Interval [s],Current [A]\n300,fast\n', /line 2: set-point "fast" is not a number/],
    ['a bad duration', '5 min,2\n', /line 1: duration "5 min" is not a number/],
    ['three cells', '300,1,2\n', /line 1: expected 2 cells/],
    ['one cell', '300\n', /line 1: expected 2 cells/],
    ['only a header', `${BOM}Interval [s],Current [A]\n`, /no step/],
    ['an empty file', '', /no step/],
    ['a header of the other mode', 'Interval [s],Power [kW]\n100,-15\n', /line 1: header "Power \[kW\]" names the other mode; this schedule is configured as current/],
  ])('refuses %s', (_name, text, message) => {
    expect(refusal(text)).toMatch(message);
  });

  it('checks power set-points against the kW envelope', () => {
    expect(refusal('100,31\n', 'power')).toMatch(/power set-point 31 kW is outside the envelope \[-30, 30\] kW/);
    expect(refusal('Interval [s],Current [A]\n100,1\n', 'power')).toMatch(/names the other mode/);
  });

  it('refuses unbalanced quotes as not CSV', () => {
    expect(refusal('"300,1\n')).toMatch(/not CSV/);
  });
});
