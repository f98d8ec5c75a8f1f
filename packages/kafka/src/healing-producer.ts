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
 * one, and sends the failed request once more on the new producer (the broker refused the request,
 * so nothing of it was written: no duplicate). Counted in
 * `busbar_kafka_producer_replaced_total{reason}` and logged. Other errors pass through unchanged.
 *
 * Not for transactional producers (the alerter replaces its own after any failed transaction).
 */
import type { Logger, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Producer } from 'kafkajs';

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
 * @param create - makes a new underlying (idempotent, not transactional) producer.
 * @param options.name - names the producer in logs and metrics (`results`, `dead-letters` …).
 */
export function healingProducer(create: () => Producer, options: { readonly name: string; readonly logger?: Logger; readonly metrics?: Metrics }): Producer {
  const log = options.logger ?? noopLogger;
  const replaced = (options.metrics ?? noopMetrics).counter({ name: 'busbar_kafka_producer_replaced_total', help: 'Idempotent producers replaced after the broker stopped accepting their sequence numbers (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID …), by producer and reason.', labelNames: ['producer', 'reason'] });
  let current = create();
  let closed = false;
  const listeners = new Set<{ readonly args: Listener; remove: () => void }>();
  let replacing: Promise<void> | undefined;

  const replace = (reason: string): Promise<void> => {
    replacing ??= (async () => {
      const old = current;
      const next = create();
      // the listeners move: registered on the new one, removed from the old one (its DISCONNECT is not the wrapper's)
      const moved = [...listeners].map((l) => ({ l, onNext: next.on(...l.args) }));
      try {
        await next.connect();
      } catch (err) {
        for (const m of moved) m.onNext(); // the old one stays, the next failure tries again
        throw err;
      }
      for (const m of moved) {
        m.l.remove();
        m.l.remove = m.onNext;
      }
      current = next;
      replaced.inc({ producer: options.name, reason });
      log.warn({ producer: options.name, reason }, 'Kafka producer replaced: the broker no longer accepted its sequence numbers (a new producer id from now on)');
      await old.disconnect().catch(() => undefined);
    })().finally(() => {
      replacing = undefined;
    });
    return replacing;
  };

  const healing = <A extends unknown[], R>(call: (p: Producer, ...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (replacing) await replacing.catch(() => undefined);
    try {
      return await call(current, ...args);
    } catch (err) {
      const reason = producerStateLost(err);
      if (reason === undefined || closed) throw err;
      try {
        await replace(reason);
      } catch (replaceErr) {
        log.warn({ producer: options.name, reason, err: replaceErr instanceof Error ? replaceErr.message : String(replaceErr) }, 'Kafka producer could not be replaced; the next failed send tries again');
        throw err;
      }
      return call(current, ...args); // refused before: nothing of it was written
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
      const entry = { args, remove: current.on(...args) };
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
        entry.remove();
      };
    }) as Producer['on'],
  };
  Object.defineProperty(wrapper, 'events', { get: () => current.events, enumerable: true });
  return wrapper as Producer;
}
