/**
 * Mapping of a Reading to an InfluxDB point: data model v2 (docs/data-model.md, the page to read
 * first; this is its implementation).
 *
 * - measurement: the reading's `record_type` (`cycler_channel`, `meter_log:interval`,
 *   `modbus:power-supply`), verbatim; for a reading without one (producers older than schema v2) or
 *   with one that does not follow the grammar `<kind>[:<sub-kind>]`, the protocol (`itron-corus`) —
 *   the v1 measurement;
 * - tags: `device`, `protocol`, `channel` (4-digit zero-padded, `0001`, so it sorts as a number),
 *   and the low-cardinality states {@link TAG_STATES} (`log`, `test_name`, `schedule_name`) when
 *   present and usable as a tag value (not empty, no backslash, no control character: otherwise
 *   they stay string fields);
 * - fields: every value (float), every exact value twice — as a float under its name (the only
 *   place Busbar turns an exact decimal into a binary float) and as the decimal text under
 *   `<name>_exact` —, every other state (string), `quality` (string);
 * - time: the reading's timestamp, millisecond precision.
 *
 * What InfluxDB would refuse — and, refused, would take the whole write request down with it — or
 * what would merge two records into one point is left out here and reported instead: a timestamp
 * outside InfluxDB's range (1677-09-21 … 2262-04-11), a device id or protocol that cannot be a tag
 * value, a field name InfluxDB or Flux reserves (empty, ending in a backslash, `time`, starting
 * with `_`), a non-finite value, an exact value that
 * is not a decimal number, and a name used twice (tags, values, exact values, `<name>_exact`, states
 * and `quality` share one namespace in a Flux table: the first one wins).
 *
 * Identity: a replayed reading maps to the same series and timestamp, so InfluxDB overwrites it
 * (replay never duplicates); two readings that differ in device, protocol, channel, record type,
 * tag states or millisecond timestamp map to different series or timestamps
 * (test/points.test.ts checks both with fast-check).
 */
import { linePoint } from './line-protocol.js';
import type { PointBuilder, PointFactory } from './line-protocol.js';
import type { Reading } from '@busbar/avro';

/** InfluxDB's time range (int64 nanoseconds), in ms since the epoch. */
const MIN_TIME_MS = -9_223_372_036_854;
const MAX_TIME_MS = 9_223_372_036_854;
/** An exact value as Busbar carries it: a decimal number, optionally with an exponent. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** `record_type` grammar (schemas/reading.avsc, docs/data-model.md): `<kind>[:<sub-kind>]`, ≤ 128 characters. */
export const RECORD_TYPE_PATTERN = /^[a-z][a-z0-9_]*(:[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
const RECORD_TYPE_MAX = 128;
/** Width of the zero-padded `channel` tag: channels 1…9999 sort as numbers. */
export const CHANNEL_TAG_WIDTH = 4;
/**
 * States written as tags (when present and usable as a tag value) instead of fields: what a lab
 * filters and groups by, and whose values per device stay few over the retention period (the
 * cardinality rule in docs/data-model.md). `step_name`, `status`, `state` change within a test and
 * stay fields.
 */
export const TAG_STATES = ['log', 'test_name', 'schedule_name'] as const;
/** Suffix of the string field that keeps an exact value's decimal text. */
export const EXACT_SUFFIX = '_exact';

/** Why a part of a reading was left out. */
export type PointProblem = 'time_out_of_range' | 'bad_tag_value' | 'bad_record_type' | 'bad_field_name' | 'non_finite' | 'not_decimal' | 'name_collision' | 'no_fields';

/** The point of a record (a reading, event, command result or alert), and what was left out of it. */
export interface MappedPoint {
  /** The point; `undefined` when nothing writable is left (InfluxDB refuses a point without fields). */
  readonly point: PointBuilder | undefined;
  /** One entry per left-out part: `name: problem`. */
  readonly problems: readonly { readonly name: string; readonly problem: PointProblem }[];
}

/**
 * Field names InfluxDB refuses or Flux cannot tell from its own columns: empty, ending in a backslash,
 * `time` (InfluxDB drops the point: 422), or starting with `_` (`_field`, `_value`... are Flux's).
 */
const badName = (name: string): boolean => name.length === 0 || name.endsWith('\\') || name === 'time' || name.startsWith('_');
/**
 * Whether `v` can be a tag value that InfluxDB stores as given: not empty (InfluxDB drops empty
 * tags, merging series), no backslash (`a\` followed by the line protocol's `,` escapes it) and no
 * control character (escaped to text, which would no longer be the value).
 */
// eslint-disable-next-line no-control-regex
export const usableTagValue = (v: string): boolean => v.length > 0 && !/[\\\u0000-\u001f\u007f]/.test(v);

/** The `channel` tag of a channel number: zero-padded to {@link CHANNEL_TAG_WIDTH} digits (`3` → `0003`). */
export const channelTag = (channel: number): string => (channel < 0 ? String(channel) : String(channel).padStart(CHANNEL_TAG_WIDTH, '0'));

/** The measurement of a reading: its valid `record_type`, else its protocol (v1); and whether the record type was refused. */
export function measurementOf(r: Pick<Reading, 'protocol' | 'record_type'>): { readonly measurement: string; readonly badRecordType: boolean } {
  const rt = r.record_type ?? null;
  if (rt === null) return { measurement: r.protocol, badRecordType: false };
  if (rt.length <= RECORD_TYPE_MAX && RECORD_TYPE_PATTERN.test(rt)) return { measurement: rt, badRecordType: false };
  return { measurement: r.protocol, badRecordType: true };
}

/**
 * Builds the point of one reading (see the module doc for what is left out).
 *
 * @param make - the point builder (default {@link linePoint}; tests pass the client library's `Point` as the oracle).
 */
export function readingToPoint(r: Reading, make: PointFactory = linePoint): MappedPoint {
  const problems: { name: string; problem: PointProblem }[] = [];
  const t = r.timestamp.getTime();
  if (!(t >= MIN_TIME_MS && t <= MAX_TIME_MS)) return { point: undefined, problems: [{ name: 'timestamp', problem: 'time_out_of_range' }] };
  for (const [name, v] of [['device_id', r.device_id], ['protocol', r.protocol]] as const) {
    if (!usableTagValue(v)) return { point: undefined, problems: [{ name, problem: 'bad_tag_value' }] };
  }
  const { measurement, badRecordType } = measurementOf(r);
  if (badRecordType) problems.push({ name: 'record_type', problem: 'bad_record_type' });
  const p = make(measurement).tag('device', r.device_id).tag('protocol', r.protocol).timestamp(r.timestamp);
  const used = new Set<string>(['quality', 'device', 'protocol', 'channel', ...TAG_STATES]);
  if (r.channel !== null) p.tag('channel', channelTag(r.channel));
  const tagged = new Set<string>();
  for (const name of TAG_STATES) {
    const v = r.states[name];
    if (v !== undefined && Object.hasOwn(r.states, name) && usableTagValue(v)) {
      p.tag(name, v);
      tagged.add(name);
    }
  }
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
    const decimal = DECIMAL.test(v.trim());
    const f = decimal ? Number(v) : Number.NaN;
    if (!decimal) problems.push({ name, problem: 'not_decimal' });
    else if (!Number.isFinite(f)) problems.push({ name, problem: 'non_finite' });
    else if (take(name)) {
      p.floatField(name, f);
      fields++;
      if (take(name + EXACT_SUFFIX)) p.stringField(name + EXACT_SUFFIX, v.trim());
    }
  }
  for (const [name, v] of Object.entries(r.states)) {
    if (tagged.has(name)) continue;
    // a tag state whose value cannot be a tag stays a field under its own name
    if ((TAG_STATES as readonly string[]).includes(name) && !badName(name)) {
      p.stringField(name, v);
      fields++;
    } else if (take(name)) {
      p.stringField(name, v);
      fields++;
    }
  }
  if (fields === 0) return { point: undefined, problems: [...problems, { name: '*', problem: 'no_fields' }] };
  p.stringField('quality', r.quality);
  return { point: p, problems };
}
