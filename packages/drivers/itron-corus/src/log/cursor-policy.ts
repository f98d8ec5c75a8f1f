/**
 * The log cursor policy (pure, clock-free): given the persisted cursor of one log and a batch of
 * records read from the device, decide for each record whether to publish it or skip it, and why.
 *
 * What it rests on (itron-corus README): record times are the device's naive wall clock (§8.3.12;
 * [U] local time or UTC, so the zone is configuration); a database answer lists the records newest
 * first (§9.3 [I]) — in the order the device logged them, which is the only order left when the
 * clock moved; START/STOP select by record end date (§9.2), so after a clock set-back one answer
 * holds the old records and the re-logged ones with the same times, old first in log order; the
 * `status` byte's bits and any record counter are firmware-specific (§9.6 [U]), so a sequence field
 * and a summer-time status bit are optional configuration (`sequenceField`, `summerTimeFlag`).
 *
 * Rules:
 * - Records are taken in log order (oldest logged first): by `sequence` when every timestamped
 *   record has one, else as given (the caller reverses the device's newest-first answer).
 * - The cursor's own record is found again in the batch (same sequence, or same device time and
 *   same bytes `key`): it and everything logged before it were published already
 *   (`already_published`). When it is not in the batch, a record at or before the cursor's time is
 *   `already_published` until the batch itself shows the clock going back.
 * - A wall time of the fall-back's repeated hour (two instants) takes the summer-time instant when
 *   the record's summer-time flag says so, else the earliest instant after the previous record in
 *   log order — so the repeated hour's records stay distinct and in order, none collapses.
 * - A record whose instant is not after the previous record's (in log order) — when that is not
 *   explained by the repeated hour — means the clock was set back: it is PUBLISHED, flagged
 *   `relogged`, and a {@link ClockSetBackEvent} describes the jump. Records stay flagged until
 *   their times pass the highest time published before the jump (`highWaterMs`, kept in the cursor
 *   across passes). A device clock reading (`deviceNow`) behind the last published record reports
 *   the set-back before any record was re-logged, and the cursor then says where the next read must
 *   start (`rescanFromMs`, one interval before the clock reading) to see them.
 * - Limits: sequence numbers are compared as plain integers (a counter that wraps around is not
 *   followed); without a sequence field, log order across two database requests is the order of
 *   the requests — a set-back must be read in one request (the backfill starts it at `rescanFromMs`).
 * - With `untilMs` (the read's upper bound), the first record placed after it and all records
 *   logged after that one wait for the next read: the cursor only ever moves over a prefix of the
 *   log order.
 * - A record without a timestamp is skipped (`no_timestamp`); the same record twice in one batch
 *   (same sequence, or same time and bytes) is skipped (`duplicate`). Every skip is returned with
 *   its reason and device time, and counted by reason.
 */
import type { CorusDateTime } from '../codec/data-classes.js';
import { formatCorusDateTime } from '../codec/data-classes.js';
import { CorusError } from '../errors.js';
import { corusDateTimeToDate, isKnownTimeZone, wallTimeInstants } from '../client/time-zone.js';

/** What the policy needs of a record. */
export interface CursorRecord {
  /** The record's timestamp field as the device wrote it (naive, §8.3.12); `null`: the record has none. */
  readonly deviceTime: CorusDateTime | null;
  /** The record's identity: its raw bytes, e.g. as hex (two reads of one record give the same key). */
  readonly key: string;
  /** The log's own record number (`sequenceField`), when the layout has one. */
  readonly sequence?: number;
  /** The layout's summer-time status bit (`summerTimeFlag`), when it has one: `true` = logged in summer time. */
  readonly summerTime?: boolean;
}

/** The persisted cursor of one log (what the backfill stores after Kafka acknowledged a batch). */
export interface LogCursorState {
  /** Instant of the last published record (last in log order), ms since the epoch. */
  readonly lastRecordMs: number;
  /** The same record's device time as written (naive ISO `YYYY-MM-DDTHH:MM:SS`). */
  readonly lastRecordDeviceTime: string;
  /** The same record's `key` (finds it again in the next batch). */
  readonly lastRecordKey?: string;
  /** The same record's sequence number, when the log has one. */
  readonly lastRecordSequence?: number;
  /** Highest instant published before a clock set-back, while re-logged records have not passed it yet. */
  readonly highWaterMs?: number;
  /**
   * Set when the device clock was read behind the last published record and nothing was re-logged
   * yet: the next read must start here (not at the cursor) to see the re-logged records, ms since the epoch.
   */
  readonly rescanFromMs?: number;
}

/** Default of {@link CursorPolicyOptions.clockToleranceS}, s. */
const DEFAULT_CLOCK_TOLERANCE_S = 300;

/** Why a record was not published. */
export type SkipReason = 'already_published' | 'duplicate' | 'no_timestamp';

/** Every {@link SkipReason}, for counters that start at zero. */
export const SKIP_REASONS: readonly SkipReason[] = ['already_published', 'duplicate', 'no_timestamp'];

/** A record to publish. */
export interface PublishDecision<R extends CursorRecord> {
  /** The record. */
  readonly record: R;
  /** Its instant, ms since the epoch (the repeated hour resolved). */
  readonly timestampMs: number;
  /** Logged again after the device clock was set back (its time was published before). */
  readonly relogged: boolean;
}

/** A record not published, with what to log about it. */
export interface SkipDecision<R extends CursorRecord> {
  /** The record. */
  readonly record: R;
  /** Why. */
  readonly reason: SkipReason;
  /** Its device time (naive ISO), `null` when it has none. */
  readonly deviceTime: string | null;
  /** Its instant when it has a time, ms since the epoch. */
  readonly timestampMs: number | null;
}

/** A detected set-back of the device clock: the text is meant for a `DeviceEvent`. */
export interface ClockSetBackEvent {
  /** Always `clock_set_back`. */
  readonly kind: 'clock_set_back';
  /** E.g. "clock set back by 2 h (device time 2020-10-07T12:00:00 → 2020-10-07T10:15:00), 8 records re-logged". */
  readonly description: string;
  /** How far the clock went back, ms (with `intervalS`: the next record was due one interval after the last); 0 for more records of a set-back reported in an earlier pass. */
  readonly setBackByMs: number;
  /** Records of this batch logged again over times already published. */
  readonly reloggedRecords: number;
  /** Device time of the last record before the jump (or the last published record, for a clock reading). */
  readonly fromDeviceTime: string;
  /** Device time of the first record after the jump (or the clock reading). */
  readonly toDeviceTime: string;
  /** What showed it: record times going backwards, or the device's clock parameter. */
  readonly detectedBy: 'records' | 'clock';
}

/** Options of {@link decideLogRecords}. */
export interface CursorPolicyOptions {
  /** IANA zone of the device clock. @default "UTC" */
  readonly timeZone?: string;
  /** Record spacing, s, for a regular log: sharpens the set-back figure (the next record was due one interval later). */
  readonly intervalS?: number;
  /** The device's clock parameter as read in this pass (naive), if read. */
  readonly deviceNow?: CorusDateTime | null;
  /**
   * How far the clock reading may be behind the newest record before it counts as a set-back, s:
   * records logged while a pass runs are newer than the reading taken at its start. Smaller
   * set-backs are still seen by the record times. @default 300
   */
  readonly clockToleranceS?: number;
  /**
   * Upper bound of the read, ms since the epoch: the first record after the cursor placed later than
   * this, and every record logged after it, are left for the next read (`deferred`), so the cursor
   * never passes a record the next read still has to deliver (a window's naive bounds around a DST
   * fall-back hold later-logged records of the repeated hour but not all earlier ones).
   */
  readonly untilMs?: number;
}

/** The decision for one batch. */
export interface CursorDecision<R extends CursorRecord> {
  /** Records to publish, in log order. */
  readonly publish: readonly PublishDecision<R>[];
  /** Records skipped, in log order. */
  readonly skipped: readonly SkipDecision<R>[];
  /** Skipped records by reason (every reason present, 0 when none). */
  readonly skippedByReason: Readonly<Record<SkipReason, number>>;
  /** Clock set-backs seen in this batch (or by the clock reading). */
  readonly events: readonly ClockSetBackEvent[];
  /** Records left for the next read (see {@link CursorPolicyOptions.untilMs}); not skipped, not counted. */
  readonly deferred: number;
  /** Instants of every timestamped record of the batch, published or not (for gap detection). */
  readonly placedMs: readonly number[];
  /** The cursor to persist once `publish` is acknowledged (the input cursor when nothing changes). */
  readonly cursor: LogCursorState | undefined;
}

/** "2 h", "1 h 45 min", "30 s", "1 d 2 h". */
export function formatDuration(ms: number): string {
  let s = Math.round(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['min', 60], ['s', 1]] as const) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0) parts.push(`${n} ${unit}`);
  }
  return parts.length === 0 ? '0 s' : parts.join(' ');
}

function inLogOrder<R extends CursorRecord>(records: readonly R[]): readonly R[] {
  const timed = records.filter((r) => r.deviceTime !== null);
  if (timed.length === 0 || !timed.every((r) => r.sequence !== undefined)) return records;
  // by record number; records with no number (and no time: they are skipped) after them, as given
  const numbered = records.filter((r) => r.sequence !== undefined).sort((a, b) => (a.sequence as number) - (b.sequence as number));
  return [...numbered, ...records.filter((r) => r.sequence === undefined)];
}

/**
 * Decides, for one batch of a log, which records to publish and which to skip (see the module
 * comment for the rules).
 * @param records - the batch, oldest logged first (the device's answer reversed), as read.
 * @param cursor - the persisted cursor, `undefined` before the first publish.
 * @param options - the device zone, the log interval, the device clock reading.
 * @returns the decision; `cursor` is what to persist after `publish` was acknowledged.
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` for an unknown time zone.
 */
export function decideLogRecords<R extends CursorRecord>(records: readonly R[], cursor: LogCursorState | undefined, options: CursorPolicyOptions = {}): CursorDecision<R> {
  const tz = options.timeZone ?? 'UTC';
  if (!isKnownTimeZone(tz)) throw new CorusError('BB_CORUS_CONFIG_INVALID', `timeZone: "${tz}" is not an IANA time zone this runtime knows`);
  const ordered = inLogOrder(records);
  const intervalMs = options.intervalS !== undefined ? options.intervalS * 1000 : 0;
  const publish: PublishDecision<R>[] = [];
  const skipped: SkipDecision<R>[] = [];
  const events: ClockSetBackEvent[] = [];
  const placedMs: number[] = [];

  const useSequence = ordered.some((r) => r.deviceTime !== null) && ordered.every((r) => r.deviceTime === null || r.sequence !== undefined);
  const identity = (r: R): string => (useSequence ? `#${r.sequence}` : `${r.deviceTime === null ? '-' : formatCorusDateTime(r.deviceTime)}|${r.key}`);
  const cursorIdentity = cursor === undefined ? undefined : useSequence ? (cursor.lastRecordSequence !== undefined ? `#${cursor.lastRecordSequence}` : undefined) : cursor.lastRecordKey !== undefined ? `${cursor.lastRecordDeviceTime}|${cursor.lastRecordKey}` : undefined;

  // where the cursor's record is in this batch: it and everything logged before it are published
  let start = 0;
  if (cursorIdentity !== undefined) {
    for (let i = ordered.length - 1; i >= 0; i--) {
      if (identity(ordered[i] as R) === cursorIdentity) {
        start = i + 1;
        break;
      }
    }
    if (useSequence && start === 0 && cursor?.lastRecordSequence !== undefined) {
      // sequences below the cursor's were published even if the cursor record itself is not in the batch
      for (let i = 0; i < ordered.length; i++) if ((ordered[i]?.sequence ?? Infinity) <= cursor.lastRecordSequence) start = i + 1;
    }
  }
  const located = start > 0;

  const instantsOf = (r: R): number[] => {
    const d = r.deviceTime as CorusDateTime;
    const c = wallTimeInstants(d, tz);
    // a wall time skipped by the spring-forward (the device wrote it anyway): the driver's usual reading
    return c.length > 0 ? c : [corusDateTimeToDate(d, tz).getTime()];
  };

  const seen = new Set<string>();
  let prevMs = cursor?.lastRecordMs ?? Number.NEGATIVE_INFINITY;
  let prevDeviceTime = cursor?.lastRecordDeviceTime;
  let highMs = Math.max(cursor?.highWaterMs ?? Number.NEGATIVE_INFINITY, prevMs);
  let publishedInBatch = false;
  let jump: { fromDeviceTime: string; toDeviceTime: string; byMs: number; highMs: number; relogged: number } | undefined;
  let continuing = 0; // re-logged records of an episode begun in an earlier pass
  const closeJump = (): void => {
    if (jump === undefined) return;
    events.push({ kind: 'clock_set_back', detectedBy: 'records', setBackByMs: jump.byMs, reloggedRecords: jump.relogged, fromDeviceTime: jump.fromDeviceTime, toDeviceTime: jump.toDeviceTime, description: `clock set back by ${formatDuration(jump.byMs)} (device time ${jump.fromDeviceTime} → ${jump.toDeviceTime}), ${jump.relogged} record${jump.relogged === 1 ? '' : 's'} re-logged` });
    jump = undefined;
  };

  let deferred = 0;
  ordered.forEach((r, i) => {
    if (deferred > 0) {
      deferred++;
      return;
    }
    const deviceTime = r.deviceTime === null ? null : formatCorusDateTime(r.deviceTime);
    if (r.deviceTime === null) {
      skipped.push({ record: r, reason: i < start ? 'already_published' : 'no_timestamp', deviceTime: null, timestampMs: null });
      return;
    }
    const candidates = instantsOf(r);
    if (i < start) {
      // published before: place it for gap detection (the instant closest before the cursor's)
      const t = candidates.filter((c) => c <= (cursor?.lastRecordMs ?? Infinity)).pop() ?? (candidates[0] as number);
      placedMs.push(t);
      seen.add(identity(r));
      skipped.push({ record: r, reason: 'already_published', deviceTime, timestampMs: t });
      return;
    }
    const id = identity(r);
    if (seen.has(id)) {
      skipped.push({ record: r, reason: 'duplicate', deviceTime, timestampMs: candidates[0] as number });
      return;
    }
    let t: number;
    if (candidates.length > 1 && r.summerTime !== undefined) t = r.summerTime ? (candidates[0] as number) : (candidates[candidates.length - 1] as number);
    else t = candidates.find((c) => c > prevMs) ?? (candidates[candidates.length - 1] as number);
    if (options.untilMs !== undefined && t > options.untilMs) {
      deferred = 1;
      return;
    }
    if (t <= prevMs && !located && !publishedInBatch && cursor !== undefined) {
      // not after the cursor, and nothing in this batch shows the clock going back
      placedMs.push(t);
      seen.add(id);
      skipped.push({ record: r, reason: 'already_published', deviceTime, timestampMs: t });
      return;
    }
    let relogged = false;
    if (t <= prevMs) {
      closeJump();
      const byMs = prevMs - t + intervalMs;
      jump = { fromDeviceTime: prevDeviceTime ?? '?', toDeviceTime: deviceTime as string, byMs, highMs, relogged: 0 };
    }
    if (t <= highMs) {
      relogged = true;
      if (jump !== undefined) jump.relogged++;
      else continuing++;
    }
    placedMs.push(t);
    seen.add(id);
    publish.push({ record: r, timestampMs: t, relogged });
    publishedInBatch = true;
    prevMs = t;
    prevDeviceTime = deviceTime as string;
    highMs = Math.max(highMs, t);
  });
  closeJump();
  if (continuing > 0 && cursor?.highWaterMs !== undefined) {
    const to = publish.filter((p) => p.relogged).pop();
    events.unshift({ kind: 'clock_set_back', detectedBy: 'records', setBackByMs: 0, reloggedRecords: continuing, fromDeviceTime: cursor.lastRecordDeviceTime, toDeviceTime: to === undefined ? cursor.lastRecordDeviceTime : formatCorusDateTime(to.record.deviceTime as CorusDateTime), description: `${continuing} more record${continuing === 1 ? '' : 's'} re-logged after the clock set-back, up to device time ${to === undefined ? '?' : formatCorusDateTime(to.record.deviceTime as CorusDateTime)}` });
  }

  // the device's clock parameter behind the last published record: set back (maybe nothing re-logged yet)
  let clockBehind = false;
  let nowMsForRescan: number | undefined;
  if (options.deviceNow != null && cursor !== undefined) {
    const nowCandidates = wallTimeInstants(options.deviceNow, tz);
    const nowMs = nowCandidates[nowCandidates.length - 1] ?? Number.POSITIVE_INFINITY;
    const newest = Math.max(highMs, prevMs);
    if (nowMs < newest - (options.clockToleranceS ?? DEFAULT_CLOCK_TOLERANCE_S) * 1000 && cursor.highWaterMs === undefined && !events.some((e) => e.detectedBy === 'records')) {
      clockBehind = true;
      nowMsForRescan = nowMs;
      const nowText = formatCorusDateTime(options.deviceNow);
      events.push({ kind: 'clock_set_back', detectedBy: 'clock', setBackByMs: newest - nowMs, reloggedRecords: 0, fromDeviceTime: prevDeviceTime ?? cursor.lastRecordDeviceTime, toDeviceTime: nowText, description: `clock set back: the device clock reads ${nowText}, ${formatDuration(newest - nowMs)} before the last published record (${prevDeviceTime ?? cursor.lastRecordDeviceTime}); records it logs again will be published and flagged` });
    }
  }

  const skippedByReason = Object.fromEntries(SKIP_REASONS.map((k) => [k, 0])) as Record<SkipReason, number>;
  for (const s of skipped) skippedByReason[s.reason]++;

  let next = cursor;
  const last = publish[publish.length - 1];
  if (last !== undefined) {
    next = {
      lastRecordMs: last.timestampMs,
      lastRecordDeviceTime: formatCorusDateTime(last.record.deviceTime as CorusDateTime),
      lastRecordKey: last.record.key,
      ...(last.record.sequence !== undefined ? { lastRecordSequence: last.record.sequence } : {}),
      ...(highMs > last.timestampMs ? { highWaterMs: highMs } : {}),
    };
  } else if (clockBehind && cursor !== undefined && nowMsForRescan !== undefined) {
    next = { ...cursor, highWaterMs: highMs, rescanFromMs: nowMsForRescan - intervalMs };
  }
  return { publish, skipped, skippedByReason, events, deferred, placedMs, cursor: next };
}
