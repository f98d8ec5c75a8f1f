/**
 * An in-memory CAN bus for unit tests and demos: every transport attached to it receives the frames
 * the others send (not its own, as SocketCAN without loopback to the sender). Delivery is synchronous
 * within `send`, so tests need no timers.
 */
import { assertValidFrame } from '../codec/frame.js';
import type { CanFrame } from '../codec/frame.js';
import { CanError } from '../errors.js';
import { FrameHub } from './transport.js';
import type { CanTransport } from './transport.js';

/** A virtual bus; {@link MemoryCanBus.connect} attaches a transport. */
export class MemoryCanBus {
  private readonly members = new Set<MemoryCanTransport>();

  /** A new transport attached to this bus. */
  connect(): MemoryCanTransport {
    const t = new MemoryCanTransport(this);
    this.members.add(t);
    return t;
  }

  /** Simulates the loss of the bus (e.g. an adapter unplugged): every attached transport is lost. */
  fail(reason = 'memory bus failed'): void {
    for (const m of [...this.members]) m.hub.fail(new CanError('BB_CAN_CONNECTION_LOST', reason));
    this.members.clear();
  }

  /** @internal */
  relay(from: MemoryCanTransport, frame: CanFrame): void {
    for (const m of this.members) if (m !== from) m.hub.deliver(frame);
  }

  /** @internal */
  detach(t: MemoryCanTransport): void {
    this.members.delete(t);
  }
}

/** A {@link CanTransport} on a {@link MemoryCanBus}. */
export class MemoryCanTransport implements CanTransport {
  readonly kind = 'memory';
  /** @internal */
  readonly hub = new FrameHub();
  readonly lost: Promise<Error> = this.hub.lost;

  /** @param bus - the bus it is attached to. */
  constructor(private readonly bus: MemoryCanBus) {}

  /** @inheritdoc */
  async send(frame: CanFrame): Promise<void> {
    this.hub.assertOpen(this.kind);
    assertValidFrame(frame);
    this.bus.relay(this, { id: frame.id, extended: frame.extended, data: Uint8Array.from(frame.data) });
  }
  /** @inheritdoc */
  onFrame(listener: (frame: CanFrame) => void): () => void {
    return this.hub.onFrame(listener);
  }
  /** @inheritdoc */
  frames(): AsyncIterableIterator<CanFrame> {
    return this.hub.frames();
  }
  /** @inheritdoc */
  async close(): Promise<void> {
    this.bus.detach(this);
    this.hub.closeHub();
  }
}
