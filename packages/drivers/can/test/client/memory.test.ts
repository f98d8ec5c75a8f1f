import { describe, expect, it } from 'vitest';
import { MemoryCanBus } from '../../src/client/memory.js';
import type { CanFrame } from '../../src/codec/frame.js';

describe('MemoryCanBus', () => {
  it('delivers a frame to every other member, not the sender, to listeners and iterators', async () => {
    const bus = new MemoryCanBus();
    const a = bus.connect();
    const b = bus.connect();
    const c = bus.connect();
    const gotB: CanFrame[] = [];
    const gotA: CanFrame[] = [];
    b.onFrame((f) => gotB.push(f));
    a.onFrame((f) => gotA.push(f));
    const it = c.frames();
    await a.send({ id: 0x181, extended: false, data: Uint8Array.of(1, 2) });
    expect(gotA).toEqual([]);
    expect(gotB).toEqual([{ id: 0x181, extended: false, data: Uint8Array.of(1, 2) }]);
    expect((await it.next()).value).toEqual({ id: 0x181, extended: false, data: Uint8Array.of(1, 2) });
  });

  it('refuses invalid frames and sends after close', async () => {
    const bus = new MemoryCanBus();
    const a = bus.connect();
    await expect(a.send({ id: 0x800, extended: false, data: new Uint8Array(0) })).rejects.toMatchObject({ code: 'BB_CAN_FRAME_INVALID' });
    await a.close();
    await a.close();
    await expect(a.send({ id: 1, extended: false, data: new Uint8Array(0) })).rejects.toMatchObject({ code: 'BB_CAN_TRANSPORT_CLOSED' });
  });

  it('close ends iterators without settling lost; a bus failure settles lost and ends iterators', async () => {
    const bus = new MemoryCanBus();
    const a = bus.connect();
    const b = bus.connect();
    const itA = a.frames();
    const pending = itA.next();
    await a.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    let settled = false;
    void a.lost.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    const itB = b.frames();
    const waiting = itB.next();
    bus.fail('adapter unplugged');
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(await b.lost).toMatchObject({ code: 'BB_CAN_CONNECTION_LOST', message: 'adapter unplugged' });
  });

  it('a throwing listener does not stop the others', async () => {
    const bus = new MemoryCanBus();
    const a = bus.connect();
    const b = bus.connect();
    const seen: number[] = [];
    b.onFrame(() => {
      throw new Error('listener bug');
    });
    const off = b.onFrame((f) => seen.push(f.id));
    await a.send({ id: 5, extended: false, data: new Uint8Array(0) });
    off();
    await a.send({ id: 6, extended: false, data: new Uint8Array(0) });
    expect(seen).toEqual([5]);
  });
});
