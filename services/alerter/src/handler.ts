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
 * 4. the draft is committed. (A failure to record the notifications throws before it: the batch is
 *    redelivered with the rule state untouched, and the outbox ignores what it already recorded.)
 *
 * While it waits for the publish the handler calls `control.heartbeat()` every
 * `heartbeatIntervalMs`, so a slow broker does not cost the consumer its group membership.
 */
import picomatch from 'picomatch';
import type { Logger, Metrics } from '@busbar/core';
import { errorCode, noopLogger, noopMetrics } from '@busbar/core';
import type { Alert, Reading } from '@busbar/avro';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
import { toAlert } from './alert.js';
import type { EvaluationDraft, ThresholdRule, Transition } from './rules/threshold.js';
import { ThresholdEvaluator } from './rules/threshold.js';

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
 * @returns `(records, control) => Promise<void>`; rejects with the publisher's error when the
 *   Alert records could not be published or their notifications not recorded (the batch is then
 *   redelivered); never because a notification could not be delivered (the outbox retries it).
 */
export function createReadingsHandler(options: ReadingsHandlerOptions): (records: readonly ConsumedRecord<Reading>[], control: BatchControl) => Promise<void> {
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

  return async (records, control) => {
    const drafts: EvaluationDraft[] = [];
    const transitions: Transition[] = [];
    const active = evaluators.map(({ evaluator, matches }) => {
      const draft = evaluator.draft();
      drafts.push(draft);
      return { rule: evaluator.rule, matches, draft };
    });
    for (const { value: r } of records) {
      for (const { rule, matches, draft } of active) {
        const exact = r.exact_values[rule.signal];
        const v = r.values[rule.signal] ?? (exact !== undefined ? Number(exact) : undefined);
        if (v === undefined || !Number.isFinite(v) || !matches(r.device_id)) continue;
        const t = draft.observe({ deviceId: r.device_id, channel: r.channel, value: v, atMs: r.timestamp.getTime() });
        if (t) transitions.push(t);
      }
    }
    const alerts = transitions.map(toAlert);
    if (alerts.length > 0) {
      await whileBeating(control, () => options.publish(alerts)); // throws: nothing applied, the batch is redelivered
      options.notify(alerts); // throws: nothing applied, the batch is redelivered
    }
    for (const d of drafts) d.commit();
    for (const t of transitions) m.transitions.inc({ rule: t.rule.id, severity: t.severity, state: t.state });
    for (const a of alerts) logger.info({ alertId: a.alert_id, rule: a.rule, device: a.device_id, state: a.state, severity: a.severity, value: a.value }, a.message);
  };
}
