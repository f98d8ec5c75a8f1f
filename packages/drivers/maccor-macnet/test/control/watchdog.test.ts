import { describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import { SetpointWatchdog } from '../../src/control/watchdog.js';

describe('Control > SetpointWatchdog', () => {
  it('fires once per expiry, only for channels not fed', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const w = new SetpointWatchdog(clock, { timeoutMs: 1000, onExpire: (c) => fired.push(c) });
    w.feed(1);
    w.feed(2);
    clock.advance(600);
    w.feed(2);
    expect(w.nextDeadlineMs()).toBe(1000);
    clock.advance(399);
    expect(w.poll()).toEqual([]);
    clock.advance(1);
    expect(w.poll()).toEqual([1]);
    expect(fired).toEqual([1]);
    expect(w.poll()).toEqual([]);
    expect(w.armedChannels()).toEqual([2]);
    clock.advance(600);
    w.poll();
    expect(fired).toEqual([1, 2]);
  });
  it('disarm() stops watching', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const w = new SetpointWatchdog(clock, { timeoutMs: 10, onExpire: (c) => fired.push(c) });
    w.feed(3);
    w.disarm(3);
    clock.advance(100);
    expect(w.poll()).toEqual([]);
    expect(w.nextDeadlineMs()).toBeUndefined();
  });
  it('refuses a non-positive timeout', () => {
    expect(() => new SetpointWatchdog(new ManualClock(), { timeoutMs: 0, onExpire: () => undefined })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_INVALID_ARGUMENT' }));
  });
});
