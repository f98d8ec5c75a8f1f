import { describe, expect, it } from 'vitest';
import { findLogGaps } from '../src/log-gaps.js';

const T0 = Date.UTC(2020, 9, 7, 0, 0, 0);
const q = 900_000;

describe('findLogGaps', () => {
  it('no gap when every interval is present', () => {
    expect(findLogGaps([0, 1, 2, 3].map((i) => T0 + i * q), { intervalS: 900, fromMs: T0, toMs: T0 + 3 * q })).toEqual([]);
  });
  it('finds inner and trailing gaps', () => {
    expect(findLogGaps([T0, T0 + 3 * q], { intervalS: 900, fromMs: T0, toMs: T0 + 5 * q })).toEqual([
      { fromMs: T0 + q, toMs: T0 + 2 * q, missing: 2 },
      { fromMs: T0 + 4 * q, toMs: T0 + 5 * q, missing: 2 },
    ]);
  });
  it('aligns the start to the interval', () => {
    expect(findLogGaps([], { intervalS: 900, fromMs: T0 + 1, toMs: T0 + q })).toEqual([{ fromMs: T0 + q, toMs: T0 + q, missing: 1 }]);
  });
  it('refuses a bad interval', () => {
    expect(() => findLogGaps([], { intervalS: 0, fromMs: 0, toMs: 1 })).toThrow(RangeError);
  });
});
