import { describe, expect, it } from 'vitest';
import { corusDateTimeToDate, dateToCorusDateTime, isKnownTimeZone, wallTimeInstants } from '../../src/client/time-zone.js';
import { parseCorusDateTime } from '../../src/codec/data-classes.js';

const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

describe('Client > time zone: wall times ↔ instants (README §8.3.12)', () => {
  it('one instant for an ordinary wall time', () => {
    expect(wallTimeInstants(parseCorusDateTime('2020-10-07T12:00:00'), 'Europe/Paris').map(iso)).toEqual(['2020-10-07T10:00:00Z']);
    expect(wallTimeInstants(parseCorusDateTime('2020-10-07T12:00:00')).map(iso)).toEqual(['2020-10-07T12:00:00Z']);
  });
  it('two instants, summer time first, in the fall-back hour', () => {
    expect(wallTimeInstants(parseCorusDateTime('2020-10-25T02:30:00'), 'Europe/Paris').map(iso)).toEqual(['2020-10-25T00:30:00Z', '2020-10-25T01:30:00Z']);
    expect(wallTimeInstants(parseCorusDateTime('2020-11-01T01:15:00'), 'America/New_York').map(iso)).toEqual(['2020-11-01T05:15:00Z', '2020-11-01T06:15:00Z']);
  });
  it('none in the hour skipped by the spring-forward', () => {
    expect(wallTimeInstants(parseCorusDateTime('2021-03-28T02:30:00'), 'Europe/Paris')).toEqual([]);
  });
  it('the single-instant conversion is one of the candidates (the policy resolves folds, not it) and round-trips', () => {
    expect(wallTimeInstants(parseCorusDateTime('2020-10-25T02:30:00'), 'Europe/Paris')).toContain(corusDateTimeToDate(parseCorusDateTime('2020-10-25T02:30:00'), 'Europe/Paris').getTime());
    expect(dateToCorusDateTime(new Date('2020-10-25T01:30:00Z'), 'Europe/Paris')).toEqual(parseCorusDateTime('2020-10-25T02:30:00'));
  });
  it('a wall time next to a DST change is its own instant (not one offset off)', () => {
    expect(iso(corusDateTimeToDate(parseCorusDateTime('2021-03-28T01:00:00'), 'Europe/Paris').getTime())).toBe('2021-03-28T00:00:00Z'); // CET, an hour before the change
    expect(iso(corusDateTimeToDate(parseCorusDateTime('2021-03-28T03:00:00'), 'Europe/Paris').getTime())).toBe('2021-03-28T01:00:00Z'); // CEST, right after
    expect(iso(corusDateTimeToDate(parseCorusDateTime('2020-10-25T03:00:00'), 'Europe/Paris').getTime())).toBe('2020-10-25T02:00:00Z'); // CET, right after the fall-back
    expect(iso(corusDateTimeToDate(parseCorusDateTime('2020-10-25T01:30:00'), 'Europe/Paris').getTime())).toBe('2020-10-24T23:30:00Z'); // CEST, before it
    // the skipped hour: read with the summer offset
    expect(iso(corusDateTimeToDate(parseCorusDateTime('2021-03-28T02:30:00'), 'Europe/Paris').getTime())).toBe('2021-03-28T00:30:00Z');
  });
  it('knows IANA zones and refuses others', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
    expect(() => wallTimeInstants(parseCorusDateTime('2020-10-07T12:00:00'), 'Mars/Olympus')).toThrow(RangeError);
  });
});
