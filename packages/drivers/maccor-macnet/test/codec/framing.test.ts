import { describe, expect, it } from 'vitest';
import { JsonStreamDecoder } from '../../src/codec/framing.js';
import { MaccorError } from '../../src/errors.js';
import { messageVectors } from '../vectors/load.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function feed(chunks: Uint8Array[], max?: number): Record<string, unknown>[] {
  const d = new JsonStreamDecoder(max);
  const out: Record<string, unknown>[] = [];
  for (const c of chunks) d.push(c, (m) => out.push(m));
  expect(d.bufferedBytes).toBe(0);
  return out;
}

function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) & 0x7fffffff;
    return a / 0x7fffffff;
  };
}

describe('Codec > framing > JsonStreamDecoder', () => {
  for (const v of messageVectors) {
    const bytes = enc(v.reply);
    const expected = JSON.parse(v.reply) as unknown;
    it(`${v.name}: single chunk`, () => {
      expect(feed([bytes])).toEqual([expected]);
    });
    it(`${v.name}: every split point`, () => {
      for (let i = 1; i < bytes.length; i++) expect(feed([bytes.subarray(0, i), bytes.subarray(i)])).toEqual([expected]);
    });
    it(`${v.name}: byte by byte`, () => {
      expect(feed(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual([expected]);
    });
  }

  it('coalesced replies in one chunk come out in order', () => {
    const all = messageVectors.map((v) => v.reply).join('\r\n');
    expect(feed([enc(all)])).toEqual(messageVectors.map((v) => JSON.parse(v.reply) as unknown));
  });

  it('coalesced replies in random pieces (seeded) come out in order', () => {
    const all = enc(messageVectors.map((v) => v.reply).join(''));
    const rnd = mulberry(42);
    for (let round = 0; round < 20; round++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < all.length; ) {
        const n = 1 + Math.floor(rnd() * 200);
        chunks.push(all.subarray(i, i + n));
        i += n;
      }
      expect(feed(chunks)).toHaveLength(messageVectors.length);
    }
  });

  it('braces, quotes and escapes inside strings do not end an object', () => {
    const text = '{"a":"}{ \\" \\\\","b":{"c":"\\u007d"},"d":"é€"}';
    for (let i = 1; i < enc(text).length; i++) {
      const b = enc(text);
      expect(feed([b.subarray(0, i), b.subarray(i)])).toEqual([JSON.parse(text)]);
    }
  });

  it('an object split after an inner CR LF is not cut short (pymacnet bug, reference §3)', () => {
    const text = '{\r\n "result":\r\n {"FClass":1}\r\n}\r\n';
    const i = text.indexOf('\r\n') + 2;
    expect(feed([enc(text.slice(0, i)), enc(text.slice(i))])).toEqual([{ result: { FClass: 1 } }]);
  });

  const malformed: [string, string, string, number?][] = [
    ['text before an object', 'x{"a":1}', 'BB_MACCOR_FRAME_GARBAGE'],
    ['a stray closing brace', '}', 'BB_MACCOR_FRAME_GARBAGE'],
    ['a top-level array', '[1,2]', 'BB_MACCOR_FRAME_GARBAGE'],
    ['a NUL byte', '\u0000', 'BB_MACCOR_FRAME_GARBAGE'],
    ['balanced but invalid JSON', '{"a":}', 'BB_MACCOR_FRAME_INVALID_JSON'],
    ['unquoted key', '{a:1}', 'BB_MACCOR_FRAME_INVALID_JSON'],
    ['object over the cap', '{"a":"' + 'x'.repeat(100) + '"}', 'BB_MACCOR_FRAME_TOO_LARGE', 64],
    ['objects nested 33 deep', '{"a":'.repeat(33) + '1' + '}'.repeat(33), 'BB_MACCOR_FRAME_TOO_DEEP'],
    ['arrays nested 40 deep inside an object', '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}', 'BB_MACCOR_FRAME_TOO_DEEP'],
    ['a 5000-deep reply without result (≈30 KB, overflowed JSON.stringify downstream)', '{"x":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5001), 'BB_MACCOR_FRAME_TOO_DEEP'],
  ];
  for (const [name, text, code, max] of malformed) {
    it(`rejects ${name} with ${code} and emits nothing`, () => {
      const d = new JsonStreamDecoder(max);
      const out: unknown[] = [];
      let err: unknown;
      try {
        d.push(enc(text), (m) => out.push(m));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MaccorError);
      expect((err as MaccorError).code).toBe(code);
      expect(out).toEqual([]);
      expect(d.bufferedBytes).toBe(0);
    });
  }

  it('garbage after a complete object: the object is emitted, then the fault, with its stream offset', () => {
    const d = new JsonStreamDecoder();
    const out: unknown[] = [];
    expect(() => d.push(enc('{"a":1}\r\nZ'), (m) => out.push(m))).toThrow(expect.objectContaining({ code: 'BB_MACCOR_FRAME_GARBAGE', context: expect.objectContaining({ offset: 9 }) }));
    expect(out).toEqual([{ a: 1 }]);
  });

  it('works again after reset()', () => {
    const d = new JsonStreamDecoder();
    const out: unknown[] = [];
    d.push(enc('{"a":'), (m) => out.push(m));
    d.reset();
    d.push(enc('{"b":2}'), (m) => out.push(m));
    expect(out).toEqual([{ b: 2 }]);
  });
});

describe('Codec > framing > JsonStreamDecoder limits and linear buffering', () => {
  it('nesting exactly at the cap (32, braces and brackets) is accepted; brackets inside strings do not count', () => {
    const text = '{"s":"[[[[{{{{","a":' + '['.repeat(30) + '{}' + ']'.repeat(30) + '}';
    expect(feed([enc(text)])).toEqual([JSON.parse(text)]);
  });

  it('a deep object is refused with its stream offset, objects before it are emitted, and the decoder is empty', () => {
    const d = new JsonStreamDecoder(undefined, 4);
    const out: unknown[] = [];
    expect(() => d.push(enc('{"ok":1}\r\n{"a":{"b":[[{"c":1}]]}}'), (m) => out.push(m))).toThrow(
      expect.objectContaining({ code: 'BB_MACCOR_FRAME_TOO_DEEP', context: expect.objectContaining({ offset: 10, maxDepth: 4 }) }),
    );
    expect(out).toEqual([{ ok: 1 }]);
    expect(d.bufferedBytes).toBe(0);
  });

  it('the depth limit also applies when the object arrives byte by byte', () => {
    const d = new JsonStreamDecoder(undefined, 8);
    const bytes = enc('{"a":'.repeat(9) + '1' + '}'.repeat(9));
    let err: unknown;
    let at = -1;
    for (let i = 0; i < bytes.length && err === undefined; i++) {
      try {
        d.push(bytes.subarray(i, i + 1), () => undefined);
      } catch (e) {
        err = e;
        at = i;
      }
    }
    expect(err).toMatchObject({ code: 'BB_MACCOR_FRAME_TOO_DEEP' });
    expect(at).toBe(5 * 8); // the 9th '{'
  });

  it('a 1 MiB object in 1460-byte TCP segments: each byte copied at most twice (the old join-per-push copied ≈ 376 MB)', () => {
    const text = '{"a":"' + 'x'.repeat(1024 * 1024 - 8) + '"}';
    const bytes = enc(text);
    expect(bytes.length).toBe(1024 * 1024);
    const d = new JsonStreamDecoder();
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < bytes.length; i += 1460) d.push(bytes.subarray(i, i + 1460), (m) => out.push(m));
    expect(out).toHaveLength(1);
    expect((out[0]?.['a'] as string).length).toBe(1024 * 1024 - 8);
    expect(d.bufferedBytes).toBe(0);
    expect(d.bytesCopied).toBeLessThanOrEqual(2 * bytes.length);
  });

  it('does not retain the pushed chunk: reusing the caller buffer after push leaves the object intact', () => {
    const bytes = enc('{"a":"hello","b":[1,2,3]}');
    const d = new JsonStreamDecoder();
    const out: unknown[] = [];
    const scratch = new Uint8Array(10);
    scratch.set(bytes.subarray(0, 10));
    d.push(scratch, (m) => out.push(m));
    scratch.fill(0x20);
    d.push(bytes.subarray(10), (m) => out.push(m));
    expect(out).toEqual([{ a: 'hello', b: [1, 2, 3] }]);
  });

  it('stream offsets in errors count bytes across chunks', () => {
    const d = new JsonStreamDecoder();
    d.push(enc('{"a":1} '), () => undefined);
    d.push(enc(' {"b":'), () => undefined);
    expect(() => d.push(enc('2} x'), () => undefined)).toThrow(expect.objectContaining({ code: 'BB_MACCOR_FRAME_GARBAGE', context: expect.objectContaining({ offset: 17 }) }));
  });
});
