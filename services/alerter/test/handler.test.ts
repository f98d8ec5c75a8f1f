import { describe, expect, it, vi } from 'vitest';
import type { Alert } from '@busbar/avro';
import { ManualClock, isBusbarError } from '@busbar/core';
import { createReadingsHandler } from '../src/handler.js';
import type { RuleStateStore, StateChange } from '../src/handler.js';
import { decodeStateRecord } from '../src/rule-state/record.js';
import type { ThresholdRule } from '../src/rules/threshold.js';
import { alerterConfigSchema } from '../src/index.js';
import { enginesOf } from '../src/config.js';
import { consumed, deviceEvent, stateReading } from './support/events.js';
import { RecordingMetrics } from './support/recording-metrics.js';
import { countingControl, reading } from './support/readings.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };

/** A publisher that fails its first `failures` calls, then acknowledges; logs every step in `log`. */
function flakyPublisher(failures: number, log: string[]): { publish: (alerts: readonly Alert[]) => Promise<void>; acked: Alert[][] } {
  let calls = 0;
  const acked: Alert[][] = [];
  return {
    acked,
    publish: (alerts) => {
      calls++;
      log.push(`publish#${calls}`);
      if (calls <= failures) return Promise.reject(new Error('broker unavailable'));
      acked.push([...alerts]);
      log.push(`acked:${alerts.map((a) => `${a.state}:${a.severity}`).join(',')}`);
      return Promise.resolve();
    },
  };
}

/** Records what the handler hands to the outbox (`notify`), as the outbox's `enqueue` would. */
function recordingOutbox(log: string[]): { notify: (alerts: readonly Alert[]) => void; sent: Alert[] } {
  const sent: Alert[] = [];
  return {
    sent,
    notify: (alerts) => {
      for (const a of alerts) {
        sent.push(a);
        log.push(`outbox:${a.state}:${a.severity}`);
      }
    },
  };
}

describe('alerter > handler', () => {
  it('loses no alert when publishing fails once: the redelivered batch publishes it, then notifies once', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(1, log);
    const mail = recordingOutbox(log);
    const metrics = new RecordingMetrics();
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: mail.notify, metrics });
    const batch = [reading(40, 1000, 'psu-1', 0), reading(95, 2000, 'psu-1', 1)];

    await expect(handle(batch, countingControl())).rejects.toThrow('broker unavailable');
    expect(mail.sent).toEqual([]); // nothing notified for an unacknowledged record
    expect(metrics.count('busbar_alerter_transitions_total')).toBe(0);

    await handle(batch, countingControl()); // the consumer redelivers the uncommitted batch
    expect(pub.acked).toHaveLength(1);
    const [alert] = pub.acked[0]!;
    expect(alert).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', device_id: 'psu-1', value: 95, threshold: 80 });
    expect(mail.sent).toEqual([alert]);
    expect(log).toEqual(['publish#1', 'publish#2', 'acked:FIRING:CRITICAL', 'outbox:FIRING:CRITICAL']);
    expect(metrics.count('busbar_alerter_transitions_total', { state: 'FIRING', severity: 'CRITICAL' })).toBe(1);

    // once applied, a later batch still beyond the bound is quiet, and the resolve shares the id
    await handle([reading(96, 3000, 'psu-1', 2)], countingControl());
    await handle([reading(40, 4000, 'psu-1', 3)], countingControl());
    expect(pub.acked.map((b) => b.map((a) => a.state))).toEqual([['FIRING'], ['RESOLVED']]);
    expect(pub.acked[1]![0]!.alert_id).toBe(alert!.alert_id);
    expect(mail.sent.map((a) => a.state)).toEqual(['FIRING', 'RESOLVED']);
  });

  it('keeps a failed batch’s for-duration progress out of the state, so the redelivery counts it from the same reading', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(1, log);
    const handle = createReadingsHandler({ rules: [{ ...rule, forMs: 5000 }], publish: pub.publish, notify: () => undefined });
    const batch = [reading(95, 0, 'psu-1', 0), reading(95, 5000, 'psu-1', 1)];
    await expect(handle(batch, countingControl())).rejects.toThrow();
    await handle(batch, countingControl());
    expect(pub.acked).toEqual([[expect.objectContaining({ state: 'FIRING', severity: 'CRITICAL', timestamp: new Date(5000) })]]);
  });

  it('records the notifications in the outbox only after the Alert record was acknowledged', async () => {
    const log: string[] = [];
    let ack: () => void = () => {};
    const mail = recordingOutbox(log);
    const handle = createReadingsHandler({
      rules: [rule],
      publish: () => new Promise<void>((resolve) => {
        log.push('publish');
        ack = () => {
          log.push('acked');
          resolve();
        };
      }),
      notify: mail.notify,
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // any retry or notification timer runs on virtual time
    let done: Promise<void>;
    try {
      done = handle([reading(95, 1000)], countingControl());
      await vi.advanceTimersByTimeAsync(60_000); // a minute without the acknowledgement: still nothing notified
    } finally {
      vi.useRealTimers();
    }
    expect(log).toEqual(['publish']);
    ack();
    await done;
    expect(log).toEqual(['publish', 'acked', 'outbox:FIRING:CRITICAL']);
  });

  it('ignores devices the rule does not select and values it cannot read', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(0, log);
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: (a) => void log.push(`outbox:${a.length}`) });
    const nan = reading(Number.NaN, 2000);
    await handle([reading(95, 1000, 'chamber-1'), nan], countingControl());
    expect(log).toEqual([]);
  });

  it('throws (batch redelivered, state untouched) when the notifications cannot be recorded', async () => {
    const log: string[] = [];
    const pub = flakyPublisher(0, log);
    let outboxBroken = true;
    const mail = recordingOutbox(log);
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: (a) => {
      if (outboxBroken) throw new Error('disk full');
      mail.notify(a);
    } });
    const batch = [reading(95, 1000, 'psu-1', 0)];
    await expect(handle(batch, countingControl())).rejects.toThrow('disk full');
    outboxBroken = false;
    await handle(batch, countingControl()); // the redelivery fires the same transition again
    expect(mail.sent.map((a) => a.state)).toEqual(['FIRING']);
    expect(pub.acked[0]![0]!.alert_id).toBe(pub.acked[1]![0]!.alert_id); // same alert id: the outbox records it once
  });
});

/**
 * The state topic as the handler sees it: per partition, the latest value of each key (a compacted
 * topic), records decoded by the real codec on load. `hold` makes the next load wait until released.
 */
function memoryStore(log: string[] = []): RuleStateStore & { partitions: Map<number, Map<string, Buffer>>; failSaves: number; hold?: { released: Promise<void> } } {
  const store = {
    partitions: new Map<number, Map<string, Buffer>>(),
    failSaves: 0,
    hold: undefined as { released: Promise<void> } | undefined,
    async load(partition: number) {
      log.push(`load:${partition}`);
      if (store.hold) await store.hold.released;
      return [...(store.partitions.get(partition) ?? new Map<string, Buffer>())].map(([k, v]) => decodeStateRecord(k, v));
    },
    save(changes: readonly StateChange[]) {
      if (store.failSaves > 0) {
        store.failSaves--;
        log.push('save failed');
        return Promise.reject(new Error('state topic unavailable'));
      }
      for (const c of changes) {
        const rows = store.partitions.get(c.partition) ?? new Map<string, Buffer>();
        store.partitions.set(c.partition, rows);
        if (c.value === null) rows.delete(c.key);
        else rows.set(c.key, c.value);
        log.push(`save:${c.partition}:${c.key}:${c.value === null ? 'tombstone' : c.value.toString('utf8').includes('"severity"') ? 'firing' : 'waiting'}`);
      }
      return Promise.resolve();
    },
  };
  return store;
}

const on = (partition: number, r: ReturnType<typeof reading>): ReturnType<typeof reading> => ({ ...r, partition });

describe('alerter > handler > rule state across restarts and partition moves', () => {
  it('a new process with the same state fires nothing again, and resolves under the same alert id', async () => {
    const store = memoryStore();
    const first = flakyPublisher(0, []);
    await createReadingsHandler({ rules: [rule], publish: first.publish, notify: () => undefined, state: store })([reading(95, 1000)], countingControl());
    const fired = first.acked[0]![0]!;

    const after = flakyPublisher(0, []); // the restarted alerter
    const handle = createReadingsHandler({ rules: [rule], publish: after.publish, notify: () => undefined, state: store });
    await handle([reading(97, 2000, 'psu-1', 1)], countingControl()); // still beyond: no second FIRING
    await handle([reading(40, 3000, 'psu-1', 2)], countingControl());
    expect(after.acked).toEqual([[expect.objectContaining({ state: 'RESOLVED', alert_id: fired.alert_id, severity: 'CRITICAL' })]]);
    expect(store.partitions.get(0)?.size).toBe(0); // resolved: tombstoned
  });

  it('resolves at the first reading after a restart when the value recovered while no alerter ran', async () => {
    const store = memoryStore();
    const first = flakyPublisher(0, []);
    await createReadingsHandler({ rules: [rule], publish: first.publish, notify: () => undefined, state: store })([reading(95, 1000)], countingControl());
    const after = flakyPublisher(0, []);
    await createReadingsHandler({ rules: [rule], publish: after.publish, notify: () => undefined, state: store })([reading(30, 60_000, 'psu-1', 1)], countingControl());
    expect(after.acked.flat().map((a) => [a.state, a.alert_id])).toEqual([['RESOLVED', first.acked[0]![0]!.alert_id]]);
  });

  it('keeps the episode of a WARNING across a restart: its escalation and RESOLVED share the id', async () => {
    const store = memoryStore();
    const first = flakyPublisher(0, []);
    await createReadingsHandler({ rules: [rule], publish: first.publish, notify: () => undefined, state: store })([reading(65, 1000)], countingControl());
    const after = flakyPublisher(0, []);
    const handle = createReadingsHandler({ rules: [rule], publish: after.publish, notify: () => undefined, state: store });
    await handle([reading(66, 2000, 'psu-1', 1), reading(85, 3000, 'psu-1', 2), reading(50, 4000, 'psu-1', 3)], countingControl());
    const id = first.acked[0]![0]!.alert_id;
    expect(after.acked.flat().map((a) => `${a.state}:${a.severity}:${a.alert_id === id}`)).toEqual(['FIRING:CRITICAL:true', 'RESOLVED:CRITICAL:true']);
  });

  it('starts a new episode with a new id after a resolved one, across a restart', async () => {
    const store = memoryStore();
    const first = flakyPublisher(0, []);
    await createReadingsHandler({ rules: [rule], publish: first.publish, notify: () => undefined, state: store })([reading(95, 1000), reading(40, 2000, 'psu-1', 1)], countingControl());
    const after = flakyPublisher(0, []);
    await createReadingsHandler({ rules: [rule], publish: after.publish, notify: () => undefined, state: store })([reading(95, 3000, 'psu-1', 2)], countingControl());
    expect(after.acked.flat().map((a) => a.state)).toEqual(['FIRING']);
    expect(after.acked[0]![0]!.alert_id).not.toBe(first.acked[0]![0]!.alert_id);
  });

  it('writes the state after the outbox recorded the notifications; a failed write leaves the state for the redelivery, same alert id', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    store.failSaves = 1;
    const pub = flakyPublisher(0, log);
    const mail = recordingOutbox(log);
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: mail.notify, state: store });
    const batch = [reading(95, 1000)];
    await expect(handle(batch, countingControl())).rejects.toThrow('state topic unavailable');
    await handle(batch, countingControl());
    expect(log).toEqual(['load:0', 'publish#1', 'acked:FIRING:CRITICAL', 'outbox:FIRING:CRITICAL', 'save failed', 'publish#2', 'acked:FIRING:CRITICAL', 'outbox:FIRING:CRITICAL', 'save:0:psu-temp|psu-1|:firing']);
    expect(pub.acked[0]![0]!.alert_id).toBe(pub.acked[1]![0]!.alert_id); // the outbox records it once
  });

  it('writes each series to the partition its readings came from, one record per series and batch', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    const handle = createReadingsHandler({ rules: [rule], publish: flakyPublisher(0, []).publish, notify: () => undefined, state: store });
    await handle([on(2, reading(65, 1000, 'psu-7')), on(2, reading(90, 2000, 'psu-7', 1))], countingControl());
    expect(log).toEqual(['load:2', 'save:2:psu-temp|psu-7|:firing']); // WARNING then CRITICAL: the last one is the state
    expect(decodeStateRecord('psu-temp|psu-7|', store.partitions.get(2)!.get('psu-temp|psu-7|')!)).toMatchObject({ severity: 'CRITICAL', episode: 1 });
  });

  it('after a rebalance, forgets what it knew and loads the partition again: what the other member wrote counts', async () => {
    const store = memoryStore();
    const a = flakyPublisher(0, []);
    const memberA = createReadingsHandler({ rules: [rule], publish: a.publish, notify: () => undefined, state: store });
    await memberA([reading(95, 1000)], countingControl());
    // partition 0 moves to member B, which sees the value recover; then it moves back to A
    const b = flakyPublisher(0, []);
    memberA.reassigned();
    const memberB = createReadingsHandler({ rules: [rule], publish: b.publish, notify: () => undefined, state: store });
    await memberB([reading(40, 2000, 'psu-1', 1)], countingControl());
    memberA.reassigned();
    await memberA([reading(95, 3000, 'psu-1', 2)], countingControl());
    expect(b.acked.flat().map((x) => [x.state, x.alert_id])).toEqual([['RESOLVED', a.acked[0]![0]!.alert_id]]);
    // A fires a new episode: without the reload it would still think the first one was firing and stay silent
    expect(a.acked.flat().map((x) => x.state)).toEqual(['FIRING', 'FIRING']);
    expect(a.acked[1]![0]!.alert_id).not.toBe(a.acked[0]![0]!.alert_id);
  });

  it('refuses a batch whose state load was overtaken by a rebalance (BB_ALERTER_STATE_REASSIGNED), then loads again', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    let release: () => void = () => {};
    store.hold = { released: new Promise<void>((r) => (release = r)) };
    const pub = flakyPublisher(0, log);
    const handle = createReadingsHandler({ rules: [rule], publish: pub.publish, notify: () => undefined, state: store });
    const pending = handle([reading(95, 1000)], countingControl()).then(() => 'resolved', (err: unknown) => (isBusbarError(err) ? err.code : String(err)));
    handle.reassigned();
    release();
    expect(await pending).toBe('BB_ALERTER_STATE_REASSIGNED');
    store.hold = undefined;
    await handle([reading(95, 1000)], countingControl());
    expect(log).toEqual(['load:0', 'load:0', 'publish#1', 'acked:FIRING:CRITICAL', 'save:0:psu-temp|psu-1|:firing']);
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
  const make = (store: ReturnType<typeof memoryStore>, clock: ManualClock, publish: (a: readonly Alert[]) => Promise<void>) =>
    createReadingsHandler({ engines: engines(), eventsTopic: EVENTS, publish, notify: () => undefined, state: store, clock });

  it('routes events to event rules and readings to reading rules; a tick fires a lasting disconnect, CONNECTED resolves it', async () => {
    const log: string[] = [];
    const store = memoryStore(log);
    const clock = new ManualClock(1_000_000);
    const pub = flakyPublisher(0, log);
    const handle = make(store, clock, pub.publish);
    await handle([consumed(deviceEvent('DISCONNECTED', 1_000_000), EVENTS, 1), consumed(stateReading({ voltage_v: 3.7 }, 1_000_000, 'arbin-1'), READINGS, 0)], countingControl());
    expect(log).toEqual(['load:1', 'load:0', 'save:1:down|plc-1|:waiting', 'save:0:silent|arbin-1|:waiting']);
    clock.advance(29_000);
    await handle.tick();
    expect(pub.acked).toEqual([]);
    clock.advance(1_000);
    await handle.tick(); // both deadlines: plc-1 disconnected 30 s, arbin-1 silent 30 s
    expect(pub.acked.flat().map((a) => `${a.rule}:${a.state}:${a.signal}:${a.timestamp.getTime()}`)).toEqual(['down:FIRING:disconnected_s:1030000', 'silent:FIRING:staleness_s:1030000']);
    clock.advance(5_000);
    await handle([consumed(deviceEvent('CONNECTED', 1_035_000), EVENTS, 1, 1)], countingControl());
    expect(pub.acked.flat().map((a) => `${a.rule}:${a.state}`)).toEqual(['down:FIRING', 'silent:FIRING', 'down:RESOLVED']);
    expect([...(store.partitions.get(1)?.keys() ?? [])]).toEqual([]); // resolved disconnect: nothing left to remember
  });

  it('applies nothing when a tick cannot publish; the next tick sends the same alert id', async () => {
    const store = memoryStore();
    const clock = new ManualClock(0);
    const pub = flakyPublisher(1, []);
    const handle = make(store, clock, pub.publish);
    await handle([consumed(stateReading({ voltage_v: 3.7 }, 0, 'arbin-1'), READINGS, 0)], countingControl());
    clock.advance(31_000);
    await expect(handle.tick()).rejects.toThrow('broker unavailable');
    clock.advance(1_000);
    await handle.tick();
    expect(pub.acked.flat().map((a) => [a.state, a.timestamp.getTime()])).toEqual([['FIRING', 30_000]]);
    const id = pub.acked[0]![0]!.alert_id;
    await handle([consumed(stateReading({ voltage_v: 3.7 }, 40_000, 'arbin-1'), READINGS, 0, 1)], countingControl());
    expect(pub.acked.flat().map((a) => [a.state, a.alert_id])).toEqual([['FIRING', id], ['RESOLVED', id]]);
  });

  it('across a restart: a device silent through it still fires, counted from the load; no second FIRING after the next restart; RESOLVED keeps the id', async () => {
    const store = memoryStore();
    const clock = new ManualClock(0);
    const first = flakyPublisher(0, []);
    await make(store, clock, first.publish)([consumed(stateReading({ voltage_v: 3.7 }, 0, 'arbin-1'), READINGS, 0)], countingControl());
    // the process dies; the device goes silent; a new process starts at t = 100 s and gets partition 0 but no batch
    clock.set(100_000);
    const second = flakyPublisher(0, []);
    const b = make(store, clock, second.publish);
    b.reassigned({ readings: [0], events: [] });
    await b.tick(); // loads partition 0 eagerly
    clock.set(129_999);
    await b.tick();
    expect(second.acked).toEqual([]);
    clock.set(130_000);
    await b.tick();
    expect(second.acked.flat().map((a) => a.state)).toEqual(['FIRING']);
    // another restart while it fires: nothing again, and the next reading resolves it under the same id
    clock.set(200_000);
    const third = flakyPublisher(0, []);
    const c = make(store, clock, third.publish);
    c.reassigned({ readings: [0], events: [] });
    await c.tick();
    clock.set(400_000);
    await c.tick();
    expect(third.acked).toEqual([]);
    await c([consumed(stateReading({ voltage_v: 3.7 }, 400_000, 'arbin-1'), READINGS, 0, 1)], countingControl());
    expect(third.acked.flat().map((a) => [a.state, a.alert_id])).toEqual([['RESOLVED', second.acked[0]![0]!.alert_id]]);
  });

  it('across a restart: a DISCONNECTED whose deadline passed while no alerter ran fires at its original deadline', async () => {
    const store = memoryStore();
    const clock = new ManualClock(10_000);
    await make(store, clock, flakyPublisher(0, []).publish)([consumed(deviceEvent('DISCONNECTED', 10_000), EVENTS, 1)], countingControl());
    clock.set(300_000);
    const pub = flakyPublisher(0, []);
    const b = make(store, clock, pub.publish);
    b.reassigned({ readings: [], events: [1] });
    await b.tick();
    expect(pub.acked.flat().map((a) => [a.rule, a.state, a.timestamp.getTime()])).toEqual([['down', 'FIRING', 40_000]]);
  });
});
