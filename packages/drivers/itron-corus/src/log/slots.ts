/**
 * Expected log slots and gap detection (pure, clock-free): which record times a regular Corus log
 * should hold, in the device's own clock model, and which of them to re-request.
 *
 * Facts: a Corus keeps a naive wall clock (itron-corus README §8.3.12: no zone on the wire; [U]
 * local time or UTC is a device setting) and stamps each record with its end date (§9.6); logs
 * are read by date bounds (§9.2). So a log's records sit on a grid of the DEVICE's wall clock:
 * an interval log every `intervalS` from the start of the device's day, a daily log once a day at
 * the day start — for gas meters the gas day, commonly 06:00 local time (the EU gas network codes,
 * e.g. Regulation (EU) 312/2014, define it as 05:00–05:00 UTC in winter and 04:00–04:00 UTC in
 * summer, i.e. 06:00 CET/CEST; configure what the site's device uses). Across daylight saving,
 * a grid on local time skips the wall times of the spring-forward hour and holds the fall-back's
 * repeated hour twice, while the instants stay evenly spaced for intervals of up to an hour.
 */
import { CorusError } from '../errors.js';
import { wallOfMs, wallTimeInstants } from '../client/time-zone.js';

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;

/**
 * Gap re-requests per backfill pass when the configuration does not say (each is one database
 * request to a device that is often battery powered, README §10: "keep sessions short").
 */
export const DEFAULT_MAX_GAP_REQUESTS_PER_PASS = 3;

/** Where a log's records are expected. */
export interface LogSlotOptions {
  /** Record spacing, s: a divisor of 86 400 (interval, hourly logs) or a whole number of days (daily logs). */
  readonly intervalS: number;
  /** First instant of the range, ms since the epoch (inclusive). */
  readonly fromMs: number;
  /** Last instant of the range, ms since the epoch (inclusive). */
  readonly toMs: number;
  /** IANA zone of the device clock. @default "UTC" */
  readonly timeZone?: string;
  /** Start of the device's day (gas day), s after local midnight, 0 ≤ dayStartS < 86 400. @default 0 */
  readonly dayStartS?: number;
}

/** A missing time range: records expected at instants `fromMs` … `toMs` (inclusive). */
export interface LogGap {
  /** First missing record timestamp, ms since the epoch. */
  readonly fromMs: number;
  /** Last missing record timestamp, ms since the epoch. */
  readonly toMs: number;
  /** Number of missing records. */
  readonly missing: number;
}

function check(o: LogSlotOptions): void {
  const dayStartS = o.dayStartS ?? 0;
  if (!Number.isInteger(o.intervalS) || o.intervalS <= 0 || (o.intervalS < DAY_S ? DAY_S % o.intervalS !== 0 : o.intervalS % DAY_S !== 0)) {
    throw new RangeError(`intervalS must divide 86400 or be a whole number of days, got ${o.intervalS}`);
  }
  if (!Number.isInteger(dayStartS) || dayStartS < 0 || dayStartS >= DAY_S) throw new RangeError(`dayStartS must be an integer in 0..86399, got ${dayStartS}`);
  if (o.toMs < o.fromMs) throw new RangeError('toMs is before fromMs');
}

/**
 * The instants, ascending, at which a regular log's records are expected within `[fromMs, toMs]`:
 * the wall times `dayStart + k × intervalS` of each device-local day (for a daily log, `dayStart`
 * of every `intervalS / 86400`-th day counted from 1970-01-01), each converted to every instant it
 * denotes in `timeZone` — none for a wall time skipped by the spring-forward, two for one repeated
 * by the fall-back.
 * @throws {RangeError} for an interval that neither divides a day nor is whole days, a day start
 *   outside 0..86399 s, `toMs` < `fromMs`, or an unknown time zone.
 */
export function expectedLogSlots(options: LogSlotOptions): number[] {
  check(options);
  const tz = options.timeZone ?? 'UTC';
  const dayStartMs = (options.dayStartS ?? 0) * 1000;
  const stepMs = options.intervalS * 1000;
  // wall-clock days that can hold an instant of the range (offsets are within ±1 day)
  const firstWall = wallOfMs(options.fromMs - DAY_MS - dayStartMs);
  const firstDay = Date.UTC(firstWall.year, firstWall.month - 1, firstWall.day);
  const lastDay = options.toMs + 2 * DAY_MS;
  const out: number[] = [];
  for (let day = firstDay; day <= lastDay; day += DAY_MS) {
    if (stepMs >= DAY_MS) {
      if (Math.round(day / DAY_MS) % (stepMs / DAY_MS) !== 0) continue;
      for (const t of wallTimeInstants(day + dayStartMs, tz)) if (t >= options.fromMs && t <= options.toMs) out.push(t);
      continue;
    }
    for (let w = day + dayStartMs; w < day + dayStartMs + DAY_MS; w += stepMs) {
      for (const t of wallTimeInstants(w, tz)) if (t >= options.fromMs && t <= options.toMs) out.push(t);
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Finds missing records of a regular log between `fromMs` and `toMs` (inclusive), given the record
 * instants received (any order, duplicates allowed): the {@link expectedLogSlots} not received,
 * consecutive ones merged into one {@link LogGap} (one re-request each).
 * @throws {RangeError} as {@link expectedLogSlots}.
 */
export function findLogGaps(receivedMs: readonly number[], options: LogSlotOptions): LogGap[] {
  const have = new Set(receivedMs);
  const gaps: LogGap[] = [];
  let open: { fromMs: number; toMs: number; missing: number } | undefined;
  for (const t of expectedLogSlots(options)) {
    if (!have.has(t)) {
      if (open === undefined) open = { fromMs: t, toMs: t, missing: 1 };
      else {
        open.toMs = t;
        open.missing++;
      }
    } else if (open !== undefined) {
      gaps.push(open);
      open = undefined;
    }
  }
  if (open !== undefined) gaps.push(open);
  return gaps;
}

/** Gaps split into those to re-request in this pass and those left (counted, not requested). */
export interface GapPlan {
  /** The oldest gaps, at most the cap: one database request each. */
  readonly request: readonly LogGap[];
  /** Gaps over the cap (not requested in this pass). */
  readonly deferred: readonly LogGap[];
  /** Records in the deferred gaps. */
  readonly deferredMissing: number;
}

/**
 * Caps gap re-requests: the oldest `remaining` gaps are requested, the rest deferred.
 * @param gaps - from {@link findLogGaps}.
 * @param remaining - re-requests still allowed in this pass (the pass's cap minus those made;
 *   default cap {@link DEFAULT_MAX_GAP_REQUESTS_PER_PASS}).
 * @throws {RangeError} when `remaining` is negative or not an integer.
 */
export function planGapRequests(gaps: readonly LogGap[], remaining: number): GapPlan {
  if (!Number.isInteger(remaining) || remaining < 0) throw new RangeError(`remaining gap requests must be an integer ≥ 0, got ${remaining}`);
  const sorted = [...gaps].sort((a, b) => a.fromMs - b.fromMs);
  const deferred = sorted.slice(remaining);
  return { request: sorted.slice(0, remaining), deferred, deferredMissing: deferred.reduce((n, g) => n + g.missing, 0) };
}

/**
 * Parses a day start (gas day) `HH:MM` or `HH:MM:SS`, 00:00 ≤ t < 24:00, into seconds after midnight.
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` naming `field` for any other text.
 */
export function parseDayStart(text: string, field = 'gasDayStart'): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(text);
  if (m === null) throw new CorusError('BB_CORUS_CONFIG_INVALID', `${field}: "${text}" is not a time of day HH:MM or HH:MM:SS (00:00 to 23:59:59)`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}
