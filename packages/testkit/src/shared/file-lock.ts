/**
 * The run-wide file lock of the integration project: integration test files run two at a time
 * (vitest.config.ts, `maxWorkers: 2`), each holding the lock `shared` for its whole run, except the
 * files that call {@link runsAlone} (`@busbar/testkit/shared`), which hold it `exclusive`: no other
 * file runs meanwhile. A readers–writer lock that prefers writers (a waiting `exclusive` holds new
 * `shared` requests back, so it cannot starve), kept by the shared-server control endpoint in
 * Vitest's main process and asked for by `file-lock-setup.ts` in each test file.
 */

/** How a test file holds the lock: `shared` with other files, or `exclusive` (alone). */
export type LockMode = 'shared' | 'exclusive';

interface Waiter {
  readonly ticket: string;
  readonly mode: LockMode;
}

/**
 * Readers–writer lock keyed by ticket (one ticket per test file of the run). Pure bookkeeping, no
 * I/O and no timers: {@link FileLock.request} says whether the ticket holds the lock now and
 * queues it otherwise; the caller asks again (long polling, see `server.ts`) and is told through
 * {@link FileLock.onChange} when it may have been granted.
 */
export class FileLock {
  private readonly holders = new Map<string, LockMode>();
  private readonly queue: Waiter[] = [];
  private readonly listeners = new Set<() => void>();

  /**
   * Asks for the lock in `mode` for `ticket`: granted at once when nothing stands in the way
   * (`shared`: no `exclusive` holder and no `exclusive` waiting ahead; `exclusive`: no holder at
   * all and first in the queue); otherwise the ticket waits in FIFO order (asked again with the
   * same ticket, it keeps its place).
   * @param ticket - the test file's ticket (unique in the run).
   * @param mode - `shared` or `exclusive`.
   * @returns true when `ticket` holds the lock.
   * @throws {Error} when `ticket` already holds or waits for the lock in the other mode.
   */
  request(ticket: string, mode: LockMode): boolean {
    const held = this.holders.get(ticket);
    if (held !== undefined) {
      if (held !== mode) throw new Error(`file lock: ticket ${ticket} holds the lock ${held}, asked for it ${mode}`);
      return true;
    }
    const waiting = this.queue.find((w) => w.ticket === ticket);
    if (waiting !== undefined && waiting.mode !== mode) throw new Error(`file lock: ticket ${ticket} waits for the lock ${waiting.mode}, asked for it ${mode}`);
    if (waiting === undefined) this.queue.push({ ticket, mode });
    this.grant();
    return this.holders.has(ticket);
  }

  /**
   * Gives the lock (or the place in the queue) of `ticket` back; unknown tickets are ignored.
   * @param ticket - the ticket of {@link FileLock.request}.
   */
  release(ticket: string): void {
    const index = this.queue.findIndex((w) => w.ticket === ticket);
    if (index >= 0) this.queue.splice(index, 1);
    this.holders.delete(ticket);
    this.grant();
  }

  /**
   * Calls `listener` after each change of the holders.
   * @param listener - called with no argument.
   * @returns the function that removes the listener.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current holders, ticket → mode (for messages and tests). */
  snapshot(): { readonly holders: ReadonlyMap<string, LockMode>; readonly waiting: readonly string[] } {
    return { holders: new Map(this.holders), waiting: this.queue.map((w) => w.ticket) };
  }

  /** Grants from the head of the queue while it can: several `shared` at a time, one `exclusive` alone. */
  private grant(): void {
    let changed = false;
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) break;
      const exclusiveHeld = [...this.holders.values()].includes('exclusive');
      if (head.mode === 'shared' ? exclusiveHeld : this.holders.size > 0) break;
      this.queue.shift();
      this.holders.set(head.ticket, head.mode);
      changed = true;
    }
    if (changed) for (const l of [...this.listeners]) l();
  }
}
