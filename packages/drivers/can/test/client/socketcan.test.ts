import { describe, expect, it } from 'vitest';
import { openSocketCan } from '../../src/client/socketcan.js';
import type { RawChannelLike, SocketcanModuleLike } from '../../src/client/socketcan.js';
import type { CanFrame } from '../../src/codec/frame.js';

/** Stand-in for the native `socketcan` module (the kernel here has no CAN; see README). */
class FakeChannel implements RawChannelLike {
  readonly sent: Array<{ id: number; ext: boolean; rtr: boolean; data: Buffer }> = [];
  started = false;
  stopped = false;
  private readonly handlers: Record<string, Array<(arg?: unknown) => void>> = {};
  addListener(event: string, listener: (arg: never) => void): void {
    (this.handlers[event] ??= []).push(listener as (arg?: unknown) => void);
  }
  emit(event: string, arg?: unknown): void {
    for (const h of this.handlers[event] ?? []) h(arg);
  }
  start(): void {
    this.started = true;
  }
  stop(): void {
    this.stopped = true;
    this.emit('onStopped');
  }
  send(msg: { id: number; ext: boolean; rtr: boolean; data: Buffer }): void {
    this.sent.push(msg);
  }
}

function fakeModule(channel: FakeChannel, fail?: Error): () => Promise<SocketcanModuleLike> {
  return async () => ({
    createRawChannel: (name: string) => {
      if (fail !== undefined) throw fail;
      expect(name).toBe('can0');
      return channel;
    },
  });
}

describe('SocketCAN adapter (stand-in module)', () => {
  it('maps received messages to frames (timestamps, extended flag; remote frames skipped) and frames to sends', async () => {
    const ch = new FakeChannel();
    const t = await openSocketCan({ channel: 'can0', load: fakeModule(ch) });
    expect(ch.started).toBe(true);
    const got: CanFrame[] = [];
    t.onFrame((f) => got.push(f));
    ch.emit('onMessage', { id: 0x181, data: Buffer.from([1, 2]), ts_sec: 10, ts_usec: 500 });
    ch.emit('onMessage', { id: 0x0a100100, ext: true, data: Buffer.from([]) });
    ch.emit('onMessage', { id: 0x181, rtr: true, data: Buffer.from([]) });
    expect(got).toEqual([
      { id: 0x181, extended: false, data: Uint8Array.of(1, 2), timestampMs: 10000.5 },
      { id: 0x0a100100, extended: true, data: new Uint8Array(0) },
    ]);
    await t.send({ id: 0x080, extended: false, data: Uint8Array.of(0xff) });
    expect(ch.sent).toEqual([{ id: 0x080, ext: false, rtr: false, data: Buffer.from([0xff]) }]);
    await t.close();
    expect(ch.stopped).toBe(true);
    await expect(t.send({ id: 1, extended: false, data: new Uint8Array(0) })).rejects.toMatchObject({ code: 'BB_CAN_TRANSPORT_CLOSED' });
  });

  it('a channel that stops by itself is a loss', async () => {
    const ch = new FakeChannel();
    const t = await openSocketCan({ channel: 'can0', load: fakeModule(ch) });
    ch.emit('onStopped');
    expect(await t.lost).toMatchObject({ code: 'BB_CAN_CONNECTION_LOST', message: expect.stringContaining('can0') });
  });

  it('a module that does not load, or a channel that does not open, is BB_CAN_SOCKETCAN_UNAVAILABLE', async () => {
    await expect(openSocketCan({ channel: 'can0', load: () => Promise.reject(new Error('Cannot find module')) })).rejects.toMatchObject({ code: 'BB_CAN_SOCKETCAN_UNAVAILABLE', message: expect.stringContaining('did not load') });
    await expect(openSocketCan({ channel: 'can0', load: fakeModule(new FakeChannel(), new Error('Error while creating channel')) })).rejects.toMatchObject({ code: 'BB_CAN_SOCKETCAN_UNAVAILABLE', message: expect.stringContaining('cannot open SocketCAN interface can0') });
  });
});
