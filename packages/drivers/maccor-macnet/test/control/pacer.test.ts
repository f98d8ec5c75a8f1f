import { describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import { SetpointPacer } from '../../src/control/pacer.js';

describe('Control > SetpointPacer', () => {
  it('sends the first set-point at once and holds the next for 100 ms', () => {
    const clock = new ManualClock(1000);
    const p = new SetpointPacer<number>(clock);
    expect(p.offer(1, 1)).toEqual({ action: 'send', setpoint: 1 });
    clock.advance(30);
    expect(p.offer(1, 2)).toEqual({ action: 'deferred', dueAtMs: 1100, replacedPending: false });
    expect(p.nextDueAtMs()).toBe(1100);
    clock.advance(69);
    expect(p.takeDue()).toEqual([]);
    clock.advance(1);
    expect(p.takeDue()).toEqual([{ channel: 1, setpoint: 2, coalesced: 0 }]);
    expect(p.nextDueAtMs()).toBeUndefined();
  });
  it('coalesces faster requests to the newest value and counts them', () => {
    const clock = new ManualClock(0);
    const p = new SetpointPacer<number>(clock);
    p.offer(1, 1);
    for (let v = 2; v <= 5; v++) {
      clock.advance(10);
      p.offer(1, v);
    }
    expect(p.coalescedTotal).toBe(3);
    clock.advance(60);
    expect(p.takeDue()).toEqual([{ channel: 1, setpoint: 5, coalesced: 3 }]);
  });
  it('paces each channel independently', () => {
    const clock = new ManualClock(0);
    const p = new SetpointPacer<string>(clock);
    expect(p.offer(1, 'a').action).toBe('send');
    expect(p.offer(2, 'b').action).toBe('send');
    expect(p.offer(1, 'c').action).toBe('deferred');
  });
  it('a new offer never overtakes a pending one', () => {
    const clock = new ManualClock(0);
    const p = new SetpointPacer<number>(clock);
    p.offer(1, 1);
    clock.advance(50);
    p.offer(1, 2);
    clock.advance(200);
    // pending 2 is due, and 3 must not jump ahead of it
    expect(p.offer(1, 3)).toMatchObject({ action: 'deferred', replacedPending: true });
    expect(p.takeDue()).toEqual([{ channel: 1, setpoint: 3, coalesced: 1 }]);
  });
  it('never paces faster than 100 ms even if asked', () => {
    const clock = new ManualClock(0);
    const p = new SetpointPacer<number>(clock, 10);
    p.offer(1, 1);
    clock.advance(50);
    expect(p.offer(1, 2).action).toBe('deferred');
  });
  it('clear() drops a pending set-point', () => {
    const clock = new ManualClock(0);
    const p = new SetpointPacer<number>(clock);
    p.offer(1, 1);
    p.offer(1, 2);
    expect(p.clear(1)).toBe(2);
    expect(p.takeDue()).toEqual([]);
  });
});
