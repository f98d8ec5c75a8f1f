import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Reading } from '@busbar/avro';
import { channelTag, readingToPoint } from '../src/points.js';

const base: Reading = { device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), values: {}, exact_values: {}, states: {}, quality: 'GOOD', sequence: 1, record_type: null };
const line = (r: Reading): string | undefined => readingToPoint(r).point?.toLineProtocol();

/**
 * The series key and timestamp of a line of line protocol, parsed by a test-only reader (the
 * production writer is not its own oracle): measurement and tags up to the first unescaped space,
 * the timestamp after the last space (string fields are escaped so none ends the line early).
 */
function seriesAndTime(l: string): { series: string; time: string } {
  let i = 0;
  for (; i < l.length; i++) {
    if (l[i] === '\\') i++;
    else if (l[i] === ' ') break;
  }
  return { series: l.slice(0, i), time: l.slice(l.lastIndexOf(' ') + 1) };
}

describe('historian > points', () => {
  it('v2: measurement = record_type, tags device/protocol/padded channel/test/schedule, exact values as float and text', () => {
    expect(line({ ...base, record_type: 'cycler_channel', protocol: 'arbin-cti', device_id: 'arbin-1', channel: 3, values: { voltage_v: 3.9 }, states: { status: 'Charge', test_name: 'cell 42', schedule_name: 'cc-cv.sdx', step_name: 'CC' } })).toBe(
      'cycler_channel,channel=0003,device=arbin-1,protocol=arbin-cti,schedule_name=cc-cv.sdx,test_name=cell\\ 42 quality="GOOD",status="Charge",step_name="CC",voltage_v=3.9 1767323045678000000',
    );
    expect(line({ ...base, record_type: 'meter_log:interval', protocol: 'itron-corus', device_id: 'corus-1', exact_values: { volume_converted_m3: '12345678.901234567' }, states: { log: 'interval' } })).toBe(
      'meter_log:interval,device=corus-1,log=interval,protocol=itron-corus quality="GOOD",volume_converted_m3=12345678.901234567,volume_converted_m3_exact="12345678.901234567" 1767323045678000000',
    );
  });

  it('fallback for readings without record_type (producers older than schema v2): the protocol as measurement', () => {
    expect(line({ ...base, channel: 12, values: { voltage_v: 12.5, current_a: 1 }, exact_values: { volume_converted_m3: '12345.678' }, states: { status: 'CHARGE' } })).toBe(
      'modbus,channel=0012,device=psu-1,protocol=modbus current_a=1,quality="GOOD",status="CHARGE",voltage_v=12.5,volume_converted_m3=12345.678,volume_converted_m3_exact="12345.678" 1767323045678000000',
    );
    const { point, problems } = readingToPoint({ ...base, record_type: 'Modbus PSU', values: { v: 1 } });
    expect(point?.toLineProtocol()).toBe('modbus,device=psu-1,protocol=modbus quality="GOOD",v=1 1767323045678000000');
    expect(problems).toEqual([{ name: 'record_type', problem: 'bad_record_type' }]);
  });

  it('channel tags sort as numbers for channels 1…9999', () => {
    const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0); // code-unit order, as InfluxDB and Grafana sort tag values
    fc.assert(fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 9999 }), (a, b) => Math.sign(a - b) === cmp(channelTag(a), channelTag(b))));
    expect([10, 2, 1, 100].map(channelTag).sort()).toEqual(['0001', '0002', '0010', '0100']);
  });

  it('a tag state whose value cannot be a tag stays a field', () => {
    expect(line({ ...base, values: { v: 1 }, states: { test_name: '', schedule_name: 'a\\b' } })).toBe('modbus,device=psu-1,protocol=modbus quality="GOOD",schedule_name="a\\\\b",test_name="",v=1 1767323045678000000');
  });

  it('leaves out and reports what InfluxDB would refuse or what would collide, keeping the rest of the reading', () => {
    const m = readingToPoint({
      ...base,
      values: { voltage_v: Number.POSITIVE_INFINITY, current_a: 2, 'bad\\': 1, '': 3, time: 5, _value: 6, quality: 9, device: 1, ok_m3_exact: 4 },
      exact_values: { empty: '', hex: '0x1F', current_a: '5', ok_m3: '1.5e3' },
      states: { current_a: 'x' },
    });
    expect(m.point?.toLineProtocol()).toBe('modbus,device=psu-1,protocol=modbus current_a=2,ok_m3=1500,ok_m3_exact=4,quality="GOOD" 1767323045678000000');
    expect(m.problems).toEqual([
      { name: 'voltage_v', problem: 'non_finite' },
      { name: 'bad\\', problem: 'bad_field_name' },
      { name: '', problem: 'bad_field_name' },
      { name: 'time', problem: 'bad_field_name' },
      { name: '_value', problem: 'bad_field_name' },
      { name: 'quality', problem: 'name_collision' },
      { name: 'device', problem: 'name_collision' },
      { name: 'empty', problem: 'not_decimal' },
      { name: 'hex', problem: 'not_decimal' },
      { name: 'current_a', problem: 'name_collision' },
      { name: 'ok_m3_exact', problem: 'name_collision' },
      { name: 'current_a', problem: 'name_collision' },
    ]);
  });

  it('refuses a reading with no field, a timestamp outside InfluxDB\'s range, or a device id that cannot be a tag', () => {
    expect(readingToPoint({ ...base, values: { voltage_v: Number.NaN } })).toEqual({ point: undefined, problems: [{ name: 'voltage_v', problem: 'non_finite' }, { name: '*', problem: 'no_fields' }] });
    expect(readingToPoint({ ...base, timestamp: new Date(Date.UTC(1600, 0, 1)), values: { v: 1 } })).toEqual({ point: undefined, problems: [{ name: 'timestamp', problem: 'time_out_of_range' }] });
    for (const device_id of ['', 'a\\', 'a\nb']) expect(readingToPoint({ ...base, device_id, values: { v: 1 } })).toEqual({ point: undefined, problems: [{ name: 'device_id', problem: 'bad_tag_value' }] });
  });
});

describe('historian > points > identity (property)', () => {
  // Texts with the characters line protocol escapes, and ones that look like escapes.
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '1', ' ', ',', '=', '"', ':', '-', '_', '\\', 'é'), minLength: 0, maxLength: 6 });
  const recordType = fc.option(fc.constantFrom('cycler_channel', 'meter_log:interval', 'meter_log:hourly', 'meter_poll', 'modbus:power-supply', 'modbus:bms', 'Bad Type'), { nil: null });
  const reading = fc.record({
    device_id: fc.constantFrom('d1', 'd 1', 'd,1', 'd=1', 'd1 '),
    protocol: fc.constantFrom('modbus', 'itron-corus', 'arbin-cti'),
    channel: fc.option(fc.oneof(fc.constantFrom(1, 10, 9999, 10_000, 10_001), fc.integer({ min: 1, max: 2 ** 31 - 1 })), { nil: null }),
    timestamp: fc.integer({ min: 0, max: 3 }).map((ms) => new Date(1_767_323_045_678 + ms)),
    values: fc.dictionary(fc.constantFrom('voltage_v', 'current_a'), fc.double({ noNaN: true, noDefaultInfinity: true }), { minKeys: 1 }),
    exact_values: fc.constant({}),
    states: fc.record({ log: text, test_name: text, schedule_name: text }, { requiredKeys: [] }),
    quality: fc.constant('GOOD' as const),
    sequence: fc.nat(),
    record_type: recordType,
  });
  /** What makes a record a record: everything the data model keys on (docs/data-model.md "Identity"). */
  const identity = (r: Reading): string => {
    const usable = (v: string | undefined): string | null => (v !== undefined && v !== '' && !v.includes('\\') ? v : null);
    const rt = r.record_type === 'Bad Type' ? null : r.record_type;
    return JSON.stringify([r.device_id, r.protocol, r.channel, rt ?? `protocol:${r.protocol}`, usable(r.states.log), usable(r.states.test_name), usable(r.states.schedule_name), r.timestamp.getTime()]);
  };

  it('two readings map to the same series + timestamp if and only if they are the same record', () => {
    fc.assert(
      // b takes each field (or just one) from a or from another reading: pairs that differ in one part are common
      fc.property(reading, reading, fc.oneof(fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), fc.nat(15).map((i) => Array.from({ length: 16 }, (_, j) => j === i))), (a, other, mask) => {
        const keys = Object.keys(a) as (keyof typeof a)[];
        const b = Object.fromEntries(keys.map((k, i) => [k, mask[i] ? other[k] : a[k]])) as typeof a;
        const states = Object.fromEntries(['log', 'test_name', 'schedule_name'].flatMap((k, i) => {
          const from = mask[10 + i] ? other.states : a.states;
          return Object.hasOwn(from, k) ? [[k, from[k as keyof typeof from]]] : [];
        }));
        (b as { states: unknown }).states = states;
        const la = line(a as Reading);
        const lb = line(b as Reading);
        if (la === undefined || lb === undefined) throw new Error('every generated reading is writable');
        const same = JSON.stringify(seriesAndTime(la)) === JSON.stringify(seriesAndTime(lb));
        return same === (identity(a as Reading) === identity(b as Reading));
      }),
      { numRuns: 20_000 },
    );
  });

  it('a replayed reading maps to the same line', () => {
    fc.assert(fc.property(reading, (a) => line(a as Reading) === line(structuredClone(a) as Reading)));
  });
});
