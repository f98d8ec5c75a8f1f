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
import { escapeKey, escapeMeasurement, linePoint, quoteString } from './line-protocol.js';
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
  if (make === linePoint) {
    const line = plainReadingLine(r);
    if (line !== undefined) return { point: new PresetLine(line), problems: [] };
  }
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

/** A line already written (the fast path's point). */
class PresetLine implements PointBuilder {
  constructor(private readonly line: string) {}
  tag(): never {
    throw new Error('PresetLine is written');
  }
  floatField(): never {
    throw new Error('PresetLine is written');
  }
  stringField(): never {
    throw new Error('PresetLine is written');
  }
  timestamp(): never {
    throw new Error('PresetLine is written');
  }
  toLineProtocol(): string {
    return this.line;
  }
}

/** Names no value may take: the tags and `quality` (the first pass of `take` in {@link readingToPoint}). */
const RESERVED = new Set<string>(['quality', 'device', 'protocol', 'channel', ...TAG_STATES]);

/** What the fast path knows of a set of value names, in their order in the reading. */
interface ValueShape {
  /** Whether every name can be a field (not reserved, not refused). */
  readonly ok: boolean;
  /** Indices of the names in key order (UTF-16 code units, as the client library sorts). */
  readonly order: readonly number[];
  /** The names, by index. */
  readonly names: readonly string[];
  /** `<escaped name>=`, by index. */
  readonly prefixes: readonly string[];
  readonly nameSet: ReadonlySet<string>;
}
/** Value shapes by their names joined with U+0001; a device's readings share one. Bounded: cleared when full. */
const shapes = new Map<string, ValueShape>();
const SHAPES_MAX = 4096;
/** Record types already checked against the grammar. */
const recordTypes = new Map<string, boolean>();

function shapeOf(names: string[]): ValueShape {
  const key = names.join('\u0001');
  let shape = shapes.get(key);
  // the key is ambiguous when a name holds U+0001 (or for [''] and []): a hit must have the same names
  if (shape !== undefined && (shape.names.length !== names.length || shape.names.some((n, i) => n !== names[i]))) shape = undefined;
  if (shape === undefined) {
    const order = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
    shape = { ok: names.every((n) => !badName(n) && !RESERVED.has(n)), order, names, prefixes: names.map((n) => `${escapeKey(n)}=`), nameSet: new Set(names) };
    if (shapes.size >= SHAPES_MAX) shapes.clear();
    shapes.set(key, shape);
  }
  return shape;
}

/**
 * The fast path of {@link readingToPoint} for a reading with nothing to leave out (the common case):
 * its line, written straight from the reading with the value names' order and escaping cached per
 * set of names; `undefined` when anything needs the general path (a problem to report, exact
 * values, a tag state that cannot be a tag, a name collision). Same line as the general path
 * (test/line-protocol.test.ts checks both against the client library).
 */
function plainReadingLine(r: Reading): string | undefined {
  const t = r.timestamp.getTime();
  if (!(t >= MIN_TIME_MS && t <= MAX_TIME_MS) || !usableTagValue(r.device_id) || !usableTagValue(r.protocol)) return undefined;
  for (const _ in r.exact_values) return undefined;
  const rt = r.record_type ?? null;
  let measurement = r.protocol;
  if (rt !== null) {
    let valid = recordTypes.get(rt);
    if (valid === undefined) {
      valid = rt.length <= RECORD_TYPE_MAX && RECORD_TYPE_PATTERN.test(rt);
      if (recordTypes.size >= SHAPES_MAX) recordTypes.clear();
      recordTypes.set(rt, valid);
    }
    if (!valid) return undefined;
    measurement = rt;
  }
  const shape = shapeOf(Object.keys(r.values));
  if (!shape.ok) return undefined;
  const values = Object.values(r.values);
  for (const v of values) if (!Number.isFinite(v)) return undefined;
  // tags in key order: channel, device, log, protocol, schedule_name, test_name
  let tagStates: Record<string, string> | undefined;
  const others: [string, string][] = [['quality', quoteString(r.quality)]];
  for (const name in r.states) {
    if (!Object.hasOwn(r.states, name)) continue;
    const v = r.states[name]!;
    if ((TAG_STATES as readonly string[]).includes(name)) {
      if (!usableTagValue(v)) return undefined;
      (tagStates ??= {})[name] = escapeKey(v);
    } else {
      if (badName(name) || RESERVED.has(name) || shape.nameSet.has(name)) return undefined;
      others.push([name, quoteString(v)]);
    }
  }
  if (values.length === 0 && others.length === 1) return undefined; // no field but quality: the general path reports it
  others.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let line = escapeMeasurement(measurement);
  if (r.channel !== null) line += `,channel=${escapeKey(channelTag(r.channel))}`;
  line += `,device=${escapeKey(r.device_id)}`;
  if (tagStates?.log !== undefined) line += `,log=${tagStates.log}`;
  line += `,protocol=${escapeKey(r.protocol)}`;
  if (tagStates?.schedule_name !== undefined) line += `,schedule_name=${tagStates.schedule_name}`;
  if (tagStates?.test_name !== undefined) line += `,test_name=${tagStates.test_name}`;
  // merge the sorted value names with the sorted other fields
  let sep = ' ';
  let j = 0;
  for (const i of shape.order) {
    const name = shape.names[i]!;
    while (j < others.length && others[j]![0] < name) {
      line += `${sep}${escapeKey(others[j]![0])}=${others[j]![1]}`;
      sep = ',';
      j++;
    }
    line += `${sep}${shape.prefixes[i]!}${String(values[i])}`;
    sep = ',';
  }
  for (; j < others.length; j++) {
    line += `${sep}${escapeKey(others[j]![0])}=${others[j]![1]}`;
    sep = ',';
  }
  return `${line} ${t}000000`;
}
