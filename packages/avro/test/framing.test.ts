/**
 * AvroFraming without I/O: the registry is a stand-in object counting its calls (the real registry
 * is exercised by framing.int.test.ts), to pin the id cache and the error decisions.
 */
import { describe, expect, it } from 'vitest';
import { AvroFraming, commandSerde, readingSerde, type Reading } from '../src/index.js';
import { RegistryError } from '../src/errors.js';
import { type SchemaRegistryApi } from '../src/registry/client.js';

const reading: Reading = {
  device_id: 'psu-1', protocol: 'modbus', channel: 2, timestamp: new Date('2026-01-02T03:04:05.678Z'),
  values: { voltage_v: 12.5 }, exact_values: {}, states: {}, quality: 'GOOD', sequence: 1, record_type: null,
};

function registry(schemas: Record<number, string>, opts: { down?: () => boolean } = {}): SchemaRegistryApi & { calls: string[] } {
  const calls: string[] = [];
  const unreachable = (): RegistryError => new RegistryError('BB_AVRO_REGISTRY_UNREACHABLE', 'connect ECONNREFUSED', { retriable: true });
  return {
    calls,
    url: 'http://registry.invalid',
    register: async (subject) => (calls.push(`register ${subject}`), opts.down?.() ? Promise.reject(unreachable()) : 42),
    lookup: async (subject) => (calls.push(`lookup ${subject}`), 42),
    setCompatibility: async (subject, level) => void calls.push(`config ${subject} ${level}`),
    schemaById: async (id) => {
      calls.push(`id ${id}`);
      if (opts.down?.()) throw unreachable();
      const s = schemas[id];
      if (s === undefined) throw new RegistryError('BB_AVRO_UNKNOWN_SCHEMA_ID', `no id ${id}`);
      return s;
    },
    close: async () => undefined,
  };
}

const confluent = (id: number, body: Buffer): Buffer => {
  const b = Buffer.concat([Buffer.alloc(5), body]);
  b.writeInt32BE(id, 1);
  return b;
};
const readingText = (): string => JSON.stringify(readingSerde.schema().json);

describe('avro > AvroFraming', () => {
  it('single-object (default) encodes exactly as the serde does and needs no registry', async () => {
    const enc = new AvroFraming().encoder(readingSerde, 'busbar.readings.v1');
    expect(enc.isReady()).toBe(true);
    await enc.ready();
    expect(enc.encode(reading)).toEqual(readingSerde.encode(reading));
  });

  it('confluent: sets BACKWARD and registers <topic>-value once, then encodes 00 + id + body', async () => {
    const r = registry({});
    const enc = new AvroFraming({ framing: 'confluent', registry: r }).encoder(readingSerde, 'lab.readings');
    expect(() => enc.encode(reading)).toThrow(expect.objectContaining({ code: 'BB_AVRO_REGISTRY_UNREACHABLE', retriable: true }));
    await Promise.all([enc.ready(), enc.ready()]);
    await enc.ready();
    expect(r.calls).toEqual(['config lab.readings-value BACKWARD', 'register lab.readings-value']);
    expect(enc.encode(reading)).toEqual(Buffer.concat([Buffer.from('000000002a', 'hex'), readingSerde.encodeBody(reading)]));
  });

  it('look-up only neither registers nor touches the subject config', async () => {
    const r = registry({});
    await new AvroFraming({ framing: 'confluent', registry: r, register: false }).encoder(readingSerde, 't').ready();
    expect(r.calls).toEqual(['lookup t-value']);
  });

  it('confluent without a registry is a configuration error', () => {
    expect(() => new AvroFraming({ framing: 'confluent' })).toThrow(expect.objectContaining({ code: 'BB_AVRO_REGISTRY_CONFIG_INVALID' }));
  });

  it('ready() retries an unreachable registry until it answers', async () => {
    let down = 2;
    const r = registry({}, { down: () => down-- > 0 });
    const enc = new AvroFraming({ framing: 'confluent', registry: r, readyTimeoutMs: 60_000 }).encoder(readingSerde, 't');
    await enc.ready();
    expect(r.calls.filter((c) => c.startsWith('register'))).toHaveLength(3);
    expect(enc.isReady()).toBe(true);
  });

  it('decoder: resolves each id once for a whole batch and caches it; reads both framings', async () => {
    const r = registry({ 7: readingText() });
    const dec = new AvroFraming({ registry: r }).decoder(readingSerde);
    const a = confluent(7, readingSerde.encodeBody(reading));
    const b = confluent(7, readingSerde.encodeBody({ ...reading, sequence: 2 }));
    await dec.prepare([a, b, null, readingSerde.encode(reading), Buffer.from([0x00])]);
    await dec.prepare([a]);
    expect(r.calls).toEqual(['id 7']);
    expect(dec.decode(a)).toEqual(reading);
    expect(dec.decode(b).sequence).toBe(2);
    expect(dec.decode(readingSerde.encode(reading))).toEqual(reading);
  });

  it('decoder: an id not prepared is a retriable error (never a dead letter); an unreachable registry makes prepare throw retriable', async () => {
    let down = true;
    const r = registry({ 7: readingText() }, { down: () => down });
    const dec = new AvroFraming({ registry: r }).decoder(readingSerde);
    const a = confluent(7, readingSerde.encodeBody(reading));
    expect(() => dec.decode(a)).toThrow(expect.objectContaining({ code: 'BB_AVRO_REGISTRY_UNREACHABLE', retriable: true }));
    await expect(dec.prepare([a])).rejects.toMatchObject({ code: 'BB_AVRO_REGISTRY_UNREACHABLE', retriable: true });
    down = false;
    await dec.prepare([a]);
    expect(dec.decode(a)).toEqual(reading);
  });

  it('decoder: unknown id → BB_AVRO_UNKNOWN_SCHEMA_ID, asked again only after the TTL (injected clock)', async () => {
    let now = 1000;
    const schemas: Record<number, string> = {};
    const r = registry(schemas);
    const dec = new AvroFraming({ registry: r, missingIdTtlMs: 500, now: () => now }).decoder(readingSerde);
    const a = confluent(9, readingSerde.encodeBody(reading));
    await dec.prepare([a]);
    expect(() => dec.decode(a)).toThrow(expect.objectContaining({ code: 'BB_AVRO_UNKNOWN_SCHEMA_ID', retriable: false }));
    now = 1499;
    await dec.prepare([a]);
    expect(r.calls).toEqual(['id 9']);
    now = 1500;
    schemas[9] = readingText();
    await dec.prepare([a]);
    expect(r.calls).toEqual(['id 9', 'id 9']);
    expect(dec.decode(a)).toEqual(reading);
  });

  it('decoder: a Confluent record without a registry configured is BB_AVRO_REGISTRY_NOT_CONFIGURED (dead letter)', async () => {
    const dec = new AvroFraming().decoder(readingSerde);
    const a = confluent(7, readingSerde.encodeBody(reading));
    await dec.prepare([a]);
    expect(() => dec.decode(a)).toThrow(expect.objectContaining({ code: 'BB_AVRO_REGISTRY_NOT_CONFIGURED', retriable: false }));
  });

  it.each([
    ['another record', () => JSON.stringify(commandSerde.schema().json), 'BB_AVRO_WRONG_SCHEMA'],
    ['not JSON', () => '{"type":', 'BB_AVRO_WRONG_SCHEMA'],
    ['not a schema', () => '{"type":"nothing"}', 'BB_AVRO_WRONG_SCHEMA'],
  ])('decoder: an id whose schema is %s is %s', async (_what, text, code) => {
    const dec = new AvroFraming({ registry: registry({ 3: text() }) }).decoder(readingSerde);
    const a = confluent(3, readingSerde.encodeBody(reading));
    await dec.prepare([a]);
    expect(() => dec.decode(a)).toThrow(expect.objectContaining({ code, retriable: false }));
  });

  it('decoder: body errors keep their codes under the Confluent framing', async () => {
    const dec = new AvroFraming({ registry: registry({ 7: readingText() }) }).decoder(readingSerde);
    const body = readingSerde.encodeBody(reading);
    const truncated = confluent(7, body.subarray(0, body.length - 3));
    const trailing = confluent(7, Buffer.concat([body, Buffer.from([0])]));
    await dec.prepare([truncated, trailing]);
    expect(() => dec.decode(truncated)).toThrow(expect.objectContaining({ code: 'BB_AVRO_TRUNCATED' }));
    expect(() => dec.decode(trailing)).toThrow(expect.objectContaining({ code: 'BB_AVRO_INVALID_BODY' }));
    expect(() => dec.decode(Buffer.from([0x00, 0x00]))).toThrow(expect.objectContaining({ code: 'BB_AVRO_TRUNCATED' }));
    expect(() => dec.decode(Buffer.from([0x01]))).toThrow(expect.objectContaining({ code: 'BB_AVRO_BAD_MAGIC' }));
  });
});
