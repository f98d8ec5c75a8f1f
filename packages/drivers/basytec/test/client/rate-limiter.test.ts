import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@busbar/core';
import { RateLimiter } from '../../src/client/rate-limiter.js';

describe('RateLimiter (strict spacing, reference §6: ≤ 10 commands/s)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('spaces 100 acquisitions 100 ms apart: never more than 10 in any 1 s window, the 100th at 9.9 s', async () => {
    const l = new RateLimiter({ ratePerSecond: 10 });
    const slots: number[] = [];
    const all = Array.from({ length: 100 }, () => l.acquire().then((t) => slots.push(t)));
    await vi.advanceTimersByTimeAsync(20_000);
    await Promise.all(all);
    expect(slots).toHaveLength(100);
    expect(slots[99]).toBe(9900);
    for (let i = 10; i < slots.length; i++) expect(slots[i]! - slots[i - 10]!).toBeGreaterThanOrEqual(1000);
  });

  it('an idle limiter lets the next command go at once, and a lower rate spaces wider', async () => {
    const l = new RateLimiter({ ratePerSecond: 4 });
    expect(await l.acquire()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await l.acquire()).toBe(5000);
    const p = l.acquire();
    await vi.advanceTimersByTimeAsync(249);
    let done = false;
    void p.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe(5250);
  });

  it('works with an injected clock and sleep instead of timers', async () => {
    const clock = new ManualClock(1000);
    const sleeps: number[] = [];
    const l = new RateLimiter({ clock, sleep: (ms) => { sleeps.push(ms); clock.advance(ms); return Promise.resolve(); } });
    expect([await l.acquire(), await l.acquire(), await l.acquire()]).toEqual([1000, 1100, 1200]);
    expect(sleeps).toEqual([100, 100]);
  });

  it('refuses a rate above the vendor limit or not positive', () => {
    for (const r of [0, -1, 10.5, 20, Number.NaN]) expect(() => new RateLimiter({ ratePerSecond: r })).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_CONFIG_INVALID' }));
  });
});
