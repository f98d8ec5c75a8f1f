import { describe, expect, it } from 'vitest';
import { MemoryCanBus } from '../../src/client/memory.js';
import { CanReceiver, startSyncSender } from '../../src/client/receiver.js';
import type { ReceivedMessage, StaleReport } from '../../src/client/receiver.js';
import { parseDbc } from '../../src/codec/dbc.js';
import { encodeFrame } from '../../src/codec/signals.js';
import type { CanFrame } from '../../src/codec/frame.js';
import { dbcText } from '../support/vectors.js';
import { FakeTime } from '../support/fake-time.js';

const dbc = parseDbc(dbcText('busbar_safety_rig_bmu.dbc'));
const pdo1 = (n: number, voltage = 47.3): CanFrame => encodeFrame(dbc, `BMU${String(n).padStart(2, '0')}_pdo1`, { CMA_Current: -1.5, CMA_Voltage: voltage, Min_Cell_Voltage: 3.3, Max_Cell_Voltage: 3.4, CMA_Min_Temp: 20, CMA_Max_Temp: 25 });

function setup(options: Partial<ConstructorParameters<typeof CanReceiver>[0]> = {}) {
  const time = new FakeTime();
  const bus = new MemoryCanBus();
  const bms = bus.connect();
  const us = bus.connect();
  const rx = new CanReceiver({ transport: us, dbc, clock: time.clock, scheduler: time, staleAfterMs: 500, bmuStaleAfterMs: 1000, ...options });
  const events: Array<[string, unknown]> = [];
  rx.on('message', (m) => events.push(['message', `${m.message.name}@${m.nodeId ?? '-'}/${m.pdo ?? '-'}`]));
  rx.on('stale', (r) => events.push(['stale', r]));
  rx.on('resumed', (r) => events.push(['resumed', r.message]));
  rx.on('bmu-discovered', (n, id) => events.push(['bmu-discovered', [n, id]]));
  rx.on('bmu-stale', (r) => events.push(['bmu-stale', r]));
  rx.on('bmu-resumed', (r) => events.push(['bmu-resumed', r.nodeId]));
  rx.on('error', (e, f) => events.push(['error', [e.code, f.id]]));
  return { time, bms, us, rx, events };
}

describe('CanReceiver', () => {
  it('decodes as frames arrive, discovers BMUs by id range (node id = COB-ID − PDO base), counts unknown ids', async () => {
    const { bms, rx, events } = setup();
    await bms.send(pdo1(3));
    await bms.send({ id: 0x293 + 0, extended: false, data: new Uint8Array(8) }); // BMU03 pdo6
    await bms.send(pdo1(12));
    await bms.send({ id: 0x7e0, extended: false, data: new Uint8Array(8) }); // not in the DBC
    expect(events.filter(([k]) => k !== 'message')).toEqual([['bmu-discovered', [3, 0x183]], ['bmu-discovered', [12, 0x18c]]]);
    expect(events.filter(([k]) => k === 'message').map(([, v]) => v)).toEqual(['BMU03_pdo1@3/1', 'BMU03_pdo6@3/6', 'BMU12_pdo1@12/1']);
    expect(rx.bmus()).toEqual([3, 12]);
    expect(rx.unknownFrames).toBe(1);
    expect(rx.decodedFrames).toBe(3);
  });

  it('gives physical values and arrival time', async () => {
    const { bms, rx, time } = setup();
    const got: ReceivedMessage[] = [];
    rx.on('message', (m) => got.push(m));
    await bms.send(pdo1(1, 48.5));
    expect(got[0]?.values.CMA_Voltage).toBeCloseTo(48.5, 10);
    expect(got[0]?.receivedAtMs).toBe(time.clock.nowMs());
  });

  it('reports a BMU that stops sending with its id and age, once, then its resumption', async () => {
    const { bms, time, events } = setup();
    await bms.send(pdo1(2));
    time.advance(300);
    await bms.send(pdo1(2));
    time.advance(499);
    expect(events.some(([k]) => k === 'stale')).toBe(false);
    time.advance(1);
    const stale = events.find(([k]) => k === 'stale')?.[1] as StaleReport;
    expect(stale).toMatchObject({ message: 'BMU02_pdo1', id: 0x182, extended: false, nodeId: 2, ageMs: 500 });
    time.advance(500);
    const bmuStale = events.find(([k]) => k === 'bmu-stale')?.[1] as StaleReport;
    expect(bmuStale).toMatchObject({ nodeId: 2, id: 0x182, ageMs: 1000 });
    time.advance(10_000);
    expect(events.filter(([k]) => k === 'stale' || k === 'bmu-stale')).toHaveLength(2);
    await bms.send(pdo1(2));
    expect(events.slice(-3).map(([k]) => k)).toEqual(['bmu-resumed', 'resumed', 'message']);
  });

  it('a quiet bus blocks nothing: no frame, no timer, no event; SYNC (which we send) is not watched', async () => {
    const { time, events, bms } = setup();
    time.advance(60_000);
    expect(events).toEqual([]);
    expect(time.pending).toBe(0);
    await bms.send(encodeFrame(dbc, 'SYNC', { Sync_Count: 255 }));
    time.advance(60_000);
    expect(events).toEqual([['message', 'SYNC@-/-']]);
  });

  it('default limits: 3 × GenMsgCycleTime when the DBC gives one, else 2000 ms', async () => {
    const { bms, time, events } = setup({ staleAfterMs: undefined, unwatchedIds: [] });
    await bms.send(encodeFrame(dbc, 'SYNC', { Sync_Count: 255 })); // cycle 100 ms in our DBC
    await bms.send(pdo1(1));
    time.advance(299);
    expect(events.filter(([k]) => k === 'stale')).toHaveLength(0);
    time.advance(1);
    expect((events.find(([k]) => k === 'stale')?.[1] as StaleReport).message).toBe('SYNC');
    time.advance(1699);
    expect(events.filter(([k]) => k === 'stale')).toHaveLength(1);
    time.advance(1);
    expect((events.filter(([k]) => k === 'stale')[1]?.[1] as StaleReport).message).toBe('BMU01_pdo1');
  });

  it('a frame of the wrong length is an error event, and reception goes on', async () => {
    const { bms, events } = setup();
    await bms.send({ id: 0x181, extended: false, data: new Uint8Array(4) });
    await bms.send(pdo1(1));
    expect(events.map(([k, v]) => (k === 'error' ? [k, v] : k))).toEqual(['bmu-discovered', ['error', ['BB_CAN_FRAME_LENGTH', 0x181]], 'message']);
  });

  it('stop cancels timers and detaches', async () => {
    const { bms, rx, time, events } = setup();
    await bms.send(pdo1(1));
    rx.stop();
    expect(time.pending).toBe(0);
    await bms.send(pdo1(1));
    time.advance(10_000);
    expect(events.filter(([k]) => k === 'message')).toHaveLength(1);
  });

  it('refuses bad configuration', () => {
    const bus = new MemoryCanBus();
    expect(() => new CanReceiver({ transport: bus.connect(), dbc, nodes: { minNode: 1, maxNode: 17 } })).toThrow(expect.objectContaining({ code: 'BB_CAN_INVALID_ARGUMENT', message: expect.stringContaining('overlap') }));
    expect(() => new CanReceiver({ transport: bus.connect(), dbc, staleAfterMs: 0 })).toThrow(expect.objectContaining({ code: 'BB_CAN_INVALID_ARGUMENT' }));
  });
});

describe('startSyncSender', () => {
  it('sends 0x080 [FF] every period on the injected scheduler and stops', async () => {
    const time = new FakeTime();
    const bus = new MemoryCanBus();
    const rx: CanFrame[] = [];
    bus.connect().onFrame((f) => rx.push(f));
    const sync = startSyncSender({ transport: bus.connect(), periodMs: 100, scheduler: time });
    const flush = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    await flush();
    for (let i = 0; i < 3; i++) {
      time.advance(100);
      await flush();
    }
    expect(rx).toEqual(Array(4).fill({ id: 0x080, extended: false, data: Uint8Array.of(0xff) }));
    expect(sync.sent()).toBe(4);
    sync.stop();
    time.advance(1000);
    await flush();
    expect(rx).toHaveLength(4);
    expect(time.pending).toBe(0);
  });

  it('stops when the transport is lost', async () => {
    const time = new FakeTime();
    const bus = new MemoryCanBus();
    const t = bus.connect();
    const sync = startSyncSender({ transport: t, periodMs: 50, scheduler: time });
    bus.fail();
    await t.lost;
    for (let i = 0; i < 5; i++) await Promise.resolve();
    time.advance(500);
    expect(time.pending).toBe(0);
    expect(sync.sent()).toBe(1);
    expect(() => startSyncSender({ transport: t, periodMs: 0 })).toThrow(expect.objectContaining({ code: 'BB_CAN_INVALID_ARGUMENT' }));
  });
});
