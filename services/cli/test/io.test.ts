import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLine, within } from '../src/io.js';

describe('cli > io', () => {
  it('jsonLine: dates as ISO 8601, bytes as hex, nested, one line', () => {
    const line = jsonLine({ at: new Date(Date.UTC(2026, 11, 3, 12, 0, 0, 5)), signature: Buffer.from([0xde, 0xad, 0x01]), nested: [{ b: new Uint8Array([0, 255]) }], n: null, big: 7n });
    expect(line).toBe('{"at":"2026-12-03T12:00:00.005Z","signature":"dead01","nested":[{"b":"00ff"}],"n":null,"big":"7"}');
  });

  afterEach(() => void vi.useRealTimers());

  it('within: the value when it comes first, undefined after the time, and no timer left behind', async () => {
    vi.useFakeTimers();
    expect(await within(Promise.resolve(3), 1000)).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
    const pending = within(new Promise<number>(() => undefined), 5000);
    await vi.advanceTimersByTimeAsync(4999);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});
