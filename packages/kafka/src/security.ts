/**
 * `kafka.ssl` and `kafka.sasl`: how a Busbar service secures its connection to the brokers, and the
 * one place that reads the files they point to. Secrets are files, never values in the configuration.
 *
 * - `ssl: true` — TLS with the system's trusted CAs (Node's default store);
 * - `ssl: { caFile, certFile, keyFile, keyPasswordFile, servername, rejectUnauthorized }` — PEM files
 *   of the trusted CAs, the client certificate and its key (mutual TLS);
 * - `sasl: { mechanism, username, passwordFile }` — SASL with `PLAIN`, `SCRAM-SHA-256` or
 *   `SCRAM-SHA-512` (the mechanisms kafkajs 2.2 speaks besides AWS IAM and OAUTHBEARER, which Busbar
 *   does not offer). Without `ssl`, SASL runs over plaintext (SASL_PLAINTEXT): PLAIN then sends the
 *   password in clear, so use it only with `ssl`.
 *
 * Kafka facts: security protocols PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL and the SASL mechanism
 * names are those of the Apache Kafka documentation, "Security" §7 (Kafka 4.x).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { KafkaConfigError } from './errors.js';

/** The SASL mechanisms Busbar configures, as Kafka names them (`sasl.enabled.mechanisms`). */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** One of {@link SASL_MECHANISMS}. */
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** `kafka.ssl` as an object: files of the TLS material (PEM). */
export interface KafkaTlsFiles {
  /** Trusted CA certificates (PEM); absent = the system's CAs. */
  readonly caFile?: string | undefined;
  /** Client certificate (PEM), for mutual TLS; goes with `keyFile`. */
  readonly certFile?: string | undefined;
  /** Client private key (PEM), for mutual TLS; goes with `certFile`. */
  readonly keyFile?: string | undefined;
  /** File holding the passphrase of an encrypted `keyFile` (trailing newline dropped). */
  readonly keyPasswordFile?: string | undefined;
  /** Host name checked against the broker certificate (default: the broker's host). */
  readonly servername?: string | undefined;
  /** Verify the broker certificate (default true; false only for a lab broker you trust otherwise). */
  readonly rejectUnauthorized?: boolean | undefined;
}

/** `kafka.sasl`: mechanism, user name and the file holding the password. */
export interface KafkaSaslConfig {
  /** `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`. */
  readonly mechanism: SaslMechanism;
  /** The SASL user (Kafka principal `User:<username>`). */
  readonly username: string;
  /** File holding the password (trailing newline dropped). */
  readonly passwordFile: string;
}

/** The `ssl`/`sasl` part of the `kafka:` section. */
export interface KafkaSecurityConfig {
  /** TLS: `true` (system CAs) or files. Absent or false: plaintext. */
  readonly ssl?: boolean | KafkaTlsFiles | undefined;
  /** SASL authentication. Absent: none. */
  readonly sasl?: KafkaSaslConfig | undefined;
}

/** The kafkajs options {@link kafkaSecurityOptions} returns. */
export interface KafkaSecurityOptions {
  /** kafkajs `ssl` (absent = plaintext). */
  readonly ssl?: true | ConnectionOptions;
  /** kafkajs `sasl` (absent = none). */
  readonly sasl?: SASLOptions;
}

function readSecret(path: string, field: string, code: 'BB_KAFKA_TLS_FILE_UNREADABLE' | 'BB_KAFKA_SASL_PASSWORD_UNREADABLE'): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new KafkaConfigError(code, `kafka.${field}: cannot read ${path}: ${(cause as Error).message}`, { cause, context: { field: `kafka.${field}`, path } });
  }
  if (text.trim() === '') throw new KafkaConfigError(code, `kafka.${field}: ${path} is empty`, { context: { field: `kafka.${field}`, path } });
  return text;
}

/**
 * kafkajs `ssl` and `sasl` options from the `kafka:` section, with the files read (once, here).
 *
 * @param config - the parsed section (`kafkaConfigSchema`), or any object with its `ssl`/`sasl`.
 * @returns `{}` for plaintext; `{ ssl: true }` for TLS with the system CAs; `{ ssl: { ca, cert, key, passphrase, servername, rejectUnauthorized } }`
 *   with the PEM texts; `{ sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password } }`.
 * @throws {KafkaConfigError} `BB_KAFKA_TLS_FILE_UNREADABLE` naming the field (`kafka.ssl.caFile`...) whose file is
 *   missing, unreadable or empty; `BB_KAFKA_TLS_CONFIG_INVALID` for `certFile` without `keyFile` (or the reverse);
 *   `BB_KAFKA_SASL_PASSWORD_UNREADABLE` for `kafka.sasl.passwordFile`; `BB_KAFKA_SASL_MECHANISM_UNKNOWN` for a
 *   mechanism other than {@link SASL_MECHANISMS}.
 */
export function kafkaSecurityOptions(config: KafkaSecurityConfig): KafkaSecurityOptions {
  const out: { ssl?: true | ConnectionOptions; sasl?: SASLOptions } = {};
  const { ssl, sasl } = config;
  if (ssl === true) out.ssl = true;
  else if (typeof ssl === 'object') {
    if ((ssl.certFile === undefined) !== (ssl.keyFile === undefined)) {
      throw new KafkaConfigError('BB_KAFKA_TLS_CONFIG_INVALID', `kafka.ssl: certFile and keyFile go together (mutual TLS needs both)`, { context: { field: 'kafka.ssl' } });
    }
    out.ssl = {
      ...(ssl.caFile !== undefined ? { ca: readSecret(ssl.caFile, 'ssl.caFile', 'BB_KAFKA_TLS_FILE_UNREADABLE') } : {}),
      ...(ssl.certFile !== undefined ? { cert: readSecret(ssl.certFile, 'ssl.certFile', 'BB_KAFKA_TLS_FILE_UNREADABLE') } : {}),
      ...(ssl.keyFile !== undefined ? { key: readSecret(ssl.keyFile, 'ssl.keyFile', 'BB_KAFKA_TLS_FILE_UNREADABLE') } : {}),
      ...(ssl.keyPasswordFile !== undefined ? { passphrase: readSecret(ssl.keyPasswordFile, 'ssl.keyPasswordFile', 'BB_KAFKA_TLS_FILE_UNREADABLE').replace(/\r?\n$/, '') } : {}),
      ...(ssl.servername !== undefined ? { servername: ssl.servername } : {}),
      ...(ssl.rejectUnauthorized !== undefined ? { rejectUnauthorized: ssl.rejectUnauthorized } : {}),
    };
  }
  if (sasl !== undefined) {
    const mechanism = String(sasl.mechanism).toUpperCase();
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new KafkaConfigError('BB_KAFKA_SASL_MECHANISM_UNKNOWN', `kafka.sasl.mechanism: unknown mechanism ${JSON.stringify(sasl.mechanism)}; expected one of ${SASL_MECHANISMS.join(', ')}`, {
        context: { field: 'kafka.sasl.mechanism', mechanism: String(sasl.mechanism) },
      });
    }
    const password = readSecret(sasl.passwordFile, 'sasl.passwordFile', 'BB_KAFKA_SASL_PASSWORD_UNREADABLE').replace(/\r?\n$/, '');
    const m = mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512';
    out.sasl = m === 'plain' ? { mechanism: 'plain', username: sasl.username, password } : m === 'scram-sha-256' ? { mechanism: 'scram-sha-256', username: sasl.username, password } : { mechanism: 'scram-sha-512', username: sasl.username, password };
  }
  return out;
}
