/**
 * Mapping of a Reading to an InfluxDB point.
 *
 * - measurement: the reading's protocol (`modbus`, `arbin-cti`, ...);
 * - tags: `device` (device id), `protocol`, `channel` (when not null);
 * - fields: every value (float), every exact value converted to float here — the only place
 *   Busbar turns an exact decimal into a binary float —, every state (string), `quality` (string);
 * - time: the reading's timestamp, millisecond precision.
 *
 * What InfluxDB would refuse — and, refused, would take the whole write request down with it — is
 * left out here and reported instead: a timestamp outside InfluxDB's range (1677-09-21 … 2262-04-11),
 * an empty field name or one ending in a backslash, a non-finite value, an exact value that is not a
 * decimal number, and a name used twice (values, exact values, states and `quality` share InfluxDB's
 * field namespace: the first one wins).
 *
 * A replayed reading maps to the same series and timestamp, so InfluxDB overwrites it: replay
 * never duplicates.
 */
import { Point } from '@influxdata/influxdb-client';
import type { Reading } from '@busbar/avro';

/** InfluxDB's time range (int64 nanoseconds), in ms since the epoch. */
const MIN_TIME_MS = -9_223_372_036_854;
const MAX_TIME_MS = 9_223_372_036_854;
/** An exact value as Busbar carries it: a decimal number, optionally with an exponent. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Why a part of a reading was left out. */
export type PointProblem = 'time_out_of_range' | 'bad_field_name' | 'non_finite' | 'not_decimal' | 'name_collision' | 'no_fields';

/** The point of a reading, and what was left out of it. */
export interface MappedReading {
  /** The point; `undefined` when nothing writable is left (InfluxDB refuses a point without fields). */
  readonly point: Point | undefined;
  /** One entry per left-out part: `name: problem`. */
  readonly problems: readonly { readonly name: string; readonly problem: PointProblem }[];
}

const badName = (name: string): boolean => name.length === 0 || name.endsWith('\\');

/** Builds the point of one reading (see the module doc for what is left out). */
export function readingToPoint(r: Reading): MappedReading {
  const problems: { name: string; problem: PointProblem }[] = [];
  const t = r.timestamp.getTime();
  if (!(t >= MIN_TIME_MS && t <= MAX_TIME_MS)) return { point: undefined, problems: [{ name: 'timestamp', problem: 'time_out_of_range' }] };
  const p = new Point(r.protocol).tag('device', r.device_id).tag('protocol', r.protocol).timestamp(r.timestamp);
  if (r.channel !== null) p.tag('channel', String(r.channel));
  const used = new Set<string>(['quality']);
  let fields = 0;
  const take = (name: string): boolean => {
    if (badName(name)) {
      problems.push({ name, problem: 'bad_field_name' });
      return false;
    }
    if (used.has(name)) {
      problems.push({ name, problem: 'name_collision' });
      return false;
    }
    used.add(name);
    return true;
  };
  for (const [name, v] of Object.entries(r.values)) {
    if (!Number.isFinite(v)) problems.push({ name, problem: 'non_finite' });
    else if (take(name)) {
      p.floatField(name, v);
      fields++;
    }
  }
  for (const [name, v] of Object.entries(r.exact_values)) {
    const f = DECIMAL.test(v.trim()) ? Number(v) : Number.NaN;
    if (!DECIMAL.test(v.trim())) problems.push({ name, problem: 'not_decimal' });
    else if (!Number.isFinite(f)) problems.push({ name, problem: 'non_finite' });
    else if (take(name)) {
      p.floatField(name, f);
      fields++;
    }
  }
  for (const [name, v] of Object.entries(r.states)) {
    if (take(name)) {
      p.stringField(name, v);
      fields++;
    }
  }
  if (fields === 0) return { point: undefined, problems: [...problems, { name: '*', problem: 'no_fields' }] };
  p.stringField('quality', r.quality);
  return { point: p, problems };
}
