/**
 * Capped exponential backoff with jitter (pure arithmetic: the caller sleeps), for reconnect
 * loops and retries.
 */

/** Backoff parameters, in milliseconds. */
export interface BackoffOptions {
  /** First delay (default 250 ms). */
  readonly initialDelayMs?: number;
  /** Upper bound of any delay (default 30 000 ms). */
  readonly maxDelayMs?: number;
  /** Growth factor per attempt (default 2). */
  readonly factor?: number;
  /** Random fraction ± applied to each delay (default 0.2). */
  readonly jitter?: number;
}

/**
 * The delay before retry number `attempt` (0-based), in milliseconds.
 *
 * @param random - a `[0,1)` source (default `Math.random`), injectable for tests.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.2;
  const base = Math.min(max, initial * factor ** Math.max(0, attempt));
  return Math.max(0, Math.min(max, Math.round(base * (1 + jitter * (2 * random() - 1)))));
}
