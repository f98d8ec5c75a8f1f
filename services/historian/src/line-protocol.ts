/**
 * InfluxDB line protocol written directly: one point as one line of text, without the client
 * library's `Point` objects (half of the historian's busy CPU went into them — issue 15).
 *
 * Grammar (InfluxDB 2.x docs, "Line protocol" reference, sections "Elements of line protocol" and
 * "Special characters"):
 *
 *     measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]
 *
 * - measurement: `,` and space escaped with a backslash;
 * - tag keys, tag values and field keys: `,`, `=` and space escaped with a backslash;
 * - string field values: in double quotes, `"` and `\` escaped with a backslash;
 * - floats: the shortest text that reads back as the same binary64 (`String(x)`: full precision);
 *   integers: decimal digits followed by `i`; booleans `T`/`F`;
 * - timestamp: integer nanoseconds since the epoch (the write's `precision=ns`).
 *
 * The output is byte-identical to `@influxdata/influxdb-client`'s `Point.toLineProtocol()`, the
 * oracle of test/line-protocol.test.ts: tags and fields sorted by key (UTF-16 code-unit order), a
 * later value of the same key replacing the earlier one, empty tag values and empty keys left out,
 * and — as the client does — newline, carriage return and tab in the measurement, tag keys, tag
 * values and field keys written as `\n`, `\r`, `\t` (the spec forbids them there raw).
 */

/** Characters escaped in a measurement, and their replacement. */
const MEASUREMENT_SPECIAL = /[, \n\r\t]/;
/** Characters escaped in tag keys, tag values and field keys. */
const KEY_SPECIAL = /[, =\n\r\t]/;
/** Characters escaped in a string field value. */
const STRING_SPECIAL = /["\\]/;
const REPLACEMENT: Readonly<Record<string, string>> = { ',': '\\,', ' ': '\\ ', '=': '\\=', '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', '\\': '\\\\' };

function replaceAll(s: string, special: RegExp): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (special.test(c)) {
      out += s.slice(from, i) + REPLACEMENT[c]!;
      from = i + 1;
    }
  }
  return out + s.slice(from);
}

/** A measurement name as line-protocol text (`,`, space, newline, CR, tab escaped). */
export const escapeMeasurement = (s: string): string => (MEASUREMENT_SPECIAL.test(s) ? replaceAll(s, MEASUREMENT_SPECIAL) : s);
/** A tag key, tag value or field key as line-protocol text (`,`, `=`, space, newline, CR, tab escaped). */
export const escapeKey = (s: string): string => (KEY_SPECIAL.test(s) ? replaceAll(s, KEY_SPECIAL) : s);
/** A string field value as line-protocol text: double-quoted, `"` and `\` escaped. */
export const quoteString = (s: string): string => `"${STRING_SPECIAL.test(s) ? replaceAll(s, STRING_SPECIAL) : s}"`;

/** Orders entries by key (UTF-16 code units, as `Array.prototype.sort` does); stable, so a later entry of the same key stays after an earlier one. */
const byKey = (a: Entry, b: Entry): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** A tag or an encoded field value. */
interface Entry {
  readonly key: string;
  readonly value: string;
}

/**
 * What the record mappings (points.ts, records.ts) call to build a point: {@link LinePoint} in
 * production; the client library's `Point` has the same shape and is the tests' oracle.
 */
export interface PointBuilder {
  tag(key: string, value: string): PointBuilder;
  floatField(key: string, value: number): PointBuilder;
  stringField(key: string, value: string): PointBuilder;
  timestamp(at: Date | string): PointBuilder;
  /** The line; `undefined` without fields. */
  toLineProtocol(): string | undefined;
}

/** Makes the builder of a point of measurement `name`. */
export type PointFactory = (name: string) => PointBuilder;

/** The production {@link PointFactory}. */
export const linePoint: PointFactory = (name) => new LinePoint(name);

/**
 * One point, built like the client library's `Point` (same method names) and written as one line.
 * Field values are encoded when set; {@link LinePoint.toLineProtocol} escapes keys and joins.
 */
export class LinePoint {
  private readonly tags: Entry[] = [];
  private readonly fields: Entry[] = [];
  private time: string | undefined;

  /** @param name - the measurement (escaped when written). */
  constructor(private readonly name: string) {}

  /** Sets a tag (an empty value is left out when written, as InfluxDB would drop it). */
  tag(key: string, value: string): this {
    this.tags.push({ key, value });
    return this;
  }

  /**
   * Sets a float field, written at full precision.
   *
   * @throws {RangeError} for NaN or ±Infinity (the historian's mappings leave those out before).
   */
  floatField(key: string, value: number): this {
    if (!Number.isFinite(value)) throw new RangeError(`invalid float value for field '${key}': ${value}`);
    this.fields.push({ key, value: String(value) });
    return this;
  }

  /**
   * Sets an integer field (`<digits>i`; a fractional value is floored, as the client library does).
   *
   * @throws {RangeError} for NaN or a value outside int64.
   */
  intField(key: string, value: number): this {
    if (Number.isNaN(value) || value <= -9223372036854776e3 || value >= 9223372036854776e3) throw new RangeError(`invalid integer value for field '${key}': '${value}'`);
    this.fields.push({ key, value: `${Math.floor(value)}i` });
    return this;
  }

  /** Sets a boolean field (`T`/`F`). */
  booleanField(key: string, value: boolean): this {
    this.fields.push({ key, value: value ? 'T' : 'F' });
    return this;
  }

  /** Sets a string field (quoted and escaped). */
  stringField(key: string, value: string): this {
    this.fields.push({ key, value: quoteString(value) });
    return this;
  }

  /** Sets the time: a Date (millisecond precision, written as nanoseconds) or integer nanoseconds as decimal text. */
  timestamp(at: Date | string): this {
    this.time = typeof at === 'string' ? (at.length > 0 ? at : undefined) : `${at.getTime()}000000`;
    return this;
  }

  /** The point as one line of line protocol (no trailing newline); `undefined` when it has no measurement or no field. */
  toLineProtocol(): string | undefined {
    if (!this.name) return undefined;
    const fields = this.fields.sort(byKey);
    let fieldText = '';
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      // a key set again: the last value wins (the sort is stable)
      if (!f.key || (i + 1 < fields.length && fields[i + 1]!.key === f.key)) continue;
      fieldText += `${fieldText.length > 0 ? ',' : ''}${escapeKey(f.key)}=${f.value}`;
    }
    if (fieldText.length === 0) return undefined;
    let line = escapeMeasurement(this.name);
    const tags = this.tags.sort(byKey);
    for (let i = 0; i < tags.length; i++) {
      const t = tags[i]!;
      if (!t.key || (i + 1 < tags.length && tags[i + 1]!.key === t.key)) continue;
      if (t.value) line += `,${escapeKey(t.key)}=${escapeKey(t.value)}`;
    }
    line += ` ${fieldText}`;
    return this.time === undefined ? line : `${line} ${this.time}`;
  }
}
