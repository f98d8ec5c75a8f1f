/**
 * The Kafka side of the CLI: brokers and topic names from `--config FILE` (any Busbar service's
 * file: its `kafka:` and `topics:` sections; the rest is ignored) or `BUSBAR_CONFIG`, the usual
 * `BUSBAR_KAFKA__BROKERS`-style overrides, and `--brokers` over both.
 */
import { z } from 'zod';
import type { Kafka } from 'kafkajs';
import { createFraming } from '@busbar/avro';
import type { AvroFraming } from '@busbar/avro';
import { createKafka, kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import type { KafkaConfig, TopicsConfig } from '@busbar/kafka';
import { ConfigError, loadConfig } from '@busbar/runtime';

const sectionsSchema = z.object({ kafka: kafkaConfigSchema, topics: topicsConfigSchema });

/** `--config` and `--brokers`, as every Kafka subcommand takes them. */
export interface ConnectionOptions {
  readonly config?: string | undefined;
  readonly brokers?: string | undefined;
}

/** A connection to the cluster, with the deployment's topic names and Avro framing. */
export interface Connection {
  readonly kafka: Kafka;
  readonly config: KafkaConfig;
  readonly topics: TopicsConfig;
  readonly framing: AvroFraming;
}

/**
 * Reads the `kafka:` and `topics:` sections and makes the client (nothing is connected yet).
 *
 * @throws {ConfigError} `BB_CONFIG_INVALID` (no brokers anywhere, a bad field), `BB_CONFIG_UNREADABLE`.
 */
export function connect(options: ConnectionOptions, env: NodeJS.ProcessEnv, clientId: string): Connection {
  const overrides: NodeJS.ProcessEnv = { ...env };
  if (options.brokers !== undefined) overrides['BUSBAR_KAFKA__BROKERS'] = options.brokers;
  const file = options.config ?? env['BUSBAR_CONFIG'];
  if (file === undefined && overrides['BUSBAR_KAFKA__BROKERS'] === undefined && overrides['BUSBAR_KAFKA'] === undefined) {
    throw new ConfigError('BB_CONFIG_INVALID', 'no brokers: give --brokers host:port,..., --config FILE (a service configuration) or BUSBAR_KAFKA__BROKERS');
  }
  const sections = loadConfig(sectionsSchema, { file, env: overrides });
  const config = { ...sections.kafka, clientId: sections.kafka.clientId ?? clientId };
  return { kafka: createKafka(config), config, topics: sections.topics, framing: createFraming(config.avro) };
}

/**
 * Whether `topic` exists (the admin's topic list; a principal sees only the topics it may DESCRIBE,
 * and READ or WRITE implies DESCRIBE).
 *
 * @throws kafkajs' error when the cluster cannot be reached.
 */
export async function topicExists(kafka: Kafka, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}
