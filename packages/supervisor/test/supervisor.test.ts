import { describe, expect, it } from 'vitest';
import { BusbarError } from '@busbar/core';
import { DeviceSupervisor } from '../src/index.js';
import type { DeviceSession } from '../src/index.js';

/** A scripted device: which calls fail is decided by the test, in order. */
class ScriptedSession implements DeviceSession<number> {
  connects = 0;
  polls = 0;
  closes = 0;
  down = false;
  failConnects = 0;
  async connect(): Promise<void> {
    this.connects++;
    if (this.failConnects > 0 || this.down) {
      this.failConnects = Math.max(0, this.failConnects - 1);
      throw new BusbarError('BB_TEST_CONNECTION', 'refused', { retriable: true });
    }
  }
  async poll(): Promise<number> {
    if (this.down) throw new BusbarError('BB_TEST_TIMEOUT', 'no reply', { retriable: true });
    return ++this.polls;
  }
  async close(): Promise<void> {
    this.closes++;
  }
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('supervisor > DeviceSupervisor', () => {
  it('retries a failing connect with backoff, polls, reports an outage and reconnects by itself', async () => {
    const session = new ScriptedSession();
    session.failConnects = 2;
    const log: string[] = [];
    const polls: number[] = [];
    const sup = new DeviceSupervisor(session, {
      onPoll: (n) => void polls.push(n),
      onConnected: ({ outageMs }) => void log.push(`connected outage=${outageMs > 0 ? '>0' : '0'}`),
      onDisconnected: ({ code }) => void log.push(`disconnected ${code}`),
    }, { deviceId: 'd1', pollIntervalMs: 10, reconnectInitialMs: 5, reconnectMaxMs: 20 });
    sup.start();
    await until(() => polls.length >= 3);
    expect(session.connects).toBe(3);
    expect(sup.isConnected).toBe(true);
    session.down = true;
    await until(() => log.includes('disconnected BB_TEST_TIMEOUT'));
    expect(sup.isConnected).toBe(false);
    await new Promise((r) => setTimeout(r, 40));
    const before = polls.length;
    session.down = false;
    await until(() => polls.length > before + 2);
    await sup.stop();
    expect(log).toEqual(['disconnected BB_TEST_CONNECTION', 'connected outage=0', 'disconnected BB_TEST_TIMEOUT', 'connected outage=>0']);
    expect(session.closes).toBeGreaterThanOrEqual(3);
  });

  it('runs exclusive work between polls, never during one', async () => {
    let inPoll = false;
    let overlapped = false;
    const session: DeviceSession<void> = {
      connect: async () => {},
      poll: async () => {
        inPoll = true;
        await new Promise((r) => setTimeout(r, 15));
        inPoll = false;
      },
      close: async () => {},
    };
    const sup = new DeviceSupervisor(session, { onPoll: () => {}, onConnected: () => {}, onDisconnected: () => {} }, { deviceId: 'd2', pollIntervalMs: 1 });
    sup.start();
    await until(() => sup.isConnected);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => sup.exclusive(async () => {
      if (inPoll) overlapped = true;
      return i;
    })));
    await sup.stop();
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(overlapped).toBe(false);
  });
});
