import { describe, expect, it, vi } from 'vitest';
import type { Alert } from '@busbar/avro';
import { BusbarError, ManualClock, isBusbarError } from '@busbar/core';
import type { BatchControl } from '@busbar/kafka';
import { createReadingsHandler } from '../src/handler.js';
import type { BatchWrite, BatchWriter, RuleStateStore } from '../src/handler.js';
import { decodeStateRecord } from '../src/rule-state/record.js';
import type { ThresholdRule } from '../src/rules/threshold.js';
import { alerterConfigSchema } from '../src/index.js';
import { enginesOf } from '../src/config.js';
import { consumed, deviceEvent, stateReading } from './support/events.js';
import { RecordingMetrics } from './support/recording-metrics.js';
import { countingControl, reading } from './support/readings.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };

/**
 * The state topic as the handler sees it: per partition, the latest value of each key (a compacted
 * topic), records decoded by the real codec on load. `hold` makes the next load wait until released.
 */
function memoryStore(log: string[] = []): RuleStateStore & { partitions: Map<number, Map<string, Buffer>>; hold?: { released: Promise<void> } } {
  const store = {
    partitions: new Map<number, Map<string, Buffer>>(),
    hold: undefined as { released: Promise<void> } | undefined,
    async load(partition: number) {
      log.push(`load:${partition}`);
      if (store.hold) await store.hold.released;
      return [...(store.partitions.get(partition) ?? new Map<string, Buffer>())].map(([k, v]) => decodeStateRecord(k, v));
    },
  };
  return store;
}

/**
 * A transactional writer over `store`: fails its first `failures` writes (nothing applied), then
 * applies each write whole — alerts kept in `committed`, state changes in the store, offsets in
 * `offsets` — logging every step.
 */
function memoryWriter(store: ReturnType<typeof memoryStore> | undefined, failures: number, log: string[]): BatchWriter & { committed: Alert[][]; offsets: NonNullable<BatchWrite['offset']>[] } {
  let calls = 0;
  const w = {
    committed: [] as Alert[][],
    offsets: [] as NonNullable<BatchWrite['offset']>[],
    write(batch: BatchWrite): Promise<void> {
      calls++;
      if (calls <= failures) {
        log.push(`write#${calls} failed`);
        return Promise.reject(new Error('broker unavailable'));
      }
      if (batch.alerts.length > 0) w.committed.push([...batch.alerts]);
      if (batch.offset) w.offsets.push(batch.offset);
      for (const c of batch.state) {
        const rows = store?.partitions.get(c.partition) ?? new Map<string, Buffer>();
        store?.partitions.set(c.partition, rows);
        if (c.value === null) rows.delete(c.key);
        else rows.set(c.key, c.value);
      }
      const kind = (v: Buffer | null): string => (v === null ? 'tombstone' : v.toString('utf8').includes('"severity"') ? 'firing' : 'waiting');
      log.push(`write#${calls}:${batch.alerts.map((a) => `${a.state}:${a.severity}`).join(',')}|state:${batch.state.map((c) => `${c.partition}:${c.key}:${kind(c.value)}`).join(',')}|offset:${batch.offset ? `${batch.offset.partition}@${batch.offset.offset}` : 'none'}`);
      return Promise.resolve();
    },
  };
  return w;
}

const on = (partition: number, r: ReturnType<typeof reading>): ReturnType<typeof reading> => ({ ...r, partition });
const at = (partition: number, offset: string): BatchControl => ({ ...countingControl(), nextOffset: { topic: 'busbar.readings.v1', partition, offset } });

describe('alerter > handler', () => {
  it('loses no alert when the write fails once: nothing applied, the redelivered batch writes the same transition', async () => {
    const log: string[] = [];
    const w = memoryWriter(undefined, 1, log);
    const metrics = new RecordingMetrics();
    const handle = createReadingsHandler({ rules: [rule], writer: w, metrics });
    const batch = [reading(40, 1000, 'psu-1', 0), reading(95, 2000, 'psu-1', 1)];

    await expect(handle(batch, countingControl())).rejects.toThrow('broker unavailable');
    expect(w.committed).toEqual([]);
    expect(metrics.count('busbar_alerter_transitions_total')).toBe(0);

    expect(await handle(batch, countingControl())).toEqual({ committed: true }); // the consumer redelivers the uncommitted batch
    const [alert] = w.committed[0]!;
    expect(alert).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', device_id: 'psu-1', value: 95, threshold: 80 });
    expect(metrics.count('busbar_alerter_transitions_total', { state: 'FIRING', severity: 'CRITICAL' })).toBe(1);

    // once applied, a later batch still beyond the bound is quiet (committed by the consumer), and the resolve shares the id
    expect(await handle([reading(96, 3000, 'psu-1', 2)], countingControl())).toBeUndefined();
    await handle([reading(40, 4000, 'psu-1', 3)], countingControl());
    expect(w.committed.map((b) => b.map((a) => a.state))).toEqual([['FIRING'], ['RESOLVED']]);
    expect(w.committed[1]![0]!.alert_id).toBe(alert!.alert_id);
  });

  it('writes the batch\'s alerts, state and readings offset in one write', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    const w = memoryWriter(store, 0, log);
    const handle = createReadingsHandler({ rules: [rule], writer: w, state: store });
    await handle([on(3, reading(95, 1000, 'psu-2', 41))], at(3, '42'));
    expect(log).toEqual(['load:3', 'write#1:FIRING:CRITICAL|state:3:psu-temp|psu-2|:firing|offset:3@42']);
  });

  it('keeps a failed batch’s for-duration progress out of the state, so the redelivery counts it from the same reading', async () => {
    const w = memoryWriter(undefined, 1, []);
    const handle = createReadingsHandler({ rules: [{ ...rule, forMs: 5000 }], writer: w });
    const batch = [reading(95, 0, 'psu-1', 0), reading(95, 5000, 'psu-1', 1)];
    await expect(handle(batch, countingControl())).rejects.toThrow();
    await handle(batch, countingControl());
    expect(w.committed).toEqual([[expect.objectContaining({ state: 'FIRING', severity: 'CRITICAL', timestamp: new Date(5000) })]]);
  });

  it('heartbeats while the write waits', async () => {
    let commit: () => void = () => {};
    const writer: BatchWriter = { write: () => new Promise<void>((resolve) => (commit = resolve)) };
    const handle = createReadingsHandler({ rules: [rule], writer, heartbeatIntervalMs: 1000 });
    const control = countingControl();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let done: Promise<unknown>;
    try {
      done = handle([reading(95, 1000)], control);
      await vi.advanceTimersByTimeAsync(10_500);
    } finally {
      vi.useRealTimers();
    }
    expect(control.heartbeats).toBe(10);
    commit();
    expect(await done).toEqual({ committed: true });
  });

  it('ignores devices the rule does not select and values it cannot read', async () => {
    const log: string[] = [];
    const handle = createReadingsHandler({ rules: [rule], writer: memoryWriter(undefined, 0, log) });
    expect(await handle([reading(95, 1000, 'chamber-1'), reading(Number.NaN, 2000)], countingControl())).toBeUndefined();
    expect(log).toEqual([]);
  });
});

describe('alerter > handler > rule state across restarts and partition moves', () => {
  it('a new process with the same state fires nothing again, and resolves under the same alert id', async () => {
    const store = memoryStore();
    const first = memoryWriter(store, 0, []);
    await createReadingsHandler({ rules: [rule], writer: first, state: store })([reading(95, 1000)], countingControl());
    const fired = first.committed[0]![0]!;

    const after = memoryWriter(store, 0, []); // the restarted alerter
    const handle = createReadingsHandler({ rules: [rule], writer: after, state: store });
    await handle([reading(97, 2000, 'psu-1', 1)], countingControl()); // still beyond: no second FIRING
    await handle([reading(40, 3000, 'psu-1', 2)], countingControl());
    expect(after.committed).toEqual([[expect.objectContaining({ state: 'RESOLVED', alert_id: fired.alert_id, severity: 'CRITICAL' })]]);
    expect(store.partitions.get(0)?.size).toBe(0); // resolved: tombstoned
  });

  it('resolves at the first reading after a restart when the value recovered while no alerter ran', async () => {
    const store = memoryStore();
    const first = memoryWriter(store, 0, []);
    await createReadingsHandler({ rules: [rule], writer: first, state: store })([reading(95, 1000)], countingControl());
    const after = memoryWriter(store, 0, []);
    await createReadingsHandler({ rules: [rule], writer: after, state: store })([reading(30, 60_000, 'psu-1', 1)], countingControl());
    expect(after.committed.flat().map((a) => [a.state, a.alert_id])).toEqual([['RESOLVED', first.committed[0]![0]!.alert_id]]);
  });

  it('keeps the episode of a WARNING across a restart: its escalation and RESOLVED share the id', async () => {
    const store = memoryStore();
    const first = memoryWriter(store, 0, []);
    await createReadingsHandler({ rules: [rule], writer: first, state: store })([reading(65, 1000)], countingControl());
    const after = memoryWriter(store, 0, []);
    const handle = createReadingsHandler({ rules: [rule], writer: after, state: store });
    await handle([reading(66, 2000, 'psu-1', 1), reading(85, 3000, 'psu-1', 2), reading(50, 4000, 'psu-1', 3)], countingControl());
    const id = first.committed[0]![0]!.alert_id;
    expect(after.committed.flat().map((a) => `${a.state}:${a.severity}:${a.alert_id === id}`)).toEqual(['FIRING:CRITICAL:true', 'RESOLVED:CRITICAL:true']);
  });

  it('starts a new episode with a new id after a resolved one, across a restart', async () => {
    const store = memoryStore();
    const first = memoryWriter(store, 0, []);
    await createReadingsHandler({ rules: [rule], writer: first, state: store })([reading(95, 1000), reading(40, 2000, 'psu-1', 1)], countingControl());
    const after = memoryWriter(store, 0, []);
    await createReadingsHandler({ rules: [rule], writer: after, state: store })([reading(95, 3000, 'psu-1', 2)], countingControl());
    expect(after.committed.flat().map((a) => a.state)).toEqual(['FIRING']);
    expect(after.committed[0]![0]!.alert_id).not.toBe(first.committed[0]![0]!.alert_id);
  });

  it('a batch replayed by the next owner after a failed write yields the same transition and id; nothing was applied by the failure', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    const killed = memoryWriter(store, 1, log); // the owner's transaction never committed (it was killed)
    const batch = [reading(95, 1000)];
    await expect(createReadingsHandler({ rules: [rule], writer: killed, state: store })(batch, countingControl())).rejects.toThrow();
    const survivor = memoryWriter(store, 0, log);
    await createReadingsHandler({ rules: [rule], writer: survivor, state: store })(batch, countingControl());
    expect(log).toEqual(['load:0', 'write#1 failed', 'load:0', 'write#1:FIRING:CRITICAL|state:0:psu-temp|psu-1|:firing|offset:0@1']);
  });

  it('after a write whose commit got no answer (BB_ALERTER_WRITE_OUTCOME_UNKNOWN), forgets what it knew and loads the committed state again before the next batch', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    const w = memoryWriter(store, 0, log);
    const handle = createReadingsHandler({ rules: [rule], writer: { write: async (b) => { await w.write(b); throw new BusbarError('BB_ALERTER_WRITE_OUTCOME_UNKNOWN', 'answer lost'); } }, state: store });
    await expect(handle([reading(95, 1000)], countingControl())).rejects.toThrow('answer lost');
    // the transaction did commit: the next batch is evaluated from the committed state — no second FIRING
    await expect(handle([reading(96, 2000, 'psu-1', 1)], countingControl())).resolves.toBeUndefined();
    expect(log.filter((l) => l.startsWith('load:'))).toEqual(['load:0', 'load:0']);
    expect(w.committed.flat().map((a) => a.state)).toEqual(['FIRING']);
  });

  it('writes each series to the partition its readings came from, one record per series and batch', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    const handle = createReadingsHandler({ rules: [rule], writer: memoryWriter(store, 0, log), state: store });
    await handle([on(2, reading(65, 1000, 'psu-7')), on(2, reading(90, 2000, 'psu-7', 1))], at(2, '2'));
    expect(log).toEqual(['load:2', 'write#1:FIRING:WARNING,FIRING:CRITICAL|state:2:psu-temp|psu-7|:firing|offset:2@2']); // WARNING then CRITICAL: the last one is the state
    expect(decodeStateRecord('psu-temp|psu-7|', store.partitions.get(2)!.get('psu-temp|psu-7|')!)).toMatchObject({ severity: 'CRITICAL', episode: 1 });
  });

  it('after a rebalance, forgets what it knew and loads the partition again: what the other member wrote counts', async () => {
    const store = memoryStore();
    const a = memoryWriter(store, 0, []);
    const memberA = createReadingsHandler({ rules: [rule], writer: a, state: store });
    await memberA([reading(95, 1000)], countingControl());
    // partition 0 moves to member B, which sees the value recover; then it moves back to A
    const b = memoryWriter(store, 0, []);
    memberA.reassigned();
    const memberB = createReadingsHandler({ rules: [rule], writer: b, state: store });
    await memberB([reading(40, 2000, 'psu-1', 1)], countingControl());
    memberA.reassigned();
    await memberA([reading(95, 3000, 'psu-1', 2)], countingControl());
    expect(b.committed.flat().map((x) => [x.state, x.alert_id])).toEqual([['RESOLVED', a.committed[0]![0]!.alert_id]]);
    // A fires a new episode: without the reload it would still think the first one was firing and stay silent
    expect(a.committed.flat().map((x) => x.state)).toEqual(['FIRING', 'FIRING']);
    expect(a.committed[1]![0]!.alert_id).not.toBe(a.committed[0]![0]!.alert_id);
  });

  it('refuses a batch whose state load was overtaken by a rebalance (BB_ALERTER_STATE_REASSIGNED), then loads again', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    let release: () => void = () => {};
    store.hold = { released: new Promise<void>((r) => (release = r)) };
    const handle = createReadingsHandler({ rules: [rule], writer: memoryWriter(store, 0, log), state: store });
    const pending = handle([reading(95, 1000)], countingControl()).then(() => 'resolved', (err: unknown) => (isBusbarError(err) ? err.code : String(err)));
    handle.reassigned();
    release();
    expect(await pending).toBe('BB_ALERTER_STATE_REASSIGNED');
    store.hold = undefined;
    await handle([reading(95, 1000)], countingControl());
    expect(log).toEqual(['load:0', 'load:0', 'write#1:FIRING:CRITICAL|state:0:psu-temp|psu-1|:firing|offset:0@1']);
  });
});

describe('alerter > handler > device events and timers', () => {
  const EVENTS = 'busbar.device-events.v1';
  const READINGS = 'busbar.readings.v1';
  const engines = () => enginesOf(alerterConfigSchema.parse({
    kafka: { brokers: ['127.0.0.1:9092'] },
    rules: [
      { type: 'disconnect', id: 'down', devices: ['plc-*'], forMs: 30_000 },
      { type: 'no_data', id: 'silent', devices: ['arbin-*'], timeoutMs: 30_000 },
    ],
  }));
  const make = (store: ReturnType<typeof memoryStore>, clock: ManualClock, writer: BatchWriter) =>
    createReadingsHandler({ engines: engines(), eventsTopic: EVENTS, writer, state: store, clock });

  it('routes events to event rules and readings to reading rules; a tick fires a lasting disconnect, CONNECTED resolves it', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    const clock = new ManualClock(1_000_000);
    const w = memoryWriter(store, 0, log);
    const handle = make(store, clock, w);
    await handle([consumed(deviceEvent('DISCONNECTED', 1_000_000), EVENTS, 1), consumed(stateReading({ voltage_v: 3.7 }, 1_000_000, 'arbin-1'), READINGS, 0)], countingControl());
    expect(log).toEqual(['load:1', 'load:0', 'write#1:|state:1:down|plc-1|:waiting,0:silent|arbin-1|:waiting|offset:0@1']);
    clock.advance(29_000);
    await handle.tick();
    expect(w.committed).toEqual([]);
    clock.advance(1_000);
    await handle.tick(); // both deadlines: plc-1 disconnected 30 s, arbin-1 silent 30 s
    expect(w.committed.flat().map((a) => `${a.rule}:${a.state}:${a.signal}:${a.timestamp.getTime()}`)).toEqual(['down:FIRING:disconnected_s:1030000', 'silent:FIRING:staleness_s:1030000']);
    expect(log.at(-1)).toMatch(/\|offset:none$/); // a tick consumes nothing: no offsets in its transaction
    clock.advance(5_000);
    await handle([consumed(deviceEvent('CONNECTED', 1_035_000), EVENTS, 1, 1)], countingControl());
    expect(w.committed.flat().map((a) => `${a.rule}:${a.state}`)).toEqual(['down:FIRING', 'silent:FIRING', 'down:RESOLVED']);
    expect([...(store.partitions.get(1)?.keys() ?? [])]).toEqual([]); // resolved disconnect: nothing left to remember
  });

  it('applies nothing when a tick cannot write; the next tick sends the same alert id', async () => {
    const store = memoryStore();
    const clock = new ManualClock(0);
    const w = memoryWriter(store, 1, []);
    const handle = make(store, clock, { write: (b) => (b.alerts.length > 0 ? w.write(b) : memoryWriter(store, 0, []).write(b)) });
    await handle([consumed(stateReading({ voltage_v: 3.7 }, 0, 'arbin-1'), READINGS, 0)], countingControl());
    clock.advance(31_000);
    await expect(handle.tick()).rejects.toThrow('broker unavailable');
    clock.advance(1_000);
    await handle.tick();
    expect(w.committed.flat().map((a) => [a.state, a.timestamp.getTime()])).toEqual([['FIRING', 30_000]]);
    const id = w.committed[0]![0]!.alert_id;
    await handle([consumed(stateReading({ voltage_v: 3.7 }, 40_000, 'arbin-1'), READINGS, 0, 1)], countingControl());
    expect(w.committed.flat().map((a) => [a.state, a.alert_id])).toEqual([['FIRING', id], ['RESOLVED', id]]);
  });

  it('across a restart: a device silent through it still fires, counted from the load; no second FIRING after the next restart; RESOLVED keeps the id', async () => {
    const store = memoryStore();
    const clock = new ManualClock(0);
    await make(store, clock, memoryWriter(store, 0, []))([consumed(stateReading({ voltage_v: 3.7 }, 0, 'arbin-1'), READINGS, 0)], countingControl());
    // the process dies; the device goes silent; a new process starts at t = 100 s and gets partition 0 but no batch
    clock.set(100_000);
    const second = memoryWriter(store, 0, []);
    const b = make(store, clock, second);
    b.reassigned({ readings: [0], events: [] });
    await b.tick(); // loads partition 0 eagerly
    clock.set(129_999);
    await b.tick();
    expect(second.committed).toEqual([]);
    clock.set(130_000);
    await b.tick();
    expect(second.committed.flat().map((a) => a.state)).toEqual(['FIRING']);
    // another restart while it fires: nothing again, and the next reading resolves it under the same id
    clock.set(200_000);
    const third = memoryWriter(store, 0, []);
    const c = make(store, clock, third);
    c.reassigned({ readings: [0], events: [] });
    await c.tick();
    clock.set(400_000);
    await c.tick();
    expect(third.committed).toEqual([]);
    await c([consumed(stateReading({ voltage_v: 3.7 }, 400_000, 'arbin-1'), READINGS, 0, 1)], countingControl());
    expect(third.committed.flat().map((a) => [a.state, a.alert_id])).toEqual([['RESOLVED', second.committed[0]![0]!.alert_id]]);
  });

  it('across a restart: a DISCONNECTED whose deadline passed while no alerter ran fires at its original deadline', async () => {
    const store = memoryStore();
    const clock = new ManualClock(10_000);
    await make(store, clock, memoryWriter(store, 0, []))([consumed(deviceEvent('DISCONNECTED', 10_000), EVENTS, 1)], countingControl());
    clock.set(300_000);
    const w = memoryWriter(store, 0, []);
    const b = make(store, clock, w);
    b.reassigned({ readings: [], events: [1] });
    await b.tick();
    expect(w.committed.flat().map((a) => [a.rule, a.state, a.timestamp.getTime()])).toEqual([['down', 'FIRING', 40_000]]);
  });
});
