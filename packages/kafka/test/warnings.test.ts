/**
 * The kafkajs TimeoutNegativeWarning filter on the real code path: kafkajs' own `RequestQueue`
 * arms its negative timeout (issue #1751) and the warning is dropped and counted, while the same
 * warning from any other code, and any other warning, still reaches `process.on('warning')`.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import type { Counter, Labels } from '@busbar/core';
import { droppedKafkajsTimeoutWarnings, installKafkajsWarningFilter } from '../src/warnings.js';

interface RequestQueueLike {
  checkPendingRequests(): void;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
}
const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: Record<string, unknown>) => RequestQueueLike;

const seen: Error[] = [];
const onWarning = (w: Error): void => void seen.push(w);
const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));

afterEach(() => {
  process.off('warning', onWarning);
  seen.length = 0;
});

describe('kafka > warnings', () => {
  it('drops the TimeoutNegativeWarning armed by kafkajs RequestQueue and counts it; other warnings are emitted as before', async () => {
    const increments: Labels[] = [];
    const counter: Counter = { inc: (labels) => void increments.push(labels ?? {}) };
    installKafkajsWarningFilter(counter);
    installKafkajsWarningFilter(counter); // idempotent: one wrapper, one counter
    process.on('warning', onWarning);
    const before = droppedKafkajsTimeoutWarnings();

    // kafkajs: nothing pending and no throttle → setTimeout(fn, -1 - Date.now())
    const queue = new RequestQueue({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: true, clientId: 't', broker: 'b:1', logger: { debug() {}, info() {}, warn() {}, error() {} } });
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(queue.throttleCheckTimeoutId!);
    await nextTick();
    expect(droppedKafkajsTimeoutWarnings()).toBe(before + 1);
    expect(increments).toEqual([{ warning: 'TimeoutNegativeWarning' }]);
    expect(seen.map((w) => w.name)).toEqual([]);

    // the same warning from other code is not hidden, nor is any other warning (Node itself emits
    // TimeoutNegativeWarning once per process, so it is emitted here as Node's timers would)
    process.emitWarning('-5 is a negative number.\nTimeout duration was set to 1.', 'TimeoutNegativeWarning');
    process.emitWarning('something else', 'BusbarTestWarning');
    await nextTick();
    expect(seen.map((w) => w.name)).toEqual(['TimeoutNegativeWarning', 'BusbarTestWarning']);
    expect(droppedKafkajsTimeoutWarnings()).toBe(before + 1);
  });
});
