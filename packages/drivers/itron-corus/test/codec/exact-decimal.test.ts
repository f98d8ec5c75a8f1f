import { describe, expect, it } from 'vitest';
import { ExactDecimal, MAX_DECIMAL_DIGITS, MAX_DECIMAL_EXPONENT, MAX_DECIMAL_TEXT_LENGTH } from '../../src/codec/exact-decimal.js';

describe('Codec > ExactDecimal (README §8.4)', () => {
  it.each([
    ['0', '0'], ['-0', '0'], ['5.000', '5'], ['0.1', '0.1'], ['-16.12', '-16.12'], ['1e3', '1000'], ['12.5e-3', '0.0125'], ['000.010', '0.01'],
  ])('parses %s → %s', (input, text) => {
    expect(ExactDecimal.from(input).toString()).toBe(text);
  });
  it('multiplies exactly: 12 × 0.1 = 1.2 (binary64 gives 1.2000000000000002)', () => {
    expect(ExactDecimal.from(12).mul(ExactDecimal.from('0.1')).toString()).toBe('1.2');
  });
  it('keeps 21 significant digits of an Index9', () => {
    expect(new ExactDecimal(109951162777599999999n, 8).toString()).toBe('1099511627775.99999999');
  });
  it('divides with half-even rounding', () => {
    expect(ExactDecimal.from(1).div(ExactDecimal.from(3), 5).toString()).toBe('0.33333');
    expect(ExactDecimal.from('0.125').div(ExactDecimal.from(1), 2).toString()).toBe('0.12');
    expect(ExactDecimal.from('0.135').div(ExactDecimal.from(1), 2).toString()).toBe('0.14');
    expect(ExactDecimal.from('-1').div(ExactDecimal.from(8), 2).toString()).toBe('-0.12');
  });
  it('compares numerically', () => {
    expect(ExactDecimal.from('5.000').equals(ExactDecimal.from(5))).toBe(true);
    expect(ExactDecimal.from('-1').compare(ExactDecimal.from('0.5'))).toBe(-1);
  });
  it.each(['', 'abc', '1.2.3', '--1'])('refuses %j with BB_CORUS_VALUE_TYPE', (s) => {
    expect(() => ExactDecimal.from(s)).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_TYPE' }));
  });

  describe('bounds checked before any bigint arithmetic (a huge exponent once blocked the event loop for seconds)', () => {
    it.each([
      ['1e20000000', { limit: MAX_DECIMAL_EXPONENT }],
      ['1e-20000000', { limit: MAX_DECIMAL_EXPONENT }],
      [`1e${MAX_DECIMAL_EXPONENT + 1}`, { limit: MAX_DECIMAL_EXPONENT }],
      ['1e99999999999999999999999', { limit: MAX_DECIMAL_EXPONENT }],
      ['9'.repeat(MAX_DECIMAL_DIGITS + 1), { limit: MAX_DECIMAL_DIGITS, actual: MAX_DECIMAL_DIGITS + 1 }],
      [`0.${'0'.repeat(MAX_DECIMAL_DIGITS - 1)}1`, { limit: MAX_DECIMAL_DIGITS, actual: MAX_DECIMAL_DIGITS + 1 }],
      ['1'.repeat(MAX_DECIMAL_TEXT_LENGTH + 1), { limit: MAX_DECIMAL_TEXT_LENGTH, actual: MAX_DECIMAL_TEXT_LENGTH + 1 }],
      [`${' '.repeat(MAX_DECIMAL_TEXT_LENGTH)}1`, { limit: MAX_DECIMAL_TEXT_LENGTH }],
    ])('refuses %s with BB_CORUS_VALUE_OUT_OF_RANGE', (s, context) => {
      expect(() => ExactDecimal.from(s)).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_OUT_OF_RANGE', context: expect.objectContaining(context) }));
    });
    it('refuses a bigint of more than MAX_DECIMAL_DIGITS digits, either sign', () => {
      expect(() => ExactDecimal.from(10n ** BigInt(MAX_DECIMAL_DIGITS))).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_OUT_OF_RANGE' }));
      expect(() => ExactDecimal.from(-(10n ** BigInt(MAX_DECIMAL_DIGITS)))).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_OUT_OF_RANGE' }));
      expect(ExactDecimal.from(10n ** BigInt(MAX_DECIMAL_DIGITS) - 1n).toString()).toBe('9'.repeat(MAX_DECIMAL_DIGITS));
    });
    it.each([
      [`1e${MAX_DECIMAL_EXPONENT}`, `1${'0'.repeat(MAX_DECIMAL_EXPONENT)}`],
      [`1e-${MAX_DECIMAL_EXPONENT}`, `0.${'0'.repeat(MAX_DECIMAL_EXPONENT - 1)}1`],
      ['9'.repeat(MAX_DECIMAL_DIGITS), '9'.repeat(MAX_DECIMAL_DIGITS)],
      ['3.4e38', `34${'0'.repeat(37)}`],
    ])('still accepts %s at the bounds', (s, text) => {
      expect(ExactDecimal.from(s).toString()).toBe(text);
    });
    it('still accepts every finite binary64 through its shortest text', () => {
      expect(ExactDecimal.from(Number.MAX_VALUE).toString()).toBe(`17976931348623157${'0'.repeat(292)}`);
      expect(ExactDecimal.from(Number.MIN_VALUE).toString()).toBe(`0.${'0'.repeat(323)}5`);
    });
  });
});
