import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../src/index.js';

describe('core > sleep', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resolves true after the full time', async () => {
    let done: boolean | undefined;
    void sleep(1000).then((v) => (done = v));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it('resolves false as soon as the signal aborts, and leaves no timer behind', async () => {
    const ac = new AbortController();
    let done: boolean | undefined;
    void sleep(60_000, ac.signal).then((v) => (done = v));
    await vi.advanceTimersByTimeAsync(10);
    ac.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves at once for an aborted signal or a non-positive time', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(sleep(1000, ac.signal)).resolves.toBe(false);
    await expect(sleep(0)).resolves.toBe(true);
    await expect(sleep(-5)).resolves.toBe(true);
  });
});
