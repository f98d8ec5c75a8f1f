/**
 * Local wall-clock time → UTC in a configured IANA time zone, through `Intl` (the runtime's tz
 * database; no home-made DST tables). BaSyTec writes dates without a zone (reference §3.2: local
 * time of the test PC [INFERRED]), so the zone is configuration.
 */
import { BasytecError } from '../errors.js';

/** A wall-clock time as printed in a Resultfile (`dd.mm.yyyy HH:MM:SS[.fff]`). */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/**
 * Converts wall-clock times in one zone to UTC milliseconds. Offsets are asked from `Intl` and
 * cached per local hour (zone transitions fall on whole local hours or half hours, so the cache
 * key is the local date and half hour).
 *
 * Gaps and folds: a time that does not exist (spring forward) is read with the offset in force
 * before the gap, i.e. shifted forward by the gap; a time that occurs twice (fall back) is read as
 * the **earlier** instant (the first occurrence). Callers with an elapsed-time column can prefer
 * `Start of Test` + elapsed, which is unambiguous.
 */
export class ZoneConverter {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly cache = new Map<string, number>();

  /**
   * @param timeZone - IANA name, e.g. `Europe/Berlin`, or `UTC`.
   * @throws {BasytecError} `BB_BASYTEC_TIME_ZONE_INVALID` when the runtime does not know the zone.
   */
  constructor(readonly timeZone: string) {
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch (err) {
      throw new BasytecError('BB_BASYTEC_TIME_ZONE_INVALID', `time zone ${JSON.stringify(timeZone)} is not a known IANA zone`, { cause: err, context: { timeZone } });
    }
  }

  /** Offset (local − UTC, ms) in force at the UTC instant `utcMs`. */
  offsetAt(utcMs: number): number {
    const parts = this.fmt.formatToParts(new Date(utcMs));
    const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return local - Math.floor(utcMs / 1000) * 1000;
  }

  /**
   * UTC milliseconds of a wall-clock time in this zone (see the class note on gaps and folds).
   * @param w - local fields; month 1-12.
   */
  toUtcMs(w: WallTime): number {
    const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
    const key = `${w.year}-${w.month}-${w.day}-${w.hour}-${w.minute < 30 ? 0 : 1}`;
    let offset = this.cache.get(key);
    if (offset === undefined) {
      // Two passes: the offset at the guess, then at the corrected guess; the earlier of the
      // candidates that reproduce the wall time wins (fold → first occurrence).
      const o1 = this.offsetAt(asUtc - this.offsetAt(asUtc));
      const o2 = this.offsetAt(asUtc - o1);
      const candidates = [o1, o2, this.offsetAt(asUtc - o1 - 3_600_000), this.offsetAt(asUtc - o1 + 3_600_000)];
      const valid = candidates.filter((o) => this.offsetAt(asUtc - o) === o);
      // Earliest instant = largest offset among valid ones; in a gap none is valid: take the offset before the gap.
      offset = valid.length > 0 ? Math.max(...valid) : this.offsetAt(asUtc - o1 - 3_600_000);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, offset);
    }
    return asUtc - offset;
  }
}
