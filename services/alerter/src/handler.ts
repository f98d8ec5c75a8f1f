/**
 * The alerter's batch handler, without Kafka: readings and device events → rule engines
 * (`rules/`: threshold, rate of change, no-data, device events) → Alert records → notifications;
 * and the timer tick of the rules that fire on silence or on time (`tick()`). `startAlerter` plugs
 * it into `DecodingConsumer`; tests call it with a fake writer.
 *
 * Order per batch:
 * 1. the readings and events are evaluated on a draft of the rule state (nothing applied yet);
 * 2. when the batch yields transitions or state changes, its Alert records (alerts topic), the
 *    changed series (the compacted state topic: a firing series' episode and severity, a timer
 *    rule's waiting series, a tombstone once nothing is to be remembered) and the batch's offsets
 *    are written ATOMICALLY (`BatchWriter`: a Kafka transaction with `sendOffsets`) — all or none;
 *    a batch without either is committed by the consumer;
 * 3. the draft is applied. A write that fails throws: nothing of the batch is visible (aborted),
 *    the batch is redelivered — to this member or to the partition's next owner — and evaluated
 *    again from the state as committed, so it yields the same transitions with the same alert ids.
 *    When the commit's outcome is unknown (`BB_ALERTER_WRITE_OUTCOME_UNKNOWN`: its answer lost) the
 *    in-memory state is forgotten and loaded again from what was committed.
 *
 * Notifications are not sent here: every channel reads the committed alerts topic on its own
 * (`notify/dispatcher.ts`), in order per device, by whichever alerter owns its partition.
 *
 * Restart safety: before the first batch of a partition (at start, and after every rebalance —
 * {@link ReadingsHandler.reassigned} forgets the in-memory state), the handler loads the firing
 * (and waiting) series of that partition from `state` (committed records only), so a series that
 * fired before a restart, or on the partition's previous owner, does not fire again under a new
 * id, and its RESOLVED is sent — also when the value recovered while no alerter ran (the first
 * reading past `clear` resolves it). Because the state and the offsets are committed together,
 * the state loaded is exactly the state after the last committed batch.
 *
 * Timers (`tick()`, called every second by the alerter): no-data rules fire on silence, device-event
 * rules on a condition that lasted (`forMs`) or resolve on quiet. A tick runs between batches
 * (one at a time), first loads the state of every assigned partition not loaded yet (so a device
 * silent across a restart still fires), then writes its alerts and state changes in one transaction
 * (no offsets: a tick consumes nothing). A tick that fails changes nothing; the next one derives the same transitions
 * (their time is the deadline, hence the same alert ids).
 *
 * Device events are read from their own topic in the same consumer group; their series' state
 * lives in the state topic partition of the same number as the event's partition (the rule ids
 * differ from those of rules on readings, so the two never write the same key).
 *
 * While it waits for the write the handler calls `control.heartbeat()` every
 * `heartbeatIntervalMs`, so a slow broker does not cost the consumer its group membership.
 */
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, errorCode, noopLogger, noopMetrics, systemClock } from '@busbar/core';
import type { Alert, DeviceEvent, Reading } from '@busbar/avro';
import type { BatchControl, BatchOutcome, ConsumedRecord } from '@busbar/kafka';
import { toAlert } from './alert.js';
import type { EngineDraft, PartitionedTransition, RuleEngine } from './rules/engine.js';
import { thresholdEngine } from './rules/reading-rules.js';
import type { ThresholdRule } from './rules/threshold.js';
import type { StoredSeries } from './rule-state/record.js';
import { encodeStateRecord } from './rule-state/record.js';

/** One change of the durable rule state: a state record for partition `partition` of the state topic. */
export interface StateChange {
  /** The input partition of the series (= the state topic partition). */
  readonly partition: number;
  /** The series key. */
  readonly key: string;
  /** The record's value; `null` = tombstone (nothing to remember of the series). */
  readonly value: Buffer | null;
}

/** Where the rule state is kept durably (the compacted state topic, `rule-state/store.ts`; a fake in unit tests). */
export interface RuleStateStore {
  /**
   * The stored series (firing or waiting) of state partition `partition`, including everything
   * written for it before the call (by this process or a previous owner).
   * @throws when it cannot be read (the batch is then not committed and is redelivered).
   */
  load(partition: number): Promise<Iterable<StoredSeries>>;
}

/** One batch's (or tick's) outcome, written atomically by a {@link BatchWriter}. */
export interface BatchWrite {
  /** The Alert records (alerts topic, keyed by device). */
  readonly alerts: readonly Alert[];
  /** The changed series (state topic). */
  readonly state: readonly StateChange[];
  /** The input offset to commit with them (the batch's last offset + 1) and the consumer group; absent for a tick. */
  readonly offset?: { readonly topic: string; readonly partition: number; readonly offset: string; readonly groupId: string };
}

/** Writes a batch's outcome all-or-nothing (a Kafka transaction in `alerter.ts`). */
export interface BatchWriter {
  /** Resolves once everything in `batch` is committed. @throws when it was not (nothing of it is then visible to read-committed readers). */
  write(batch: BatchWrite): Promise<void>;
}

/** The partitions of each input topic assigned to this member. */
export interface Assignment {
  readonly readings: readonly number[];
  readonly events: readonly number[];
}

/** The batch handler with its rebalance hook and timer tick. */
export interface ReadingsHandler {
  /** Handles one batch of readings or device events (the `handle` of `DecodingConsumer`). */
  (records: readonly ConsumedRecord<Reading | DeviceEvent>[], control: BatchControl): Promise<BatchOutcome>;
  /**
   * The partitions assigned to this member changed (the consumer's `onAssignment`): the in-memory
   * rule state is forgotten and each partition's state is loaded again before its next batch (or
   * the next tick, for the partitions in `assignment`). A batch still in progress when this is
   * called does not apply its draft (its state changes are already in the store, or it is redelivered).
   */
  reassigned(assignment?: Assignment): void;
  /**
   * Evaluates the timers of the rules that have some (no-data, device events with `forMs` or
   * `quietMs`) at the clock's time, between batches.
   * @throws as a batch does (state not loadable, write not committed): nothing is applied.
   */
  tick(): Promise<void>;
}

/** Options of {@link createReadingsHandler}. */
export interface ReadingsHandlerOptions {
  /** Threshold rules (one engine each; kept for callers that have only those). */
  readonly rules?: readonly ThresholdRule[];
  /** Rule engines of any kind (`config.ts` `enginesOf`). */
  readonly engines?: readonly RuleEngine[];
  /** Topic of the device events (records of any other topic are readings); absent: readings only. */
  readonly eventsTopic?: string;
  /** Writes each batch's (and tick's) Alert records, state changes and offsets atomically. */
  readonly writer: BatchWriter;
  /** The durable rule state; absent: in memory only (a restart forgets which series fire). */
  readonly state?: RuleStateStore;
  /** The alerter's clock (timers, receipt times); default the system clock. */
  readonly clock?: Clock;
  /** Interval of `control.heartbeat()` calls while waiting, ms (default 3000). */
  readonly heartbeatIntervalMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Default interval of heartbeats while the handler waits, ms (well inside kafkajs' 30 s session). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 3000;

/** What waiting needs of a batch's control (a tick has no batch). */
type Beating = Pick<BatchControl, 'heartbeat' | 'isRunning'>;

const idleControl: Beating = { heartbeat: (): Promise<void> => Promise.resolve(), isRunning: (): boolean => true };

/**
 * Creates the handler of a batch of readings and device events (the `handle` of `DecodingConsumer`).
 *
 * @returns the handler: `(records, control) => Promise<BatchOutcome>` — `{ committed: true }` when
 *   it wrote the batch's alerts and state with its offsets, nothing when the batch changed nothing
 *   (the consumer commits it); it rejects when the rule state could not be loaded or the write did
 *   not commit (the batch is then redelivered). Plus `reassigned()` and `tick()`.
 */
export function createReadingsHandler(options: ReadingsHandlerOptions): ReadingsHandler {
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const clock = options.clock ?? systemClock;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const engines: readonly RuleEngine[] = [...(options.rules ?? []).map((r) => thresholdEngine(r)), ...(options.engines ?? [])];
  const m = {
    transitions: metrics.counter({ name: 'busbar_alerter_transitions_total', help: 'Alert transitions, by rule, severity and state.', labelNames: ['rule', 'severity', 'state'] }),
  };

  const beat = async (control: Beating): Promise<void> => {
    try {
      await control.heartbeat();
    } catch (err) {
      // a rebalance in progress: the notifications still go out, the batch is not committed by a revoked member
      logger.debug({ code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 'heartbeat failed');
    }
  };
  const whileBeating = async <T>(control: Beating, work: () => Promise<T>): Promise<T> => {
    const timer = setInterval(() => void beat(control), heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  };

  const byRule = new Map(engines.map((e) => [e.rule.id, e]));
  /** Input partitions (`readings:3`, `events:0`) whose state was loaded since the last (re)assignment. */
  const loaded = new Set<string>();
  let assignment: Assignment = { readings: [], events: [] };
  let generation = 0;
  /** Batches and ticks run one at a time. */
  let running: Promise<unknown> | undefined;
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    while (running) await running.catch(() => undefined);
    const run = work(); // starts at once when nothing runs
    running = run;
    try {
      return await run;
    } finally {
      if (running === run) running = undefined;
    }
  };

  const load = async (input: 'readings' | 'events', partition: number, control: Beating): Promise<void> => {
    const store = options.state;
    const id = `${input}:${partition}`;
    if (!store || loaded.has(id)) return;
    const gen = generation;
    const records = [...(await whileBeating(control, () => store.load(partition)))];
    if (gen !== generation) return; // reassigned meanwhile: loaded again by the next batch
    const perRule = new Map<string, StoredSeries[]>();
    let restored = 0;
    for (const r of records) {
      const engine = byRule.get(r.rule);
      if (!engine) {
        if (input === 'readings') logger.warn({ rule: r.rule, device: r.deviceId, partition }, 'state of a rule that is no longer configured; ignored');
        continue;
      }
      if (engine.input !== input) continue;
      perRule.set(r.rule, [...(perRule.get(r.rule) ?? []), r]);
      restored++;
    }
    const now = clock.nowMs();
    for (const [rule, stored] of perRule) byRule.get(rule)!.restore(partition, stored, now);
    loaded.add(id);
    if (restored > 0) logger.info({ input, partition, series: restored }, 'rule state restored');
  };

  /** Writes what the drafts did (with the batch's offset, if any) in one transaction, then applies them (see the module doc). */
  const apply = async (drafts: readonly EngineDraft[], control: Beating, gen: number, offset?: BatchWrite['offset']): Promise<BatchOutcome> => {
    const transitions: PartitionedTransition[] = drafts.flatMap((d) => d.transitions);
    const alerts = transitions.map(toAlert);
    const last = new Map<string, StateChange>(); // the last write of each series is its state
    if (options.state) for (const w of drafts.flatMap((d) => d.writes)) last.set(w.key, { partition: w.partition, key: w.key, value: w.record === null ? null : encodeStateRecord(w.record) });
    let outcome: BatchOutcome = undefined;
    if (alerts.length > 0 || last.size > 0) {
      try {
        await whileBeating(control, () => options.writer.write({ alerts, state: [...last.values()], ...(offset ? { offset } : {}) }));
      } catch (err) {
        // nothing applied; when the commit's outcome is unknown (an answer lost) it may have committed: start again from the committed state
        if (errorCode(err) === 'BB_ALERTER_WRITE_OUTCOME_UNKNOWN') forget();
        throw err;
      }
      if (offset) outcome = { committed: true };
    }
    if (gen === generation) for (const d of drafts) d.commit();
    for (const t of transitions) m.transitions.inc({ rule: t.rule.id, severity: t.severity, state: t.state });
    for (const a of alerts) logger.info({ alertId: a.alert_id, rule: a.rule, device: a.device_id, state: a.state, severity: a.severity, value: a.value }, a.message);
    return outcome;
  };

  const reassignedError = (): BusbarError =>
    new BusbarError('BB_ALERTER_STATE_REASSIGNED', 'the partition assignment changed while the rule state was loading; the batch is not committed and is redelivered', { retriable: true });

  /** `gen`: the generation when the batch was handed over (a reassignment while it waits its turn counts). */
  const handleBatch = async (records: readonly ConsumedRecord<Reading | DeviceEvent>[], control: BatchControl, gen: number): Promise<BatchOutcome> => {
    const inputOf = (r: ConsumedRecord<unknown>): 'readings' | 'events' => (options.eventsTopic !== undefined && r.topic === options.eventsTopic ? 'events' : 'readings');
    for (const id of new Set(records.map((r) => `${inputOf(r)}:${r.partition}`))) {
      const [input, p] = id.split(':') as ['readings' | 'events', string];
      await load(input, Number(p), control);
    }
    // evaluating on a state forgotten by a rebalance would fire series anew under new ids
    if (gen !== generation) throw reassignedError();
    const now = clock.nowMs();
    const drafts = engines.map((e) => e.draft(now));
    for (const rec of records) {
      if (inputOf(rec) === 'events') {
        for (const d of drafts) d.event(rec.value as DeviceEvent, rec.partition);
      } else {
        for (const d of drafts) d.reading(rec.value as Reading, rec.partition);
      }
    }
    return apply(drafts, control, gen, { ...control.nextOffset, groupId: control.groupId });
  };

  const tick = async (): Promise<void> => {
    const timed = engines.filter((e) => e.timed);
    if (timed.length === 0) return;
    const gen = generation;
    if (options.state) {
      for (const p of assignment.readings) await load('readings', p, idleControl);
      for (const p of assignment.events) await load('events', p, idleControl);
    }
    if (gen !== generation) return; // the next tick loads the new assignment
    const now = clock.nowMs();
    const drafts = timed.map((e) => e.draft(now));
    for (const d of drafts) d.tick();
    await apply(drafts, idleControl, gen);
  };

  function forget(): void {
    if (!options.state) return; // nothing to reload from: keep what this process knows
    generation++;
    loaded.clear();
    for (const e of engines) e.clear();
  }

  const handler = (records: readonly ConsumedRecord<Reading | DeviceEvent>[], control: BatchControl): Promise<BatchOutcome> => {
    const gen = generation;
    return exclusive(() => handleBatch(records, control, gen));
  };
  return Object.assign(handler, {
    reassigned: (next?: Assignment): void => {
      if (next) assignment = next;
      forget();
    },
    tick: (): Promise<void> => exclusive(tick),
  });
}
