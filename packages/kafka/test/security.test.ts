import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaConfigError } from '../src/errors.js';
import { kafkaSecurityOptions } from '../src/security.js';
import type { KafkaSecurityConfig } from '../src/security.js';

const dir = mkdtempSync(join(tmpdir(), 'busbar-kafka-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
const cert = file('cert.pem', '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
const key = file('key.pem', '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');
const password = file('password', 's3cret, with a comma\n');
const empty = file('empty', '\n');
const missing = join(dir, 'no-such-file');

function refusal(config: KafkaSecurityConfig): KafkaConfigError {
  try {
    kafkaSecurityOptions(config);
  } catch (err) {
    expect(err).toBeInstanceOf(KafkaConfigError);
    return err as KafkaConfigError;
  }
  throw new Error('expected a KafkaConfigError');
}

describe('kafka > security > kafkaSecurityOptions', () => {
  it('is plaintext without ssl and sasl, and with ssl: false', () => {
    expect(kafkaSecurityOptions({})).toEqual({});
    expect(kafkaSecurityOptions({ ssl: false })).toEqual({});
  });

  it('passes ssl: true through (TLS with the system CAs)', () => {
    expect(kafkaSecurityOptions({ ssl: true })).toEqual({ ssl: true });
  });

  it('reads the CA, client certificate and key files into the TLS options', () => {
    expect(kafkaSecurityOptions({ ssl: { caFile: ca, certFile: cert, keyFile: key, servername: 'kafka.lab', rejectUnauthorized: true } })).toEqual({
      ssl: { ca: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n', cert: '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n', key: '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n', servername: 'kafka.lab', rejectUnauthorized: true },
    });
  });

  it.each([
    ['PLAIN', 'plain'],
    ['SCRAM-SHA-256', 'scram-sha-256'],
    ['SCRAM-SHA-512', 'scram-sha-512'],
    ['scram-sha-512', 'scram-sha-512'],
  ] as const)('maps mechanism %s to kafkajs %s with the password read from its file (trailing newline dropped)', (mechanism, kafkajs) => {
    expect(kafkaSecurityOptions({ ssl: true, sasl: { mechanism: mechanism as 'PLAIN', username: 'collector-modbus', passwordFile: password } })).toEqual({
      ssl: true,
      sasl: { mechanism: kafkajs, username: 'collector-modbus', password: 's3cret, with a comma' },
    });
  });

  it.each([
    ['a missing CA file', { ssl: { caFile: missing } }, 'BB_KAFKA_TLS_FILE_UNREADABLE', 'kafka.ssl.caFile: cannot read'],
    ['a missing key file', { ssl: { certFile: cert, keyFile: missing } }, 'BB_KAFKA_TLS_FILE_UNREADABLE', 'kafka.ssl.keyFile: cannot read'],
    ['an empty certificate file', { ssl: { certFile: empty, keyFile: key } }, 'BB_KAFKA_TLS_FILE_UNREADABLE', 'kafka.ssl.certFile: '],
    ['a certificate without key', { ssl: { certFile: cert } }, 'BB_KAFKA_TLS_CONFIG_INVALID', 'kafka.ssl: certFile and keyFile go together'],
    ['a missing password file', { sasl: { mechanism: 'PLAIN', username: 'u', passwordFile: missing } }, 'BB_KAFKA_SASL_PASSWORD_UNREADABLE', 'kafka.sasl.passwordFile: cannot read'],
    ['an empty password file', { sasl: { mechanism: 'PLAIN', username: 'u', passwordFile: empty } }, 'BB_KAFKA_SASL_PASSWORD_UNREADABLE', 'is empty'],
    ['an unknown mechanism', { sasl: { mechanism: 'GSSAPI', username: 'u', passwordFile: password } }, 'BB_KAFKA_SASL_MECHANISM_UNKNOWN', 'kafka.sasl.mechanism: unknown mechanism "GSSAPI"; expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512'],
  ])('refuses %s with its code, naming the field', (_what, config, code, message) => {
    const err = refusal(config as KafkaSecurityConfig);
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
    expect(err.retriable).toBe(false);
  });

  it('never puts the password in the error of an unreadable file', () => {
    const err = refusal({ ssl: { caFile: missing }, sasl: { mechanism: 'PLAIN', username: 'u', passwordFile: password } });
    expect(JSON.stringify(err.toJSON())).not.toContain('s3cret');
  });
});
