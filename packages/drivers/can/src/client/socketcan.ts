/**
 * A {@link CanTransport} on a Linux SocketCAN interface (e.g. `can0` of a PEAK PCAN-USB adapter,
 * safety-rig reference §3.1) through the npm `socketcan` native module. A thin adapter: the module
 * is imported lazily, so this package loads on machines without it (or without CAN in the kernel).
 *
 * Not exercised against a kernel here (the build machine has no CAN); its unit test uses a stand-in
 * module with the same surface. On the rig: `ip link set can0 up type can bitrate 500000`.
 */
import { noopLogger } from '@busbar/core';
import type { Logger } from '@busbar/core';
import { assertValidFrame } from '../codec/frame.js';
import type { CanFrame } from '../codec/frame.js';
import { CanError } from '../errors.js';
import { FrameHub } from './transport.js';
import type { CanTransport } from './transport.js';

/** The part of a `socketcan` RawChannel this adapter uses (socketcan 4.x). */
export interface RawChannelLike {
  addListener(event: 'onMessage', listener: (msg: { id: number; ext?: boolean; rtr?: boolean; data: Buffer; ts_sec?: number; ts_usec?: number }) => void): void;
  addListener(event: 'onStopped', listener: () => void): void;
  start(): void;
  stop(): void;
  send(msg: { id: number; ext: boolean; rtr: boolean; data: Buffer }): number | void;
}
/** The part of the `socketcan` module this adapter uses. */
export interface SocketcanModuleLike {
  createRawChannel(channel: string, timestamps?: boolean): RawChannelLike;
}

/** Options of {@link openSocketCan}. */
export interface SocketCanOptions {
  /** Interface name, e.g. `can0`. */
  readonly channel: string;
  /** Logger (context: channel). */
  readonly logger?: Logger;
  /** Loads the native module; defaults to `import('socketcan')`. Tests pass a stand-in. */
  readonly load?: () => Promise<SocketcanModuleLike>;
}

/**
 * Opens a raw SocketCAN channel.
 * @throws {CanError} `BB_CAN_SOCKETCAN_UNAVAILABLE` when the module does not load (not Linux, not
 *   installed) or the channel cannot be opened (no such interface, interface down).
 */
export async function openSocketCan(options: SocketCanOptions): Promise<SocketCanTransport> {
  const load = options.load ?? (async () => (await import('socketcan')) as unknown as SocketcanModuleLike);
  let mod: SocketcanModuleLike;
  try {
    mod = await load();
  } catch (err) {
    throw new CanError('BB_CAN_SOCKETCAN_UNAVAILABLE', `the npm module 'socketcan' did not load (Linux only; use the socketcand transport elsewhere): ${(err as Error).message}`, { cause: err, context: { channel: options.channel } });
  }
  let raw: RawChannelLike;
  try {
    raw = mod.createRawChannel(options.channel, true);
    const t = new SocketCanTransport(raw, options.channel, options.logger ?? noopLogger);
    raw.start();
    return t;
  } catch (err) {
    throw new CanError('BB_CAN_SOCKETCAN_UNAVAILABLE', `cannot open SocketCAN interface ${options.channel}: ${(err as Error).message}`, { cause: err, context: { channel: options.channel } });
  }
}

/** The native SocketCAN transport; create it with {@link openSocketCan}. */
export class SocketCanTransport implements CanTransport {
  readonly kind = 'socketcan';
  private readonly hub = new FrameHub();
  readonly lost: Promise<Error> = this.hub.lost;
  private closing = false;

  /** @internal use {@link openSocketCan}. */
  constructor(private readonly raw: RawChannelLike, private readonly channel: string, private readonly logger: Logger) {
    raw.addListener('onMessage', (msg) => {
      if (msg.rtr === true) return;
      const frame: CanFrame = { id: msg.id, extended: msg.ext === true, data: Uint8Array.from(msg.data), ...(msg.ts_sec === undefined ? {} : { timestampMs: msg.ts_sec * 1000 + (msg.ts_usec ?? 0) / 1000 }) };
      this.hub.deliver(frame);
    });
    raw.addListener('onStopped', () => {
      if (this.closing) return;
      this.logger.warn({ channel }, 'SocketCAN channel stopped');
      this.hub.fail(new CanError('BB_CAN_CONNECTION_LOST', `SocketCAN channel ${channel} stopped`, { retriable: true, context: { channel } }));
    });
  }

  /** @inheritdoc */
  async send(frame: CanFrame): Promise<void> {
    this.hub.assertOpen(this.kind);
    assertValidFrame(frame);
    try {
      this.raw.send({ id: frame.id, ext: frame.extended, rtr: false, data: Buffer.from(frame.data) });
    } catch (err) {
      throw new CanError('BB_CAN_CONNECTION_LOST', `SocketCAN send on ${this.channel} failed: ${(err as Error).message}`, { cause: err, context: { channel: this.channel } });
    }
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
    if (this.closing) return;
    this.closing = true;
    this.hub.closeHub();
    try {
      this.raw.stop();
    } catch {
      // already stopped
    }
  }
}
