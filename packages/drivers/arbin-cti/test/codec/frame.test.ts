import { describe, expect, it } from 'vitest';
import { CtiFrameDecoder, ctiChecksum, encodeFrame, parseFrame, type CtiFrame } from '../../src/index.js';
import { buildFrame, vectorBytes } from '../helpers/vectors.js';

const TOKEN = Buffer.from('dddddddddddddd11', 'hex');

describe('Codec > frame', () => {
  it('checksum of the vendor login dump (user/password "123") is 0x092C (README §3.4, [P1.1] Fig. 1)', () => {
    const args = Buffer.alloc(64);
    args.write('123', 0, 'latin1');
    args.write('123', 32, 'latin1');
    const f = buildFrame('request', 0xeeab0001, args);
    expect(f.readUInt16LE(84)).toBe(0x092c);
    expect(encodeFrame('request', 0xeeab0001, args)).toEqual(f);
    expect(ctiChecksum(f, 0, 84)).toBe(0x092c);
  });

  it('checksum wraps modulo 65536', () => {
    expect(ctiChecksum(new Uint8Array(300).fill(0xff))).toBe((300 * 255) & 0xffff);
  });

  it('request and feedback length conventions (README §3.3)', () => {
    expect(encodeFrame('request', 1, Buffer.alloc(4)).readUInt32LE(8)).toBe(26 - 12);
    expect(encodeFrame('feedback', 1, Buffer.alloc(4)).readUInt32LE(8)).toBe(26);
  });

  it('resynchronises on the token after garbage (including partial tokens)', () => {
    const frame = vectorBytes('server_stop_schedule_msg');
    const garbage = Buffer.from([0x00, 0xdd, 0xdd, 0x11, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0x42]);
    const stream = Buffer.concat([garbage, frame, Buffer.from([0x01, 0x02]), frame]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new CtiFrameDecoder();
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(out.map((f) => f.bytes.equals(frame)), `cut ${cut}`).toEqual([true, true]);
      expect(d.skippedBytes).toBe(garbage.length + 2);
    }
  });

  it('ArbinSpoofer-style feedbacks (2 surplus bytes carrying the checksum) decode; checksum flagged, surplus skipped', () => {
    const real = vectorBytes('server_set_meta_variable_msg');
    const spoofed = Buffer.concat([real.subarray(0, 126), Buffer.from([0, 0]), real.subarray(126)]);
    const d = new CtiFrameDecoder();
    const out = [...d.push(spoofed), ...d.push(spoofed)];
    expect(out).toHaveLength(2);
    expect(out.every((f) => !f.checksumOk && f.bytes.length === 128 && f.commandCode === 0xbb510001)).toBe(true);
    expect(d.skippedBytes).toBe(4);
    expect(d.bufferedBytes).toBe(0);
  });

  describe('malformed input: exact error, nothing emitted, decoder recovers', () => {
    const lengthLE = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    };
    it.each([
      ['oversize length', 'BB_ARBIN_FRAME_TOO_LARGE', Buffer.concat([TOKEN, lengthLE(0xffffffff)])],
      ['length above the configured max', 'BB_ARBIN_FRAME_TOO_LARGE', Buffer.concat([TOKEN, lengthLE(4097)])],
      ['length below the minimum', 'BB_ARBIN_FRAME_TOO_SHORT', Buffer.concat([TOKEN, lengthLE(21)])],
      ['length zero', 'BB_ARBIN_FRAME_TOO_SHORT', Buffer.concat([TOKEN, lengthLE(0)])],
    ])('%s → %s', (_name, code, bad) => {
      const d = new CtiFrameDecoder({ maxFrameBytes: 4096 });
      let emitted: CtiFrame[] = [];
      let caught: unknown;
      try {
        emitted = d.push(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code });
      expect(emitted).toEqual([]);
      const good = vectorBytes('server_start_schedule_msg');
      const after = d.push(good);
      expect(after.map((f) => f.commandCode)).toEqual([0xbb230004]);
    });

    it('frames completed before a bad length in the same push are returned by the next push', () => {
      const good = vectorBytes('server_start_schedule_msg');
      const d = new CtiFrameDecoder();
      expect(() => d.push(Buffer.concat([good, TOKEN, lengthLE(0xfffffff0)]))).toThrow(expect.objectContaining({ code: 'BB_ARBIN_FRAME_TOO_LARGE' }));
      expect(d.push(new Uint8Array(0)).map((f) => f.bytes.equals(good))).toEqual([true]);
    });

    it.each([
      ['too short for a header', 'BB_ARBIN_FRAME_TOO_SHORT', Buffer.alloc(10)],
      ['wrong token', 'BB_ARBIN_BAD_TOKEN', Buffer.concat([Buffer.alloc(8, 0xdd), vectorBytes('server_stop_schedule_msg').subarray(8)])],
      ['shorter than its length field', 'BB_ARBIN_FRAME_TOO_SHORT', vectorBytes('server_stop_schedule_msg').subarray(0, 127)],
      ['longer than its length field', 'BB_ARBIN_FRAME_TOO_LARGE', Buffer.concat([vectorBytes('server_stop_schedule_msg'), Buffer.alloc(1)])],
    ])('parseFrame: %s → %s', (_name, code, bytes) => {
      expect(() => parseFrame(bytes, 'feedback')).toThrow(expect.objectContaining({ code }));
    });
  });
});
