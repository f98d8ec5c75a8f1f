/**
 * The alerter's batch handler, without Kafka: readings → threshold evaluators → Alert records and
 * rule-state changes, written together with the batch's offsets in one Kafka transaction.
 * `startAlerter` plugs it into `DecodingConsumer`; tests call it with a fake writer.
 *
 * Order per batch:
 * 1. the readings are evaluated on a draft of the rule state (nothing applied yet);
 * 2. when the batch yields transitions, its Alert records (alerts topic), the changed series (the
 *    compacted state topic: a firing series' episode and severity, a tombstone once it resolved)
 *    and the readings offsets are written ATOMICALLY (`BatchWriter`: a Kafka transaction with
 *    `sendOffsets`) — all of them or none; a batch without transitions is committed by the consumer;
 * 3. the draft is applied. A write that fails throws: nothing of the batch is visible (aborted),
 *    the batch is redelivered — to this member or to the partition's next owner — and evaluated
 *    again from the state as committed, so it yields the same transitions with the same alert ids.
 *    After a failed write the in-memory state is forgotten and loaded again (the write may have
 *    committed after all).
 *
 * Notifications are not sent here: every channel reads the alerts topic on its own
 * (`notify/dispatcher.ts`), so a transition is notified once it is committed, in order per device,
 * by whichever alerter owns its partition — never by a process that has since lost it.
 *
 * Restart safety: before the first batch of a partition (at start, and after every rebalance —
 * {@link ReadingsHandler.reassigned} forgets the in-memory state), the handler loads the firing
 * series of that partition from `state` (committed records only), so a series that fired before a
 * restart, or on the partition's previous owner, does not fire again under a new id, and its
 * RESOLVED is sent — also when the value recovered while no alerter ran (the first reading past
 * `clear` resolves it). Because the state and the offsets are committed together, the state loaded
 * is exactly the state after the last committed batch: a batch replayed by a new owner is never
 * evaluated against a state that already contains its own transitions.
 *
 * While it waits for the write the handler calls `control.heartbeat()` every
 * `heartbeatIntervalMs`, so a slow broker does not cost the consumer its group membership.
 */
import picomatch from 'picomatch';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, errorCode, noopLogger, noopMetrics } from '@busbar/core';
import type { Alert, Reading } from '@busbar/avro';
import type { BatchControl, BatchOutcome, ConsumedRecord } from '@busbar/kafka';
import { toAlert } from './alert.js';
import type { EvaluationDraft, ThresholdRule, Transition } from './rules/threshold.js';
import { ThresholdEvaluator } from './rules/threshold.js';
import type { SeriesStateRecord } from './rule-state/record.js';
import { stateRecordOf } from './rule-state/record.js';

/** One change of the durable rule state: a state record for partition `partition` of the state topic. */
export interface StateChange {
  /** The readings partition of the series (= the state topic partition). */
  readonly partition: number;
  /** The series key. */
  readonly key: string;
  /** The record's value; `null` = tombstone (the series resolved). */
  readonly value: Buffer | null;
}

/** Where the rule state is read back from (the compacted state topic, `rule-state/store.ts`; a fake in unit tests). */
export interface RuleStateStore {
  /**
   * The firing series of readings partition `partition`, as committed before the call (by this
   * process or a previous owner).
   * @throws when it cannot be read (the batch is then not committed and is redelivered).
   */
  load(partition: number): Promise<Iterable<SeriesStateRecord>>;
}

/** One batch's outcome, written atomically by a {@link BatchWriter}. */
export interface BatchWrite {
  /** The batch's Alert records (alerts topic, keyed by device). */
  readonly alerts: readonly Alert[];
  /** The changed series (state topic). */
  readonly state: readonly StateChange[];
  /** The readings offset to commit (the batch's last offset + 1). */
  readonly offset: BatchControl['nextOffset'];
  /** The readings consumer group. */
  readonly groupId: string;
}

/** Writes a batch's outcome all-or-nothing (a Kafka transaction in `alerter.ts`). */
export interface BatchWriter {
  /** Resolves once everything in `batch` is committed. @throws when it was not (nothing of it is then visible to read-committed readers). */
  write(batch: BatchWrite): Promise<void>;
}

/** The batch handler with its rebalance hook. */
export interface ReadingsHandler {
  /** Handles one batch (the `handle` of `DecodingConsumer`). */
  (records: readonly ConsumedRecord<Reading>[], control: BatchControl): Promise<BatchOutcome>;
  /**
   * The partitions assigned to this member changed (the consumer's `onAssignment`): the in-memory
   * rule state is forgotten and each partition's state is loaded again before its next batch. A
   * batch still in progress when this is called does not apply its draft (its state changes are
   * already in the store, or it is redelivered).
   */
  reassigned(): void;
}

/** Options of {@link createReadingsHandler}. */
export interface ReadingsHandlerOptions {
  /** Validated rules (one evaluator each). */
  readonly rules: readonly ThresholdRule[];
  /** Writes each batch's Alert records, state changes and offsets atomically. */
  readonly writer: BatchWriter;
  /** The durable rule state to restore from; absent: in memory only (a restart forgets which series fire). */
  readonly state?: RuleStateStore;
  /** Interval of `control.heartbeat()` calls while waiting, ms (default 3000). */
  readonly heartbeatIntervalMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Default interval of heartbeats while the handler waits, ms (well inside kafkajs' 30 s session). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 3000;

/**
 * Creates the handler of a batch of readings (the `handle` of `DecodingConsumer`).
 *
 * @returns the handler: `(records, control) => Promise<BatchOutcome>` — `{ committed: true }` when it
 *   wrote the batch's transitions with its offsets, nothing for a batch without transitions (the
 *   consumer commits it); it rejects when the rule state could not be loaded or the write did not
 *   commit (the batch is then redelivered). Plus `reassigned()`.
 */
export function createReadingsHandler(options: ReadingsHandlerOptions): ReadingsHandler {
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const evaluators = options.rules.map((rule) => ({ evaluator: new ThresholdEvaluator(rule), matches: picomatch([...rule.devices]) }));
  const m = {
    transitions: metrics.counter({ name: 'busbar_alerter_transitions_total', help: 'Alert transitions, by rule, severity and state.', labelNames: ['rule', 'severity', 'state'] }),
  };

  const beat = async (control: BatchControl): Promise<void> => {
    try {
      await control.heartbeat();
    } catch (err) {
      // a rebalance in progress: the notifications still go out, the batch is not committed by a revoked member
      logger.debug({ code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 'heartbeat failed');
    }
  };
  const whileBeating = async <T>(control: BatchControl, work: () => Promise<T>): Promise<T> => {
    const timer = setInterval(() => void beat(control), heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  };

  const byRule = new Map(evaluators.map((e) => [e.evaluator.rule.id, e.evaluator]));
  /** Partitions whose state was loaded since the last (re)assignment. */
  const loaded = new Set<number>();
  let generation = 0;

  const load = async (partition: number, control: BatchControl): Promise<void> => {
    const store = options.state;
    if (!store || loaded.has(partition)) return;
    const gen = generation;
    const records = [...(await whileBeating(control, () => store.load(partition)))];
    if (gen !== generation) return; // reassigned meanwhile: loaded again by the next batch
    const perRule = new Map<string, SeriesStateRecord[]>();
    for (const r of records) {
      if (!byRule.has(r.rule)) {
        logger.warn({ rule: r.rule, device: r.deviceId, partition }, 'state of a rule that is no longer configured; ignored');
        continue;
      }
      perRule.set(r.rule, [...(perRule.get(r.rule) ?? []), r]);
    }
    for (const [rule, firing] of perRule) byRule.get(rule)!.restore(firing);
    loaded.add(partition);
    if (records.length > 0) logger.info({ partition, firing: records.length }, 'rule state restored: series still firing');
  };

  const handler = async (records: readonly ConsumedRecord<Reading>[], control: BatchControl): Promise<BatchOutcome> => {
    const gen = generation;
    for (const p of new Set(records.map((r) => r.partition))) await load(p, control);
    if (gen !== generation) {
      // evaluating on a state forgotten by a rebalance would fire series anew under new ids
      throw new BusbarError('BB_ALERTER_STATE_REASSIGNED', 'the partition assignment changed while the rule state was loading; the batch is not committed and is redelivered', { retriable: true });
    }
    const drafts: EvaluationDraft[] = [];
    const partitionOf = new Map<string, number>();
    const transitions: Transition[] = [];
    const active = evaluators.map(({ evaluator, matches }) => {
      const draft = evaluator.draft();
      drafts.push(draft);
      return { rule: evaluator.rule, matches, draft };
    });
    for (const rec of records) {
      const r = rec.value;
      for (const { rule, matches, draft } of active) {
        const exact = r.exact_values[rule.signal];
        const v = r.values[rule.signal] ?? (exact !== undefined ? Number(exact) : undefined);
        if (v === undefined || !Number.isFinite(v) || !matches(r.device_id)) continue;
        const t = draft.observe({ deviceId: r.device_id, channel: r.channel, value: v, atMs: r.timestamp.getTime() });
        if (t) {
          transitions.push(t);
          partitionOf.set(t.seriesKey, rec.partition);
        }
      }
    }
    const alerts = transitions.map(toAlert);
    let outcome: BatchOutcome = undefined;
    if (alerts.length > 0) {
      // the last transition of each series in the batch is its state
      const last = new Map<string, StateChange>();
      transitions.forEach((t, i) => last.set(t.seriesKey, { partition: partitionOf.get(t.seriesKey)!, ...stateRecordOf(t, alerts[i]!.alert_id) }));
      try {
        await whileBeating(control, () => options.writer.write({ alerts, state: options.state ? [...last.values()] : [], offset: control.nextOffset, groupId: control.groupId }));
      } catch (err) {
        // nothing applied; the write may still have committed (an answer lost): start again from the committed state
        forget();
        throw err;
      }
      outcome = { committed: true };
    }
    if (gen === generation) for (const d of drafts) d.commit();
    for (const t of transitions) m.transitions.inc({ rule: t.rule.id, severity: t.severity, state: t.state });
    for (const a of alerts) logger.info({ alertId: a.alert_id, rule: a.rule, device: a.device_id, state: a.state, severity: a.severity, value: a.value }, a.message);
    return outcome;
  };
  function forget(): void {
    if (!options.state) return; // nothing to reload from: keep what this process knows
    generation++;
    loaded.clear();
    for (const { evaluator } of evaluators) evaluator.clear();
  }
  return Object.assign(handler, { reassigned: forget });
}
