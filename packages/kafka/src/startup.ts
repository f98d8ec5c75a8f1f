/**
 * Retrying Kafka's retriable errors at start-up, for a bounded time.
 *
 * Right after a topic is created (or while a broker moves a partition leader or a group coordinator),
 * brokers answer with errors the Kafka protocol marks retriable — NOT_LEADER_OR_FOLLOWER ("This server
 * is not the leader for that topic-partition"), UNKNOWN_TOPIC_OR_PARTITION ("This server does not host
 * this topic-partition"), LEADER_NOT_AVAILABLE, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR… (Kafka
 * protocol guide, "Error Codes"; kafkajs keeps the `retriable` flag in `src/protocol/error.js`). kafkajs
 * retries some of them itself but gives up on others at once: its admin `fetchTopicOffsets` bails on
 * anything but UNKNOWN_TOPIC_OR_PARTITION, so a service that read a fresh topic back at start stopped.
 * {@link retryKafkaStartup} repeats such a step with the core backoff until it succeeds or the time
 * bound passes, logging each retry.
 */
import type { Clock, Logger } from '@busbar/core';
import { backoffDelayMs, noopLogger, sleep, systemClock } from '@busbar/core';
import type { BackoffOptions } from '@busbar/core';

/** Options of {@link retryKafkaStartup}. */
export interface StartupRetryOptions {
  /** Give up (rethrow the last error) once this long has passed since the first attempt, ms (default 60 000). */
  readonly maxElapsedMs?: number;
  /** Delays between attempts (default 250 ms doubling to 5 000 ms, jitter 0.2). */
  readonly backoff?: BackoffOptions;
  /** Each retry is logged as a warning here. */
  readonly logger?: Logger;
  /** Time source of the bound (default the system clock). */
  readonly clock?: Clock;
  /** Stops retrying (the last error is rethrown) when aborted, e.g. at shutdown. */
  readonly signal?: AbortSignal;
}

/** Default bound of {@link retryKafkaStartup}, ms. */
export const DEFAULT_STARTUP_RETRY_MS = 60_000;

const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 5000, jitter: 0.2 };

/** The shape of a kafkajs protocol error (`KafkaJSProtocolError` and its subclasses). */
interface ProtocolErrorShape {
  readonly name: string;
  readonly type: string;
  readonly retriable: boolean;
}

function isProtocolError(e: unknown): e is ProtocolErrorShape {
  if (!(e instanceof Error)) return false;
  const { type, retriable } = e as Error & { type?: unknown; retriable?: unknown };
  return e.name.startsWith('KafkaJS') && typeof type === 'string' && typeof retriable === 'boolean';
}

/**
 * The first Kafka protocol error Kafka marks retriable in `err`, its `cause` chain (kafkajs wraps the
 * broker's error in `KafkaJSNumberOfRetriesExceeded` / `KafkaJSNonRetriableError`) or the `errors` of
 * a `KafkaJSAggregateError`; `undefined` when there is none. Connection errors (no broker reachable)
 * are not protocol errors and are not retried here.
 */
export function retriableKafkaError(err: unknown): { readonly type: string; readonly message: string } | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === undefined || e === null || seen.has(e)) continue;
    seen.add(e);
    if (isProtocolError(e) && e.retriable) return { type: e.type, message: (e as unknown as Error).message };
    if (e instanceof Error) {
      queue.push(e.cause);
      const errors = (e as Error & { errors?: unknown }).errors;
      if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
    }
  }
  return undefined;
}

/**
 * Runs `step` (a start-up call: connect, subscribe, topic metadata or offsets) and repeats it while it
 * fails with an error Kafka marks retriable ({@link retriableKafkaError}), waiting `backoffDelayMs`
 * between attempts, until it succeeds or `maxElapsedMs` has passed. Each retry is logged (`what`,
 * attempt, Kafka error type, delay).
 *
 * @param what - names the step in logs, e.g. `fetch offsets of busbar.command-results`.
 * @returns what `step` resolves with.
 * @throws the error of the last attempt: at once when it is not retriable, else once the bound passed
 *   or `signal` aborted.
 */
export async function retryKafkaStartup<T>(what: string, step: () => Promise<T>, options: StartupRetryOptions = {}): Promise<T> {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? noopLogger;
  const maxElapsedMs = options.maxElapsedMs ?? DEFAULT_STARTUP_RETRY_MS;
  const started = clock.nowMs();
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const retriable = retriableKafkaError(err);
      if (retriable === undefined || options.signal?.aborted === true) throw err;
      const elapsedMs = clock.nowMs() - started;
      const delayMs = Math.min(backoffDelayMs(attempt, options.backoff ?? DEFAULT_BACKOFF), Math.max(0, maxElapsedMs - elapsedMs));
      if (elapsedMs >= maxElapsedMs || delayMs <= 0) {
        log.error({ step: what, attempts: attempt + 1, kafkaError: retriable.type, elapsedMs }, `Kafka start-up step failed with a retriable error for ${maxElapsedMs} ms; giving up`);
        throw err;
      }
      log.warn({ step: what, attempt: attempt + 1, kafkaError: retriable.type, delayMs, err: retriable.message }, 'Kafka start-up step failed with a retriable error; retrying');
      if (!(await sleep(delayMs, options.signal))) throw err;
    }
  }
}
