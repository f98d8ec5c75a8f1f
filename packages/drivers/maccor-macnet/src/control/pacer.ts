/**
 * Per-channel pacing of direct-mode set-points: the tester needs ≥ 100 ms between (6,8) commands on
 * a channel and answers Result 3 otherwise (Maccor MacNet reference §6.10, §8.6; vendor help p.48).
 * Faster requests coalesce to the newest value; coalescing is counted and reported. Pure: time
 * comes from a {@link Clock}; the caller sends what {@link SetpointPacer.offer} or
 * {@link SetpointPacer.takeDue} hand back, and schedules its timer at {@link SetpointPacer.nextDueAtMs}.
 */
import type { Clock } from '@busbar/core';

/** Minimum spacing of (6,8) commands per channel, ms (reference §8.6). */
export const MIN_SETPOINT_INTERVAL_MS = 100;

/** Outcome of {@link SetpointPacer.offer}. */
export type PacerDecision<T> =
  | { readonly action: 'send'; readonly setpoint: T }
  | { readonly action: 'deferred'; readonly dueAtMs: number; readonly replacedPending: boolean };

/** A deferred set-point that is now due. */
export interface DueSetpoint<T> {
  /** 1-based channel. */
  readonly channel: number;
  readonly setpoint: T;
  /** How many older set-points this one replaced while waiting. */
  readonly coalesced: number;
}

interface ChannelPace<T> {
  lastSentMs: number | undefined;
  pending: T | undefined;
  coalesced: number;
}

/** Paces set-points per channel (see module doc). `T` is the set-point type. */
export class SetpointPacer<T> {
  private readonly channels = new Map<number, ChannelPace<T>>();
  private coalescedCount = 0;

  /**
   * @param clock - time source.
   * @param minIntervalMs - spacing per channel, ms (default 100; values below 100 are raised to 100).
   */
  constructor(private readonly clock: Clock, private readonly minIntervalMs = MIN_SETPOINT_INTERVAL_MS) {
    this.minIntervalMs = Math.max(MIN_SETPOINT_INTERVAL_MS, minIntervalMs);
  }

  /** Total set-points dropped because a newer one replaced them. */
  get coalescedTotal(): number {
    return this.coalescedCount;
  }

  private state(channel: number): ChannelPace<T> {
    let s = this.channels.get(channel);
    if (!s) {
      s = { lastSentMs: undefined, pending: undefined, coalesced: 0 };
      this.channels.set(channel, s);
    }
    return s;
  }

  /**
   * Offers a set-point for `channel`. Returns `send` (the caller sends it now; the pacer records the
   * send time) or `deferred` (held until `dueAtMs`, replacing any older pending one).
   */
  offer(channel: number, setpoint: T): PacerDecision<T> {
    const s = this.state(channel);
    const now = this.clock.nowMs();
    if (s.pending === undefined && (s.lastSentMs === undefined || now - s.lastSentMs >= this.minIntervalMs)) {
      s.lastSentMs = now;
      return { action: 'send', setpoint };
    }
    const replacedPending = s.pending !== undefined;
    if (replacedPending) {
      s.coalesced++;
      this.coalescedCount++;
    }
    s.pending = setpoint;
    return { action: 'deferred', dueAtMs: (s.lastSentMs ?? now) + this.minIntervalMs, replacedPending };
  }

  /** Pending set-points whose interval has elapsed; each is marked sent now. */
  takeDue(): DueSetpoint<T>[] {
    const now = this.clock.nowMs();
    const due: DueSetpoint<T>[] = [];
    for (const [channel, s] of this.channels) {
      if (s.pending !== undefined && (s.lastSentMs === undefined || now - s.lastSentMs >= this.minIntervalMs)) {
        due.push({ channel, setpoint: s.pending, coalesced: s.coalesced });
        s.pending = undefined;
        s.coalesced = 0;
        s.lastSentMs = now;
      }
    }
    return due;
  }

  /** Earliest time a pending set-point becomes due, or undefined if none is pending. */
  nextDueAtMs(): number | undefined {
    let next: number | undefined;
    for (const s of this.channels.values()) {
      if (s.pending === undefined) continue;
      const t = (s.lastSentMs ?? this.clock.nowMs()) + this.minIntervalMs;
      if (next === undefined || t < next) next = t;
    }
    return next;
  }

  /** Forgets a channel (direct mode ended); a pending set-point is dropped and returned. */
  clear(channel: number): T | undefined {
    const pending = this.channels.get(channel)?.pending;
    this.channels.delete(channel);
    return pending;
  }
}
