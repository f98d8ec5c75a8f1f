/**
 * Naive device date-times ↔ instants (itron-corus README §8.3.12: no zone on the wire, [U] local or
 * UTC per device). The zone is per-device configuration (IANA name, default "UTC").
 */
import type { CorusDateTime } from '../codec/data-classes.js';

function offsetMs(instantMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(instantMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant a device date-time denotes in `timeZone` (IANA). In a DST gap or fold the earlier
 * offset is used.
 * @throws {RangeError} for an unknown time zone.
 */
export function corusDateTimeToDate(d: CorusDateTime, timeZone = 'UTC'): Date {
  const naive = Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second);
  if (timeZone === 'UTC') return new Date(naive);
  const o1 = offsetMs(naive, timeZone);
  const o2 = offsetMs(naive - o1, timeZone);
  return new Date(naive - Math.max(o1, o2));
}

/**
 * The device date-time (wall clock in `timeZone`) of an instant; milliseconds are dropped.
 * @throws {RangeError} for an unknown time zone.
 */
export function dateToCorusDateTime(date: Date, timeZone = 'UTC'): CorusDateTime {
  const ms = Math.floor(date.getTime() / 1000) * 1000;
  const local = new Date(ms + (timeZone === 'UTC' ? 0 : offsetMs(ms, timeZone)));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate(), hour: local.getUTCHours(), minute: local.getUTCMinutes(), second: local.getUTCSeconds() };
}
