/**
 * A commander-side set-point watchdog: each direct-controlled channel has a deadline; when a channel
 * is not fed (no fresh set-point from the command stream) before it, the watchdog fires `onExpire`
 * once, and the commander puts the channel to rest. This complements the tester's own
 * `MacNetDirectModeWD`, which *suspends* a direct-mode channel that gets no (6,8) in time (Maccor
 * MacNet reference §8.5; vendor help p.47-48). Pure: time comes from a {@link Clock}; the caller
 * calls {@link SetpointWatchdog.poll} from a timer scheduled at {@link SetpointWatchdog.nextDeadlineMs}.
 */
import type { Clock } from '@busbar/core';
import { MaccorError } from '../errors.js';

/** Options of {@link SetpointWatchdog}. */
export interface SetpointWatchdogOptions {
  /** Time a channel may go without a fresh set-point, ms (> 0). */
  readonly timeoutMs: number;
  /** Called once per expiry with the 1-based channel; put the channel to rest here. */
  readonly onExpire: (channel: number) => void;
}

/** Deadline per channel (see module doc). */
export class SetpointWatchdog {
  private readonly deadlines = new Map<number, number>();

  /**
   * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT when timeoutMs is not a positive finite number.
   */
  constructor(private readonly clock: Clock, private readonly options: SetpointWatchdogOptions) {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `watchdog timeoutMs must be > 0, got ${options.timeoutMs}`, { context: { field: 'timeoutMs' } });
    }
  }

  /** Arms or re-arms `channel`: its deadline becomes now + timeoutMs. */
  feed(channel: number): void {
    this.deadlines.set(channel, this.clock.nowMs() + this.options.timeoutMs);
  }

  /** Stops watching `channel` (direct mode ended normally). */
  disarm(channel: number): void {
    this.deadlines.delete(channel);
  }

  /** Channels currently watched. */
  armedChannels(): number[] {
    return [...this.deadlines.keys()];
  }

  /** Fires `onExpire` for every channel past its deadline and disarms it; returns those channels. */
  poll(): number[] {
    const now = this.clock.nowMs();
    const expired: number[] = [];
    for (const [channel, deadline] of this.deadlines) {
      if (now >= deadline) expired.push(channel);
    }
    for (const channel of expired) {
      this.deadlines.delete(channel);
      this.options.onExpire(channel);
    }
    return expired;
  }

  /** Earliest deadline, ms since epoch, or undefined if nothing is armed. */
  nextDeadlineMs(): number | undefined {
    let next: number | undefined;
    for (const d of this.deadlines.values()) if (next === undefined || d < next) next = d;
    return next;
  }
}
