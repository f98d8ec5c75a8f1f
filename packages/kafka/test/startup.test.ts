/**
 * The start-up retry decision and loop, with kafkajs' own error classes (the retriable flags come from
 * kafkajs `src/protocol/error.js`, i.e. the Kafka protocol's error table) and fake timers.
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@busbar/core';
import type { Logger } from '@busbar/core';
import { retriableKafkaError, retryKafkaStartup } from '../src/startup.js';

const { KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError, KafkaJSConnectionError, KafkaJSAggregateError } = kafkajs;

// kafkajs' own table of broker error codes (the Kafka protocol's, with its retriable flags)
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };

/** kafkajs' error for a broker error code, as its response decoders build it. */
function protocolError(code: number): Error {
  return createErrorFromCode(code);
}

describe('Kafka > start-up > retriableKafkaError', () => {
  it('Kafka protocol errors marked retriable: not the leader, does not host, leader/coordinator not available', () => {
    expect(retriableKafkaError(protocolError(6))).toMatchObject({ type: 'NOT_LEADER_FOR_PARTITION', message: 'This server is not the leader for that topic-partition' });
    expect(retriableKafkaError(protocolError(3))).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(retriableKafkaError(protocolError(5))).toMatchObject({ type: 'LEADER_NOT_AVAILABLE' });
    expect(retriableKafkaError(protocolError(15))).toMatchObject({ type: 'GROUP_COORDINATOR_NOT_AVAILABLE' });
  });
  it('found inside kafkajs wrappers (retries exceeded, non-retriable bail, aggregate)', () => {
    const inner = protocolError(6);
    expect(retriableKafkaError(new KafkaJSNumberOfRetriesExceeded(inner, { retryCount: 8, retryTime: 10_000 }))).toMatchObject({ type: 'NOT_LEADER_FOR_PARTITION' });
    // kafkajs' retrier rejects with `new KafkaJSNonRetriableError(e, { cause })` (its types omit the option)
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
    expect(retriableKafkaError(new NonRetriable(inner, { cause: inner }))).toMatchObject({ type: 'NOT_LEADER_FOR_PARTITION' });
    expect(retriableKafkaError(new KafkaJSAggregateError('several', [protocolError(29), protocolError(5)]))).toMatchObject({ type: 'LEADER_NOT_AVAILABLE' });
  });
  it('not retried: a non-retriable protocol error, a connection error, anything else', () => {
    expect(retriableKafkaError(protocolError(29))).toBeUndefined();
    expect(retriableKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBeUndefined();
    expect(retriableKafkaError(new Error('boom'))).toBeUndefined();
    expect(retriableKafkaError(undefined)).toBeUndefined();
  });
});

describe('Kafka > start-up > retryKafkaStartup', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function logger(): { log: Logger; warnings: Record<string, unknown>[]; errors: Record<string, unknown>[] } {
    const warnings: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    const log: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (fields: Record<string, unknown>) => void warnings.push(fields),
      error: (fields: Record<string, unknown>) => void errors.push(fields),
      child: () => log,
    } as unknown as Logger;
    return { log, warnings, errors };
  }

  it('repeats a step failing with "not the leader" until it succeeds, logging each retry with its delay', async () => {
    const { log, warnings } = logger();
    let calls = 0;
    const step = vi.fn(async () => {
      calls++;
      if (calls < 3) throw protocolError(6);
      return 'offsets';
    });
    const p = retryKafkaStartup('fetch offsets of t', step, { logger: log, backoff: { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 } });
    await vi.advanceTimersByTimeAsync(100 + 200);
    await expect(p).resolves.toBe('offsets');
    expect(step).toHaveBeenCalledTimes(3);
    expect(warnings).toEqual([
      expect.objectContaining({ step: 'fetch offsets of t', attempt: 1, kafkaError: 'NOT_LEADER_FOR_PARTITION', delayMs: 100 }),
      expect.objectContaining({ step: 'fetch offsets of t', attempt: 2, kafkaError: 'NOT_LEADER_FOR_PARTITION', delayMs: 200 }),
    ]);
  });

  it('rethrows a non-retriable error at once', async () => {
    const step = vi.fn(async () => {
      throw protocolError(29);
    });
    await expect(retryKafkaStartup('subscribe', step)).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(step).toHaveBeenCalledTimes(1);
  });

  it('gives up after the bound with the last error (logged)', async () => {
    const { log, errors } = logger();
    const clock = new ManualClock(0);
    const step = vi.fn(async () => {
      clock.advance(400);
      throw protocolError(3);
    });
    const p = retryKafkaStartup('read offsets', step, { logger: log, clock, maxElapsedMs: 1000, backoff: { initialDelayMs: 100, jitter: 0 } });
    const settled = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await settled).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(step).toHaveBeenCalledTimes(3); // at 400, 800 (+100 ms wait each), then 1200 ≥ 1000
    expect(errors).toEqual([expect.objectContaining({ step: 'read offsets', attempts: 3, kafkaError: 'UNKNOWN_TOPIC_OR_PARTITION' })]);
  });

  it('stops waiting when the signal aborts', async () => {
    const abort = new AbortController();
    const step = vi.fn(async () => {
      throw protocolError(5);
    });
    const settled = retryKafkaStartup('connect', step, { signal: abort.signal, backoff: { initialDelayMs: 1000, jitter: 0 } }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    abort.abort();
    expect(await settled).toMatchObject({ type: 'LEADER_NOT_AVAILABLE' });
    expect(step).toHaveBeenCalledTimes(1);
  });
});
