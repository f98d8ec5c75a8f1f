import { describe, expect, it } from 'vitest';
import { formatCorusDateTime, isCorusDateTime, parseCorusDateTime, type CorusClass, type CorusValue } from '../../src/codec/data-classes.js';
import { decodeDatabaseRequestData, encodeDatabaseRequest, DATABASE_IDS } from '../../src/codec/database.js';
import { ExactDecimal } from '../../src/codec/exact-decimal.js';
import { BREAK_FRAME, decodeResponseFrame, DeviceMessageDecoder, encodeRequestFrame, encodeResponseFrame, type DeviceMessage } from '../../src/codec/frames.js';
import { decodeReadResponse, encodeReadRequest, encodeWriteRequest, planReads } from '../../src/codec/parameters.js';
import { encodeOptionSelect, encodePasswordMessage, decodePasswordMessage, encodeWakeup, SIGN_ON_REQUEST, decodeIdentification } from '../../src/codec/sign-on.js';
import { buildResponse, hex, toHex, vectors } from '../vectors/load.js';

type Frame = { name: string; direction: string; hex: string; parameter_ids?: number[]; decoded?: Record<string, string>; values?: Record<string, unknown>; database?: string; start?: string | null; stop?: string | null };
const frames: Frame[] = vectors.frames;
const byName = (n: string): Frame => frames.find((f) => f.name === n) as Frame;

/** Classes of the ids used in the vectors (README §7.3, §5 examples). */
const CLASS_OF: Record<number, CorusClass> = { 94: 'CorusString', 48: 'Index', 49: 'Index', 1: 'Float', 106: 'Date', 15: 'Byte', 300: 'Byte' };

function show(v: CorusValue): string | null {
  if (v === null) return null;
  if (v instanceof ExactDecimal) return v.toString();
  if (isCorusDateTime(v)) return formatCorusDateTime(v);
  return v;
}

describe('Codec > frames (README §3, §4)', () => {
  it('start-up messages match the vectors', () => {
    expect(toHex(encodeWakeup())).toBe(byName('wakeup').hex);
    expect(toHex(SIGN_ON_REQUEST)).toBe(byName('sign_on_request').hex);
    expect(toHex(encodeOptionSelect({ v: '0', z: '7', y: '6' }))).toBe(byName('option_select_ack').hex); // iflag's fixed Z '7'
    expect(toHex(encodePasswordMessage('PASS'))).toBe(byName('password_message').hex);
    expect(decodePasswordMessage(hex(byName('password_message').hex))).toBe('PASS');
    expect(toHex(BREAK_FRAME)).toBe(byName('break').hex);
  });
  it('password message with a wrong CRC → BB_CORUS_AUTH_FAILED', () => {
    expect(() => decodePasswordMessage(hex('50415353e0af'))).toThrow(expect.objectContaining({ code: 'BB_CORUS_AUTH_FAILED' }));
  });
  it('identification line is parsed as IEC 62056-21 /XXXZ<text>', () => {
    expect(decodeIdentification(hex('2f53494d35434f5255530d0a'))).toEqual({ raw: '/SIM5CORUS', manufacturer: 'SIM', baudChar: '5', text: 'CORUS' });
  });

  for (const f of frames.filter((x) => x.name.startsWith('read_request'))) {
    it(`${f.name}: encodeReadRequest(${f.parameter_ids?.join(',')}) = ${f.hex}`, () => {
      expect(toHex(encodeReadRequest(f.parameter_ids as number[]))).toBe(f.hex);
    });
  }
  for (const f of frames.filter((x) => x.name.startsWith('read_response'))) {
    it(`${f.name}: decodes to ${JSON.stringify(f.decoded)}`, () => {
      const data = decodeResponseFrame(hex(f.hex));
      // JSON objects list integer keys ascending; the wire order is the request's (README §5).
      const order = f.name === 'read_response 0x5e,48,49' ? ['94', '48', '49'] : Object.keys(f.decoded as object);
      const entries = order.map((k) => [k, (f.decoded as Record<string, string>)[k] as string] as const);
      const refs = entries.map(([k]) => ({ id: Number.isNaN(Number(k)) ? 0 : Number(k), class: Number.isNaN(Number(k)) ? (k as CorusClass) : (CLASS_OF[Number(k)] as CorusClass) }));
      const values = decodeReadResponse(data, refs).map(show);
      expect(values).toEqual(entries.map(([, v]) => v));
      expect(toHex(encodeResponseFrame(data))).toBe(f.hex);
    });
  }
  for (const f of frames.filter((x) => x.name.startsWith('write_request') && x.values !== undefined)) {
    it(`${f.name}: encodeWriteRequest = ${f.hex}`, () => {
      const items = Object.entries(f.values as Record<string, string | number>).map(([id, v]) => ({ id: Number(id), class: CLASS_OF[Number(id)] as CorusClass, value: CLASS_OF[Number(id)] === 'Date' ? parseCorusDateTime(v as string) : v }));
      expect(toHex(encodeWriteRequest(items))).toBe(f.hex);
    });
  }
  it('two-byte-id write carries its value (write_request_two_byte_id_correct), unlike iflag', () => {
    expect(toHex(encodeWriteRequest([{ id: 300, class: 'Byte', value: 7 }]))).toBe(byName('write_request_two_byte_id_correct').hex);
    expect(toHex(encodeWriteRequest([{ id: 300, class: 'Byte', value: 7 }]))).not.toBe(byName('write_request_two_byte_id_iflag_bug').hex);
  });
  for (const f of frames.filter((x) => x.name.startsWith('database_request'))) {
    it(`${f.name}: encodeDatabaseRequest = ${f.hex}, and decodes back`, () => {
      const req = { databaseId: DATABASE_IDS[f.database as keyof typeof DATABASE_IDS], start: f.start ? parseCorusDateTime(f.start) : null, stop: f.stop ? parseCorusDateTime(f.stop) : null };
      expect(toHex(encodeDatabaseRequest(req))).toBe(f.hex);
      const back = decodeDatabaseRequestData(hex(f.hex).subarray(3, 16));
      expect({ databaseId: back.databaseId, start: back.start, stop: back.stop }).toEqual(req);
    });
  }
  it('a request frame of 256 DATA bytes → BB_CORUS_FRAME_TOO_LONG', () => {
    expect(() => encodeRequestFrame(0xbf, new Uint8Array(256))).toThrow(expect.objectContaining({ code: 'BB_CORUS_FRAME_TOO_LONG' }));
  });
  it('planReads splits by request and answer size (README §4.7)', () => {
    const refs = Array.from({ length: 40 }, (_, i) => ({ id: i, class: 'Index' as const }));
    const groups = planReads(refs);
    expect(groups.map((g) => g.length)).toEqual([31, 9]);
  });
  it('read answer of the wrong length → BB_CORUS_RESPONSE_LENGTH naming the ids', () => {
    expect(() => decodeReadResponse(hex('0102'), [{ id: 94, class: 'CorusString' }])).toThrow(expect.objectContaining({ code: 'BB_CORUS_RESPONSE_LENGTH', message: expect.stringContaining('94') }));
  });
});

describe('Codec > DeviceMessageDecoder (streaming, README §2.3)', () => {
  const responses = frames.filter((f) => f.direction === 'device->client' && f.hex.startsWith('01'));
  const stream = Uint8Array.from([...hex('06'), ...responses.flatMap((f) => [...hex(f.hex)]), ...hex('15')]);
  const expected: DeviceMessage[] = [{ kind: 'ack' }, ...responses.map((f) => ({ kind: 'frame' as const, data: decodeResponseFrame(hex(f.hex)) })), { kind: 'nak' }];

  it('whole stream in one chunk', () => {
    const d = new DeviceMessageDecoder();
    expect(d.push(stream)).toEqual(expected);
    d.end();
  });
  it('every split point of the stream into two chunks', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new DeviceMessageDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(got, `cut at ${cut}`).toEqual(expected);
      d.end();
    }
  });
  it('byte by byte', () => {
    const d = new DeviceMessageDecoder();
    const got: DeviceMessage[] = [];
    for (const b of stream) got.push(...d.push(Uint8Array.of(b)));
    expect(got).toEqual(expected);
  });
  it('control bytes inside DATA and CRC are not mistaken for framing (read_response_with_control_bytes)', () => {
    const d = new DeviceMessageDecoder();
    expect(d.push(hex(byName('read_response_with_control_bytes').hex))).toEqual([{ kind: 'frame', data: hex('0103000000000000') }]);
  });
  it('database frames of the transfer example at every split point', () => {
    const ex = vectors.database_transfer_example.exchange.filter((e: { direction: string }) => e.direction === 'device->client');
    const all = Uint8Array.from(ex.flatMap((e: { hex: string }) => [...hex(e.hex)]));
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new DeviceMessageDecoder();
      const got = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      expect(got.map((m) => (m.kind === 'frame' ? toHex(m.data) : m.kind))).toEqual(ex.map((e: { hex: string }) => toHex(hex(e.hex).subarray(2, -3))));
    }
  });

  describe('malformed input: exact error, nothing emitted', () => {
    const good = buildResponse(hex('464c5f6230303430'));
    const badCrc = Uint8Array.from(good);
    badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] as number) ^ 0x01;
    const badEtx = Uint8Array.from(good);
    badEtx[badEtx.length - 3] = 0x04;
    const cases: [string, Uint8Array, string, number | undefined][] = [
      ['wrong ETX', badEtx, 'BB_CORUS_FRAME_ETX', 10],
      ['garbage before SOH', Uint8Array.of(0x55, ...good), 'BB_CORUS_FRAME_UNEXPECTED_BYTE', 0],
      ['wake-up noise 0x00 in session', Uint8Array.of(0x00, ...good), 'BB_CORUS_FRAME_UNEXPECTED_BYTE', 0],
    ];
    for (const [name, bytes, code, offset] of cases) {
      it(`${name} → ${code} at offset ${offset}`, () => {
        const d = new DeviceMessageDecoder();
        let emitted: DeviceMessage[] = [];
        let err: unknown;
        try {
          emitted = d.push(bytes);
        } catch (e) {
          err = e;
        }
        expect(emitted).toEqual([]);
        expect(err).toMatchObject({ code, context: expect.objectContaining({ offset }) });
      });
    }
    it('bad CRC → frame delivered with a BB_CORUS_FRAME_CRC verdict (stream stays in step)', () => {
      const d = new DeviceMessageDecoder();
      const [m, next] = d.push(Uint8Array.from([...badCrc, ...good]));
      expect(m).toMatchObject({ kind: 'frame', crcError: { code: 'BB_CORUS_FRAME_CRC' } });
      expect(next).toEqual({ kind: 'frame', data: hex('464c5f6230303430') });
      expect(() => decodeResponseFrame(badCrc)).toThrow(expect.objectContaining({ code: 'BB_CORUS_FRAME_CRC' }));
    });
    it.each([1, 2, 5, 12])('short frame (%i bytes) → nothing emitted, end() → BB_CORUS_FRAME_TRUNCATED', (n) => {
      const d = new DeviceMessageDecoder();
      expect(d.push(good.subarray(0, n))).toEqual([]);
      expect(() => d.end()).toThrow(expect.objectContaining({ code: 'BB_CORUS_FRAME_TRUNCATED' }));
      expect(() => decodeResponseFrame(good.subarray(0, n))).toThrow(expect.objectContaining({ code: 'BB_CORUS_FRAME_TRUNCATED' }));
    });
    it('decodeResponseFrame: wrong first byte, trailing bytes', () => {
      expect(() => decodeResponseFrame(Uint8Array.of(0x02, ...good.subarray(1)))).toThrow(expect.objectContaining({ code: 'BB_CORUS_FRAME_UNEXPECTED_BYTE' }));
      expect(() => decodeResponseFrame(Uint8Array.of(...good, 0x06))).toThrow(expect.objectContaining({ code: 'BB_CORUS_FRAME_TOO_LONG' }));
    });
  });
});
