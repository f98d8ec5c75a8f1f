/**
 * Gap detection for interval logs (pure): which time ranges to re-request after a read
 * (itron-corus README §9: logs are read by date bounds; a missing record leaves a gap).
 */

/** A missing time range: records expected with timestamps in `[fromMs, toMs]` (inclusive). */
export interface LogGap {
  /** First missing record timestamp, ms since the epoch. */
  readonly fromMs: number;
  /** Last missing record timestamp, ms since the epoch. */
  readonly toMs: number;
  /** Number of missing records. */
  readonly missing: number;
}

/**
 * Finds missing records in a series expected every `intervalS` seconds between `fromMs` and
 * `toMs` (inclusive), given the timestamps received (any order, duplicates allowed). Expected
 * timestamps are aligned to multiples of `intervalS` since the epoch (device-local alignment is
 * the caller's job for non-UTC zones).
 * @throws {RangeError} when `intervalS` ≤ 0 or `toMs` < `fromMs`.
 */
export function findLogGaps(receivedMs: readonly number[], options: { readonly intervalS: number; readonly fromMs: number; readonly toMs: number }): LogGap[] {
  const step = options.intervalS * 1000;
  if (!(step > 0)) throw new RangeError('intervalS must be > 0');
  if (options.toMs < options.fromMs) throw new RangeError('toMs is before fromMs');
  const have = new Set(receivedMs);
  const gaps: LogGap[] = [];
  let start: number | undefined;
  let count = 0;
  const first = Math.ceil(options.fromMs / step) * step;
  for (let t = first; t <= options.toMs; t += step) {
    if (!have.has(t)) {
      start ??= t;
      count++;
    } else if (start !== undefined) {
      gaps.push({ fromMs: start, toMs: t - step, missing: count });
      start = undefined;
      count = 0;
    }
  }
  if (start !== undefined) gaps.push({ fromMs: start, toMs: start + (count - 1) * step, missing: count });
  return gaps;
}
