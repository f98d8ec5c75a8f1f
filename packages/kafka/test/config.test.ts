import { describe, expect, it } from 'vitest';
import { kafkaConfigSchema } from '../src/index.js';

const brokers = ['127.0.0.1:9092'];

function issues(input: unknown): string[] {
  const r = kafkaConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('kafka > config > kafka.avro', () => {
  it('is optional: without it, services keep single-object encoding and no registry', () => {
    expect(kafkaConfigSchema.parse({ brokers })).toEqual({ brokers });
  });

  it('defaults framing to single-object, and a registry to register: true, BACKWARD, 5000 ms', () => {
    expect(kafkaConfigSchema.parse({ brokers, avro: {} }).avro).toEqual({ framing: 'single-object' });
    expect(kafkaConfigSchema.parse({ brokers, avro: { framing: 'confluent', registry: { url: 'http://sr:8081' } } }).avro).toEqual({
      framing: 'confluent',
      registry: { url: 'http://sr:8081', register: true, compatibility: 'BACKWARD', timeoutMs: 5000 },
    });
  });

  it('takes basic auth and TLS as files, and look-up-only mode', () => {
    const avro = { framing: 'confluent', registry: { url: 'https://sr:8081', basicAuth: { username: 'busbar', passwordFile: '/run/secrets/pw' }, tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' }, register: false } };
    expect(kafkaConfigSchema.parse({ brokers, avro }).avro?.registry).toMatchObject({ register: false, basicAuth: { username: 'busbar', passwordFile: '/run/secrets/pw' } });
  });

  it.each([
    [{ framing: 'confluent' }, 'avro.registry: framing confluent needs kafka.avro.registry'],
    [{ framing: 'protobuf' }, 'avro.framing: '],
    [{ registry: { url: 'ftp://sr' } }, 'avro.registry.url: must be an http:// or https:// URL'],
    [{ registry: { url: 'http://sr', tls: { certFile: 'c.pem' } } }, 'avro.registry.tls: certFile and keyFile go together'],
    [{ registry: { url: 'http://sr', basicAuth: { username: 'u', password: 'inline' } } }, 'avro.registry.basicAuth'],
    [{ registry: { url: 'http://sr', compatibility: 'SOMETIMES' } }, 'avro.registry.compatibility: '],
    [{ registry: { url: 'http://sr', timeoutMs: 0 } }, 'avro.registry.timeoutMs: '],
  ])('refuses %j naming the field', (avro, message) => {
    const found = issues({ brokers, avro });
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((m) => m.startsWith(message))).toBe(true);
  });
});

describe('kafka > config > kafka.ssl and kafka.sasl', () => {
  it('takes ssl: true, ssl files and a SASL mechanism in any case', () => {
    expect(kafkaConfigSchema.parse({ brokers, ssl: true }).ssl).toBe(true);
    expect(kafkaConfigSchema.parse({ brokers, ssl: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' } }).ssl).toEqual({ caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' });
    expect(kafkaConfigSchema.parse({ brokers, sasl: { mechanism: 'scram-sha-256', username: 'u', passwordFile: 'pw' } }).sasl).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'u', passwordFile: 'pw' });
  });

  it.each([
    [{ sasl: { mechanism: 'GSSAPI', username: 'u', passwordFile: 'pw' } }, 'sasl.mechanism: unknown SASL mechanism "GSSAPI"; expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512'],
    [{ sasl: { mechanism: 'PLAIN', username: 'u', password: 'inline' } }, 'sasl: Unrecognized key: "password"'],
    [{ sasl: { mechanism: 'PLAIN', username: 'u' } }, 'sasl.passwordFile: '],
    [{ ssl: { certFile: 'c.pem' } }, 'ssl: certFile and keyFile go together'],
    [{ ssl: { ca: 'inline PEM' } }, 'ssl'],
    [{ ssl: 'yes' }, 'ssl: '],
    [{ sals: { mechanism: 'PLAIN' } }, ': Unrecognized key: "sals"'],
  ])('refuses %j naming the field', (extra, message) => {
    const found = issues({ brokers, ...extra });
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((m) => m.startsWith(message))).toBe(true);
  });
});
