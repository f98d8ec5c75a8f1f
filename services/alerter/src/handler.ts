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
 * 3. the draft is committed, then each alert is notified — only after its record was
 *    acknowledged. One alert's channels (e-mail, each webhook) run concurrently, each with up to
 *    `notifyAttempts` attempts; a channel that fails every attempt is logged and counted in
 *    `busbar_alerter_notify_errors_total{channel}` and does not fail the batch.
 *
 * While it waits (publishing, notifying, backing off) the handler calls `control.heartbeat()`
 * every `heartbeatIntervalMs`, so a slow mail server does not cost the consumer its group
 * membership.
 */
import picomatch from 'picomatch';
import type { BackoffOptions, Logger, Metrics } from '@busbar/core';
import { backoffDelayMs, errorCode, noopLogger, noopMetrics, sleep } from '@busbar/core';
import type { Alert, Reading } from '@busbar/avro';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
import { toAlert } from './alert.js';
import type { EvaluationDraft, ThresholdRule, Transition } from './rules/threshold.js';
import { ThresholdEvaluator } from './rules/threshold.js';

/** One notification channel (e-mail, a webhook). */
export interface Notifier {
  /** Metric label and log field: `email` or `webhook` (a small fixed set, no URLs). */
  readonly channel: string;
  /** Sends one alert; rejects on failure (retried by the handler). */
  send(alert: Alert): Promise<void>;
}

/** Options of {@link createReadingsHandler}. */
export interface ReadingsHandlerOptions {
  /** Validated rules (one evaluator each). */
  readonly rules: readonly ThresholdRule[];
  /** Publishes the batch's Alert records; resolves once the brokers acknowledged them. */
  readonly publish: (alerts: readonly Alert[]) => Promise<void>;
  /** Channels every alert is sent to. */
  readonly notifiers: readonly Notifier[];
  /** Attempts per alert and channel (≥ 1). */
  readonly notifyAttempts: number;
  /** Backoff between attempts (default 200 ms doubling, capped at 5 s). */
  readonly retryBackoff?: BackoffOptions;
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
 *   Alert records could not be published (the batch is then redelivered); never rejects because
 *   of a notification.
 */
export function createReadingsHandler(options: ReadingsHandlerOptions): (records: readonly ConsumedRecord<Reading>[], control: BatchControl) => Promise<void> {
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const retryBackoff = options.retryBackoff ?? { initialDelayMs: 200, maxDelayMs: 5000 };
  const evaluators = options.rules.map((rule) => ({ evaluator: new ThresholdEvaluator(rule), matches: picomatch([...rule.devices]) }));
  const m = {
    transitions: metrics.counter({ name: 'busbar_alerter_transitions_total', help: 'Alert transitions, by rule, severity and state.', labelNames: ['rule', 'severity', 'state'] }),
    notified: metrics.counter({ name: 'busbar_alerter_notifications_total', help: 'Notifications sent, by channel.', labelNames: ['channel'] }),
    notifyErrors: metrics.counter({ name: 'busbar_alerter_notify_errors_total', help: 'Notifications that failed after every attempt, by channel.', labelNames: ['channel'] }),
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

  const withRetries = async (n: Notifier, a: Alert, control: BatchControl): Promise<void> => {
    for (let attempt = 0; attempt < options.notifyAttempts; attempt++) {
      try {
        await n.send(a);
        m.notified.inc({ channel: n.channel });
        return;
      } catch (err) {
        logger.warn({ channel: n.channel, alertId: a.alert_id, code: errorCode(err), err: err instanceof Error ? err.message : String(err), attempt: attempt + 1 }, 'notification failed');
        await beat(control);
        if (attempt + 1 < options.notifyAttempts) await sleep(backoffDelayMs(attempt, retryBackoff));
      }
    }
    m.notifyErrors.inc({ channel: n.channel });
    logger.error({ channel: n.channel, alertId: a.alert_id }, 'notification failed after every attempt');
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
    if (alerts.length > 0) await whileBeating(control, () => options.publish(alerts)); // throws: nothing applied, the batch is redelivered
    for (const d of drafts) d.commit();
    for (const t of transitions) m.transitions.inc({ rule: t.rule.id, severity: t.severity, state: t.state });
    for (const a of alerts) {
      logger.info({ alertId: a.alert_id, rule: a.rule, device: a.device_id, state: a.state, severity: a.severity, value: a.value }, a.message);
      await whileBeating(control, () => Promise.allSettled(options.notifiers.map((n) => withRetries(n, a, control))));
      await beat(control);
    }
  };
}
