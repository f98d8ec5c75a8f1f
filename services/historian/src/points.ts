/**
 * Mapping of a Reading to an InfluxDB point.
 *
 * - measurement: the reading's protocol (`modbus`, `arbin-cti`, ...);
 * - tags: `device` (device id), `protocol`, `channel` (when not null);
 * - fields: every value (float), every exact value converted to float here — the only place
 *   Busbar turns an exact decimal into a binary float —, every state (string), `quality` (string);
 * - time: the reading's timestamp, millisecond precision.
 *
 * A replayed reading maps to the same series and timestamp, so InfluxDB overwrites it: replay
 * never duplicates.
 */
import { Point } from '@influxdata/influxdb-client';
import type { Reading } from '@busbar/avro';

/**
 * Builds the point of one reading.
 *
 * @returns the point, or `undefined` when the reading has no field at all (InfluxDB refuses a point without fields).
 */
export function readingToPoint(r: Reading): Point | undefined {
  const p = new Point(r.protocol).tag('device', r.device_id).tag('protocol', r.protocol).timestamp(r.timestamp);
  if (r.channel !== null) p.tag('channel', String(r.channel));
  let fields = 0;
  for (const [name, v] of Object.entries(r.values)) {
    if (Number.isFinite(v)) {
      p.floatField(name, v);
      fields++;
    }
  }
  for (const [name, v] of Object.entries(r.exact_values)) {
    const f = Number(v);
    if (Number.isFinite(f)) {
      p.floatField(name, f);
      fields++;
    }
  }
  for (const [name, v] of Object.entries(r.states)) {
    p.stringField(name, v);
    fields++;
  }
  if (fields === 0) return undefined;
  p.stringField('quality', r.quality);
  return p;
}
