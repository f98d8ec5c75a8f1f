/**
 * A kafkajs client whose log lines go to the service's core {@link Logger}, and topic creation.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, ITopicConfig, LogEntry } from 'kafkajs';
import type { Logger, Metrics } from '@busbar/core';
import { noopLogger, noopMetrics } from '@busbar/core';
import { retryKafkaStartup } from './startup.js';
import type { StartupRetryOptions } from './startup.js';
import { createFraming } from '@busbar/avro';
import type { AvroConfig } from '@busbar/avro';
import { setFraming } from './framing.js';
import { kafkaSecurityOptions } from './security.js';
import type { KafkaSecurityConfig } from './security.js';
import { installKafkajsWarningFilter } from './warnings.js';

/** Connection settings shared by every Busbar service (`ssl`/`sasl`: see {@link KafkaSecurityConfig}). */
export interface KafkaConnectionConfig extends KafkaSecurityConfig {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Client id reported to the brokers (default: the service name). */
  readonly clientId: string;
  /** Connection timeout, ms (default 3000). */
  readonly connectionTimeoutMs?: number;
  /** Request timeout, ms (default 30000). */
  readonly requestTimeoutMs?: number;
  /**
   * `kafka.avro`: value framing and schema registry. Absent: single-object encoding, no registry
   * (Busbar's behaviour before the Confluent framing). Pass the whole parsed `kafka:` section.
   */
  readonly avro?: AvroConfig;
}

/**
 * Creates a kafkajs client that logs through `logger` (namespace bound as `kafka`).
 * kafkajs ERROR lines are logged as warnings: kafkajs retries most of them itself.
 *
 * Installs the process-wide filter of kafkajs' `TimeoutNegativeWarning` (`warnings.ts`, kafkajs
 * issue #1751); with `metrics`, the warnings it dropped are counted in
 * `busbar_kafka_client_warnings_dropped_total{warning="TimeoutNegativeWarning"}`.
 *
 * With `config.avro`, the client and every producer made from it carry the deployment's framing
 * (see `framingOf`): `RecordPublisher` writes it, `DecodingConsumer` and `readTopicToEnd` read both
 * framings through the configured registry.
 * With `config.ssl` / `config.sasl` the client connects over TLS and authenticates with SASL; their
 * files are read here, once (`kafkaSecurityOptions`).
 * @throws {RegistryError} `BB_AVRO_REGISTRY_CONFIG_INVALID` when a registry secret file cannot be read.
 * @throws {KafkaConfigError} `BB_KAFKA_TLS_FILE_UNREADABLE`, `BB_KAFKA_TLS_CONFIG_INVALID`,
 *   `BB_KAFKA_SASL_PASSWORD_UNREADABLE`, `BB_KAFKA_SASL_MECHANISM_UNKNOWN` (see `kafkaSecurityOptions`).
 */
export function createKafka(config: KafkaConnectionConfig, logger: Logger = noopLogger, metrics: Metrics = noopMetrics): Kafka {
  installKafkajsWarningFilter(metrics.counter({ name: 'busbar_kafka_client_warnings_dropped_total', help: 'Warnings of the Kafka client library dropped from the log as known and harmless (kafkajs issue #1751), by warning name.', labelNames: ['warning'] }));
  const kafka = newKafka(config, logger);
  if (config.avro !== undefined) {
    const framing = createFraming(config.avro, logger);
    setFraming(kafka, framing);
    const producer = kafka.producer.bind(kafka);
    kafka.producer = (options) => {
      const p = producer(options);
      setFraming(p, framing);
      return p;
    };
  }
  return kafka;
}

function newKafka(config: KafkaConnectionConfig, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  const security = kafkaSecurityOptions(config);
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ...security,
    connectionTimeout: config.connectionTimeoutMs ?? 3000,
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      // kafkajs' own `timestamp` and `logger: 'kafkajs'` repeat the line's `time` and `component`: one key per fact
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log as LogEntry['log'] & { logger?: unknown };
      const f = { namespace: entry.namespace, ...fields };
      if (entry.level <= logLevel.WARN) log.warn(f, message);
      else if (entry.level === logLevel.INFO) log.info(f, message);
      else log.debug(f, message);
    },
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
  });
}

/** A topic to create if absent. */
export interface TopicSpec {
  /** Topic name. */
  readonly topic: string;
  /** Partitions (default 3). */
  readonly numPartitions?: number;
  /** Replication factor (default -1: the broker's default). */
  readonly replicationFactor?: number;
  /** Topic configuration set at creation, e.g. `{ 'cleanup.policy': 'compact' }` (an existing topic is left as it is). */
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * Creates the topics that do not exist yet (idempotent) and waits for their leaders. Repeated while
 * Kafka answers with an error it marks retriable, for a bounded time (`retry`, see `retryKafkaStartup`).
 *
 * @returns names of the topics created by this call.
 * @throws kafkajs' error when it is not retriable or still fails after the bound.
 */
export async function ensureTopics(admin: Admin, topics: readonly TopicSpec[], retry: StartupRetryOptions = {}): Promise<string[]> {
  return retryKafkaStartup(
    `ensure topics ${topics.map((t) => t.topic).join(', ')}`,
    async () => {
      const existing = new Set(await admin.listTopics());
      const missing: ITopicConfig[] = topics
        .filter((t) => !existing.has(t.topic))
        .map((t) => ({ topic: t.topic, numPartitions: t.numPartitions ?? 3, replicationFactor: t.replicationFactor ?? -1, configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })) }));
      if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
      return missing.map((t) => t.topic);
    },
    retry,
  );
}
