import { describe, expect, it } from 'vitest';
import { ZoneConverter } from '../../src/codec/timezone.js';

const w = (year: number, month: number, day: number, hour: number, minute = 0, second = 0) => ({ year, month, day, hour, minute, second, millisecond: 0 });

describe('ZoneConverter (Intl tz data)', () => {
  it('winter and summer offsets of Europe/Berlin', () => {
    const z = new ZoneConverter('Europe/Berlin');
    expect(z.toUtcMs(w(2024, 1, 15, 12))).toBe(Date.UTC(2024, 0, 15, 11));
    expect(z.toUtcMs(w(2024, 7, 15, 12))).toBe(Date.UTC(2024, 6, 15, 10));
  });
  it('a fold (fall back) reads as the earlier instant', () => {
    const z = new ZoneConverter('Europe/Berlin');
    expect(z.toUtcMs(w(2024, 10, 27, 2, 30))).toBe(Date.UTC(2024, 9, 27, 0, 30));
    expect(z.toUtcMs(w(2024, 10, 27, 3, 30))).toBe(Date.UTC(2024, 9, 27, 2, 30));
  });
  it('a gap (spring forward) is shifted forward by the gap', () => {
    const z = new ZoneConverter('Europe/Berlin');
    expect(z.toUtcMs(w(2024, 3, 31, 2, 30))).toBe(Date.UTC(2024, 2, 31, 1, 30));
    expect(z.toUtcMs(w(2024, 3, 31, 1, 59, 59))).toBe(Date.UTC(2024, 2, 31, 0, 59, 59));
  });
  it('a southern-hemisphere zone and a half-hour zone', () => {
    expect(new ZoneConverter('Australia/Sydney').toUtcMs(w(2024, 1, 1, 12))).toBe(Date.UTC(2024, 0, 1, 1));
    expect(new ZoneConverter('Asia/Kolkata').toUtcMs(w(2024, 1, 1, 12))).toBe(Date.UTC(2024, 0, 1, 6, 30));
  });
});
