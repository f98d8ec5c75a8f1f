/**
 * A clock seam so that time-dependent logic (rules with a for-duration, watchdogs, expiry) is
 * testable without sleeping.
 */

/** Source of the current time. */
export interface Clock {
  /** Milliseconds since the Unix epoch (UTC). */
  nowMs(): number;
}

/** The wall clock (`Date.now()`). */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  /** @param ms - start time, milliseconds since the Unix epoch. */
  constructor(private ms = 0) {}
  /** @inheritdoc */
  nowMs(): number {
    return this.ms;
  }
  /** Moves the clock forward by `deltaMs` milliseconds (must be ≥ 0). */
  advance(deltaMs: number): void {
    if (deltaMs < 0) throw new RangeError('ManualClock cannot go back');
    this.ms += deltaMs;
  }
  /** Sets the clock to `ms` since the Unix epoch. */
  set(ms: number): void {
    this.ms = ms;
  }
}
