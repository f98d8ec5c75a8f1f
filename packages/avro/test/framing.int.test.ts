/**
 * The Confluent framing against a real schema registry (Apicurio Registry's Confluent-compatible
 * API, started by @busbar/testkit): registration, look-up-only mode, BACKWARD compatibility on the
 * subject, ids cached, an unknown id, an unreachable registry and a restart.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchemaRegistry } from '@busbar/testkit';
import type { SchemaRegistryHandle } from '@busbar/testkit';
import { AvroFraming, commandSerde, readingSerde, type Command, type Reading } from '../src/index.js';
import { RegistryError } from '../src/errors.js';
import { SchemaRegistryClient } from '../src/registry/client.js';

let registry: SchemaRegistryHandle;
let client: SchemaRegistryClient;

beforeAll(async () => {
  registry = await startSchemaRegistry();
  client = new SchemaRegistryClient({ url: registry.url });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await registry?.dispose();
}, 60_000);

const reading: Reading = {
  device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date('2026-01-02T03:04:05.678Z'),
  values: { voltage_v: 12.5, current_a: -0.25 }, exact_values: {}, states: { mode: 'CV' }, quality: 'GOOD', sequence: 7, record_type: 'modbus:power-supply',
};
const topic = (): string => `busbar.readings.${randomUUID().slice(0, 8)}`;

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${registry.url}${path}`, { method, headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function errorOf(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('avro > Confluent framing with a real registry', () => {
  it('registers the current schema under <topic>-value, sets BACKWARD, and writes 00 + the id', async () => {
    const t = topic();
    const framing = new AvroFraming({ framing: 'confluent', registry: client });
    const enc = framing.encoder(readingSerde, t);
    expect(enc.isReady()).toBe(false);
    await enc.ready();
    const latest = await raw('GET', `/subjects/${t}-value/versions/latest`);
    expect(latest.status).toBe(200);
    const id = latest.json['id'] as number;
    expect(JSON.parse(latest.json['schema'] as string)).toEqual(readingSerde.schema().json);
    expect((await raw('GET', `/config/${t}-value`)).json['compatibilityLevel']).toBe('BACKWARD');

    const bytes = enc.encode(reading);
    expect(bytes[0]).toBe(0x00);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(bytes.subarray(5)).toEqual(readingSerde.encodeBody(reading));

    // a consumer that never saw the id learns it from the registry
    const dec = new AvroFraming({ registry: new SchemaRegistryClient({ url: registry.url }) }).decoder(readingSerde);
    await dec.prepare([bytes]);
    expect(dec.decode(bytes)).toEqual(reading);
    // and still reads single-object records
    expect(dec.decode(readingSerde.encode(reading))).toEqual(reading);
  });

  it('the registry refuses an incompatible schema on the subject (BACKWARD was set): BB_AVRO_REGISTRY_INCOMPATIBLE', async () => {
    const t = topic();
    await new AvroFraming({ framing: 'confluent', registry: client }).encoder(readingSerde, t).ready();
    const json = readingSerde.schema().json as { fields: unknown[] };
    const breaking = { ...json, fields: [...json.fields, { name: 'serial_number', type: 'string' }] }; // new field without default
    const err = await errorOf(client.register(`${t}-value`, JSON.stringify(breaking)));
    expect(err.code).toBe('BB_AVRO_REGISTRY_INCOMPATIBLE');
    expect(err.context['status']).toBe(409);
    // a compatible evolution (default given) is accepted with a new id
    const compatible = { ...json, fields: [...json.fields, { name: 'serial_number', type: ['null', 'string'], default: null }] };
    const id2 = await client.register(`${t}-value`, JSON.stringify(compatible));
    expect(id2).toBeGreaterThan(0);
  });

  it('look-up only: refuses a subject where the schema is not registered, finds the id once it is, registers nothing', async () => {
    const t = topic();
    const lookupOnly = new AvroFraming({ framing: 'confluent', registry: client, register: false });
    const err = await errorOf(lookupOnly.encoder(readingSerde, t).ready());
    expect(err.code).toBe('BB_AVRO_SUBJECT_NOT_REGISTERED');
    expect((await raw('GET', `/subjects/${t}-value/versions/latest`)).status).toBe(404);

    const id = await client.register(`${t}-value`, JSON.stringify(readingSerde.schema().json));
    const enc = lookupOnly.encoder(readingSerde, t);
    await enc.ready();
    expect(enc.encode(reading).readInt32BE(1)).toBe(id);
    expect((await raw('GET', `/subjects/${t}-value/versions`)).json).toEqual([1]);
  });

  it('an id the registry does not know decodes as BB_AVRO_UNKNOWN_SCHEMA_ID (a dead letter), asked once per TTL', async () => {
    let clock = 0;
    let asked = 0;
    const counting = new SchemaRegistryClient({ url: registry.url });
    const spy = Object.assign(Object.create(counting) as SchemaRegistryClient, { schemaById: (id: number) => (asked++, counting.schemaById(id)) });
    const dec = new AvroFraming({ registry: spy, now: () => clock, missingIdTtlMs: 1000 }).decoder(readingSerde);
    const bytes = Buffer.concat([Buffer.from([0x00, 0x00, 0x0f, 0x42, 0x3f]), readingSerde.encodeBody(reading)]); // id 999999
    await dec.prepare([bytes, bytes]);
    expect(() => dec.decode(bytes)).toThrow(expect.objectContaining({ code: 'BB_AVRO_UNKNOWN_SCHEMA_ID', retriable: false }));
    await dec.prepare([bytes]);
    expect(asked).toBe(1);
    clock = 1000;
    await dec.prepare([bytes]);
    expect(asked).toBe(2);
    await counting.close();
  });

  it('a schema id of another record is BB_AVRO_WRONG_SCHEMA; a foreign writer of the same record is resolved to the current schema', async () => {
    const t = topic();
    const cmdId = await client.register(`${t}-cmd-value`, JSON.stringify(commandSerde.schema().json));
    const dec = new AvroFraming({ registry: client }).decoder(readingSerde);
    const asCommand = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from([0])]);
    asCommand.writeInt32BE(cmdId, 1);
    await dec.prepare([asCommand]);
    expect(() => dec.decode(asCommand)).toThrow(expect.objectContaining({ code: 'BB_AVRO_WRONG_SCHEMA' }));

    // a Command writer with fields in another order and no defaults: the same record for Avro resolution
    const json = commandSerde.schema().json as { fields: { name: string }[] };
    const reordered = { ...json, fields: [...json.fields].reverse() };
    const foreignId = await client.register(`${t}-foreign-value`, JSON.stringify(reordered));
    const { createAvroType } = await import('../src/avro-type.js');
    const wrapped = { command_id: 'c-9', issuer: 'py', issued_at: new Date('2026-01-01T00:00:00Z'), expires_at: new Date('2026-01-01T00:01:00Z'), target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { value: { double: 1.5 } }, dry_run: false };
    const body = createAvroType(reordered).toBuffer(wrapped);
    const msg = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
    msg.writeInt32BE(foreignId, 1);
    const cmdDec = new AvroFraming({ registry: client }).decoder(commandSerde);
    await cmdDec.prepare([msg]);
    const cmd: Command = cmdDec.decode(msg);
    expect(cmd).toMatchObject({ command_id: 'c-9', issuer: 'py', action: 'modbus.write', parameters: { value: 1.5 }, dry_run: false });
  });

  it('an unreachable registry is a retriable BB_AVRO_REGISTRY_UNREACHABLE (records wait); after a restart the same ids resolve', async () => {
    const t = topic();
    const enc = new AvroFraming({ framing: 'confluent', registry: client }).encoder(readingSerde, t);
    await enc.ready();
    const bytes = enc.encode(reading);
    const fresh = new SchemaRegistryClient({ url: registry.url, timeoutMs: 1000 });
    const dec = new AvroFraming({ registry: fresh }).decoder(readingSerde);
    await registry.stop();
    try {
      const err = await errorOf(dec.prepare([bytes]));
      expect(err.code).toBe('BB_AVRO_REGISTRY_UNREACHABLE');
      expect(err.retriable).toBe(true);
      expect(() => dec.decode(bytes)).toThrow(expect.objectContaining({ code: 'BB_AVRO_REGISTRY_UNREACHABLE', retriable: true }));
      // the producer's id is cached: it keeps encoding while the registry is down
      expect(enc.encode(reading).readInt32BE(1)).toBe(bytes.readInt32BE(1));
    } finally {
      await registry.start();
    }
    // as a consumer does: try again until the restarted registry answers (its first request is slow)
    for (let attempt = 0; ; attempt++) {
      try {
        await dec.prepare([bytes]);
        break;
      } catch (err) {
        if (attempt >= 20 || !(err instanceof RegistryError) || !err.retriable) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(dec.decode(bytes)).toEqual(reading);
    await fresh.close();
  });

  it('a wrong URL or path is BB_AVRO_REGISTRY_REFUSED, not retriable', async () => {
    const wrong = new SchemaRegistryClient({ url: `${registry.origin}/apis/registry/v2/nothing` });
    const err = await errorOf(wrong.schemaById(1).then(() => wrong.register('x-value', '"int"')));
    expect(['BB_AVRO_REGISTRY_REFUSED', 'BB_AVRO_UNKNOWN_SCHEMA_ID']).toContain(err.code);
    expect(err.retriable).toBe(false);
    await wrong.close();
  });
});
