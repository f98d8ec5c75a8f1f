import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PcsHeartbeat, heartbeatIssues } from '../../src/client/pcs-heartbeat.js';
import { ModbusConfigError, ModbusTimeoutError } from '../../src/errors.js';

/** A writer that records each write with the fake time it started, and can be made to fail or hang. */
class FakeWriter {
  readonly writes: { point: string; value: number; atMs: number }[] = [];
  fail = false;
  hold: Promise<void> | undefined;
  async write(point: string, value: number): Promise<void> {
    this.writes.push({ point, value, atMs: Date.now() });
    if (this.hold) await this.hold;
    if (this.fail) throw new ModbusTimeoutError({ functionCode: 6, address: 41025, quantity: 1, unitId: 2 }, 1000);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PcsHeartbeat', () => {
  it('writes the real timeout at once and then every interval', async () => {
    const w = new FakeWriter();
    const hb = new PcsHeartbeat({ writer: w, timeoutS: 5, intervalMs: 1000, deviceId: 'pcs' });
    hb.start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(w.writes).toEqual([0, 1000, 2000, 3000].map((atMs) => ({ point: 'heartbeat_timeout_s', value: 5, atMs })));
    await hb.stop();
  });

  it('stops feeding on stop(): no write after it, so the PCS times out by itself', async () => {
    const w = new FakeWriter();
    const hb = new PcsHeartbeat({ writer: w, timeoutS: 3, intervalMs: 1000, deviceId: 'pcs' });
    hb.start();
    await vi.advanceTimersByTimeAsync(1500);
    await hb.stop();
    const n = w.writes.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(w.writes).toHaveLength(n);
    expect(hb.isRunning).toBe(false);
  });

  it('waits for a write in flight on stop()', async () => {
    const w = new FakeWriter();
    let release!: () => void;
    w.hold = new Promise((r) => (release = r));
    const hb = new PcsHeartbeat({ writer: w, timeoutS: 3, intervalMs: 1000, deviceId: 'pcs' });
    hb.start();
    let stopped = false;
    const stopping = hb.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('never overlaps writes: a slow write delays the next', async () => {
    const w = new FakeWriter();
    let release!: () => void;
    w.hold = new Promise((r) => (release = r));
    const hb = new PcsHeartbeat({ writer: w, timeoutS: 6, intervalMs: 1000, deviceId: 'pcs' });
    hb.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(w.writes).toHaveLength(1);
    w.hold = undefined;
    release();
    await vi.advanceTimersByTimeAsync(1);
    expect(w.writes.map((x) => x.atMs)).toEqual([0, 2500]);
    await hb.stop();
  });

  it('reports failed writes with a count and keeps its schedule (no faster retries)', async () => {
    const w = new FakeWriter();
    w.fail = true;
    const hb = new PcsHeartbeat({ writer: w, timeoutS: 3, intervalMs: 1000, deviceId: 'pcs' });
    const failures: number[] = [];
    const fed: number[] = [];
    hb.on('feedFailed', (_e, n) => failures.push(n));
    hb.on('fed', (t) => fed.push(t));
    hb.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(failures).toEqual([1, 2, 3]);
    expect(w.writes.map((x) => x.atMs)).toEqual([0, 1000, 2000]);
    w.fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(fed).toEqual([3]);
    w.fail = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(failures).toEqual([1, 2, 3, 1]);
    await hb.stop();
  });

  const bad: [string, number, number, RegExp][] = [
    ['the 333 bypass (D7)', 33.3, 1000, /bypasses the PCS watchdog/],
    ['zero', 0, 1000, /must be a positive number of seconds/],
    ['above 30 s', 60, 1000, /must be at most 30 s/],
    ['a fraction of a count', 5.05, 1000, /multiple of 0\.1 s/],
    ['too few writes per timeout', 2, 1000, /fewer than 3 writes per 2 s timeout; use at most 666 ms/],
    ['a non-integer interval', 5, 99.5, /intervalMs: must be an integer/],
  ];
  it.each(bad)('refuses %s', (_what, timeoutS, intervalMs, message) => {
    expect(heartbeatIssues(timeoutS, intervalMs).join('; ')).toMatch(message);
    expect(() => new PcsHeartbeat({ writer: new FakeWriter(), timeoutS, intervalMs, deviceId: 'pcs' })).toThrow(ModbusConfigError);
  });

  it('accepts the bound exactly: 3 writes per timeout', () => {
    expect(heartbeatIssues(3, 1000)).toEqual([]);
    expect(heartbeatIssues(0.3, 100)).toEqual([]);
  });
});
