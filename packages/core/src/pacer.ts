/**
 * The one newest-wins pacer of Busbar: set-points to one key (a cycler channel) are sent at least
 * `minIntervalMs` apart, one at a time, and a newer value that arrives while an older one still waits
 * for its slot replaces it — the older one is reported superseded (with the command that replaced
 * it), so its caller can answer it with a result instead of sending a stale value late.
 *
 * Where the rule comes from: Arbin CTI accepts one MV update per 200 ms per channel (result 0x14,
 * Arbin CTI reference README §5.4, §10); Maccor MacNet needs ≥ 100 ms between (6,8) commands on a
 * channel and answers Result 3 otherwise (Maccor MacNet reference §6.10, §8.6).
 *
 * **At most one send per key is in flight, and the spacing is measured from its completion** (its
 * reply, or its failure), not from the moment it was handed out: a send may still wait in a
 * driver's request queue behind a slow read, so stamping it when taken would let the next one follow
 * it on the wire a few ms later. Since a request is written after it is handed out and answered
 * before it completes, the gap between two writes to one key is ≥ `minIntervalMs`.
 *
 * Within a key, values may coalesce per *slot* (Arbin: one slot per MV of a channel, so two MVs are
 * both sent, spaced; Maccor: one slot per channel). Pending slots of a key are sent oldest first.
 *
 * Time comes from an injected {@link Clock}; the pacer arms one timer (`setTimeout`) for the next due
 * send, so tests drive it with fake timers. It never retries: a failed send is the caller's to
 * answer; the spacing starts from the failure all the same.
 */
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/** One value waiting for (or holding) its key's slot. */
export interface PacedItem<K, V> {
  /** The key whose sends are spaced (e.g. a 1-based channel). */
  readonly key: K;
  /** The coalescing slot within the key (the key itself unless the caller gave one). */
  readonly slot: unknown;
  /** The caller's value (set-point, and whatever it needs to answer the command). */
  readonly value: V;
  /** The command that asked for it, when there is one. */
  readonly commandId: string | undefined;
  /** When it was submitted, ms since the epoch (from the clock). */
  readonly submittedAtMs: number;
}

/** A pending item replaced by a newer one for the same key and slot before it was sent. */
export interface Supersession<K, V> {
  /** The item that will never be sent; its caller must be answered (e.g. REJECTED "superseded by …"). */
  readonly superseded: PacedItem<K, V>;
  /** The newer item that took its place. */
  readonly by: PacedItem<K, V>;
}

/** Options of {@link NewestWinsPacer}. */
export interface NewestWinsPacerOptions<K, V> {
  /** Minimum spacing between the completion of one send of a key and the next send of that key, ms (≥ 0). */
  readonly minIntervalMs: number;
  /** Time source (default the system clock). */
  readonly clock?: Clock;
  /**
   * Sends one due item. The key stays in flight until the returned promise settles; the spacing
   * starts then. A rejection is the caller's to report (the pacer only waits for it).
   */
  send(item: PacedItem<K, V>): Promise<unknown>;
  /** Called whenever a key's flight ended (after a send settled, or {@link NewestWinsPacer.complete}). */
  onIdle?(key: K): void;
}

interface KeyState<K, V> {
  /** Pending items by slot, in submission order (a replaced slot moves to the end). */
  readonly pending: Map<unknown, PacedItem<K, V>>;
  inFlight: boolean;
  /** When the last flight completed, ms (undefined: never sent). */
  lastCompletedMs: number | undefined;
  /** Resolved when the current flight ends. */
  waiters: Array<() => void>;
}

/**
 * Per-key spacing with newest-wins coalescing (see module doc). `submit` queues a value (and sends it
 * at once when its key is free); the pacer hands due items to `send`. Sends made outside the queue
 * (a batch, a rest, a refresh) take the key with {@link tryBegin} and give it back with {@link complete}.
 *
 * @typeParam K - the key type (Map semantics: numbers, strings).
 * @typeParam V - the caller's value type.
 */
export class NewestWinsPacer<K, V> {
  private readonly clock: Clock;
  private readonly minIntervalMs: number;
  private readonly keys = new Map<K, KeyState<K, V>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  /**
   * @param options - spacing, clock, and the send callback.
   * @throws {RangeError} when `minIntervalMs` is negative or not finite.
   */
  constructor(private readonly options: NewestWinsPacerOptions<K, V>) {
    if (!Number.isFinite(options.minIntervalMs) || options.minIntervalMs < 0) throw new RangeError(`minIntervalMs must be a finite number ≥ 0, got ${options.minIntervalMs}`);
    this.minIntervalMs = options.minIntervalMs;
    this.clock = options.clock ?? systemClock;
  }

  private state(key: K): KeyState<K, V> {
    let s = this.keys.get(key);
    if (s === undefined) {
      s = { pending: new Map(), inFlight: false, lastCompletedMs: undefined, waiters: [] };
      this.keys.set(key, s);
    }
    return s;
  }

  /**
   * Queues `value` for `key` (and sends it now when the key is free and its spacing has passed).
   *
   * @param options.slot - coalescing slot within the key (default the key).
   * @param options.commandId - the command asking for it, reported when it is superseded.
   * @returns the supersession when a pending value of the same key and slot was replaced (that one
   *   will never be sent), else undefined.
   * @throws {RangeError} after {@link close}.
   */
  submit(key: K, value: V, options: { readonly slot?: unknown; readonly commandId?: string } = {}): Supersession<K, V> | undefined {
    if (this.closed) throw new RangeError('the pacer is closed');
    const s = this.state(key);
    const slot = 'slot' in options ? options.slot : key;
    const item: PacedItem<K, V> = { key, slot, value, commandId: options.commandId, submittedAtMs: this.clock.nowMs() };
    const old = s.pending.get(slot);
    s.pending.delete(slot);
    s.pending.set(slot, item);
    this.pump();
    return old === undefined ? undefined : { superseded: old, by: item };
  }

  /** Removes and returns the pending items of `key` (e.g. its session ended); the caller answers them. */
  drop(key: K): PacedItem<K, V>[] {
    const s = this.keys.get(key);
    if (s === undefined) return [];
    const out = [...s.pending.values()];
    s.pending.clear();
    this.pump();
    return out;
  }

  /** Whether a send of `key` is in flight. */
  isInFlight(key: K): boolean {
    return this.keys.get(key)?.inFlight === true;
  }

  /** Whether `key` has a value waiting for its slot. */
  hasPending(key: K): boolean {
    return (this.keys.get(key)?.pending.size ?? 0) > 0;
  }

  /** When the last send of `key` completed, ms since the epoch (undefined: never). */
  lastCompletedMs(key: K): number | undefined {
    return this.keys.get(key)?.lastCompletedMs;
  }

  /**
   * Earliest time (ms since the epoch) a send of `key` is allowed: `Infinity` while one is in flight,
   * `-Infinity` when it never sent, else the last completion + `minIntervalMs`.
   */
  earliestSendMs(key: K): number {
    const s = this.keys.get(key);
    if (s === undefined) return -Infinity;
    if (s.inFlight) return Infinity;
    return s.lastCompletedMs === undefined ? -Infinity : s.lastCompletedMs + this.minIntervalMs;
  }

  /**
   * Takes `key` for a send made outside the queue. Returns false, and takes nothing, when a send of
   * it is in flight or its spacing has not passed at `atMs`. Give it back with {@link complete}.
   */
  tryBegin(key: K, atMs: number = this.clock.nowMs()): boolean {
    if (this.closed || this.earliestSendMs(key) > atMs) return false;
    this.state(key).inFlight = true;
    return true;
  }

  /**
   * Ends the flight of `key` (its reply or failure arrived) and starts the spacing at `atMs`; also
   * records a send made without {@link tryBegin} (e.g. a start command that counts as the first
   * set-point).
   */
  complete(key: K, atMs: number = this.clock.nowMs()): void {
    const s = this.state(key);
    s.inFlight = false;
    s.lastCompletedMs = atMs;
    for (const w of s.waiters.splice(0)) w();
    this.options.onIdle?.(key);
    this.pump();
  }

  /** Resolves when the send of `key` in flight (if any) has completed. */
  idle(key: K): Promise<void> {
    const s = this.keys.get(key);
    if (s === undefined || !s.inFlight) return Promise.resolve();
    return new Promise((resolve) => s.waiters.push(resolve));
  }

  /** Resolves when no key has a send in flight (those in flight now have completed). */
  async idleAll(): Promise<void> {
    await Promise.all([...this.keys.keys()].map((k) => this.idle(k)));
  }

  /** When the next pending item becomes due, ms since the epoch, or undefined when none can be (nothing pending on a free key). */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const [key, s] of this.keys) {
      if (s.pending.size === 0 || s.inFlight) continue;
      const t = this.earliestSendMs(key);
      due = due === undefined ? t : Math.min(due, t);
    }
    return due;
  }

  /** Stops the pacer: the timer is cleared, nothing more is sent; returns every pending item (the caller answers them). */
  close(): PacedItem<K, V>[] {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const out: PacedItem<K, V>[] = [];
    for (const s of this.keys.values()) {
      out.push(...s.pending.values());
      s.pending.clear();
    }
    return out;
  }

  /** Hands every due item to `send` (one per free key, oldest slot first) and arms the timer for the next. */
  private pump(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock.nowMs();
    for (const [key, s] of this.keys) {
      if (s.pending.size === 0 || this.earliestSendMs(key) > now) continue;
      const first = s.pending.entries().next();
      if (first.done === true) continue;
      const [slot, item] = first.value;
      s.pending.delete(slot);
      s.inFlight = true;
      let sent: Promise<unknown>;
      try {
        sent = this.options.send(item);
      } catch (err) {
        sent = Promise.reject(err);
      }
      void sent.then(
        () => this.complete(key),
        () => this.complete(key),
      );
    }
    const due = this.nextDueMs();
    if (due !== undefined) this.timer = setTimeout(() => this.pump(), Math.max(0, due - this.clock.nowMs()));
  }
}
