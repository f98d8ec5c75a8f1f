import { describe, expect, it } from 'vitest';
import { expectedLogSlots, findLogGaps, parseDayStart, planGapRequests } from '../../src/log/slots.js';

const T0 = Date.UTC(2020, 9, 7, 0, 0, 0);
const q = 900_000;
const H = 3_600_000;
const D = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000', '');

// Europe/Paris facts written out by hand (the oracle does not use the code under test): CEST = UTC+2
// until 2020-10-25 01:00 UTC, CET = UTC+1 after; CET until 2021-03-28 01:00 UTC, CEST after.
const parisOffsetH2020 = (utcMs: number): number => (utcMs < Date.UTC(2020, 9, 25, 1) ? 2 : 1);

describe('Log > slots: findLogGaps in UTC (the defaults keep the former behaviour)', () => {
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
  it('refuses an interval that does not fit a day, a bad day start, a reversed range and an unknown zone', () => {
    expect(() => findLogGaps([], { intervalS: 0, fromMs: 0, toMs: 1 })).toThrow(RangeError);
    expect(() => findLogGaps([], { intervalS: 7000, fromMs: 0, toMs: 1 })).toThrow(/divide 86400/);
    expect(() => findLogGaps([], { intervalS: 129_600, fromMs: 0, toMs: 1 })).toThrow(/whole number of days/);
    expect(() => expectedLogSlots({ intervalS: 86_400, dayStartS: 86_400, fromMs: 0, toMs: 1 })).toThrow(/dayStartS/);
    expect(() => expectedLogSlots({ intervalS: 900, fromMs: 2, toMs: 1 })).toThrow(/before/);
    expect(() => expectedLogSlots({ intervalS: 900, fromMs: 0, toMs: 1, timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});

describe('Log > slots: daily logs on the device zone and gas day', () => {
  // 30 gas days 06:00 Europe/Paris, 2020-10-10 … 2020-11-08, across the fall-back of 2020-10-25
  const days = Array.from({ length: 30 }, (_, i) => Date.UTC(2020, 9, 10 + i));
  const records = days.map((d) => d + 6 * H - parisOffsetH2020(d + 6 * H - 2 * H) * H);
  const range = { intervalS: 86_400, timeZone: 'Europe/Paris', dayStartS: 6 * 3600, fromMs: records[0]!, toMs: records[29]! };

  it('expects exactly the 30 gas-day records, 04:00 UTC in summer time and 05:00 UTC in winter time', () => {
    const slots = expectedLogSlots(range);
    expect(slots).toEqual(records);
    expect(iso(slots[0]!)).toBe('2020-10-10T04:00:00Z');
    expect(iso(slots[15]!)).toBe('2020-10-25T05:00:00Z');
    expect(iso(slots[29]!)).toBe('2020-11-08T05:00:00Z');
  });

  it('finds no false gap over 30 days across the DST change (UTC multiples would miss every one)', () => {
    expect(findLogGaps(records, range)).toEqual([]);
    // the former UTC-midnight grid: none of the 30 records is on it, every day looked missing
    expect(findLogGaps(records, { intervalS: 86_400, fromMs: range.fromMs, toMs: range.toMs })).toHaveLength(1);
    expect(findLogGaps(records, { intervalS: 86_400, fromMs: range.fromMs, toMs: range.toMs })[0]?.missing).toBe(29);
  });

  it('reports a really missing gas day at its instant, once', () => {
    const without = records.filter((_, i) => i !== 20);
    expect(findLogGaps(without, range)).toEqual([{ fromMs: records[20], toMs: records[20], missing: 1 }]);
  });

  it('a daily log with the day start at midnight in a zone west of UTC', () => {
    const slots = expectedLogSlots({ intervalS: 86_400, timeZone: 'America/New_York', fromMs: Date.UTC(2020, 10, 29), toMs: Date.UTC(2020, 11, 2) });
    expect(slots.map(iso)).toEqual(['2020-11-29T05:00:00Z', '2020-11-30T05:00:00Z', '2020-12-01T05:00:00Z']);
  });

  it('a log every two days counts days from 1970-01-01', () => {
    const slots = expectedLogSlots({ intervalS: 2 * 86_400, fromMs: Date.UTC(2020, 0, 1), toMs: Date.UTC(2020, 0, 6) });
    // 2020-01-01 is day 18262 (even)
    expect(slots.map(iso)).toEqual(['2020-01-01T00:00:00Z', '2020-01-03T00:00:00Z', '2020-01-05T00:00:00Z']);
  });
});

describe('Log > slots: interval logs aligned in device-local time', () => {
  it('the fall-back night: the repeated wall hour gives 4 more quarter-hours, evenly spaced instants', () => {
    const from = Date.UTC(2020, 9, 24, 22); // 00:00 CEST
    const to = Date.UTC(2020, 9, 25, 4); // 05:00 CET
    const slots = expectedLogSlots({ intervalS: 900, timeZone: 'Europe/Paris', fromMs: from, toMs: to });
    expect(slots).toHaveLength(6 * 4 + 1);
    slots.forEach((t, i) => expect(t).toBe(from + i * q));
  });

  it('the spring-forward night: the skipped wall hour gives no slot, instants stay evenly spaced', () => {
    const from = Date.UTC(2021, 2, 27, 23); // 00:00 CET
    const to = Date.UTC(2021, 2, 28, 3); // 05:00 CEST
    const slots = expectedLogSlots({ intervalS: 900, timeZone: 'Europe/Paris', fromMs: from, toMs: to });
    expect(slots).toHaveLength(4 * 4 + 1);
    slots.forEach((t, i) => expect(t).toBe(from + i * q));
  });

  it('an hourly log in a half-hour zone sits on the local hour, not the UTC hour', () => {
    const slots = expectedLogSlots({ intervalS: 3600, timeZone: 'Asia/Kolkata', fromMs: Date.UTC(2020, 0, 1, 0), toMs: Date.UTC(2020, 0, 1, 3) });
    expect(slots.map(iso)).toEqual(['2020-01-01T00:30:00Z', '2020-01-01T01:30:00Z', '2020-01-01T02:30:00Z']);
    expect(findLogGaps(slots, { intervalS: 3600, timeZone: 'Asia/Kolkata', fromMs: Date.UTC(2020, 0, 1, 0), toMs: Date.UTC(2020, 0, 1, 3) })).toEqual([]);
  });
});

describe('Log > slots: gap re-requests capped per pass', () => {
  const gaps = [3, 1, 2, 4].map((i) => ({ fromMs: T0 + i * D, toMs: T0 + i * D, missing: i }));
  it('requests the oldest gaps up to the cap and counts the rest', () => {
    const plan = planGapRequests(gaps, 2);
    expect(plan.request.map((g) => g.missing)).toEqual([1, 2]);
    expect(plan.deferred.map((g) => g.missing)).toEqual([3, 4]);
    expect(plan.deferredMissing).toBe(7);
  });
  it('a cap of 0 requests nothing; a negative cap is refused', () => {
    expect(planGapRequests(gaps, 0).request).toEqual([]);
    expect(planGapRequests(gaps, 0).deferredMissing).toBe(10);
    expect(() => planGapRequests(gaps, -1)).toThrow(RangeError);
  });
});

describe('Log > slots: parseDayStart', () => {
  it.each([['06:00', 21_600], ['00:00', 0], ['23:59:59', 86_399], ['05:30', 19_800]])('%s → %d s', (text, s) => {
    expect(parseDayStart(text)).toBe(s);
  });
  it.each(['6:00', '24:00', '06:60', '06', 'six'])('refuses %j naming the field', (text) => {
    expect(() => parseDayStart(text, 'devices.0.gasDayStart')).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('devices.0.gasDayStart') }));
  });
});
