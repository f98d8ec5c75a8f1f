/**
 * Sleeping for retry loops in services; the delays come from `backoffDelayMs` in `@busbar/core`.
 */

/**
 * Resolves after `ms` milliseconds, or at once (resolving `false`) when `signal` aborts.
 *
 * @returns `true` when the full delay elapsed.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
