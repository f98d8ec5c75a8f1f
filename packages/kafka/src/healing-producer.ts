/**
 * An idempotent producer that recovers when the broker no longer accepts its sequence numbers.
 *
 * kafkajs' idempotent producer keeps one producer id for its life. When the broker answers a produce
 * request with `OUT_OF_ORDER_SEQUENCE_NUMBER` or `UNKNOWN_PRODUCER_ID` (seen after a broker restart:
 * the broker's producer state and the client's sequence numbers disagree), or `INVALID_PRODUCER_EPOCH`
 * / `INVALID_PRODUCER_ID_MAPPING`, kafkajs neither bumps the epoch (Java's KIP-360 recovery) nor asks
 * for a new id: every later send fails the same way, for ever — a commander that executes commands
 * but can no longer publish their results, a collector whose acknowledged publishes never go out.
 *
 * {@link healingProducer} wraps the producer: on one of those errors it creates a new producer (a new
 * producer id, sequences from 0), moves the event listeners to it, connects it, disconnects the old
 * one once its calls in flight settled, and sends the failed request once more on the new producer.
 * A request to one partition was refused whole: no duplicate. A request spanning several partitions
 * may have been written to the partitions that answered without error (kafkajs fails the whole send
 * on the first broker error): those records are written twice — at least once, like every
 * Busbar publish (the historian's writes are idempotent, results are keyed by command id). Counted in
 * `busbar_kafka_producer_replaced_total{reason}` and logged. Other errors pass through unchanged.
 *
 * Not for transactional producers (the alerter replaces its own after any failed transaction).
 */
import type { Logger, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Producer } from 'kafkajs';
import { framingOf, setFraming } from './framing.js';

/** Protocol errors after which a kafkajs idempotent producer cannot send again (Kafka protocol error types). */
export const PRODUCER_STATE_ERRORS: ReadonlySet<string> = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

/**
 * The Kafka protocol error type of `err` (or of its causes, kafkajs wraps retried errors) when it is
 * one of {@link PRODUCER_STATE_ERRORS}, else `undefined`.
 */
export function producerStateLost(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && PRODUCER_STATE_ERRORS.has(type)) return type;
    e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return undefined;
}

type Listener = Parameters<Producer['on']>;

/**
 * A producer (kafkajs' `Producer` interface) that replaces itself when its producer state is lost
 * (see the module doc). `create` makes each underlying producer (`kafka.producer(PRODUCER_OPTIONS)`).
 * `connect`, `disconnect`, `send`, `sendBatch` and `on` act on the current producer; listeners
 * registered with `on` follow it to its replacements.
 *
 * Concurrency: sends in flight on a producer being replaced finish on it (it is disconnected once
 * they settled); one of them failing with a state error afterwards is sent again on the
 * replacement, which is not replaced a second time.
 *
 * @param create - makes a new underlying (idempotent, not transactional) producer.
 * @param options.name - names the producer in logs and metrics (`results`, `dead-letters` …).
 */
export function healingProducer(create: () => Producer, options: { readonly name: string; readonly logger?: Logger; readonly metrics?: Metrics }): Producer {
  const log = options.logger ?? noopLogger;
  const replaced = (options.metrics ?? noopMetrics).counter({ name: 'busbar_kafka_producer_replaced_total', help: 'Idempotent producers replaced after the broker stopped accepting their sequence numbers (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID …), by producer and reason.', labelNames: ['producer', 'reason'] });
  let current = create();
  let next: Producer | undefined; // the replacement while it connects
  let closed = false;
  /** Each listener's remover per producer it is registered on. */
  const listeners = new Set<{ readonly args: Listener; readonly removers: Map<Producer, () => void> }>();
  /** Calls in flight per producer: a replaced producer is disconnected once its calls settled. */
  const inFlight = new Map<Producer, Set<Promise<unknown>>>();
  let replacing: Promise<void> | undefined;

  const unregister = (p: Producer): void => {
    for (const l of listeners) {
      l.removers.get(p)?.();
      l.removers.delete(p);
    }
  };
  const replace = (reason: string): Promise<void> => {
    replacing ??= (async () => {
      const old = current;
      const fresh = create();
      next = fresh;
      for (const l of listeners) l.removers.set(fresh, fresh.on(...l.args));
      try {
        await fresh.connect();
      } catch (err) {
        unregister(fresh); // the old one stays, the next failure tries again
        throw err;
      } finally {
        next = undefined;
      }
      current = fresh;
      unregister(old); // its DISCONNECT is not the wrapper's
      replaced.inc({ producer: options.name, reason });
      log.warn({ producer: options.name, reason }, 'Kafka producer replaced: the broker no longer accepted its sequence numbers (a new producer id from now on)');
      void Promise.allSettled([...(inFlight.get(old) ?? [])]).then(async () => {
        inFlight.delete(old);
        await old.disconnect().catch(() => undefined);
      });
    })().finally(() => {
      replacing = undefined;
    });
    return replacing;
  };

  const track = <R>(p: Producer, call: Promise<R>): Promise<R> => {
    let set = inFlight.get(p);
    if (!set) inFlight.set(p, (set = new Set()));
    set.add(call);
    void call.then(
      () => set.delete(call),
      () => set.delete(call),
    );
    return call;
  };

  const healing = <A extends unknown[], R>(call: (p: Producer, ...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (replacing) await replacing.catch(() => undefined);
    const used = current;
    try {
      return await track(used, call(used, ...args));
    } catch (err) {
      const reason = producerStateLost(err);
      if (reason === undefined || closed) throw err;
      if (used === current) {
        try {
          await replace(reason);
        } catch (replaceErr) {
          log.warn({ producer: options.name, reason, err: replaceErr instanceof Error ? replaceErr.message : String(replaceErr) }, 'Kafka producer could not be replaced; the next failed send tries again');
          throw err;
        }
      } // else: replaced already while this call was in flight — sent again on the replacement, not replaced twice
      // refused by the broker: nothing of it was written to the partitions that answered the error (see the module doc for multi-partition sends)
      return track(current, call(current, ...args));
    }
  };

  const wrapper: Partial<Producer> = {
    connect: () => current.connect(),
    disconnect: async () => {
      closed = true;
      if (replacing) await replacing.catch(() => undefined);
      await current.disconnect();
    },
    send: healing((p, record: Parameters<Producer['send']>[0]) => p.send(record)),
    sendBatch: healing((p, batch: Parameters<Producer['sendBatch']>[0]) => p.sendBatch(batch)),
    isIdempotent: () => current.isIdempotent(),
    transaction: () => Promise.reject(new Error('healingProducer wraps idempotent producers, not transactional ones')),
    logger: () => current.logger(),
    on: ((...args: Listener) => {
      const entry = { args, removers: new Map<Producer, () => void>() };
      entry.removers.set(current, current.on(...args));
      if (next !== undefined) entry.removers.set(next, next.on(...args)); // registered while a replacement connects
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
        for (const remove of entry.removers.values()) remove();
      };
    }) as Producer['on'],
  };
  Object.defineProperty(wrapper, 'events', { get: () => current.events, enumerable: true });
  // the deployment's value framing (`createKafka` attaches it to each producer it makes): publishers
  // built on the wrapper write it too — without it a Confluent-framed deployment would publish
  // single-object records
  const framing = framingOf(current);
  if (framing !== undefined) setFraming(wrapper as Producer, framing);
  return wrapper as Producer;
}
