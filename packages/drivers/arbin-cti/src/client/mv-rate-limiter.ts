/**
 * Spacing and coalescing of set-MV commands, pure logic (no timers): the caller asks when the next
 * command is due and takes it then.
 *
 * The vendor documents one MV update per 200 ms (result 0x14
 * CTI_SET_MV_METACODE_UPDATE_TOO_FREQUENTLY_200MS, Arbin CTI reference README §5.4, guidance §10);
 * we apply it per channel to single set-MV commands as well. A newer request for the same channel and
 * MV that arrives before the older one was sent replaces it: the older one is reported superseded.
 */
import { systemClock, type Clock } from '@busbar/core';
import { MV_MIN_INTERVAL_MS } from '../codec/meta-variable.js';

/** One queued set-MV request. `T` carries the caller's bookkeeping (e.g. a promise's resolver). */
export interface MvRequest<T = unknown> {
  /** 1-based channel. */
  readonly channel: number;
  /** MV_UD number 1..16. */
  readonly mv: number;
  /** Value to set. */
  readonly value: number;
  /** Caller data. */
  readonly tag: T;
  /** When it was submitted, ms since the epoch. */
  readonly submittedAtMs: number;
}

/** Options of {@link MvRateLimiter}. */
export interface MvRateLimiterOptions {
  /** Minimum spacing of sends to one channel, ms. Default {@link MV_MIN_INTERVAL_MS} (200). */
  readonly minIntervalMs?: number;
  /** Clock. Default the system clock. */
  readonly clock?: Clock;
}

/**
 * Per-channel spacing with coalescing. `submit` queues; `nextDueMs` tells when to call `takeDue`;
 * `takeDue` returns the requests that may be sent now (at most one per channel) and records their
 * send time.
 */
export class MvRateLimiter<T = unknown> {
  private readonly minIntervalMs: number;
  private readonly clock: Clock;
  private readonly lastSentMs = new Map<number, number>();
  /** channel → (mv → request), in submission order. */
  private readonly queued = new Map<number, Map<number, MvRequest<T>>>();

  /** @param options - spacing and clock. */
  constructor(options: MvRateLimiterOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? MV_MIN_INTERVAL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Queues a request. Returns the request it replaced (same channel and MV, not yet sent), if any:
   * that one will never be sent and its caller must be told it was superseded.
   */
  submit(channel: number, mv: number, value: number, tag: T): { readonly superseded?: MvRequest<T> } {
    let perChannel = this.queued.get(channel);
    if (perChannel === undefined) {
      perChannel = new Map();
      this.queued.set(channel, perChannel);
    }
    const superseded = perChannel.get(mv);
    perChannel.delete(mv);
    perChannel.set(mv, { channel, mv, value, tag, submittedAtMs: this.clock.nowMs() });
    return superseded === undefined ? {} : { superseded };
  }

  /** Earliest time (ms since the epoch) a send to `channel` is allowed. */
  earliestSendMs(channel: number): number {
    const last = this.lastSentMs.get(channel);
    return last === undefined ? -Infinity : last + this.minIntervalMs;
  }

  /** Records a send to `channel` at `atMs` (used for batch updates sent outside the queue). */
  markSent(channel: number, atMs = this.clock.nowMs()): void {
    this.lastSentMs.set(channel, atMs);
  }

  /** When the next queued request becomes due (ms since the epoch), or `undefined` if none is queued. */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const [channel, perChannel] of this.queued) {
      if (perChannel.size === 0) continue;
      const t = Math.max(this.earliestSendMs(channel), -Infinity);
      due = due === undefined ? t : Math.min(due, t);
    }
    return due === undefined ? undefined : Math.max(due, 0);
  }

  /** Requests that may be sent now, at most one per channel (oldest first), marked as sent. */
  takeDue(nowMs = this.clock.nowMs()): MvRequest<T>[] {
    const out: MvRequest<T>[] = [];
    for (const [channel, perChannel] of this.queued) {
      if (perChannel.size === 0 || this.earliestSendMs(channel) > nowMs) continue;
      const first = perChannel.entries().next();
      if (first.done === true) continue;
      const [mv, req] = first.value;
      perChannel.delete(mv);
      if (perChannel.size === 0) this.queued.delete(channel);
      this.lastSentMs.set(channel, nowMs);
      out.push(req);
    }
    return out;
  }

  /** Removes and returns every queued request (e.g. when the client closes). */
  drain(): MvRequest<T>[] {
    const out = [...this.queued.values()].flatMap((m) => [...m.values()]);
    this.queued.clear();
    return out;
  }
}
