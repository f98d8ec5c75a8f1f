import { describe, expect, it } from 'vitest';
import { FrameHub } from '../../src/client/transport.js';
import type { CanFrame } from '../../src/codec/frame.js';

const f = (id: number): CanFrame => ({ id, extended: false, data: new Uint8Array(0) });

describe('FrameHub', () => {
  it('an iterator buffers from its creation, in order, and drops the oldest beyond its buffer (counted)', async () => {
    const hub = new FrameHub(3);
    hub.deliver(f(0)); // before the iterator: not seen by it
    const it = hub.frames();
    for (let i = 1; i <= 5; i++) hub.deliver(f(i));
    expect(hub.droppedFrames).toBe(2);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await it.next()).value as CanFrame).id);
    expect(ids).toEqual([3, 4, 5]);
  });

  it('for await ends on loss; lost resolves with the reason; later deliveries are ignored', async () => {
    const hub = new FrameHub();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const fr of hub.frames()) seen.push(fr.id);
    })();
    hub.deliver(f(1));
    hub.deliver(f(2));
    await Promise.resolve();
    const reason = new Error('gone');
    hub.fail(reason);
    hub.deliver(f(3));
    await loop;
    expect(seen).toEqual([1, 2]);
    expect(await hub.lost).toBe(reason);
    expect(() => hub.assertOpen('memory')).toThrow(expect.objectContaining({ code: 'BB_CAN_TRANSPORT_CLOSED', message: expect.stringContaining('lost (gone)') }));
  });

  it('breaking out of for-await detaches the iterator', async () => {
    const hub = new FrameHub();
    const it = hub.frames();
    hub.deliver(f(1));
    for await (const _ of it) break;
    hub.deliver(f(2));
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });
});
