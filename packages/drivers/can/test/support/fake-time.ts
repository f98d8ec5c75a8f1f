/** A scheduler driven by a ManualClock: `advance(ms)` runs the timers that fall due, in order. */
import { ManualClock } from '@busbar/core';
import type { Scheduler } from '../../src/client/receiver.js';

export class FakeTime implements Scheduler {
  readonly clock = new ManualClock(1_700_000_000_000);
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.clock.nowMs() + Math.max(0, ms), fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Timers not yet run. */
  get pending(): number {
    return this.timers.length;
  }
  /** Moves time forward, running due timers (and the timers they schedule) at their due time. */
  advance(ms: number): void {
    const end = this.clock.nowMs() + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.timers[0];
      if (t === undefined || t.at > end) break;
      this.timers.shift();
      this.clock.set(t.at);
      t.fn();
    }
    this.clock.set(end);
  }
}
