/**
 * The alerter's composition: readings (consumer group) → threshold evaluators → for each
 * transition: an Alert record on the alerts topic, an e-mail and the pager hooks. Offsets are
 * committed after the batch's alerts were published and notified (or their notification failed
 * after `notifyAttempts`, counted in `busbar_alerter_notify_errors_total`).
 *
 * Rule state is in memory: after a restart, a series still beyond its bound fires once more.
 */
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { Logger, Metrics } from '@busbar/core';
import { backoffDelayMs, errorCode } from '@busbar/core';
import type { Alert, Reading } from '@busbar/avro';
import { alertSerde, deadLetterSerde, readingSerde } from '@busbar/avro';
import type { ConsumedRecord } from '@busbar/kafka';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sleep } from '@busbar/runtime';
import type { AlerterConfig } from './config.js';
import { rulesOf } from './config.js';
import { EmailNotifier } from './notify/email.js';
import { postWebhook } from './notify/webhook.js';
import type { Transition } from './rules/threshold.js';
import { ThresholdEvaluator } from './rules/threshold.js';

/** Deterministic alert id of one episode of one series (FIRING and RESOLVED share it). */
export function alertId(t: Transition): string {
  const h = createHash('sha256').update(`${t.seriesKey}#${t.episode}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The Alert record of a transition. */
export function toAlert(t: Transition): Alert {
  const where = t.channel === null ? t.deviceId : `${t.deviceId} channel ${t.channel}`;
  const cmp = t.rule.direction === 'above' ? (t.state === 'FIRING' ? '>' : '<') : t.state === 'FIRING' ? '<' : '>';
  const message = t.state === 'FIRING'
    ? `${t.severity}: ${where} ${t.rule.signal} = ${t.value} ${cmp} ${t.threshold} (rule ${t.rule.id})`
    : `RESOLVED: ${where} ${t.rule.signal} = ${t.value} ${cmp} clear bound ${t.threshold} (rule ${t.rule.id})`;
  return { alert_id: alertId(t), rule: t.rule.id, device_id: t.deviceId, channel: t.channel, signal: t.rule.signal, severity: t.severity, state: t.state, value: t.value, threshold: t.threshold, timestamp: new Date(t.atMs), message };
}

/**
 * Starts the alerter.
 *
 * @throws when Kafka cannot be reached at start.
 */
export async function startAlerter(config: AlerterConfig, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const evaluators = rulesOf(config).map((rule) => ({ evaluator: new ThresholdEvaluator(rule), matches: picomatch([...rule.devices]) }));
  const email = config.email ? new EmailNotifier(config.email) : undefined;
  const m = {
    transitions: metrics.counter({ name: 'busbar_alerter_transitions_total', help: 'Alert transitions, by rule, severity and state.', labelNames: ['rule', 'severity', 'state'] }),
    notified: metrics.counter({ name: 'busbar_alerter_notifications_total', help: 'Notifications sent, by channel.', labelNames: ['channel'] }),
    notifyErrors: metrics.counter({ name: 'busbar_alerter_notify_errors_total', help: 'Notifications that failed after every attempt, by channel.', labelNames: ['channel'] }),
  };

  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? 'busbar-alerter' }, logger);
  const producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  const alerts = new RecordPublisher(producer, config.topics.alerts, alertSerde, metrics);

  const withRetries = async (channel: string, fn: () => Promise<void>): Promise<void> => {
    for (let attempt = 0; attempt < config.notifyAttempts; attempt++) {
      try {
        await fn();
        m.notified.inc({ channel });
        return;
      } catch (err) {
        logger.warn({ channel, code: errorCode(err), err: err instanceof Error ? err.message : String(err), attempt: attempt + 1 }, 'notification failed');
        if (attempt + 1 < config.notifyAttempts) await sleep(backoffDelayMs(attempt, { initialDelayMs: 200, maxDelayMs: 5000 }));
      }
    }
    m.notifyErrors.inc({ channel });
    logger.error({ channel }, 'notification failed after every attempt');
  };

  const handle = async (records: ConsumedRecord<Reading>[]): Promise<void> => {
    const fired: Alert[] = [];
    for (const { value: r } of records) {
      for (const { evaluator, matches } of evaluators) {
        const v = r.values[evaluator.rule.signal] ?? (r.exact_values[evaluator.rule.signal] !== undefined ? Number(r.exact_values[evaluator.rule.signal]) : undefined);
        if (v === undefined || !Number.isFinite(v) || !matches(r.device_id)) continue;
        const t = evaluator.observe({ deviceId: r.device_id, channel: r.channel, value: v, atMs: r.timestamp.getTime() });
        if (!t) continue;
        m.transitions.inc({ rule: t.rule.id, severity: t.severity, state: t.state });
        fired.push(toAlert(t));
      }
    }
    if (fired.length === 0) return;
    await alerts.publish(fired.map((a) => ({ key: a.device_id, value: a })));
    for (const a of fired) {
      logger.info({ alertId: a.alert_id, rule: a.rule, device: a.device_id, state: a.state, severity: a.severity, value: a.value }, a.message);
      if (email) await withRetries('email', () => email.send(a));
      for (const hook of config.webhooks) await withRetries('webhook', () => postWebhook(hook.url, a, hook.timeoutMs));
    }
  };

  const consumer = new DecodingConsumer<Reading>({
    kafka,
    producer,
    groupId: config.groupId,
    topic: config.topics.readings,
    decoder: readingSerde,
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    handle,
    logger,
    metrics,
  });
  await consumer.start();
  logger.info({ rules: config.rules.map((r) => r.id) }, 'alerter running');
  return {
    health: () => ({ ok: true, details: { rules: config.rules.length } }),
    stop: async () => {
      await consumer.stop();
      await producer.disconnect();
      email?.close();
    },
  };
}
