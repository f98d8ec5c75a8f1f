/**
 * kafkajs' `TimeoutNegativeWarning` on Node ≥ 24 (kafkajs issue #1751, unfixed in 2.2.4), dropped
 * at its source and counted — every other warning, including a `TimeoutNegativeWarning` from
 * anywhere else, is printed as before.
 *
 * Where it comes from (measured, see docs/logging.md): `RequestQueue.scheduleCheckPendingRequests`
 * (kafkajs `src/network/requestQueue/index.js`) arms `setTimeout(…, throttledUntil - Date.now())`
 * when nothing is pending; with no throttle `throttledUntil` is -1, so the delay is about
 * −1.7 × 10¹² ms. Node clamps it to 1 ms (the behaviour kafkajs relies on) and, since Node 24,
 * emits the warning (once per process: Node sets its flag before emitting, so a later negative
 * timeout elsewhere is not reported with or without this filter). It is harmless; what is not harmless is a plain-text
 * `(node:…) TimeoutNegativeWarning` line on stderr of every service.
 *
 * How: `process.emitWarning` is wrapped once per process; a warning named `TimeoutNegativeWarning`
 * whose call stack passes through kafkajs' request queue is not emitted (no `'warning'` event, no
 * stderr line) and increments a counter ({@link droppedKafkajsTimeoutWarnings}). Chosen over a
 * patched kafkajs (a patch applied to node_modules at install is lost by any `npm ci` that skips
 * scripts) and over `--no-warnings` / a global `'warning'` listener (both hide every warning).
 */

import type { Counter } from '@busbar/core';

const WARNING_NAME = 'TimeoutNegativeWarning';
const KAFKAJS_FRAME = /kafkajs[\\/]src[\\/]network[\\/]requestQueue/;

let installed = false;
let dropped = 0;
const counters = new Set<Counter>();

/** The name of the warning argument of `process.emitWarning(warning, type | options, …)`. */
function warningName(warning: unknown, typeOrOptions: unknown): string | undefined {
  if (warning instanceof Error) return warning.name;
  if (typeof typeOrOptions === 'string') return typeOrOptions;
  if (typeOrOptions !== null && typeof typeOrOptions === 'object' && 'type' in typeOrOptions) {
    const t = (typeOrOptions as { type?: unknown }).type;
    return typeof t === 'string' ? t : undefined;
  }
  return undefined;
}

/**
 * Installs the filter (once per process; `createKafka` calls it) and adds `counter` to the counters
 * incremented (label `warning`) for each dropped warning.
 *
 * @param counter - e.g. `busbar_kafka_client_warnings_dropped_total` of the service's registry.
 * @param emitter - the object whose `emitWarning` is wrapped (default `process`; tests pass their own).
 */
export function installKafkajsWarningFilter(counter?: Counter, emitter: Pick<NodeJS.Process, 'emitWarning'> = process): void {
  if (counter !== undefined) counters.add(counter);
  if (emitter === process) {
    if (installed) return;
    installed = true;
  }
  const original = emitter.emitWarning.bind(emitter) as (...args: unknown[]) => void;
  emitter.emitWarning = ((...args: unknown[]) => {
    if (warningName(args[0], args[1]) === WARNING_NAME && KAFKAJS_FRAME.test(new Error().stack ?? '')) {
      dropped++;
      for (const c of counters) c.inc({ warning: WARNING_NAME });
      return;
    }
    original(...args);
  }) as NodeJS.Process['emitWarning'];
}

/** How many kafkajs `TimeoutNegativeWarning`s the filter dropped in this process. */
export function droppedKafkajsTimeoutWarnings(): number {
  return dropped;
}
