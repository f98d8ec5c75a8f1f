import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { fingerprint, parsingCanonicalForm } from '../../src/codec/canonical.js';
import { loadSchemaVectors } from './vectors.js';

describe('avro > codec > canonical', () => {
  const vectors = loadSchemaVectors();

  it('found every <<INPUT case of schema-tests.txt (000-033; 029 has a commented-out input)', () => {
    expect(vectors.map((v) => v.id)).toEqual(Array.from({ length: 34 }, (_, i) => String(i).padStart(3, '0')));
  });

  it.each(vectors.map((v) => [v.id, v.input, v.canonical, v.fingerprint] as const))('case %s: %s', (_id, input, canonical, fp) => {
    expect(parsingCanonicalForm(JSON.parse(input))).toBe(canonical);
    expect(parsingCanonicalForm(input)).toBe(canonical); // JSON text accepted too
    if (fp !== undefined) expect(BigInt.asIntN(64, fingerprint(JSON.parse(input)))).toBe(fp);
  });

  it("avsc's own canonical form (Type#schema()) deviates only where it cannot parse: the empty union", () => {
    const deviations: string[] = [];
    for (const v of vectors) {
      let got: string;
      try {
        got = JSON.stringify(avro.Type.forSchema(JSON.parse(v.input)).schema());
      } catch (err) {
        got = `throws ${(err as Error).message}`;
      }
      if (got !== v.canonical) deviations.push(`${v.id}: ${got}`);
    }
    // This is why src/codec/canonical.ts computes PCF from the JSON itself.
    expect(deviations).toEqual(['016: throws empty union']);
  });

  it('qualifies references to named types by the enclosing namespace and writes them by name after the first', () => {
    const schema = { type: 'record', name: 'R', namespace: 'a.b', fields: [
      { name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'], default: 'X', doc: 'd' } },
      { name: 'e2', type: 'E' },
      { name: 'f', type: { type: 'fixed', name: 'c.F', size: 2, aliases: ['G'] } },
      { name: 't', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'm', type: { type: 'map', values: ['null', 'F'] }, default: {} },
    ] };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"a.b.R","type":"record","fields":[{"name":"e","type":{"name":"a.b.E","type":"enum","symbols":["X"]}},{"name":"e2","type":"a.b.E"},' +
        '{"name":"f","type":{"name":"c.F","type":"fixed","size":2}},{"name":"t","type":"long"},{"name":"m","type":{"type":"map","values":["null","a.b.F"]}}]}',
    );
  });
});
