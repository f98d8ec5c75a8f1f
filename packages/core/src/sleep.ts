/**
 * The one abortable sleep of Busbar: every wait between retries, polls and reconnects goes through
 * it, so a stop (an `AbortSignal`) ends every wait at once.
 */

/**
 * Resolves after `ms` milliseconds, or as soon as `signal` aborts (then it resolves early rather than
 * rejecting: a stopping loop checks its own state after waking). Resolves at once for `ms <= 0` or
 * an already aborted signal. The timer never keeps the process alive past an abort.
 *
 * @param ms - how long to wait, milliseconds.
 * @param signal - ends the wait early.
 * @returns whether the full time elapsed (`false` when woken by the signal).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (!(ms > 0)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
