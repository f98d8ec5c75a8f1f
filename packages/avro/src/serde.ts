/**
 * Serdes: typed `encode`/`decode` of one record type as Avro single-object encoding
 * (`C3 01` + CRC-64-AVRO fingerprint LE + Avro binary body; Avro specification 1.11,
 * "Single-object encoding"). The {@link Serde} interface is what `@busbar/kafka` depends on, so a
 * schema-registry framing can be added later behind it.
 *
 * Decoding: the header names the writer schema; the current schema of the record reads it
 * directly, an older committed version (schemas/history/) is resolved to the current shape
 * (fields added since then take their defaults).
 */
import type avro from 'avsc';
import type { CurrentSchema, RecordName, SchemaCatalog, WriterSchema } from './catalog.js';
import { decodeSingleObjectHeader, fingerprintHex, SINGLE_OBJECT_HEADER_LENGTH } from './codec/single-object.js';
import { AvroDecodeError, AvroEncodeError } from './errors.js';

/**
 * Encoder/decoder of one record type. `T` is the decoded shape, `I` what `encode` accepts (fields
 * with schema defaults optional).
 */
export interface Serde<T, I = T> {
  /** Full Avro name of the record, `io.busbar.v1.Reading`. */
  readonly recordName: string;
  /**
   * Bytes of `value` with the current writer schema.
   * @throws {AvroEncodeError} `BB_AVRO_INVALID_VALUE` naming the field path.
   */
  encode(value: I): Buffer;
  /**
   * The record in `buf`, in the current schema's shape.
   * @throws {AvroDecodeError} `BB_AVRO_BAD_MAGIC`, `BB_AVRO_UNKNOWN_FINGERPRINT`, `BB_AVRO_TRUNCATED`,
   *   `BB_AVRO_INVALID_BODY`, `BB_AVRO_WRONG_SCHEMA`.
   */
  decode(buf: Uint8Array): T;
  /** The current (writer and reader) schema of the record; loads the catalogue on first call. */
  schema(): CurrentSchema;
  /** The catalogue the serde reads writer versions from. */
  catalog(): SchemaCatalog;
  /**
   * The Avro binary body of `value` with the current schema, without any framing header (what a
   * framing such as the Confluent wire format puts after its own header).
   * @throws {AvroEncodeError} `BB_AVRO_INVALID_VALUE` naming the field path.
   */
  encodeBody(value: I): Buffer;
  /**
   * Decodes the Avro body that starts at `offset` and runs to the end of `buf`, written with
   * `writer` (the current schema, a history version, or a foreign writer schema with its resolver).
   * @throws {AvroDecodeError} `BB_AVRO_TRUNCATED`, `BB_AVRO_INVALID_BODY`.
   */
  decodeBody(buf: Buffer, offset: number, writer: WriterSchema): T;
}

/** Optional conversions between the TypeScript shape and what avsc reads/writes. */
export interface SerdeHooks<T, I> {
  /** Applied to the value before writing (e.g. wrap union branches). */
  readonly toAvro?: (value: I) => unknown;
  /** Applied to avsc's decoded value before returning it. */
  readonly fromAvro?: (value: unknown) => T;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined (missing)';
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
  if (Buffer.isBuffer(v)) return `Buffer(${v.length})`;
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return typeof v;
  }
}

function expectedOf(type: avro.Type): string {
  const t = type as avro.Type & { typeName: string; name?: string };
  if (t.typeName.startsWith('logical:')) return t.typeName.slice('logical:'.length) + ' (Date)';
  if (t.typeName === 'abstract:long') return 'long';
  if (t.typeName === 'union:unwrapped' || t.typeName === 'union:wrapped') return JSON.stringify(type.schema());
  return t.name ?? t.typeName;
}

function encodeError(schema: CurrentSchema, value: unknown, cause: unknown): AvroEncodeError {
  let found: { path: string; expected: string; actual: string } | undefined;
  schema.type.isValid(value, {
    errorHook: (path: string[], val: unknown, type: avro.Type) => {
      found ??= { path: path.join('.'), expected: expectedOf(type), actual: describe(val) };
    },
  });
  const where = found === undefined ? 'value' : found.path === '' ? 'record' : `field ${found.path}`;
  const detail = found === undefined ? `${(cause as Error | undefined)?.message ?? 'invalid'}` : `expected ${found.expected}, got ${found.actual}`;
  return new AvroEncodeError(`invalid ${schema.fullName}: ${where}: ${detail}`, {
    cause,
    context: { record: schema.fullName, path: found?.path ?? null, expected: found?.expected ?? null },
  });
}

/**
 * A {@link Serde} for `recordName` with single-object encoding. `catalog` may be a function,
 * called once on first use (so importing a module that defines serdes reads no files).
 */
export function createSingleObjectSerde<T, I = T>(catalog: SchemaCatalog | (() => SchemaCatalog), recordName: RecordName | string, hooks: SerdeHooks<T, I> = {}): Serde<T, I> {
  let schema: CurrentSchema | undefined;
  let cat: SchemaCatalog | undefined;
  const init = (): { schema: CurrentSchema; cat: SchemaCatalog } => {
    if (schema === undefined || cat === undefined) {
      cat = typeof catalog === 'function' ? catalog() : catalog;
      schema = cat.current(recordName);
    }
    return { schema, cat };
  };
  const fullName = recordName.includes('.') ? recordName : `io.busbar.v1.${recordName}`;
  const { toAvro, fromAvro } = hooks;

  const encodeBody = (value: I): Buffer => {
    const { schema: s } = init();
    const avroValue = toAvro ? toAvro(value) : value;
    try {
      return s.type.toBuffer(avroValue);
    } catch (cause) {
      throw encodeError(s, avroValue, cause);
    }
  };
  const decodeBody = (buf: Buffer, bodyOffset: number, writer: WriterSchema): T => {
    const { schema: s } = init();
    const fp = writer.fingerprint;
    // An older writer is first read with its own (guarded) type: this bounds the work on hostile
    // input before the resolver, whose map readers are avsc's unguarded ones, reads the same bytes.
    const result = writer.resolver === undefined ? readBody(s.type, buf, bodyOffset, undefined, fp) : (readBody(writer.type, buf, bodyOffset, undefined, fp), readBody(s.type, buf, bodyOffset, writer.resolver, fp));
    return fromAvro ? fromAvro(result) : (result as T);
  };

  return {
    recordName: fullName,
    schema: () => init().schema,
    catalog: () => init().cat,
    encodeBody,
    decodeBody,
    encode(value: I): Buffer {
      const { schema: s } = init();
      const body = encodeBody(value);
      const out = Buffer.allocUnsafe(SINGLE_OBJECT_HEADER_LENGTH + body.length);
      s.header.copy(out, 0);
      body.copy(out, SINGLE_OBJECT_HEADER_LENGTH);
      return out;
    },

    decode(input: Uint8Array): T {
      const { schema: s, cat: c } = init();
      const { fingerprint: fp, bodyOffset } = decodeSingleObjectHeader(input);
      const writer = c.writer(fp);
      if (writer === undefined) {
        const wire = Buffer.from(input.subarray(2, 10)).toString('hex');
        throw new AvroDecodeError('BB_AVRO_UNKNOWN_FINGERPRINT', `unknown writer schema fingerprint ${fingerprintHex(fp)} (wire bytes ${wire}): not in schemas/ nor schemas/history/ — a newer producer or a missing history version`, {
          context: { fingerprint: fingerprintHex(fp), fingerprintWire: wire, expectedRecord: s.fullName },
        });
      }
      if (writer.fullName !== s.fullName) {
        throw new AvroDecodeError('BB_AVRO_WRONG_SCHEMA', `message is a ${writer.fullName} (fingerprint ${fingerprintHex(fp)}), expected ${s.fullName}`, {
          context: { fingerprint: fingerprintHex(fp), actualRecord: writer.fullName, expectedRecord: s.fullName },
        });
      }
      const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      return decodeBody(buf, bodyOffset, writer);
    },
  };
}

function readBody(type: avro.Type, buf: Buffer, offset: number, resolver: ReturnType<avro.Type['createResolver']> | undefined, fp: bigint): unknown {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(buf, offset, resolver);
  } catch (cause) {
    throw new AvroDecodeError('BB_AVRO_INVALID_BODY', `Avro body does not decode as ${type.name ?? type.typeName}: ${(cause as Error).message}`, {
      cause,
      context: { fingerprint: fingerprintHex(fp), length: buf.length },
    });
  }
  if (decoded.offset < 0) {
    throw new AvroDecodeError('BB_AVRO_TRUNCATED', `Avro body of ${type.name ?? type.typeName} ends early (${buf.length - offset} body bytes) or has a negative length prefix`, {
      context: { fingerprint: fingerprintHex(fp), length: buf.length },
    });
  }
  if (decoded.offset !== buf.length) {
    throw new AvroDecodeError('BB_AVRO_INVALID_BODY', `${buf.length - decoded.offset} trailing byte(s) after the ${type.name ?? type.typeName} body at offset ${decoded.offset}`, {
      context: { fingerprint: fingerprintHex(fp), offset: decoded.offset, length: buf.length },
    });
  }
  return decoded.value;
}
