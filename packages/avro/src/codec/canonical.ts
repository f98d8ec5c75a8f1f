/**
 * Parsing Canonical Form (PCF) of an Avro schema, written here rather than taken from avsc:
 * avsc's `Type#schema()` output matches the PCF for every case of Apache Avro's
 * `schema-tests.txt` except the empty union `[]`, which avsc refuses to parse — and PCF is a
 * property of the JSON text, so computing it from the JSON needs no parser's permission.
 *
 * Source: Avro specification 1.11, "Parsing Canonical Form for Schemas", transformations:
 * - [PRIMITIVES] `{"type":"int"}` → `"int"`;
 * - [FULLNAMES] names replaced by fullnames (namespace rules of "Names");
 * - [STRIP] keep only `type, name, fields, symbols, items, values, size` (so `doc`, `aliases`,
 *   `default`, `order`, `namespace`, `logicalType` disappear);
 * - [ORDER] attributes in the order `name, type, fields, symbols, items, values, size`;
 * - [STRINGS] no escapes beyond JSON's mandatory ones; [INTEGERS] no leading zeros or signs;
 *   [WHITESPACE] none between tokens (all three: `JSON.stringify` output);
 * - a named type written in full at its first occurrence only; later references are its fullname
 *   (as the Java implementation and the `PigValue` vector show).
 *
 * Pure: no I/O.
 */
import { crc64Avro } from './crc64.js';

/** An Avro schema as parsed JSON: a type name string, a union array or a type object. */
export type AvroSchemaJson = string | readonly AvroSchemaJson[] | { readonly [key: string]: unknown };

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * The Parsing Canonical Form of `schema` (parsed JSON, or JSON text), as a string.
 * @throws {TypeError} when the JSON is not shaped like an Avro schema (record without fields...).
 */
export function parsingCanonicalForm(schema: AvroSchemaJson): string {
  const parsed: unknown = typeof schema === 'string' && /^\s*[[{"]/.test(schema) ? JSON.parse(schema) : schema;
  return JSON.stringify(canon(parsed, '', new Set()));
}

/**
 * CRC-64-AVRO fingerprint (unsigned 64-bit bigint) of the Parsing Canonical Form of `schema`
 * (Avro specification, "Schema Fingerprints"): what single-object encoding writes, little-endian,
 * after `C3 01`.
 * @throws {TypeError} as {@link parsingCanonicalForm}.
 */
export function fingerprint(schema: AvroSchemaJson): bigint {
  return crc64Avro(new TextEncoder().encode(parsingCanonicalForm(schema)));
}

function fullName(name: string, namespace: string): string {
  if (name.includes('.') || PRIMITIVES.has(name) || namespace === '') return name;
  return `${namespace}.${name}`;
}

function namespaceOf(full: string): string {
  const i = full.lastIndexOf('.');
  return i < 0 ? '' : full.slice(0, i);
}

function canon(s: unknown, ns: string, seen: Set<string>): unknown {
  if (typeof s === 'string') return fullName(s, ns);
  if (Array.isArray(s)) return s.map((b) => canon(b, ns, seen));
  if (s === null || typeof s !== 'object') throw new TypeError(`not an Avro schema: ${JSON.stringify(s)}`);
  const o = s as Record<string, unknown>;
  const type = o['type'];
  if (typeof type !== 'string') return canon(type, ns, seen); // {"type": {...}} or {"type": [...]}
  if (PRIMITIVES.has(type)) return type;
  switch (type) {
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed': {
      const name = o['name'];
      if (typeof name !== 'string') throw new TypeError(`named type without a name: ${JSON.stringify(s)}`);
      const ownNs = name.includes('.') ? namespaceOf(name) : typeof o['namespace'] === 'string' ? (o['namespace'] as string) : ns;
      const full = fullName(name, ownNs);
      if (seen.has(full)) return full;
      seen.add(full);
      if (type === 'enum') return { name: full, type, symbols: o['symbols'] };
      if (type === 'fixed') return { name: full, type, size: o['size'] };
      const fields = o['fields'];
      if (!Array.isArray(fields)) throw new TypeError(`record ${full} without fields`);
      return {
        name: full,
        type,
        fields: fields.map((f: Record<string, unknown>) => ({ name: f['name'], type: canon(f['type'], namespaceOf(full), seen) })),
      };
    }
    case 'array':
      return { type, items: canon(o['items'], ns, seen) };
    case 'map':
      return { type, values: canon(o['values'], ns, seen) };
    default:
      return fullName(type, ns); // {"type": "SomeNamedType"}
  }
}
