/**
 * Acknowledgements from Kafka: a consumer group `<groupId>.acks` on the alert-control topic
 * (`@busbar/alert-control`) — one member of the alerter group handles each ack. For an episode that fires (found
 * in the rule state, which every member follows in full) it publishes the ACKNOWLEDGED Alert on the
 * alerts topic with the alerter group's `busbar-alerter-group` header (one idempotent send; the
 * historian stores it like the others). The notification channels read it from there like any
 * other Alert record (`notify/dispatcher.ts`): PagerDuty sends `acknowledge`, an Alertmanager gets a
 * silence of the episode, the e-mail and webhooks skip it, and every channel holds back the
 * episode's later escalations. Offsets are committed after the send: at-least-once; a redelivered
 * ack publishes a second ACKNOWLEDGED record of the same episode (PagerDuty and Alertmanager take it
 * twice without harm).
 *
 * Outcomes, counted in `busbar_alerter_acks_total{outcome}`: `acknowledged`; `not_firing` (no firing
 * episode has that id: unknown, or resolved already — logged, nothing published); an undecodable
 * record goes to the dead-letter topic (`BB_ALERTER_ACK_INVALID`).
 */
import type { Alert } from '@busbar/avro';
import { deadLetterSerde } from '@busbar/avro';
import type { Logger, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import { DecodingConsumer, ensureTopics, retryKafkaStartup } from '@busbar/kafka';
import type { createKafka } from '@busbar/kafka';
import type { SeriesStateRecord } from '../rule-state/record.js';
import type { AckRecord } from '@busbar/alert-control';
import { decodeAckRecord } from '@busbar/alert-control';
import { toAcknowledgedAlert } from './record.js';

type Kafka = ReturnType<typeof createKafka>;
type Producer = ReturnType<Kafka['producer']>;

/** Options of {@link startAckListener}. */
export interface AckListenerOptions {
  readonly kafka: Kafka;
  /** Connected producer (dead letters). */
  readonly producer: Producer;
  /** The alerter's group id: the listener's group is `<groupId>.acks`. */
  readonly groupId: string;
  /** The alert-control topic (created when absent, 3 partitions). */
  readonly topic: string;
  readonly deadLetterTopic: string;
  /** Finds the firing episode of an alert id (the rule state). */
  readonly findEpisode: (alertId: string) => Promise<SeriesStateRecord | undefined>;
  /** Rule id → signal (the configuration). */
  readonly signalOf: (ruleId: string) => string | undefined;
  /** Publishes Alert records on the alerts topic with the alerter group header (resolves once acknowledged by Kafka). */
  readonly publish: (alerts: readonly Alert[]) => Promise<void>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** The running listener. */
export interface AckListener {
  /** Whether the consumer is up (for `/readyz`). */
  readiness(): { ok: boolean; reason?: string };
  /** Leaves the group. */
  stop(): Promise<void>;
}

/**
 * Creates the alert-control topic when absent and starts consuming it.
 *
 * @throws kafkajs' error when Kafka cannot be reached at start.
 */
export async function startAckListener(o: AckListenerOptions): Promise<AckListener> {
  const log = o.logger ?? noopLogger;
  const acks = (o.metrics ?? noopMetrics).counter({ name: 'busbar_alerter_acks_total', help: 'Acknowledgements read from the alert-control topic, by outcome (acknowledged, not_firing).', labelNames: ['outcome'] });
  const admin = o.kafka.admin();
  await retryKafkaStartup('connect the admin client (alert-control topic)', () => admin.connect(), { logger: log });
  try {
    // compacted: one record per episode (its key) is all that is needed, kept as long as it may matter (the
    // alerter follows the whole topic to hold back escalations of acknowledged episodes after a restart)
    await ensureTopics(admin, [{ topic: o.topic, numPartitions: 3, config: { 'cleanup.policy': 'compact' } }], { logger: log });
  } finally {
    await admin.disconnect();
  }
  const consumer = new DecodingConsumer<AckRecord>({
    kafka: o.kafka,
    producer: o.producer,
    groupId: `${o.groupId}.acks`,
    topic: o.topic,
    decoder: { decode: decodeAckRecord },
    deadLetter: { topic: o.deadLetterTopic, encoder: deadLetterSerde },
    handle: async (records) => {
      const out: Alert[] = [];
      for (const { value: ack } of records) {
        const series = await o.findEpisode(ack.alertId);
        if (series === undefined) {
          acks.inc({ outcome: 'not_firing' });
          log.warn({ alertId: ack.alertId, by: ack.by }, 'ack for an alert that does not fire (unknown or resolved): ignored');
          continue;
        }
        acks.inc({ outcome: 'acknowledged' });
        log.info({ alertId: ack.alertId, by: ack.by, rule: series.rule, deviceId: series.deviceId }, 'alert acknowledged');
        out.push(toAcknowledgedAlert(series, o.signalOf(series.rule) ?? '', ack));
      }
      if (out.length === 0) return;
      await o.publish(out);
    },
    logger: log,
    metrics: o.metrics,
  });
  await consumer.start();
  return { readiness: () => consumer.readiness(), stop: () => consumer.stop() };
}
