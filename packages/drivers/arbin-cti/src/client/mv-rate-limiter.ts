/**
 * Spacing and coalescing of set-MV commands, pure logic (no timers): the caller asks when the next
 * command is due and takes it then.
 *
 * The vendor documents one MV update per 200 ms (result 0x14
 * CTI_SET_MV_METACODE_UPDATE_TOO_FREQUENTLY_200MS, Arbin CTI reference README §5.4, guidance §10);
 * we apply it per channel to single set-MV commands as well. A newer request for the same channel and
 * MV that arrives before the older one was sent replaces it: the older one is reported superseded.
 *
 * **At most one set-MV per channel is in flight**, and the spacing is measured from its *completion*
 * (its feedback, or its failure), not from the moment it was taken: a taken request may still wait in
 * the client's request queue behind a slow read, so stamping it when taken would let the next one
 * follow it on the wire a few ms later — and the cycler answers 0x14 and keeps the older value.
 * Since a request is written after it is taken and answered before it completes, the gap between two
 * writes to one channel is ≥ the gap between the first one's feedback and the second one's take.
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
 * `takeDue` returns the requests that may be sent now (at most one per channel) and marks their
 * channels in flight; `complete` ends a channel's flight when its feedback (or failure) arrived and
 * starts the spacing from then. A channel in flight is never due.
 */
export class MvRateLimiter<T = unknown> {
  private readonly minIntervalMs: number;
  private readonly clock: Clock;
  private readonly lastSentMs = new Map<number, number>();
  private readonly inFlight = new Set<number>();
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

  /**
   * Earliest time (ms since the epoch) a send to `channel` is allowed: `Infinity` while a set-MV of
   * that channel is in flight, else the last completion + the minimum interval.
   */
  earliestSendMs(channel: number): number {
    if (this.inFlight.has(channel)) return Infinity;
    const last = this.lastSentMs.get(channel);
    return last === undefined ? -Infinity : last + this.minIntervalMs;
  }

  /** Whether a set-MV (single or batch) of `channel` is in flight. */
  isInFlight(channel: number): boolean {
    return this.inFlight.has(channel);
  }

  /**
   * Marks `channel` in flight for a send made outside the queue (a batch update). Returns false,
   * and marks nothing, when the channel is in flight or its spacing has not passed at `atMs`.
   */
  tryBegin(channel: number, atMs = this.clock.nowMs()): boolean {
    if (this.earliestSendMs(channel) > atMs) return false;
    this.inFlight.add(channel);
    return true;
  }

  /**
   * Ends the flight of `channel`'s set-MV — call it when its feedback arrived or it failed — and
   * starts the spacing at `atMs` (default now).
   */
  complete(channel: number, atMs = this.clock.nowMs()): void {
    this.inFlight.delete(channel);
    this.lastSentMs.set(channel, atMs);
  }

  /** Records a send to `channel` completed at `atMs` (ends any flight; same as {@link complete}). */
  markSent(channel: number, atMs = this.clock.nowMs()): void {
    this.complete(channel, atMs);
  }

  /**
   * When the next queued request becomes due (ms since the epoch), or `undefined` if none is queued
   * on a channel that is not in flight (then {@link complete} is the next event to wait for).
   */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const [channel, perChannel] of this.queued) {
      if (perChannel.size === 0 || this.inFlight.has(channel)) continue;
      const t = this.earliestSendMs(channel);
      due = due === undefined ? t : Math.min(due, t);
    }
    return due === undefined ? undefined : Math.max(due, 0);
  }

  /**
   * Requests that may be sent now, at most one per channel (oldest first); their channels are
   * marked in flight until {@link complete}.
   */
  takeDue(nowMs = this.clock.nowMs()): MvRequest<T>[] {
    const out: MvRequest<T>[] = [];
    for (const [channel, perChannel] of this.queued) {
      if (perChannel.size === 0 || this.earliestSendMs(channel) > nowMs) continue;
      const first = perChannel.entries().next();
      if (first.done === true) continue;
      const [mv, req] = first.value;
      perChannel.delete(mv);
      if (perChannel.size === 0) this.queued.delete(channel);
      this.inFlight.add(channel);
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
