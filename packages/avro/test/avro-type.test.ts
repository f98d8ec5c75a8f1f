import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readingSerde, type Reading } from '../src/index.js';
import { createAvroType } from '../src/avro-type.js';
import { createSingleObjectSerde } from '../src/serde.js';
import { fingerprint } from '../src/codec/canonical.js';
import { SchemaCatalog } from '../src/catalog.js';

const schemasDir = new URL('../../../schemas/', import.meta.url);

// Test-only Avro binary builder (Avro specification 1.11, "Binary Encoding"): never the production writer.
/** zig-zag varint of a small non-negative or negative int. */
const zz = (n: number): string => {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return Buffer.from(out).toString('hex');
};
const str = (s: string): string => zz(Buffer.byteLength(s)) + Buffer.from(s, 'utf8').toString('hex');
const dbl = (x: number): string => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b.toString('hex');
};
/** A map<double> body: one block of `entries`, then the 0 terminator. */
const mapOfDoubles = (entries: [string, number][]): Buffer => Buffer.from(zz(entries.length) + entries.map(([k, v]) => str(k) + dbl(v)).join('') + '00', 'hex');

const HOSTILE_KEYS: [string, number][] = [
  ['__proto__', 1.5],
  ['constructor', 2.5],
  ['toString', 3.5],
  ['hasOwnProperty', 4.5],
  ['voltage_v', 3.7],
];

const prototypeSnapshot = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();

describe('avro > avro-type > maps keep every key (no prototype assignment)', () => {
  it('decodes keys __proto__, constructor, toString, hasOwnProperty as own properties of a null-prototype map', () => {
    const before = prototypeSnapshot();
    const type = createAvroType({ type: 'map', values: 'double' });
    const m = type.fromBuffer(mapOfDoubles(HOSTILE_KEYS)) as Record<string, number>;
    expect(Object.keys(m)).toEqual(HOSTILE_KEYS.map(([k]) => k));
    expect(Object.entries(m)).toEqual(HOSTILE_KEYS);
    expect(Object.getPrototypeOf(m)).toBeNull();
    expect(Object.hasOwn(m, '__proto__')).toBe(true);
    expect(m['__proto__']).toBe(1.5);
    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>)['voltage_v']).toBeUndefined();
  });

  it('a __proto__ entry holding a map does not pollute Object.prototype', () => {
    const type = createAvroType({ type: 'map', values: { type: 'map', values: 'double' } });
    const body = Buffer.concat([Buffer.from(zz(1) + str('__proto__'), 'hex'), mapOfDoubles([['polluted', 1]]), Buffer.from('00', 'hex')]);
    const m = type.fromBuffer(body) as Record<string, Record<string, number>>;
    expect(Object.keys(m)).toEqual(['__proto__']);
    expect(Object.entries(m['__proto__'] as object)).toEqual([['polluted', 1]]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(m)).toBeNull();
  });

  it('re-encoding the decoded map gives the same bytes (encode iterates own keys)', () => {
    const type = createAvroType({ type: 'map', values: 'double' });
    const bytes = mapOfDoubles(HOSTILE_KEYS);
    expect(type.toBuffer(type.fromBuffer(bytes)).equals(bytes)).toBe(true);
  });

  it('clone keeps every key and stays null-prototype', () => {
    const type = createAvroType({ type: 'map', values: 'double' });
    const input = JSON.parse('{"__proto__":1.5,"constructor":2.5}') as Record<string, number>; // own __proto__ property
    const c = type.clone(input) as Record<string, number>;
    expect(Object.entries(c)).toEqual([['__proto__', 1.5], ['constructor', 2.5]]);
    expect(Object.getPrototypeOf(c)).toBeNull();
    expect(() => type.clone([1])).toThrow();
  });

  it('a Reading with values/states keyed __proto__ and constructor round-trips through the serde', () => {
    const before = prototypeSnapshot();
    const values = JSON.parse('{"__proto__":1.5,"constructor":2.5,"voltage_v":3.7}') as Record<string, number>;
    const states = JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, string>;
    const reading = { device_id: 'd', protocol: 'arbin-cti', channel: 1, timestamp: new Date(1000), values, exact_values: {}, states, quality: 'GOOD', sequence: 7 } as const;
    const back = readingSerde.decode(readingSerde.encode(reading));
    expect(Object.entries(back.values)).toEqual([['__proto__', 1.5], ['constructor', 2.5], ['voltage_v', 3.7]]);
    expect(Object.entries(back.states)).toEqual([['__proto__', 'x'], ['constructor', 'y']]);
    // what the historian does with a decoded reading (services/historian/src/points.ts): Object.entries, spread
    expect(Object.keys({ ...back.values })).toEqual(['__proto__', 'constructor', 'voltage_v']);
    expect(JSON.stringify(back.values)).toBe('{"__proto__":1.5,"constructor":2.5,"voltage_v":3.7}');
    expect(prototypeSnapshot()).toEqual(before);
  });

  it('an older writer version (resolver path) keeps a __proto__ key too', () => {
    const v0 = { type: 'record', name: 'Reading', namespace: 'io.busbar.v1', fields: [
      { name: 'device_id', type: 'string' }, { name: 'protocol', type: 'string' }, { name: 'channel', type: ['null', 'int'] },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-micros' } }, { name: 'values', type: { type: 'map', values: 'double' } },
    ] };
    const current = readdirSync(schemasDir).filter((f) => f.endsWith('.avsc')).map((f) => ({ file: f, json: JSON.parse(readFileSync(new URL(f, schemasDir), 'utf8')) as unknown }));
    const catalog = SchemaCatalog.fromSources(current, [{ file: 'history/reading/v0.avsc', json: v0 }]);
    const fp = Buffer.alloc(8);
    fp.writeBigUInt64LE(fingerprint(v0));
    // body: "d", "m", channel null (union index 0), timestamp 1 µs, values {"__proto__": 1.5, "a": 2}
    const body = Buffer.concat([Buffer.from(str('d') + str('m') + '00' + zz(1), 'hex'), mapOfDoubles([['__proto__', 1.5], ['a', 2]])]);
    const back = createSingleObjectSerde<Reading>(catalog, 'Reading').decode(Buffer.concat([Buffer.from([0xc3, 0x01]), fp, body]));
    expect(Object.entries(back.values)).toEqual([['__proto__', 1.5], ['a', 2]]);
    expect(Object.entries(back.exact_values)).toEqual([]);
  });
});
