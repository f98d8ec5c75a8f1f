/** Error codes raised by `@busbar/kafka`. */
import type { ErrorCatalogue } from '@busbar/core';
import { BusbarError } from '@busbar/core';

/** Codes raised by `@busbar/kafka` (documented in docs/errors.md). */
export const ERROR_CODES = {
  BB_KAFKA_REPLAY_INCOMPLETE: { meaning: 'Reading a topic back at start (answered command ids) did not reach its end in time; the service refuses to start rather than run with partial state.' },
  BB_KAFKA_CONSUMER_STOPPED: { meaning: 'A handler asked to commit its progress after its consumer stopped; nothing was committed and the batch is replayed by the next owner.' },
  BB_KAFKA_UNDECODABLE: { meaning: 'A consumed message failed to decode with an error that carries no Busbar code; it went to the dead-letter topic.' },
  BB_KAFKA_TLS_FILE_UNREADABLE: { meaning: 'A file named in `kafka.ssl` (caFile, certFile, keyFile, keyPasswordFile) is missing, unreadable or empty; the service does not start.' },
  BB_KAFKA_TLS_CONFIG_INVALID: { meaning: '`kafka.ssl` is inconsistent: certFile without keyFile or the reverse (mutual TLS needs both).' },
  BB_KAFKA_SASL_PASSWORD_UNREADABLE: { meaning: '`kafka.sasl.passwordFile` is missing, unreadable or empty; the service does not start.' },
  BB_KAFKA_CLIENT_UNSUPPORTED: { meaning: 'The experimental @platformatic/kafka producer was given a setting it does not support yet (`kafka.ssl`, `kafka.sasl`); use the default client (kafkajs).' },
  BB_KAFKA_SASL_MECHANISM_UNKNOWN: { meaning: '`kafka.sasl.mechanism` is not one Busbar speaks: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.' },
} as const satisfies ErrorCatalogue;

/** Thrown when the `kafka:` section's security settings cannot be used (a file, a mechanism). Not retriable. */
export class KafkaConfigError extends BusbarError {}
