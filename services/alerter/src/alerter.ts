/**
 * The alerter's composition: readings (consumer group) → threshold evaluators → for each
 * transition: an Alert record on the alerts topic, then its notifications (an e-mail, each pager
 * hook) recorded in the durable alert outbox, which delivers them with retries (see `handler.ts`
 * for the order, `notify/outbox.ts` for delivery). Offsets are committed after the batch's alerts
 * were published and their notifications recorded. A batch whose alerts could not be published is
 * not committed and is redelivered; the rule state is applied only after the publish succeeded.
 *
 * Rule state survives restarts and partition moves: the firing series are written to a compacted
 * state topic (`rule-state/`) and restored before the first batch of each assigned partition, so an
 * episode keeps its alert id across a restart or a rebalance and its RESOLVED is sent — also when
 * the value recovered while no alerter ran. A breach that has not fired yet restarts its
 * for-duration clock at the first reading after the restart.
 */
import { join, resolve } from 'node:path';
import type { Logger, Metrics } from '@busbar/core';
import type { Reading } from '@busbar/avro';
import { alertSerde, deadLetterSerde, readingSerde } from '@busbar/avro';
import { DecodingConsumer, PRODUCER_OPTIONS, RecordPublisher, createKafka, retryKafkaStartup, watchProducer } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import type { AlerterConfig, AlerterConfigFile } from './config.js';
import { resolveAlerterSecrets, rulesOf, stateTopicOf } from './config.js';
import { createReadingsHandler } from './handler.js';
import { EmailNotifier } from './notify/email.js';
import { AlertOutbox } from './notify/outbox.js';
import type { Notifier } from './notify/outbox.js';
import { postWebhook } from './notify/webhook.js';
import { openRuleState } from './rule-state/store.js';

/**
 * Starts the alerter.
 *
 * @param input - the configuration from `loadAlerterConfig` (secrets read), or as parsed by
 *   `alerterConfigSchema` (its secret files are then read relative to the working directory).
 * @throws when Kafka cannot be reached at start; `BB_ALERTER_SECRET_UNREADABLE` for a secret file.
 */
export async function startAlerter(input: AlerterConfig | AlerterConfigFile, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const config = resolveAlerterSecrets(input, process.cwd());
  const { logger, metrics } = deps;
  const email = config.email ? new EmailNotifier(config.email) : undefined;
  const notifiers: Notifier[] = [
    ...(email ? [{ channel: 'email', send: (a) => email.send(a) } satisfies Notifier] : []),
    ...config.webhooks.map((hook, i): Notifier => ({ channel: `webhook-${i + 1}`, send: (a) => postWebhook(hook, a) })),
  ];
  const outbox = new AlertOutbox({
    path: resolve(config.outbox.path ?? join('state', `${config.groupId}.outbox.sqlite`)), notifiers, expireAfterMs: config.outbox.expireAfterMs,
    retry: { initialDelayMs: config.outbox.retryInitialMs, maxDelayMs: config.outbox.retryMaxMs }, logger, metrics,
  });
  outbox.start(); // notifications recorded before a restart go out first

  const kafka = createKafka({ ...config.kafka, clientId: config.kafka.clientId ?? 'busbar-alerter' }, logger, metrics);
  const producer = kafka.producer(PRODUCER_OPTIONS);
  const producerCheck = watchProducer(producer);
  await retryKafkaStartup('producer connect', () => producer.connect(), { logger: logger });
  const alerts = new RecordPublisher(producer, config.topics.alerts, alertSerde, metrics);
  const state = await openRuleState({ kafka, producer, topic: stateTopicOf(config), readingsTopic: config.topics.readings, timeoutMs: config.state.loadTimeoutMs, logger });

  const handle = createReadingsHandler({
    rules: rulesOf(config),
    publish: (batch) => alerts.publish(batch.map((a) => ({ key: a.device_id, value: a }))),
    notify: (batch) => outbox.enqueue(batch),
    state,
    logger,
    metrics,
  });

  const consumer = new DecodingConsumer<Reading>({
    kafka,
    producer,
    groupId: config.groupId,
    topic: config.topics.readings,
    decoder: readingSerde,
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    handle,
    onAssignment: () => handle.reassigned(),
    logger,
    metrics,
  });
  await consumer.start();
  logger.info({ rules: config.rules.map((r) => r.id) }, 'alerter running');
  return {
    health: () => ({ ok: true, details: { rules: config.rules.length, outbox_pending: outbox.pending } }),
    ready: () => {
      const stateProblem = state.problem();
      return {
        kafka_consumer: consumer.readiness(),
        kafka_producer: producerCheck(),
        rule_state: stateProblem === undefined ? { ok: true } : { ok: false, reason: stateProblem },
        // one check per notification channel: `notify_email` (SMTP), `notify_webhook-1` …
        ...Object.fromEntries(Object.entries(outbox.channelStatus()).map(([channel, st]) => [`notify_${channel}`, st])),
      };
    },
    stop: async () => {
      await consumer.stop(); // leaves the group: another member takes the partitions over at once
      await outbox.stop(); // undelivered notifications stay recorded for the next start
      await state.stop();
      await producer.disconnect();
      email?.close();
    },
  };
}
