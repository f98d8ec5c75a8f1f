/**
 * The transport seam: every way of reaching a CAN bus (native SocketCAN, a socketcand server, an
 * in-memory bus) implements {@link CanTransport}, so the receiver and the collector never know
 * which one they use.
 */
import type { CanFrame } from '../codec/frame.js';
import { CanError } from '../errors.js';

/**
 * A connection to one CAN bus.
 * - connects once and never reconnects (the collector runtime supervises sessions);
 * - `lost` resolves with the reason when the bus is lost (never rejects; not settled by `close()`);
 * - frames arrive through {@link CanTransport.onFrame} listeners and {@link CanTransport.frames}.
 */
export interface CanTransport {
  /** Which kind, for logs: `socketcan`, `socketcand` or `memory`. */
  readonly kind: string;
  /**
   * Sends one frame.
   * @throws {CanError} `BB_CAN_FRAME_INVALID` for an invalid frame (nothing sent), `BB_CAN_TRANSPORT_CLOSED` after close or loss.
   */
  send(frame: CanFrame): Promise<void>;
  /** Calls `listener` for every received frame; returns a function that removes it. */
  onFrame(listener: (frame: CanFrame) => void): () => void;
  /** Received frames as an async iterator (buffered from the call on); ends on close or loss. */
  frames(): AsyncIterableIterator<CanFrame>;
  /** Resolves with the reason when the bus is lost; never rejects. */
  readonly lost: Promise<Error>;
  /** Closes the transport; idempotent; never throws. */
  close(): Promise<void>;
}

/** Frames an iterator keeps when its reader is slower than the bus; older ones are dropped. */
export const DEFAULT_ITERATOR_BUFFER = 10_000;

/**
 * Shared reception plumbing of the transports: listener fan-out, buffered async iterators, the
 * `lost` promise and the closed state. Transports call {@link FrameHub.deliver} and {@link FrameHub.fail}.
 */
export class FrameHub {
  private readonly listeners = new Set<(frame: CanFrame) => void>();
  private readonly iterators = new Set<{ queue: CanFrame[]; wake: (() => void) | undefined }>();
  private resolveLost!: (err: Error) => void;
  /** See {@link CanTransport.lost}. */
  readonly lost: Promise<Error>;
  /** Set once closed or lost. */
  ended: Error | undefined;
  /** Frames dropped by slow iterators (see {@link DEFAULT_ITERATOR_BUFFER}). */
  droppedFrames = 0;

  /** @param iteratorBuffer - frames kept per iterator before the oldest is dropped. */
  constructor(private readonly iteratorBuffer = DEFAULT_ITERATOR_BUFFER) {
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
  }

  /** Hands a received frame to every listener and iterator (a throwing listener does not stop the others). */
  deliver(frame: CanFrame): void {
    if (this.ended !== undefined) return;
    for (const l of this.listeners) {
      try {
        l(frame);
      } catch {
        // a listener's bug must not stop reception for the others
      }
    }
    for (const it of this.iterators) {
      if (it.queue.length >= this.iteratorBuffer) {
        it.queue.shift();
        this.droppedFrames++;
      }
      it.queue.push(frame);
      it.wake?.();
    }
  }

  /** See {@link CanTransport.onFrame}. */
  onFrame(listener: (frame: CanFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** See {@link CanTransport.frames}. */
  frames(): AsyncIterableIterator<CanFrame> {
    const state: { queue: CanFrame[]; wake: (() => void) | undefined } = { queue: [], wake: undefined };
    if (this.ended === undefined) this.iterators.add(state);
    const done = (): IteratorResult<CanFrame> => {
      this.iterators.delete(state);
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<CanFrame> = {
      next: async () => {
        for (;;) {
          const f = state.queue.shift();
          if (f !== undefined) return { value: f, done: false };
          if (this.ended !== undefined || !this.iterators.has(state)) return done();
          await new Promise<void>((resolve) => (state.wake = resolve));
          state.wake = undefined;
        }
      },
      return: async () => done(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Ends reception because the bus was lost: resolves `lost`, ends iterators. */
  fail(err: Error): void {
    if (this.ended !== undefined) return;
    this.ended = err;
    this.resolveLost(err);
    this.wakeAll();
  }

  /** Ends reception because the user closed the transport (`lost` stays pending). */
  closeHub(): void {
    if (this.ended !== undefined) return;
    this.ended = new CanError('BB_CAN_TRANSPORT_CLOSED', 'transport closed');
    this.wakeAll();
  }

  /** @throws {CanError} `BB_CAN_TRANSPORT_CLOSED` when closed or lost. */
  assertOpen(kind: string): void {
    if (this.ended !== undefined) throw new CanError('BB_CAN_TRANSPORT_CLOSED', `${kind} transport is ${this.ended.message === 'transport closed' ? 'closed' : `lost (${this.ended.message})`}; nothing was sent`, { cause: this.ended });
  }

  private wakeAll(): void {
    for (const it of this.iterators) it.wake?.();
    this.listeners.clear();
  }
}
