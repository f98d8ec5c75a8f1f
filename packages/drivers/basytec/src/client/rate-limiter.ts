/**
 * A strict command-rate limiter: sends are spaced at least `1000 / ratePerSecond` ms apart, so no
 * window of one second ever holds more than `ratePerSecond` sends (reference §6, vendor note:
 * "at most 10 commands/s"). A token bucket with capacity > 1 would allow a burst of `capacity`
 * followed by the steady rate — up to twice the rate inside one second — which the tester's
 * limit does not allow, so the bucket here has capacity 1. Waiters are served in FIFO order.
 *
 * The clock and the sleep are injected (defaults: the wall clock and `setTimeout`), so unit tests
 * drive it with fake timers. (Own code rather than `bottleneck`: that library has had no release
 * since 2019, and the whole algorithm is the few lines below.)
 */
import { sleep, systemClock } from '@busbar/core';
import type { Clock } from '@busbar/core';
import { BasytecError } from '../errors.js';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Commands per second at most. @default 10 (the vendor's limit) */
  readonly ratePerSecond?: number;
  /** Time source. @default systemClock */
  readonly clock?: Clock;
  /** Waits `ms`. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Spacing limiter; one per tester. */
export class RateLimiter {
  /** Minimum spacing between two sends, ms. */
  readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private nextAt = -Infinity;
  private tail: Promise<void> = Promise.resolve();

  /** @throws {BasytecError} `BB_BASYTEC_CONFIG_INVALID` when the rate is not in (0, 10]. */
  constructor(o: RateLimiterOptions = {}) {
    const rate = o.ratePerSecond ?? 10;
    if (!(rate > 0 && rate <= 10)) {
      throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `rci.ratePerSecond must be in (0, 10] (vendor limit: 10 commands/s), got ${String(rate)}`, { context: { field: 'rci.ratePerSecond' } });
    }
    this.intervalMs = 1000 / rate;
    this.clock = o.clock ?? systemClock;
    this.sleep = o.sleep ?? (async (ms) => {
      await sleep(ms);
    });
  }

  /**
   * Resolves when the caller may send; the send slot is taken at that moment (call right before writing).
   * @returns the clock time of the slot, ms.
   */
  acquire(): Promise<number> {
    const slot = this.tail.then(async () => {
      const now = this.clock.nowMs();
      if (now < this.nextAt) await this.sleep(this.nextAt - now);
      const at = Math.max(this.clock.nowMs(), this.nextAt);
      this.nextAt = at + this.intervalMs;
      return at;
    });
    this.tail = slot.then(() => undefined);
    return slot;
  }
}
