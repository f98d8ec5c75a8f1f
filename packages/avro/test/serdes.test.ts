import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertSerde, commandResultSerde, commandSerde, deadLetterSerde, deviceEventSerde, readingSerde, type Alert, type Command, type CommandResult, type DeadLetter, type DeviceEvent, type Reading } from '../src/index.js';
import { AvroDecodeError, AvroEncodeError } from '../src/errors.js';
import { parsingCanonicalForm } from '../src/codec/canonical.js';
import { type Serde } from '../src/serde.js';

// ---- test-only builder of Avro binary, from the Avro specification 1.11, "Binary Encoding" ----
/** zig-zag then base-128 varint, low group first (spec table: 0→00, -1→01, 1→02, -2→03, 64→80 01). */
function zz(n: number | bigint): string {
  let v = BigInt(n);
  v = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out).toString('hex');
}
/** string/bytes: length varint + UTF-8. */
const str = (s: string): string => zz(Buffer.byteLength(s)) + Buffer.from(s, 'utf8').toString('hex');
/** double: IEEE 754 binary64 little-endian. */
const dbl = (x: number): string => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b.toString('hex');
};
/** Spec's CRC-64-AVRO, bit by bit (independent of src/codec/crc64.ts's table). */
function crc64(bytes: Uint8Array): bigint {
  let fp = 0xc15d213aa4d7a795n;
  for (const b of bytes) {
    fp ^= BigInt(b);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (fp & 1n ? 0xc15d213aa4d7a795n : 0n);
  }
  return fp;
}
/** `C3 01` + CRC-64-AVRO (bitwise, above) of the PCF of the committed .avsc file, little-endian. */
function headerHex(record: string): string {
  const file = record.replace(/(?<=[a-z])(?=[A-Z])/g, '-').toLowerCase() + '.avsc'; // CommandResult → command-result.avsc
  const json: unknown = JSON.parse(readFileSync(new URL(`../../../schemas/${file}`, import.meta.url), 'utf8'));
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(crc64(Buffer.from(parsingCanonicalForm(json as string))));
  return 'c301' + b.toString('hex');
}

const t0 = new Date('2024-03-01T12:00:00.123Z');

const samples = {
  reading: {
    device_id: 'arbin-1', protocol: 'arbin-cti', channel: 3, timestamp: t0,
    values: { voltage_v: 3.6543, current_a: -1.25, capacity_ah: 2.5e-3, temperature_c: 25 },
    exact_values: { volume_converted_m3: '12345.678' }, states: { status: 'Charge', schedule_name: 'cc-cv.sdx' }, quality: 'UNCERTAIN', sequence: 2 ** 40, record_type: 'cycler_channel',
  } satisfies Reading,
  deviceEvent: {
    event_id: '0b6f3b7e-4c34-4a43-9d0f-4a1f5d0a8b11', device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: t0, kind: 'STATE_CHANGE',
    previous_state: 'Rest', state: 'Charge', reason: null, error_code: null, details: { step: '4' },
  } satisfies DeviceEvent,
  command: {
    command_id: 'c-1', issuer: 'alice', issued_at: t0, expires_at: new Date(t0.getTime() + 30_000), target: { device_id: 'psu-1', channel: 1 }, action: 'modbus.write',
    parameters: { value: 12, setpoint_a: 1.5, enable: true, note: 'ramp', none: null, big: -(2 ** 53 - 1), big2: 2 ** 53 - 1, neg: -(2 ** 52 + 1), huge: 2 ** 60 }, dry_run: true,
    key_id: 'alice-2026', signature: Buffer.alloc(64, 0xab),
  } satisfies Command,
  commandResult: {
    command_id: 'c-1', device_id: 'psu-1', channel: 1, action: 'modbus.write', status: 'REJECTED', reason_code: 'BB_SAFETY_SETPOINT_RANGE',
    reason: 'setpoint_a 150 above limit 10', timestamp: t0, details: { limit_a: '10' },
  } satisfies CommandResult,
  alert: {
    alert_id: 'a-1', rule: 'cell-overtemp', device_id: 'arbin-1', channel: 2, signal: 'temperature_c', severity: 'CRITICAL', state: 'FIRING', value: 61.5,
    threshold: 60, timestamp: t0, message: 'arbin-1 ch2 temperature 61.5 °C above 60 °C',
  } satisfies Alert,
  deadLetter: {
    source_topic: 'busbar.readings.v1', partition: 5, offset: '9007199254740993', key: Buffer.from('psu-1'), payload: Buffer.from([0xc3, 0x02, 0xff]),
    error_code: 'BB_AVRO_BAD_MAGIC', reason: 'byte 1 is 0x02', timestamp: t0,
  } satisfies DeadLetter,
};

const table: [string, Serde<unknown, never>, unknown][] = [
  ['Reading', readingSerde as Serde<unknown, never>, samples.reading],
  ['DeviceEvent', deviceEventSerde as Serde<unknown, never>, samples.deviceEvent],
  ['Command', commandSerde as Serde<unknown, never>, samples.command],
  ['CommandResult', commandResultSerde as Serde<unknown, never>, samples.commandResult],
  ['Alert', alertSerde as Serde<unknown, never>, samples.alert],
  ['DeadLetter', deadLetterSerde as Serde<unknown, never>, samples.deadLetter],
];

function thrown(f: () => unknown): AvroDecodeError | AvroEncodeError {
  try {
    f();
  } catch (err) {
    return err as AvroDecodeError;
  }
  throw new Error('expected a throw');
}

describe('avro > serdes', () => {
  it.each(table)('%s round-trips through single-object encoding', (record, serde, value) => {
    const bytes = serde.encode(value as never);
    expect(bytes.subarray(0, 10).toString('hex')).toBe(headerHex(record));
    expect(serde.decode(bytes)).toEqual(value);
    expect(serde.decode(new Uint8Array(bytes))).toEqual(value); // a plain Uint8Array too
    expect(serde.recordName).toBe(`io.busbar.v1.${record}`);
  });

  it('writes the exact bytes the Avro specification gives for a small Reading', () => {
    const bytes = readingSerde.encode({ device_id: 'psu-1', protocol: 'modbus', channel: 1, timestamp: new Date(1_700_000_000_123), values: { voltage_v: 3.7 }, sequence: 42 });
    const expected =
      headerHex('Reading') +
      '0a' + '7073752d31' + //                 device_id: length 5 (zig-zag 10), "psu-1"
      '0c' + '6d6f64627573' + //               protocol: length 6, "modbus"
      '02' + '02' + //                         channel: union branch 1 (int), value 1
      zz(1_700_000_000_123_000n) + //          timestamp: micros since epoch, zig-zag varint
      '02' + '12' + '766f6c746167655f76' + dbl(3.7) + '00' + // values: block of 1, "voltage_v", 3.7, end
      '00' + //                                exact_values: {} (empty map = end block)
      '00' + //                                states: {}
      '00' + //                                quality: enum index 0 = GOOD
      '54' + //                                sequence: 42 → zig-zag 84
      '00'; //                                 record_type: union branch 0 (null), the default (schema v2)
    expect(bytes.toString('hex')).toBe(expected);
  });

  it('writes record_type (schema v2) as union branch 1 and a string, after sequence', () => {
    const bytes = readingSerde.encode({ device_id: 'd', protocol: 'p', timestamp: new Date(0), values: {}, sequence: 1, record_type: 'cycler_channel' });
    expect(bytes.toString('hex').endsWith('00' + zz(1) + '02' + str('cycler_channel'))).toBe(true); // quality GOOD, sequence 1, branch 1 (string), "cycler_channel"
    expect(readingSerde.decode(bytes).record_type).toBe('cycler_channel');
  });

  it('the test builder follows the spec zig-zag table', () => {
    expect([0, -1, 1, -2, 2, -64, 64, 63].map(zz)).toEqual(['00', '01', '02', '03', '04', '7f', '8001', '7e']);
    expect(str('')).toBe('00');
    expect(dbl(1)).toBe('000000000000f03f');
  });

  it('fills defaults for omitted optional fields', () => {
    const r = readingSerde.decode(readingSerde.encode({ device_id: 'd', protocol: 'modbus', timestamp: t0, values: {} }));
    expect(r).toEqual({ device_id: 'd', protocol: 'modbus', channel: null, timestamp: t0, values: {}, exact_values: {}, states: {}, quality: 'GOOD', sequence: 0, record_type: null });
    const e = deviceEventSerde.decode(deviceEventSerde.encode({ event_id: 'e', device_id: 'd', protocol: 'modbus', timestamp: t0, kind: 'CONNECTED' }));
    expect(e).toMatchObject({ channel: null, previous_state: null, state: null, reason: null, error_code: null, details: {} });
    const c = commandSerde.decode(commandSerde.encode({ command_id: 'c', issuer: 'i', issued_at: t0, expires_at: t0, target: { device_id: 'd' }, action: 'x.y' }));
    expect(c).toMatchObject({ target: { device_id: 'd', channel: null }, parameters: {}, dry_run: false });
  });

  it('writes integer command parameters as long and others as double (union branches 2 and 3)', () => {
    const base = { command_id: 'c', issuer: 'i', issued_at: t0, expires_at: t0, target: { device_id: 'd', channel: null }, action: 'x.y', dry_run: false };
    const asLong = commandSerde.encode({ ...base, parameters: { v: 2 } });
    const asDouble = commandSerde.encode({ ...base, parameters: { v: 2.5 } });
    const tail = (b: Buffer): string => b.toString('hex').slice(-2 * 15);
    expect(tail(asLong).endsWith('02' + str('v') + '04' + zz(2) + '00' + '00' + '0000')).toBe(true); // block 1, "v", branch 2 (long), 2, end, dry_run false, key_id and signature null
    expect(asDouble.toString('hex').endsWith('02' + str('v') + '06' + dbl(2.5) + '00' + '00' + '0000')).toBe(true); // branch 3 (double)
    expect(commandSerde.decode(asLong).parameters).toEqual({ v: 2 });
  });

  it('writes longs exactly over the whole safe range (avsc\'s own long codec flips the sign below -2^52)', () => {
    for (const n of [0, -1, 42, 2 ** 52 + 1, -(2 ** 52 + 1), 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      const bytes = readingSerde.encode({ device_id: 'd', protocol: 'p', timestamp: new Date(0), values: {}, sequence: n });
      expect(bytes.toString('hex').endsWith('00' + zz(BigInt(n)) + '00')).toBe(true); // quality GOOD, then sequence, then record_type null
      expect(readingSerde.decode(bytes).sequence).toBe(n);
    }
  });

  it('a foreign long beyond 2^53 − 1 is an invalid body, not a wrong number', () => {
    const ok = readingSerde.encode({ device_id: 'd', protocol: 'p', timestamp: new Date(0), values: {}, sequence: 0 });
    const big = Buffer.concat([ok.subarray(0, ok.length - 2), Buffer.from(zz(2n ** 60n) + '00', 'hex')]); // sequence, then record_type null
    const err = thrown(() => readingSerde.decode(big));
    expect(err.code).toBe('BB_AVRO_INVALID_BODY');
    expect(err.message).toMatch(/long outside/);
  });

  it('keeps Date milliseconds and drops sub-millisecond digits of foreign writers (floored)', () => {
    const bytes = readingSerde.encode({ device_id: 'd', protocol: 'p', timestamp: new Date(-1), values: {} });
    expect(readingSerde.decode(bytes).timestamp.getTime()).toBe(-1);
    // a writer with microsecond precision: 1 µs before the epoch and 1.999 ms after
    const hex = bytes.toString('hex');
    const ts = zz(-1000n);
    const at = hex.indexOf(str('d') + str('p') + '00' + ts) + (str('d') + str('p') + '00').length;
    for (const [micros, ms] of [[-1n, -1], [1999n, 1]] as const) {
      const patched = Buffer.from(hex.slice(0, at) + zz(micros) + hex.slice(at + ts.length), 'hex');
      expect(readingSerde.decode(patched).timestamp.getTime()).toBe(ms);
    }
  });
});

describe('avro > serdes > malformed input', () => {
  const good = readingSerde.encode(samples.reading);
  const unknownFp = Buffer.concat([Buffer.from('c301' + '0102030405060708', 'hex'), good.subarray(10)]);
  const hugeMap = Buffer.concat([good.subarray(0, 10), Buffer.from(str('d') + str('p') + '00' + zz(0) + zz(2n ** 50n), 'hex')]);
  const badEnum = Buffer.from(readingSerde.encode({ device_id: 'd', protocol: 'p', timestamp: new Date(0), values: {} }).toString('hex').replace(/00(0000)$/, '06$1'), 'hex'); // quality, then sequence 0 and record_type null
  const badUnion = Buffer.from(good.toString('hex').replace('0e' + Buffer.from('arbin-1').toString('hex') + '12' + Buffer.from('arbin-cti').toString('hex') + '02', '0e' + Buffer.from('arbin-1').toString('hex') + '12' + Buffer.from('arbin-cti').toString('hex') + '04'), 'hex');

  it.each([
    ['not single-object (Confluent magic 0)', Buffer.from('00000000010a', 'hex'), 'BB_AVRO_BAD_MAGIC', /byte 0 is 0x00, expected 0xc3/],
    ['second marker byte wrong', Buffer.from([0xc3, 0x02, ...good.subarray(2)]), 'BB_AVRO_BAD_MAGIC', /byte 1 is 0x02, expected 0x01/],
    ['header cut at 9 bytes', good.subarray(0, 9), 'BB_AVRO_TRUNCATED', /shorter than the 10-byte/],
    ['unknown fingerprint', unknownFp, 'BB_AVRO_UNKNOWN_FINGERPRINT', /unknown writer schema fingerprint 0807060504030201 \(wire bytes 0102030405060708\)/],
    ['another record type', alertSerde.encode(samples.alert), 'BB_AVRO_WRONG_SCHEMA', /message is a io\.busbar\.v1\.Alert .* expected io\.busbar\.v1\.Reading/],
    ['trailing byte', Buffer.concat([good, Buffer.from([0])]), 'BB_AVRO_INVALID_BODY', /1 trailing byte\(s\)/],
    ['header only', good.subarray(0, 10), 'BB_AVRO_TRUNCATED', /ends early/],
    ['map claiming 2^50 entries', hugeMap, 'BB_AVRO_TRUNCATED', /ends early/],
    ['enum index 3 of 3 symbols', badEnum, 'BB_AVRO_INVALID_BODY', /does not decode/],
    ['union branch 2 of ["null","int"]', badUnion, 'BB_AVRO_INVALID_BODY', /does not decode/],
  ])('%s → %s', (_name, bytes, code, message) => {
    let out: unknown = 'nothing';
    const err = thrown(() => (out = readingSerde.decode(bytes)));
    expect(err).toBeInstanceOf(AvroDecodeError);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.retriable).toBe(false);
    expect(out).toBe('nothing'); // nothing decoded
  });

  it('unknown fingerprint carries it in context', () => {
    expect(thrown(() => readingSerde.decode(unknownFp)).context).toMatchObject({ fingerprint: '0807060504030201', fingerprintWire: '0102030405060708' });
  });

  it('every cut of a valid message is refused (TRUNCATED, never a value)', () => {
    for (let n = 0; n < good.length; n++) {
      const err = thrown(() => readingSerde.decode(good.subarray(0, n)));
      expect([n, err.code]).toEqual([n, 'BB_AVRO_TRUNCATED']);
    }
  });
});

describe('avro > serdes > invalid values', () => {
  const r = samples.reading;
  it.each([
    ['missing device_id', { ...r, device_id: undefined }, 'device_id', /field device_id: expected string, got undefined \(missing\)/],
    ['value not a number', { ...r, values: { voltage_v: '3.6' } }, 'values.voltage_v', /field values\.voltage_v: expected double, got "3\.6"/],
    ['channel not an int', { ...r, channel: 1.5 }, 'channel', /field channel: expected int, got 1\.5/],
    ['unknown quality', { ...r, quality: 'OK' }, 'quality', /field quality: expected io\.busbar\.v1\.Quality, got "OK"/],
    ['timestamp not a Date', { ...r, timestamp: 1700000000000 }, 'timestamp', /field timestamp: expected timestamp-micros \(Date\), got 1700000000000/],
    ['sequence beyond 2^53', { ...r, sequence: 2 ** 60 }, 'sequence', /field sequence: expected long/],
    ['state not text', { ...r, states: { status: 3 } }, 'states.status', /field states\.status: expected string, got 3/],
  ])('%s → BB_AVRO_INVALID_VALUE at %s', (_name, value, path, message) => {
    const err = thrown(() => readingSerde.encode(value as never));
    expect(err).toBeInstanceOf(AvroEncodeError);
    expect(err.code).toBe('BB_AVRO_INVALID_VALUE');
    expect(err.context).toMatchObject({ record: 'io.busbar.v1.Reading', path });
    expect(err.message).toMatch(message);
  });

  it('names the path inside nested records and command parameters', () => {
    const c = samples.command;
    expect(thrown(() => commandSerde.encode({ ...c, target: { device_id: 'd', channel: 'one' } } as never)).context).toMatchObject({ path: 'target.channel' });
    expect(thrown(() => commandSerde.encode({ ...c, parameters: { setpoint_a: { a: 1 } } } as never)).context).toMatchObject({ path: 'parameters.setpoint_a' });
    expect(thrown(() => deadLetterSerde.encode({ ...samples.deadLetter, payload: 'text' } as never)).context).toMatchObject({ path: 'payload' });
  });
});
