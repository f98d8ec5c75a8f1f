/**
 * The alerter's batch handler, without Kafka: readings → threshold evaluators → Alert records →
 * notifications. `startAlerter` plugs it into `DecodingConsumer` (which commits the batch's offsets
 * once it resolved); tests call it with a fake publisher.
 *
 * Order per batch:
 * 1. the readings are evaluated on a draft of the rule state (nothing applied yet);
 * 2. the batch's Alert records are published; if that throws, the handler throws with the rule
 *    state untouched, so the redelivered batch produces the same transitions (same alert ids) and
 *    no alert is lost;
 * 3. the batch's notifications are recorded in the durable alert outbox (`notify/outbox.ts`) —
 *    only after the records were acknowledged; the outbox delivers and retries them on its own, so
 *    a mail-server outage neither loses a notification nor holds the consumer;
 * 4. the changed series are written to the durable rule state (`state` — the compacted state topic:
 *    a firing series' episode and severity, a tombstone once it resolved), and acknowledged;
 * 5. the draft is committed. (A failure in 2–4 throws before it: the batch is redelivered with the
 *    rule state untouched — it produces the same transitions with the same alert ids, the outbox
 *    ignores what it already recorded.)
 *
 * Restart safety: before the first batch of a partition (at start, and after every rebalance —
 * {@link ReadingsHandler.reassigned} forgets the in-memory state), the handler loads the firing
 * series of that partition from `state`, so a series that fired before a restart, or on the
 * partition's previous owner, does not fire again under a new id, and its RESOLVED is sent —
 * also when the value recovered while no alerter ran (the first reading past `clear` resolves it).
 * The state is written after the notifications were recorded: a crash between the two replays the
 * batch, which yields the same transitions, never a lost notification.
 *
 * While it waits for the publish the handler calls `control.heartbeat()` every
 * `heartbeatIntervalMs`, so a slow broker does not cost the consumer its group membership.
 */
import picomatch from 'picomatch';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, errorCode, noopLogger, noopMetrics } from '@busbar/core';
import type { Alert, Reading } from '@busbar/avro';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
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

/** Where the rule state is kept durably (the compacted state topic, `rule-state/store.ts`; a fake in unit tests). */
export interface RuleStateStore {
  /**
   * The firing series of readings partition `partition`, including everything written for it
   * before the call (by this process or a previous owner).
   * @throws when it cannot be read (the batch is then not committed and is redelivered).
   */
  load(partition: number): Promise<Iterable<SeriesStateRecord>>;
  /** Writes `changes`; resolves once they were acknowledged. @throws when they were not. */
  save(changes: readonly StateChange[]): Promise<void>;
}

/** The batch handler with its rebalance hook. */
export interface ReadingsHandler {
  /** Handles one batch (the `handle` of `DecodingConsumer`). */
  (records: readonly ConsumedRecord<Reading>[], control: BatchControl): Promise<void>;
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
  /** Publishes the batch's Alert records; resolves once the brokers acknowledged them. */
  readonly publish: (alerts: readonly Alert[]) => Promise<void>;
  /**
   * Records the notifications of acknowledged alerts durably (the outbox's `enqueue`); synchronous.
   * @throws when they cannot be recorded (the batch is then redelivered).
   */
  readonly notify: (alerts: readonly Alert[]) => void;
  /** The durable rule state; absent: in memory only (a restart forgets which series fire). */
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
 * @returns the handler: `(records, control) => Promise<void>`, which rejects when the rule state
 *   could not be loaded, the Alert records could not be published, their notifications not
 *   recorded or the state changes not written (the batch is then redelivered); never because a
 *   notification could not be delivered (the outbox retries it). Plus `reassigned()`.
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

  const handler = async (records: readonly ConsumedRecord<Reading>[], control: BatchControl): Promise<void> => {
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
    if (alerts.length > 0) {
      await whileBeating(control, () => options.publish(alerts)); // throws: nothing applied, the batch is redelivered
      options.notify(alerts); // throws: nothing applied, the batch is redelivered
      if (options.state) {
        // the last transition of each series in the batch is its state
        const last = new Map<string, StateChange>();
        transitions.forEach((t, i) => last.set(t.seriesKey, { partition: partitionOf.get(t.seriesKey)!, ...stateRecordOf(t, alerts[i]!.alert_id) }));
        const state = options.state;
        await whileBeating(control, () => state.save([...last.values()])); // throws: the batch is redelivered, same alert ids
      }
    }
    if (gen === generation) for (const d of drafts) d.commit();
    for (const t of transitions) m.transitions.inc({ rule: t.rule.id, severity: t.severity, state: t.state });
    for (const a of alerts) logger.info({ alertId: a.alert_id, rule: a.rule, device: a.device_id, state: a.state, severity: a.severity, value: a.value }, a.message);
  };
  return Object.assign(handler, {
    reassigned: (): void => {
      if (!options.state) return; // nothing to reload from: keep what this process knows
      generation++;
      loaded.clear();
      for (const { evaluator } of evaluators) evaluator.clear();
    },
  });
}
