import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { BusbarError } from '@busbar/core';
import type { LogFields, Logger } from '@busbar/core';
import { installProcessHandlers } from '../src/service.js';
import type { ProcessLike } from '../src/service.js';

/** An EventEmitter standing in for `process`, recording exit codes instead of exiting. */
class FakeProcess extends EventEmitter implements ProcessLike {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

/** A logger recording its error lines. */
function recordingLogger(): { logger: Logger; errors: { fields: LogFields; msg: string }[] } {
  const errors: { fields: LogFields; msg: string }[] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (fields, msg) => void errors.push({ fields, msg }), child: () => logger };
  return { logger, errors };
}

/** A shutdown the test finishes by hand. */
function manualShutdown(): { shutdown: () => Promise<void>; calls: () => number; finish: () => void; fail: (e: Error) => void } {
  let calls = 0;
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { shutdown: () => (calls++, done), calls: () => calls, finish: () => resolve(), fail: (e) => reject(e) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('runtime > service > installProcessHandlers', () => {
  it.each([
    ['uncaughtException', new BusbarError('BB_TEST_BROKEN', 'broken', { retriable: false }), 'BB_TEST_BROKEN'],
    ['unhandledRejection', new Error('plain'), 'BB_CORE_UNEXPECTED'],
    ['unhandledRejection', 'a string reason', 'BB_CORE_UNEXPECTED'],
  ] as const)('%s: logs with the code, shuts down once, then exits 1', async (event, reason, code) => {
    const proc = new FakeProcess();
    const { logger, errors } = recordingLogger();
    const s = manualShutdown();
    installProcessHandlers(logger, s.shutdown, { process: proc });
    proc.emit(event, reason);
    expect(errors).toEqual([{ fields: { err: reason, code, event }, msg: `${event}: shutting down and exiting 1` }]);
    expect(s.calls()).toBe(1);
    await tick();
    expect(proc.exits).toEqual([]); // not before the shutdown finished
    s.finish();
    await tick();
    expect(proc.exits).toEqual([1]);
  });

  it('a second fatal event during shutdown is logged but starts no second shutdown nor exit', async () => {
    const proc = new FakeProcess();
    const { logger, errors } = recordingLogger();
    const s = manualShutdown();
    installProcessHandlers(logger, s.shutdown, { process: proc });
    proc.emit('unhandledRejection', new Error('first'));
    proc.emit('uncaughtException', new Error('second'));
    expect(errors.map((e) => e.fields.event)).toEqual(['unhandledRejection', 'uncaughtException']);
    expect(s.calls()).toBe(1);
    s.finish();
    await tick();
    expect(proc.exits).toEqual([1]);
  });

  it('a failing shutdown is logged with its code and the process still exits 1', async () => {
    const proc = new FakeProcess();
    const { logger, errors } = recordingLogger();
    const s = manualShutdown();
    installProcessHandlers(logger, s.shutdown, { process: proc });
    proc.emit('uncaughtException', new Error('boom'));
    s.fail(new BusbarError('BB_TEST_FLUSH', 'flush failed', { retriable: true }));
    await tick();
    expect(errors[1]).toEqual({ fields: expect.objectContaining({ code: 'BB_TEST_FLUSH' }), msg: 'error while stopping' });
    expect(proc.exits).toEqual([1]);
  });

  it('a shutdown that throws synchronously still ends in exit 1', async () => {
    const proc = new FakeProcess();
    const { logger, errors } = recordingLogger();
    installProcessHandlers(logger, () => {
      throw new Error('sync');
    }, { process: proc });
    proc.emit('uncaughtException', new Error('boom'));
    await tick();
    expect(errors.map((e) => e.msg)).toEqual(['uncaughtException: shutting down and exiting 1', 'error while stopping']);
    expect(proc.exits).toEqual([1]);
  });

  it('a hanging shutdown is abandoned after exitTimeoutMs with exit 1', async () => {
    const proc = new FakeProcess();
    const { logger, errors } = recordingLogger();
    const s = manualShutdown();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // the exit timer runs on virtual time
    try {
      installProcessHandlers(logger, s.shutdown, { process: proc, exitTimeoutMs: 20 });
      proc.emit('uncaughtException', new Error('boom'));
      await vi.advanceTimersByTimeAsync(19);
      expect(proc.exits).toEqual([]); // not before exitTimeoutMs
      await vi.advanceTimersByTimeAsync(1);
    } finally {
      vi.useRealTimers();
    }
    expect(proc.exits).toEqual([1]);
    expect(errors.at(-1)?.msg).toBe('shutdown did not finish in time; exiting 1');
    s.finish(); // finishing late does not exit a second time
    await tick();
    expect(proc.exits).toEqual([1]);
  });

  it('the returned function removes both handlers', () => {
    const proc = new FakeProcess();
    const uninstall = installProcessHandlers(recordingLogger().logger, async () => {}, { process: proc });
    expect(proc.listenerCount('uncaughtException')).toBe(1);
    expect(proc.listenerCount('unhandledRejection')).toBe(1);
    uninstall();
    expect(proc.listenerCount('uncaughtException')).toBe(0);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
  });
});
