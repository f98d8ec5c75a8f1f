import { afterEach, describe, expect, it, vi } from 'vitest';
import { CtiFrameDecoder, DEFAULT_MAX_FRAME_BYTES, ctiChecksum, encodeFrame, parseFrame, type CtiFrame } from '../../src/codec/frame.js';
import { buildFrame, vectorBytes } from '../helpers/vectors.js';
import { canStartFrame, describeForeignBytes } from '../../src/codec/frame.js';

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

describe('Codec > frame > CtiFrameDecoder buffering is linear (hostile slow large frames)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A feedback frame of `total` bytes with a patterned body, built independently of the encoder. */
  const bigFeedback = (total: number): Buffer => {
    const body = Buffer.alloc(total - 22);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + 3) & 0x7f; // never 0xDD: no false tokens
    return buildFrame('feedback', 0xeeba0003, body);
  };

  /** Feeds `stream` in `size`-byte chunks, returns the frames and the bytes Buffer.concat produced. */
  const feedInChunks = (d: CtiFrameDecoder, stream: Buffer, size: number): { frames: CtiFrame[]; concatBytes: number; pushes: number } => {
    let concatBytes = 0;
    const realConcat = Buffer.concat.bind(Buffer);
    vi.spyOn(Buffer, 'concat').mockImplementation((list: readonly Uint8Array[], totalLength?: number) => {
      const joined = realConcat(list, totalLength);
      concatBytes += joined.length;
      return joined;
    });
    const frames: CtiFrame[] = [];
    let pushes = 0;
    for (let i = 0; i < stream.length; i += size) {
      frames.push(...d.push(stream.subarray(i, i + size)));
      pushes++;
    }
    vi.restoreAllMocks();
    return { frames, concatBytes, pushes };
  };

  it('a 512 KiB frame in 1460-byte TCP segments: each byte copied at most twice, the frame allocated once', () => {
    const frame = bigFeedback(512 * 1024);
    const d = new CtiFrameDecoder();
    const allocs: number[] = [];
    const realAlloc = Buffer.alloc.bind(Buffer);
    vi.spyOn(Buffer, 'alloc').mockImplementation((size: number, fill?: string | number | Uint8Array, encoding?: BufferEncoding) => {
      allocs.push(size);
      return realAlloc(size, fill, encoding);
    });
    const { frames, concatBytes, pushes } = feedInChunks(d, frame, 1460);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.bytes.equals(frame)).toBe(true);
    expect(frames[0]?.checksumOk).toBe(true);
    // A concat of the whole buffer per push would copy ≈ pushes²·1460/2 ≈ 94 MB here.
    expect(concatBytes).toBeLessThanOrEqual(12 * pushes);
    expect(d.bytesCopied).toBeLessThanOrEqual(2 * frame.length);
    expect(allocs.filter((n) => n >= 1460)).toEqual([frame.length]);
    expect(d.bufferedBytes).toBe(0);
  });

  it('bytes copied grow linearly with the frame size (1×, 4× the size → ≤ 4× the copies + header slack)', () => {
    const copiesFor = (total: number): number => {
      const d = new CtiFrameDecoder();
      const { frames } = feedInChunks(d, bigFeedback(total), 1000);
      expect(frames).toHaveLength(1);
      return d.bytesCopied;
    };
    const small = copiesFor(64 * 1024);
    const large = copiesFor(256 * 1024);
    expect(large).toBeLessThanOrEqual(4 * small + 64);
  });

  it('byte-by-byte: large frame, garbage and surplus around it, then a small frame; bufferedBytes tracks the stream tail', () => {
    const big = bigFeedback(20_000);
    const small = vectorBytes('server_start_schedule_msg');
    const stream = Buffer.concat([Buffer.from([0x01, 0xdd, 0x02]), big, Buffer.from([0xaa, 0xbb]), small]);
    const d = new CtiFrameDecoder();
    const out: CtiFrame[] = [];
    let consumedBefore = 0;
    for (let i = 0; i < stream.length; i++) {
      const got = d.push(stream.subarray(i, i + 1));
      out.push(...got);
      for (const f of got) consumedBefore += f.bytes.length;
      // every byte pushed is either skipped, in an emitted frame, or buffered
      expect(d.skippedBytes + consumedBefore + d.bufferedBytes).toBe(i + 1);
    }
    expect(out.map((f) => f.bytes.length)).toEqual([big.length, small.length]);
    expect(out[0]?.bytes.equals(big)).toBe(true);
    expect(out[1]?.bytes.equals(small)).toBe(true);
    expect(d.skippedBytes).toBe(5);
    expect(d.bytesCopied).toBeLessThanOrEqual(2 * stream.length);
  });

  it('every split point of a frame larger than one chunk, with two frames after it', () => {
    const big = bigFeedback(3000);
    const small = vectorBytes('server_stop_schedule_msg');
    const stream = Buffer.concat([big, small, small]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new CtiFrameDecoder();
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(out.map((f) => f.bytes.length), `cut ${cut}`).toEqual([3000, 128, 128]);
      expect(out[0]?.bytes.equals(big), `cut ${cut}`).toBe(true);
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('does not retain the pushed chunk: mutating it after push leaves the buffered frame intact', () => {
    const frame = vectorBytes('server_start_schedule_msg');
    const d = new CtiFrameDecoder();
    const first = Buffer.from(frame.subarray(0, 5));
    const second = Buffer.from(frame.subarray(5, 60));
    expect(d.push(first)).toEqual([]);
    expect(d.push(second)).toEqual([]);
    first.fill(0);
    second.fill(0);
    const out = d.push(frame.subarray(60));
    expect(out.map((f) => f.bytes.equals(frame))).toEqual([true]);
  });

  it('default cap is 4 MiB (README §4.2/§6.3 sizes, not §10\'s 16 MiB example): a 16 MiB length field is refused up front', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(4 * 1024 * 1024);
    const lengthLE = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      return b;
    };
    const d = new CtiFrameDecoder();
    expect(() => d.push(Buffer.concat([TOKEN, lengthLE(16 * 1024 * 1024)]))).toThrow(expect.objectContaining({ code: 'BB_ARBIN_FRAME_TOO_LARGE' }));
    expect(d.bufferedBytes).toBeLessThan(12);
    // exactly the cap is accepted and buffered (allocated once, not refused)
    const e = new CtiFrameDecoder();
    expect(e.push(Buffer.concat([TOKEN, lengthLE(DEFAULT_MAX_FRAME_BYTES)]))).toEqual([]);
    expect(e.bufferedBytes).toBe(12);
  });

  it('after a bad length field, draining with push(empty) copies nothing more', () => {
    const lengthLE = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    };
    const bad = Buffer.concat([TOKEN, lengthLE(0xfffffff0)]);
    const good = vectorBytes('server_start_schedule_msg');
    const stream = Buffer.concat([bad, bad, bad, good]);
    const d = new CtiFrameDecoder();
    let throws = 0;
    let out: CtiFrame[] = [];
    let input: Uint8Array = stream;
    for (;;) {
      try {
        out = out.concat(d.push(input));
        break;
      } catch {
        throws++;
        input = new Uint8Array(0);
      }
    }
    expect(throws).toBe(3);
    expect(out.map((f) => f.bytes.equals(good))).toEqual([true]);
    // one copy of the remainder after the first fault, one copy of the good frame
    expect(d.bytesCopied).toBeLessThanOrEqual(stream.length + good.length);
  });
});

describe('Codec > frame > bytes of another protocol (README §3.2)', () => {
  it('canStartFrame: a token prefix or a token start; anything else cannot', () => {
    expect(canStartFrame(new Uint8Array(0))).toBe(true);
    expect(canStartFrame(Uint8Array.of(0xdd, 0xdd, 0xdd))).toBe(true);
    expect(canStartFrame(Uint8Array.of(0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0x11, 0x00))).toBe(true);
    expect(canStartFrame(Uint8Array.of(0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd))).toBe(false);
    expect(canStartFrame(Uint8Array.of(0x48))).toBe(false);
  });
  it('describeForeignBytes: count, first 8 bytes in hex, a guess from the opening', () => {
    const table: [Uint8Array, number | undefined, string][] = [
      [Buffer.from('HTTP/1.1 200 OK\r\n'), undefined, 'received 17 bytes that are not an Arbin CTI frame: 48 54 54 50 2F 31 2E 31 … (HTTP?)'],
      [Buffer.from('SSH-2.0'), 40, 'received 40 bytes that are not an Arbin CTI frame: 53 53 48 2D 32 2E 30 … (SSH?)'],
      [Uint8Array.of(0x16, 0x03, 0x01, 0x00), undefined, 'received 4 bytes that are not an Arbin CTI frame: 16 03 01 00 (TLS?)'],
      [Buffer.from('{"jsonrpc":"2.0"}'), undefined, 'received 17 bytes that are not an Arbin CTI frame: 7B 22 6A 73 6F 6E 72 70 … (JSON?)'],
      [Uint8Array.of(0x01, 0x02), undefined, 'received 2 bytes that are not an Arbin CTI frame: 01 02'],
    ];
    for (const [bytes, total, text] of table) expect(describeForeignBytes(bytes, total)).toBe(text);
  });
});
