import { describe, expect, it, vi } from 'vitest';
import { backoffDelayMs } from '@busbar/core';
import { sleep } from '../src/index.js';

describe('runtime > backoff', () => {
  it('grows exponentially and is capped', () => {
    const mid = (): number => 0.5; // no jitter
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, { initialDelayMs: 100, maxDelayMs: 1000 }, mid))).toEqual([100, 200, 400, 800, 1000]);
    const high = backoffDelayMs(2, { initialDelayMs: 100, maxDelayMs: 10_000, jitter: 0.2 }, () => 0.999);
    expect(high).toBeGreaterThan(400);
    expect(high).toBeLessThanOrEqual(480);
  });

  it('sleep ends early on abort', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // virtual time: no real wait
    try {
      const ac = new AbortController();
      const p = sleep(60_000, ac.signal);
      ac.abort();
      await expect(p).resolves.toBe(false);
      const q = sleep(1);
      await vi.advanceTimersByTimeAsync(1);
      await expect(q).resolves.toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
