import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Reading } from '../src/index.js';
import { AvroSchemaError } from '../src/errors.js';
import { createAvroType } from '../src/avro-type.js';
import { createSingleObjectSerde } from '../src/serde.js';
import { defaultSchemasDir, loadSchemas, SchemaCatalog, type SchemaSource } from '../src/catalog.js';
import { fingerprint, type AvroSchemaJson } from '../src/codec/canonical.js';
import { TOPICS } from '../src/topics.js';

const dir = new URL('../../../schemas/', import.meta.url);
const read = (rel: string): unknown => JSON.parse(readFileSync(new URL(rel, dir), 'utf8'));
const currentFiles = readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort();
const historyFiles = readdirSync(new URL('history/', dir)).flatMap((name) =>
  readdirSync(new URL(`history/${name}/`, dir)).filter((f) => /^v\d+\.avsc$/.test(f)).map((v) => ({ name, file: `history/${name}/${v}` })),
);

function thrown(f: () => unknown): AvroSchemaError {
  try {
    f();
  } catch (err) {
    return err as AvroSchemaError;
  }
  throw new Error('expected a throw');
}

/**
 * BACKWARD check: the current schema reads data written with `writerJson`. Throws a message naming
 * both files and avsc's reason (this is what a failing evolution looks like in CI).
 */
function assertCanRead(readerFile: string, writerFile: string, writerJson: unknown): void {
  const reader = createAvroType(read(readerFile));
  const writer = createAvroType(writerJson);
  let resolver;
  try {
    resolver = reader.createResolver(writer);
  } catch (err) {
    throw new Error(`schemas/${readerFile} cannot read data written with ${writerFile}: ${(err as Error).message} — BACKWARD compatibility broken; add defaults to new fields or bump the topic version`, { cause: err });
  }
  for (let i = 0; i < 20; i++) {
    const datum: unknown = writer.random();
    const value = reader.fromBuffer(writer.toBuffer(datum), resolver);
    expect(reader.isValid(value)).toBe(true);
  }
}

describe('avro > catalog > the contract in schemas/', () => {
  it('has the six records, namespace io.busbar.v1, a doc on every record, field and named type', () => {
    expect(currentFiles).toEqual(['alert.avsc', 'command-result.avsc', 'command.avsc', 'dead-letter.avsc', 'device-event.avsc', 'reading.avsc']);
    const missing: string[] = [];
    const walk = (t: unknown, where: string): void => {
      if (Array.isArray(t)) return t.forEach((b, i) => walk(b, `${where}[${i}]`));
      if (t === null || typeof t !== 'object') return;
      const o = t as Record<string, unknown>;
      if (['record', 'enum', 'fixed'].includes(o['type'] as string) && typeof o['doc'] !== 'string') missing.push(`${where} (${String(o['name'])})`);
      if (Array.isArray(o['fields'])) {
        for (const f of o['fields'] as Record<string, unknown>[]) {
          if (typeof f['doc'] !== 'string' || f['doc'] === '') missing.push(`${where}.${String(f['name'])}`);
          walk(f['type'], `${where}.${String(f['name'])}`);
        }
      }
      walk(o['items'], `${where}[]`);
      walk(o['values'], `${where}{}`);
      if (typeof o['type'] === 'object') walk(o['type'], where);
    };
    for (const f of currentFiles) {
      const json = read(f) as Record<string, unknown>;
      expect(json['namespace'], f).toBe('io.busbar.v1');
      walk(json, f);
    }
    expect(missing).toEqual([]);
  });

  it('loads from the repository schemas/ by default (src/ → ../../../schemas)', () => {
    expect(new URL(`file://${defaultSchemasDir()}`).pathname.replace(/\/$/, '')).toBe(dir.pathname.replace(/\/$/, ''));
    const catalog = loadSchemas();
    expect(catalog.currentSchemas().map((s) => s.fullName).sort()).toEqual(
      ['Alert', 'Command', 'CommandResult', 'DeadLetter', 'DeviceEvent', 'Reading'].map((n) => `io.busbar.v1.${n}`),
    );
  });

  it('every current schema is committed as a history version (copy it to history/<name>/v<N+1>.avsc when it changes)', () => {
    for (const f of currentFiles) {
      const name = f.replace(/\.avsc$/, '');
      const versions = historyFiles.filter((h) => h.name === name);
      expect(versions.length, `schemas/history/${name}/ has no v1.avsc`).toBeGreaterThan(0);
      const fps = versions.map((v) => fingerprint(read(v.file) as AvroSchemaJson));
      expect(fps, `schemas/${f} changed: copy it to schemas/history/${name}/v${versions.length + 1}.avsc`).toContain(fingerprint(read(f) as AvroSchemaJson));
    }
  });

  it.each(historyFiles.map((h) => [h.file, `${h.name}.avsc`]))('BACKWARD: current schema reads data written with %s', (writerFile, readerFile) => {
    assertCanRead(readerFile, writerFile, read(writerFile));
  });

  /**
   * History versions that knowingly cannot read the current schema, with the reason (documented in
   * schemas/README.md). Alert v2 adds the enum symbol ACKNOWLEDGED, which an Alert v1 reader has no
   * symbol (and no enum default) for: consumers of the alerts topic upgrade before an alerter sends acks.
   */
  const FORWARD_BREAKS: Record<string, string> = {
    'history/alert/v1.avsc': 'Alert v2 adds the state ACKNOWLEDGED',
  };

  it.each(historyFiles.filter((h) => !(h.file in FORWARD_BREAKS)).map((h) => [h.file, `${h.name}.avsc`]))('FORWARD: %s reads data written with the current %s', (readerFile, writerFile) => {
    // a consumer not yet upgraded reads what upgraded producers write (new fields are skipped)
    assertCanRead(readerFile, writerFile, read(writerFile));
  });

  it.each(Object.keys(FORWARD_BREAKS))('FORWARD broken on purpose, and only for the documented reason: %s', (readerFile) => {
    const name = readerFile.split('/')[1]!;
    expect(() => assertCanRead(readerFile, `${name}.avsc`, read(`${name}.avsc`))).toThrow(/cannot read data written with/);
    expect(historyFiles.map((h) => h.file)).toContain(readerFile);
  });

  it('the check fails, with a clear message, for an incompatible writer', () => {
    const incompatible = { ...(read('reading.avsc') as object), fields: [{ name: 'device_id', type: 'long', doc: 'x' }] };
    expect(() => assertCanRead('reading.avsc', 'test:incompatible', incompatible)).toThrow(
      /schemas\/reading\.avsc cannot read data written with test:incompatible: .*BACKWARD compatibility broken/,
    );
  });
});

describe('avro > catalog > SchemaCatalog', () => {
  const current: SchemaSource[] = currentFiles.map((f) => ({ file: f, json: read(f) }));

  it('refuses a history version the current schema cannot read: BB_AVRO_SCHEMA_INCOMPATIBLE', () => {
    const bad = { ...(read('reading.avsc') as object), fields: [{ name: 'values', type: { type: 'map', values: 'string' }, doc: 'x' }] };
    const err = thrown(() => SchemaCatalog.fromSources(current, [{ file: 'history/reading/v0.avsc', json: bad }]));
    expect(err).toBeInstanceOf(AvroSchemaError);
    expect(err.code).toBe('BB_AVRO_SCHEMA_INCOMPATIBLE');
    expect(err.message).toMatch(/reading\.avsc cannot read data written with history\/reading\/v0\.avsc/);
  });

  it('refuses invalid schemas and history of unknown records: BB_AVRO_SCHEMA_INVALID', () => {
    expect(thrown(() => SchemaCatalog.fromSources([{ file: 'x.avsc', json: { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] } }])).code).toBe('BB_AVRO_SCHEMA_INVALID');
    expect(thrown(() => SchemaCatalog.fromSources([{ file: 'x.avsc', json: 'string' }])).code).toBe('BB_AVRO_SCHEMA_INVALID');
    expect(thrown(() => SchemaCatalog.fromSources(current, [{ file: 'h.avsc', json: { type: 'record', name: 'io.busbar.v1.Other', fields: [] } }])).code).toBe('BB_AVRO_SCHEMA_INVALID');
  });

  it('BB_AVRO_SCHEMA_NOT_FOUND for a missing directory or record', () => {
    expect(thrown(() => loadSchemas({ dir: '/nonexistent/busbar-schemas' })).code).toBe('BB_AVRO_SCHEMA_NOT_FOUND');
    expect(thrown(() => SchemaCatalog.fromSources(current).current('Nope')).code).toBe('BB_AVRO_SCHEMA_NOT_FOUND');
  });

  it('decodes data written with an OLDER version into the current shape (defaults filled)', () => {
    // An older Reading: no exact_values, states, quality, sequence; written by that version's own type.
    const v0 = { type: 'record', name: 'Reading', namespace: 'io.busbar.v1', fields: [
      { name: 'device_id', type: 'string' }, { name: 'protocol', type: 'string' }, { name: 'channel', type: ['null', 'int'] },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-micros' } }, { name: 'values', type: { type: 'map', values: 'double' } },
    ] };
    const catalog = SchemaCatalog.fromSources(current, [{ file: 'history/reading/v0.avsc', json: v0 }]);
    const oldWriter = createAvroType(v0);
    const body = oldWriter.toBuffer({ device_id: 'd', protocol: 'modbus', channel: 2, timestamp: new Date(5), values: { voltage_v: 1.5 } });
    const fp = Buffer.alloc(8);
    fp.writeBigUInt64LE(fingerprint(v0));
    const serde = createSingleObjectSerde<Reading>(catalog, 'Reading');
    expect(serde.decode(Buffer.concat([Buffer.from([0xc3, 0x01]), fp, body]))).toEqual({
      device_id: 'd', protocol: 'modbus', channel: 2, timestamp: new Date(5), values: { voltage_v: 1.5 }, exact_values: {}, states: {}, quality: 'GOOD', sequence: 0, record_type: null,
    });
    // ... and an older message with a hostile map count is still bounded (read with the guarded writer type first)
    // body: "d", "m", channel null, timestamp 1 µs, values: block count 2^50 (zig-zag 2^51 = 80×7 04)
    const hostile = Buffer.concat([Buffer.from([0xc3, 0x01]), fp, Buffer.from('0264026d0002' + '8080808080808004', 'hex')]);
    expect(() => serde.decode(hostile)).toThrow(expect.objectContaining({ code: 'BB_AVRO_TRUNCATED' }));
  });
});

describe('avro > schemas/README.md', () => {
  it('lists the current fingerprints as the header bytes in wire order, and as numbers', () => {
    const readme = readFileSync(new URL('README.md', dir), 'utf8');
    // the header as wire-order bytes (what a decoder compares), then the fingerprint as a number
    for (const s of loadSchemas().currentSchemas()) {
      const wire = [...s.header].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      expect(readme).toContain(`| \`${s.file}\` | \`${wire}\` | \`0x${s.fingerprint.toString(16).padStart(16, '0')}\` |`);
    }
  });
});

describe('avro > topics', () => {
  it('TOPICS names, keys and partitions match schemas/README.md', () => {
    const readme = readFileSync(new URL('README.md', dir), 'utf8');
    for (const t of Object.values(TOPICS)) {
      const row = readme.split('\n').find((l) => l.includes(`\`${t.name}\``));
      expect(row, `${t.name} missing from schemas/README.md`).toBeDefined();
      expect(row).toContain(t.valueRecord.replace('io.busbar.v1.', ''));
      expect(row).toContain(`| ${t.defaultPartitions} |`);
    }
  });
});
