import { ManualClock } from '@busbar/core';
import { describe, expect, it } from 'vitest';
import { MvRateLimiter } from '../../src/client/mv-rate-limiter.js';
import { MV_MIN_INTERVAL_MS } from '../../src/codec/meta-variable.js';

/**
 * The set-MV spacing as pure logic, driven by a ManualClock. A "wire" is simulated by hand: a taken
 * request is written later (it waits in the client's request queue behind a read), its feedback
 * arrives later still. The documented minimum is one MV update per 200 ms (Arbin CTI reference
 * README §5.4, result 0x14).
 */
describe('Client > MvRateLimiter', () => {
  it('keeps one set-MV per channel in flight: nothing else of that channel is due until its feedback', () => {
    const clock = new ManualClock(1_000);
    const l = new MvRateLimiter<string>({ clock });
    l.submit(1, 1, 2.0, 'a');
    expect(l.takeDue().map((r) => r.tag)).toEqual(['a']);
    l.submit(1, 2, 5.0, 'b'); // another MV of the same channel
    clock.advance(10 * MV_MIN_INTERVAL_MS); // the first one still waits for its feedback
    expect(l.nextDueMs()).toBeUndefined();
    expect(l.takeDue()).toEqual([]);
    expect(l.earliestSendMs(1)).toBe(Infinity);
    l.complete(1); // feedback at 3 000
    expect(l.nextDueMs()).toBe(3_000 + MV_MIN_INTERVAL_MS);
    clock.advance(MV_MIN_INTERVAL_MS - 1);
    expect(l.takeDue()).toEqual([]);
    clock.advance(1);
    expect(l.takeDue().map((r) => r.tag)).toEqual(['b']);
  });

  it('a set-MV that waited behind a slow read is still followed on the wire ≥ 200 ms later, and the newest value is the one sent', () => {
    // Before the fix the spacing was stamped when a request was taken: a request taken at t=0 and
    // written at t=500 (after a slow read) was followed by the next, taken at t=200, at t≈510.
    const clock = new ManualClock(0);
    const l = new MvRateLimiter<string>({ clock });
    const wire: Array<{ atMs: number; tag: string; value: number }> = [];

    l.submit(1, 1, 2.0, 'first'); // raise the set-point
    const [first] = l.takeDue();
    expect(first?.tag).toBe('first');
    const superseded = [l.submit(1, 1, 1.5, 'lower').superseded?.tag, l.submit(1, 1, 0.5, 'lowest').superseded?.tag];
    expect(superseded).toEqual([undefined, 'lower']); // the newest queued value replaces the older one

    // The pump's timer fires at every due time while the first one waits behind a 500 ms read.
    for (let t = 0; t < 500; t += 10) {
      clock.set(t);
      expect(l.takeDue()).toEqual([]);
    }
    clock.set(500);
    wire.push({ atMs: clock.nowMs(), tag: first!.tag, value: first!.value }); // written after the read
    clock.set(510);
    l.complete(1); // its feedback

    let next: ReturnType<typeof l.takeDue> = [];
    for (let t = 510; next.length === 0; t += 1) {
      clock.set(t);
      next = l.takeDue();
    }
    wire.push({ atMs: clock.nowMs(), tag: next[0]!.tag, value: next[0]!.value });
    clock.advance(5);
    l.complete(1);

    expect(wire.map((w) => w.tag)).toEqual(['first', 'lowest']);
    expect(wire[1]!.value).toBe(0.5);
    expect(wire[1]!.atMs - wire[0]!.atMs).toBeGreaterThanOrEqual(MV_MIN_INTERVAL_MS);
    expect(l.nextDueMs()).toBeUndefined();
  });

  it('channels are independent: one channel in flight does not hold another', () => {
    const clock = new ManualClock(0);
    const l = new MvRateLimiter<string>({ clock });
    l.submit(1, 1, 1, 'c1');
    expect(l.takeDue().map((r) => r.tag)).toEqual(['c1']);
    l.submit(2, 1, 1, 'c2');
    expect(l.takeDue().map((r) => r.tag)).toEqual(['c2']);
  });

  it('a batch update takes the channel only when nothing is in flight and the spacing has passed', () => {
    const clock = new ManualClock(0);
    const l = new MvRateLimiter<string>({ clock });
    l.submit(1, 1, 1, 'single');
    l.takeDue();
    expect(l.tryBegin(1)).toBe(false); // the single is in flight
    l.complete(1);
    expect(l.tryBegin(1)).toBe(false); // spacing from its feedback
    clock.advance(MV_MIN_INTERVAL_MS);
    expect(l.tryBegin(1)).toBe(true);
    l.submit(1, 1, 2, 'after');
    expect(l.takeDue()).toEqual([]); // the batch is in flight now
    l.complete(1);
    clock.advance(MV_MIN_INTERVAL_MS);
    expect(l.takeDue().map((r) => r.tag)).toEqual(['after']);
  });
});
