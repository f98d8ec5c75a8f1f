/**
 * The `kafka` and `topics` sections every service's configuration shares (zod schemas, so the
 * service validates them with the rest of its file; see `@busbar/runtime` `loadConfig`).
 */
import { z } from 'zod';
import { SASL_MECHANISMS } from './security.js';

/** `kafka.avro.registry:` — the schema registry (Confluent-compatible REST API) and how to authenticate. Secrets are files. */
export const registryConfigSchema = z
  .object({
    /** Base URL of the Confluent-compatible API: `https://sr:8081` (Confluent), `http://host:8080/apis/ccompat/v7` (Apicurio). */
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    /** HTTP basic auth: user name and a file holding the password. */
    basicAuth: z.object({ username: z.string().min(1), passwordFile: z.string().min(1) }).strict().optional(),
    /** TLS: PEM files of the trusted CAs, and of the client certificate and key (mutual TLS). */
    tls: z
      .object({ caFile: z.string().min(1).optional(), certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional() })
      .strict()
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together' })
      .optional(),
    /** Register the current schemas at start (true), or only look their ids up (false: a locked-down registry). */
    register: z.boolean().default(true),
    /** Compatibility level set on each subject when registering. */
    compatibility: z.enum(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE']).default('BACKWARD'),
    /** Per-request timeout, ms. */
    timeoutMs: z.number().int().positive().default(5000),
  })
  .strict();

/**
 * `kafka.avro:` — the framing producers write (`single-object`, Busbar's default, or `confluent`:
 * `00` + schema id, for Kafka Connect, ksqlDB and other Confluent-format consumers). Consumers read
 * both framings; a Confluent-framed record needs `registry`.
 */
export const avroConfigSchema = z
  .object({
    framing: z.enum(['single-object', 'confluent']).default('single-object'),
    registry: registryConfigSchema.optional(),
  })
  .strict()
  .refine((a) => a.framing !== 'confluent' || a.registry !== undefined, { message: 'framing confluent needs kafka.avro.registry', path: ['registry'] });

/**
 * `kafka.ssl:` as an object — PEM files of the trusted CAs and of the client certificate and key
 * (mutual TLS); `ssl: true` is TLS with the system's CAs. Read by `kafkaSecurityOptions`.
 */
export const kafkaTlsConfigSchema = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    keyPasswordFile: z.string().min(1).optional(),
    servername: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().optional(),
  })
  .strict()
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together (mutual TLS needs both)' });

/** `kafka.sasl:` — mechanism (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`; case ignored), user and password file. */
export const kafkaSaslConfigSchema = z
  .object({
    mechanism: z.preprocess(
      (m) => (typeof m === 'string' ? m.toUpperCase() : m),
      z.enum(SASL_MECHANISMS, { error: (iss) => `unknown SASL mechanism ${JSON.stringify(iss.input)}; expected one of ${SASL_MECHANISMS.join(', ')}` }),
    ),
    username: z.string().min(1),
    /** File holding the password (secrets are files; trailing newline dropped). */
    passwordFile: z.string().min(1),
  })
  .strict();

/** `kafka:` — connection to the cluster. Unknown keys are refused (a misspelt `sasl` is not silently plaintext). */
export const kafkaConfigSchema = z
  .object({
    /** Bootstrap brokers, `host:port`. */
    brokers: z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port')).min(1, 'at least one broker'),
    /** Client id (default: the service name, set by the service). */
    clientId: z.string().min(1).optional(),
    /** TLS: `true` (system CAs) or files (`caFile`, `certFile`, `keyFile`...). Default plaintext. */
    ssl: z.union([z.boolean(), kafkaTlsConfigSchema]).optional(),
    /** SASL authentication (`mechanism`, `username`, `passwordFile`). Default none. */
    sasl: kafkaSaslConfigSchema.optional(),
    /** Value framing and schema registry (default: single-object, no registry). */
    avro: avroConfigSchema.optional(),
  })
  .strict();

/** Default topic names (schemas/README.md, "Topics"). */
export const DEFAULT_TOPICS = {
  readings: 'busbar.readings.v1',
  deviceEvents: 'busbar.device-events.v1',
  commands: 'busbar.commands.v1',
  deviceCommands: 'busbar.device-commands.v1',
  commandResults: 'busbar.command-results.v1',
  alerts: 'busbar.alerts.v1',
  deadLetter: 'busbar.dead-letter.v1',
} as const;

/** `topics:` — names of the topics, each defaulted to {@link DEFAULT_TOPICS}. */
export const topicsConfigSchema = z
  .object({
    readings: z.string().min(1).default(DEFAULT_TOPICS.readings),
    deviceEvents: z.string().min(1).default(DEFAULT_TOPICS.deviceEvents),
    commands: z.string().min(1).default(DEFAULT_TOPICS.commands),
    deviceCommands: z.string().min(1).default(DEFAULT_TOPICS.deviceCommands),
    commandResults: z.string().min(1).default(DEFAULT_TOPICS.commandResults),
    alerts: z.string().min(1).default(DEFAULT_TOPICS.alerts),
    deadLetter: z.string().min(1).default(DEFAULT_TOPICS.deadLetter),
  })
  .strict()
  .default(DEFAULT_TOPICS);

/** Parsed `kafka:` section. */
export type KafkaConfig = z.output<typeof kafkaConfigSchema>;

/** Parsed `topics:` section. */
export type TopicsConfig = z.output<typeof topicsConfigSchema>;
