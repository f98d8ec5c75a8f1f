/**
 * avsc logical type for `{"type":"long","logicalType":"timestamp-micros"}` (Avro specification
 * 1.11, "Logical Types — Timestamp (microsecond precision)": microseconds since the Unix epoch,
 * UTC) ↔ JavaScript `Date`.
 *
 * Precision: a `Date` holds milliseconds, so encoding writes `date.getTime() * 1000` (the three
 * microsecond digits are 000) and decoding keeps `floor(micros / 1000)` ms (sub-millisecond
 * digits written by other producers are dropped, rounding toward the past). Range: a `Date`
 * whose microsecond count is not a safe integer (beyond year ~2255) or an invalid `Date` is an
 * invalid value (`BB_AVRO_INVALID_VALUE` at the serde).
 */
import avro from 'avsc';

/** The avsc `LogicalType` class implementing `timestamp-micros` ↔ `Date`. */
export class TimestampMicrosType extends avro.types.LogicalType {
  /** Microseconds (long) → Date (milliseconds, floored). */
  protected override _fromValue(micros: number): Date {
    return new Date(Math.floor(micros / 1000));
  }

  /** Date → microseconds; `undefined` (invalid) for anything else or an out-of-range Date. */
  protected override _toValue(date: unknown): number | undefined {
    if (!(date instanceof Date)) return undefined;
    const micros = date.getTime() * 1000;
    return Number.isSafeInteger(micros) ? micros : undefined;
  }

  /** Reads the same logical type as is, and a plain `long` writer as microseconds. */
  protected override _resolve(writer: avro.Type): ((v: unknown) => unknown) | undefined {
    if (avro.Type.isType(writer, 'logical:timestamp-micros')) return (v: unknown) => v;
    if (avro.Type.isType(writer, 'long', 'abstract:long')) return (v: unknown) => this._fromValue(v as number);
    return undefined;
  }
}
