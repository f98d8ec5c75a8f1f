import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../src/budget.js';

/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('historian > byte budget', () => {
  it('grants while the bytes fit, makes the next one wait, grants it on release (first come, first served)', async () => {
    const b = new ByteBudget(100);
    const a = b.acquire(60);
    const c = b.acquire(50);
    const d = b.acquire(10);
    await settle();
    expect([a.isGranted(), c.isGranted(), d.isGranted()]).toEqual([true, false, false]); // d fits but waits behind c
    expect(b.inUse).toBe(60);
    expect(b.waiting).toBe(2);
    a.cancel();
    await c.granted;
    await d.granted;
    expect(b.inUse).toBe(60);
  });

  it('grants a request larger than the budget when nothing else is held', async () => {
    const b = new ByteBudget(100);
    const small = b.acquire(10);
    const big = b.acquire(500);
    await settle();
    expect(big.isGranted()).toBe(false);
    small.cancel();
    await big.granted;
    expect(b.inUse).toBe(500);
    big.cancel();
    expect(b.inUse).toBe(0);
  });

  it('a cancelled waiting request is never granted and lets the ones behind it go; cancel is idempotent', async () => {
    const b = new ByteBudget(100);
    const a = b.acquire(100);
    const waiting = b.acquire(100);
    const behind = b.acquire(0);
    waiting.cancel();
    await behind.granted;
    a.cancel();
    a.cancel();
    await settle();
    expect(waiting.isGranted()).toBe(false);
    expect(b.inUse).toBe(0);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new ByteBudget(0)).toThrow(RangeError);
  });
});
