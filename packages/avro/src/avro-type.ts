/**
 * Builds avsc types the way every Busbar schema is read: `timestamp-micros` as `Date`
 * ({@link TimestampMicrosType}), unions wrapped only where ambiguous (`wrapUnions: 'auto'`: the
 * command parameter union `["null","boolean","long","double","string"]` is wrapped, every
 * `["null", X]` is not), plain-object records (`omitRecordMethods`).
 *
 * `long` is read and written exactly (see `exactLongType`): avsc's own long codec loses the sign
 * of large negative values.
 *
 * Hardening: avsc's map and array readers loop over the block count read from the message
 * before checking bounds, so a 13-byte message claiming 2^50 map entries would spin a consumer
 * for days. Maps and arrays are built here (avsc `typeHook`) as subclasses whose reader refuses a
 * block count larger than the bytes left (every map entry, and every non-null array item, takes
 * at least one byte), which ends the read as truncated. Resolvers (reading an older writer
 * version) use avsc's own loops: the serde first reads such bytes with the guarded writer type.
 *
 * Maps decode (and clone) into null-prototype objects so that keys such as `__proto__` survive as
 * own properties (see `GuardedMapType`).
 */
import avro from 'avsc';
import { TimestampMicrosType } from './timestamp-micros.js';

/** The subset of avsc's internal `Tap` the guarded readers use (avsc 5.7 lib/utils.js). */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  _invalidate(): void;
}
function readBlockCount(tap: Tap): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong(); // block size in bytes (Avro specification, "Complex Types — Arrays/Maps")
  }
  return n;
}

/** avsc's internal clone interface of a type. */
interface Copyable {
  _copy(val: unknown, opts: unknown): unknown;
}

/** avsc's internal reader interface of a type. */
interface Readable {
  _read(tap: Tap): unknown;
}

/**
 * A map type whose reader bounds each block count by the bytes left, and whose decoded maps (and
 * clones) are null-prototype objects (`Object.create(null)`): every key, including `__proto__` and
 * `constructor`, becomes an own enumerable property. avsc builds maps as `{}` and assigns
 * `val[key] = …`, which silently drops a `__proto__` entry (the assignment sets the prototype
 * instead) — data loss, and a prototype-pollution smell. `Object.keys`/`Object.entries`, spread,
 * `JSON.stringify` and avsc's own encoder treat the null-prototype maps like plain objects; they
 * have no inherited methods (`map.hasOwnProperty`, `map.toString`): use `Object.hasOwn`.
 */
class GuardedMapType extends avro.types.MapType {
  /** avsc's `MapType#_read` plus the bound, into a null-prototype object. */
  _read(tap: Tap): unknown {
    const values = this.valuesType as Readable;
    const val = Object.create(null) as Record<string, unknown>;
    let n: number;
    while ((n = readBlockCount(tap))) {
      if (n > tap.buf.length - tap.pos) {
        tap._invalidate();
        return val;
      }
      while (n--) {
        const key = tap.readString();
        val[key] = values._read(tap);
      }
    }
    return val;
  }

  /** avsc's `MapType#_copy` (used by `clone`), into a null-prototype object. */
  _copy(val: unknown, opts: unknown): unknown {
    if (val === null || typeof val !== 'object' || Array.isArray(val)) return (avro.types.MapType.prototype as unknown as Copyable)._copy.call(this, val, opts); // avsc's invalid-value error
    const values = this.valuesType as unknown as Copyable;
    const copy = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(val)) copy[key] = values._copy((val as Record<string, unknown>)[key], opts);
    return copy;
  }
}

/** An array type whose reader bounds each block count by the bytes left (unless items are null: 0 bytes each). */
class GuardedArrayType extends avro.types.ArrayType {
  /** avsc's `ArrayType#_read` plus the bound. */
  _read(tap: Tap): unknown {
    const items = this.itemsType as unknown as Readable & { typeName: string };
    const bounded = items.typeName !== 'null';
    const val: unknown[] = [];
    let n: number;
    while ((n = readBlockCount(tap))) {
      if (bounded && n > tap.buf.length - tap.pos) {
        tap._invalidate();
        return val;
      }
      while (n--) val.push(items._read(tap));
    }
    return val;
  }
}

const TWO_32 = 2 ** 32;

/**
 * `long` as an exact JavaScript number, range ±(2^53 − 1). avsc's built-in long codec does the
 * zig-zag arithmetic in doubles, which flips the sign of negative values below −2^52 (−(2^53 − 2)
 * decodes as +(2^53 − 2)); this one lets avsc (un)pack the 8 two's-complement bytes and converts
 * them with exact 32-bit halves. A written long outside ±(2^53 − 1) fails to decode (the body is
 * then `BB_AVRO_INVALID_BODY`), a number outside it is an invalid value on encode.
 */
const exactLongType: avro.Type = avro.types.LongType.__with({
  fromBuffer(buf: Buffer): number {
    const hi = buf.readInt32LE(4);
    if (hi > 0x1fffff || hi < -0x200000) throw new RangeError('long outside ±(2^53 − 1) cannot be read as an exact number');
    const n = hi * TWO_32 + buf.readUInt32LE(0);
    if (!Number.isSafeInteger(n)) throw new RangeError('long outside ±(2^53 − 1) cannot be read as an exact number');
    return n;
  },
  toBuffer(n: number): Buffer {
    const buf = Buffer.allocUnsafe(8);
    const hi = Math.floor(n / TWO_32);
    buf.writeUInt32LE(n - hi * TWO_32, 0);
    buf.writeInt32LE(hi, 4);
    return buf;
  },
  fromJSON: (v: unknown): unknown => v,
  toJSON: (v: unknown): unknown => v,
  isValid: (v: unknown): boolean => Number.isSafeInteger(v),
  compare: (a: number, b: number): number => (a === b ? 0 : a < b ? -1 : 1),
});

/** timestamp-micros schemas whose logical type is being constructed (its underlying long comes next). */
const buildingLogical = new WeakSet<object>();

function typeHook(schema: unknown, opts: unknown): avro.Type | undefined {
  if (schema === 'long') return exactLongType;
  if (Array.isArray(schema)) {
    // A union with two numeric branches (the command parameter union) is ambiguous unwrapped:
    // keep it wrapped ({"long": 2} / {"double": 2.5}) as avsc's 'auto' did with its own long type.
    const numeric = schema.filter((b) => b === 'int' || b === 'long' || b === 'float' || b === 'double').length;
    return numeric > 1 ? new avro.types.WrappedUnionType(schema as avro.Schema, opts) : undefined;
  }
  if (schema === null || typeof schema !== 'object') return undefined;
  const s = schema as { type?: unknown; logicalType?: unknown };
  if (s.type === 'long' && s.logicalType === 'timestamp-micros') {
    if (buildingLogical.has(s)) return exactLongType;
    buildingLogical.add(s);
    try {
      return new TimestampMicrosType(schema as avro.Schema, opts);
    } finally {
      buildingLogical.delete(s);
    }
  }
  if (s.type === 'long') return exactLongType; // {"type":"long"}, or a long logical type Busbar does not know
  if (s.logicalType !== undefined) return undefined;
  if (s.type === 'map') return new GuardedMapType(schema as avro.Schema, opts);
  if (s.type === 'array') return new GuardedArrayType(schema as avro.Schema, opts);
  return undefined;
}

/**
 * An avsc `Type` for a Busbar schema (parsed JSON): logical types, union wrapping and guarded
 * readers as described in this module's header.
 * @throws {Error} avsc's error when the schema is invalid (callers wrap it in `BB_AVRO_SCHEMA_INVALID`).
 */
export function createAvroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    logicalTypes: { 'timestamp-micros': TimestampMicrosType },
    wrapUnions: 'auto',
    omitRecordMethods: true,
    typeHook: typeHook as (schema: avro.Schema, opts: object) => avro.Type | undefined,
  });
}
