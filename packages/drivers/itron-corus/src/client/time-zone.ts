/**
 * Naive device date-times ↔ instants (itron-corus README §8.3.12: no zone on the wire, [U] local or
 * UTC per device). The zone is per-device configuration (IANA name, default "UTC"). Pure: no I/O,
 * no clock.
 */
import type { CorusDateTime } from '../codec/data-classes.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at an instant, ms (wall clock − UTC; +7 200 000 for CEST). */
function offsetMs(instantMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const parts = formatter(timeZone).formatToParts(new Date(instantMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/** A device date-time as milliseconds of a UTC-naive timeline (its wall-clock reading, no zone). */
export function wallMs(d: CorusDateTime): number {
  return Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second);
}

/** The wall-clock reading (naive date-time) of a UTC-naive millisecond value, seconds resolution. */
export function wallOfMs(ms: number): CorusDateTime {
  const l = new Date(Math.floor(ms / 1000) * 1000);
  return { year: l.getUTCFullYear(), month: l.getUTCMonth() + 1, day: l.getUTCDate(), hour: l.getUTCHours(), minute: l.getUTCMinutes(), second: l.getUTCSeconds() };
}

/**
 * Every instant (ms since the epoch, ascending) whose wall clock in `timeZone` reads `d`: one
 * normally, two in the repeated hour of a DST fall-back (summer time first), none in the hour
 * skipped by a spring-forward.
 * @throws {RangeError} for an unknown time zone.
 */
export function wallTimeInstants(d: CorusDateTime | number, timeZone = 'UTC'): number[] {
  const naive = typeof d === 'number' ? d : wallMs(d);
  if (timeZone === 'UTC') return [naive];
  // the offsets in force a day either side bound every offset that can apply to this wall time
  const offsets = new Set([offsetMs(naive - 86_400_000, timeZone), offsetMs(naive, timeZone), offsetMs(naive + 86_400_000, timeZone)]);
  const out: number[] = [];
  for (const o of offsets) {
    const t = naive - o;
    if (offsetMs(t, timeZone) === o && !out.includes(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

/** Whether `timeZone` is an IANA zone name this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The instant a device date-time denotes in `timeZone` (IANA), one answer for every wall time: in
 * the fall-back's repeated hour the later (standard-time) instant — the log cursor policy resolves
 * that hour itself with {@link wallTimeInstants}; in the spring-forward's skipped hour the wall
 * time read with the summer offset.
 * @throws {RangeError} for an unknown time zone.
 */
export function corusDateTimeToDate(d: CorusDateTime, timeZone = 'UTC'): Date {
  const naive = wallMs(d);
  if (timeZone === 'UTC') return new Date(naive);
  const candidates = wallTimeInstants(naive, timeZone);
  const later = candidates[candidates.length - 1];
  if (later !== undefined) return new Date(later);
  return new Date(naive - Math.max(offsetMs(naive - 86_400_000, timeZone), offsetMs(naive + 86_400_000, timeZone)));
}

/**
 * The device date-time (wall clock in `timeZone`) of an instant; milliseconds are dropped.
 * @throws {RangeError} for an unknown time zone.
 */
export function dateToCorusDateTime(date: Date, timeZone = 'UTC'): CorusDateTime {
  const ms = Math.floor(date.getTime() / 1000) * 1000;
  return wallOfMs(ms + offsetMs(ms, timeZone));
}
