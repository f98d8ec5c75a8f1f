import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/index.js';

describe('core > backoff', () => {
  it('grows exponentially and is capped', () => {
    const mid = (): number => 0.5; // no jitter
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, { initialDelayMs: 100, maxDelayMs: 1000 }, mid))).toEqual([100, 200, 400, 800, 1000]);
    const high = backoffDelayMs(2, { initialDelayMs: 100, maxDelayMs: 10_000, jitter: 0.2 }, () => 0.999);
    expect(high).toBeGreaterThan(400);
    expect(high).toBeLessThanOrEqual(480);
  });
});
