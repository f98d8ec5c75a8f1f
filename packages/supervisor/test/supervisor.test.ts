import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BusbarError } from '@busbar/core';
import type { Labels, LogFields, Logger, Metrics } from '@busbar/core';
import { DeviceSupervisor } from '../src/supervisor.js';
import type { DeviceSession } from '../src/supervisor.js';

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

// Fake timers: the supervisor's poll interval, backoff sleeps and clock (Date.now through
// systemClock) run on virtual time that the tests move; nothing waits on the wall clock.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Moves the fake clock 5 ms at a time until `cond` holds; fails after `ms` of virtual time. */
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited > ms) throw new Error('condition not met in time');
    await vi.advanceTimersByTimeAsync(5);
  }
}

/** Moves the fake clock until `p` settles; resolves or rejects as `p` does. */
async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false;
  const tracked = p.finally(() => {
    done = true;
  });
  tracked.catch(() => undefined);
  await until(() => done);
  return tracked;
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
    await vi.advanceTimersByTimeAsync(40);
    const before = polls.length;
    session.down = false;
    await until(() => polls.length > before + 2);
    await settle(sup.stop());
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
    const results = await settle(Promise.all([1, 2, 3, 4, 5].map((i) => sup.exclusive(async () => {
      if (inPoll) overlapped = true;
      return i;
    }))));
    await settle(sup.stop());
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(overlapped).toBe(false);
  });
});

/** Counter increments by metric name and labels, and log lines, recorded for assertions. */
class Recorder {
  readonly counts = new Map<string, number>();
  readonly lines: { level: string; fields: LogFields; msg: string }[] = [];
  readonly metrics: Metrics = {
    counter: ({ name }) => ({ inc: (labels?: Labels, value = 1) => this.bump(name, labels, value) }),
    gauge: () => ({ set() {}, inc() {} }),
    histogram: () => ({ observe() {} }),
  };
  readonly logger: Logger = {
    debug: (fields, msg) => void this.lines.push({ level: 'debug', fields, msg }),
    info: (fields, msg) => void this.lines.push({ level: 'info', fields, msg }),
    warn: (fields, msg) => void this.lines.push({ level: 'warn', fields, msg }),
    error: (fields, msg) => void this.lines.push({ level: 'error', fields, msg }),
    child: () => this.logger,
  };
  private bump(name: string, labels: Labels | undefined, value: number): void {
    const key = `${name}${JSON.stringify(labels ?? {})}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }
  count(name: string, labels: Labels): number {
    return this.counts.get(`${name}${JSON.stringify(labels)}`) ?? 0;
  }
}

/** A session that knows whether it is open, and records any poll made on a closed one. */
class StatefulSession implements DeviceSession<number> {
  open = false;
  connects = 0;
  closes = 0;
  polls = 0;
  pollsOnClosed = 0;
  down = false;
  closeThrows = false;
  async connect(): Promise<void> {
    this.connects++;
    if (this.down) throw new BusbarError('BB_TEST_CONNECTION', 'refused', { retriable: true });
    this.open = true;
  }
  async poll(): Promise<number> {
    if (!this.open) {
      this.pollsOnClosed++;
      throw new BusbarError('BB_TEST_CLOSED', 'poll on a closed session', { retriable: false });
    }
    if (this.down) throw new BusbarError('BB_TEST_TIMEOUT', 'no reply', { retriable: true });
    return ++this.polls;
  }
  async close(): Promise<void> {
    this.closes++;
    this.open = false;
    if (this.closeThrows) throw new BusbarError('BB_TEST_CLOSE', 'close failed', { retriable: false });
  }
}

describe('supervisor > DeviceSupervisor > failures around the loop', () => {
  it('stop() during a connect that then fails returns without waiting the reconnect backoff (60 s)', async () => {
    let connects = 0;
    let closes = 0;
    let rejectConnect: ((e: Error) => void) | undefined;
    const session: DeviceSession<number> = {
      connect: () => {
        connects++;
        return new Promise<void>((_resolve, reject) => {
          rejectConnect = reject;
        });
      },
      poll: async () => 1,
      close: async () => void closes++,
    };
    const sup = new DeviceSupervisor(session, { onPoll: () => {}, onConnected: () => {}, onDisconnected: () => {} }, {
      deviceId: 'd3',
      pollIntervalMs: 10,
      reconnectInitialMs: 60_000,
      reconnectMaxMs: 60_000,
    });
    sup.start();
    await until(() => rejectConnect !== undefined);
    const stopped = sup.stop();
    // The connect in progress fails only after stop() was called, so its backoff sleep starts after the wake-up.
    rejectConnect!(new BusbarError('BB_TEST_CONNECTION', 'refused', { retriable: true }));
    await stopped; // virtual time does not move here: a stop() that waited for the 54–66 s backoff would never resolve (5 s test timeout)
    expect(connects).toBe(1);
    expect(closes).toBeGreaterThanOrEqual(1);
    expect(sup.isConnected).toBe(false);
  }, 5000);

  it('a throwing onConnected closes the session, reports it down, reconnects, and never polls the closed session', async () => {
    const session = new StatefulSession();
    const rec = new Recorder();
    const events: string[] = [];
    let onConnectedCalls = 0;
    const sup = new DeviceSupervisor(session, {
      onPoll: () => {},
      onConnected: () => {
        onConnectedCalls++;
        events.push('connected');
        if (onConnectedCalls === 1) throw new BusbarError('BB_TEST_PUBLISH', 'device event not published', { retriable: true });
      },
      onDisconnected: ({ code }) => void events.push(`disconnected ${code}`),
    }, { deviceId: 'd4', pollIntervalMs: 5, reconnectInitialMs: 5, reconnectMaxMs: 10, logger: rec.logger, metrics: rec.metrics });
    sup.start();
    await until(() => session.polls >= 3);
    await settle(sup.stop());
    expect(session.pollsOnClosed).toBe(0);
    expect(session.connects).toBe(2);
    expect(session.closes).toBeGreaterThanOrEqual(2); // after the failed onConnected, and at stop()
    expect(events.slice(0, 3)).toEqual(['connected', 'disconnected BB_TEST_PUBLISH', 'connected']);
    expect(rec.count('busbar_device_errors_total', { device: 'd4', code: 'BB_TEST_PUBLISH' })).toBe(1);
    expect(rec.lines).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ code: 'BB_TEST_PUBLISH', what: 'onConnected' }) }));
  });

  it('a throwing close() or onDisconnected is logged and counted, and the loop goes on', async () => {
    const session = new StatefulSession();
    session.down = true; // first connect fails: onDisconnected and close() on the connect path
    session.closeThrows = true;
    const rec = new Recorder();
    const events: string[] = [];
    const sup = new DeviceSupervisor(session, {
      onPoll: () => {},
      onConnected: () => void events.push('connected'),
      onDisconnected: ({ code }) => {
        events.push(`disconnected ${code}`);
        throw new Error('pager down');
      },
    }, { deviceId: 'd5', pollIntervalMs: 5, reconnectInitialMs: 5, reconnectMaxMs: 10, logger: rec.logger, metrics: rec.metrics });
    sup.start();
    await until(() => session.connects >= 2);
    session.down = false;
    await until(() => session.polls >= 2);
    session.down = true; // poll failure: close() and onDisconnected on the poll path
    await until(() => events.includes('disconnected BB_TEST_TIMEOUT'));
    session.down = false;
    const before = session.polls;
    await until(() => session.polls > before + 1);
    await settle(sup.stop()); // close() throws here too; stop() still resolves
    expect(events).toEqual(['disconnected BB_TEST_CONNECTION', 'connected', 'disconnected BB_TEST_TIMEOUT', 'connected']);
    expect(session.pollsOnClosed).toBe(0);
    expect(sup.isConnected).toBe(false);
    expect(rec.count('busbar_device_errors_total', { device: 'd5', code: 'BB_CORE_UNEXPECTED' })).toBe(2); // the two onDisconnected
    expect(rec.count('busbar_device_errors_total', { device: 'd5', code: 'BB_TEST_CLOSE' })).toBeGreaterThanOrEqual(3);
    expect(rec.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'onDisconnected failed', fields: expect.objectContaining({ code: 'BB_CORE_UNEXPECTED' }) }));
    expect(rec.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'session close failed', fields: expect.objectContaining({ code: 'BB_TEST_CLOSE' }) }));
  });
});

describe('supervisor > DeviceSupervisor > reportLost', () => {
  it('wakes from a long poll interval, reports the outage and reconnects at once', async () => {
    const session = new ScriptedSession();
    const log: string[] = [];
    const sup = new DeviceSupervisor(session, {
      onPoll: () => undefined,
      onConnected: () => void log.push('connected'),
      onDisconnected: ({ code }) => void log.push(`disconnected ${code}`),
    }, { deviceId: 'd1', pollIntervalMs: 60_000, reconnectInitialMs: 5, reconnectMaxMs: 20 });
    sup.start();
    await until(() => session.polls === 1);
    sup.reportLost(new BusbarError('BB_TEST_CONNECTION', 'socket closed', { retriable: true }));
    await until(() => session.polls === 2); // reconnected and polled again long before 60 s
    expect(log).toEqual(['connected', 'disconnected BB_TEST_CONNECTION', 'connected']);
    expect(session.connects).toBe(2);
    expect(session.closes).toBeGreaterThanOrEqual(1);
    await sup.stop();
  });

  it('is ignored while not connected', async () => {
    const session = new ScriptedSession();
    session.down = true;
    const log: string[] = [];
    const sup = new DeviceSupervisor(session, { onPoll: () => undefined, onConnected: () => void log.push('connected'), onDisconnected: ({ code }) => void log.push(`disconnected ${code}`) }, { deviceId: 'd1', pollIntervalMs: 10, reconnectInitialMs: 5, reconnectMaxMs: 10 });
    sup.start();
    await until(() => session.connects >= 2);
    sup.reportLost(new Error('x'));
    await sup.stop();
    expect(log).toEqual(['disconnected BB_TEST_CONNECTION']);
  });
});
