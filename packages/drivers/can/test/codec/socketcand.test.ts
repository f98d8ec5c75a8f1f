import { describe, expect, it } from 'vitest';
import { encodeFrameElement, encodeSend, parseElement, SocketcandFramer } from '../../src/codec/socketcand.js';
import type { SocketcandElement } from '../../src/codec/socketcand.js';
import { hex } from '../support/vectors.js';

/** A server stream as socketcand writes it (doc/protocol.md examples; state_raw.c formats). */
const STREAM = '< hi >< ok >< ok >< frame 123 23.424242 1A220344 >< frame 1AAAAAAA 1700000000.000001 01F1 >< frame 080 5.5  >< error 0 1.000000 >';
const EXPECTED_BODIES = ['hi', 'ok', 'ok', 'frame 123 23.424242 1A220344', 'frame 1AAAAAAA 1700000000.000001 01F1', 'frame 080 5.5', 'error 0 1.000000'];

function all(framer: SocketcandFramer, chunks: readonly string[]): string[] {
  return chunks.flatMap((c) => framer.push(c));
}

describe('SocketcandFramer', () => {
  it('single chunk', () => {
    expect(all(new SocketcandFramer(), [STREAM])).toEqual(EXPECTED_BODIES);
  });
  it('split at every point into two chunks', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const f = new SocketcandFramer();
      expect(all(f, [STREAM.slice(0, i), STREAM.slice(i)]), `split at ${i}`).toEqual(EXPECTED_BODIES);
      expect(f.pending).toBe(0);
    }
  });
  it('byte by byte, from bytes (Uint8Array) too', () => {
    const f = new SocketcandFramer();
    const bytes = Buffer.from(STREAM, 'latin1');
    expect([...bytes].flatMap((b) => f.push(Uint8Array.of(b)))).toEqual(EXPECTED_BODIES);
  });
  it('tolerates whitespace and newlines between elements', () => {
    expect(all(new SocketcandFramer(), [' < hi >\r\n\t< ok > \n'])).toEqual(['hi', 'ok']);
  });
  it('reports a pending partial element', () => {
    const f = new SocketcandFramer();
    expect(f.push('< fra')).toEqual([]);
    expect(f.pending).toBeGreaterThan(0);
  });

  it.each([
    ['text outside an element', 'hello < hi >', /outside a < \.\.\. > element/],
    ['a < inside an element', '< fr<ame >', /'<' inside an element/],
    ['an element that never closes', `< ${'a'.repeat(300)}`, /longer than 256/],
  ])('%s → BB_CAN_SOCKETCAND_MALFORMED and nothing emitted', (_what, input, message) => {
    const f = new SocketcandFramer();
    let out: unknown;
    let caught: unknown;
    try {
      out = f.push(input);
    } catch (err) {
      caught = err;
    }
    expect(out).toBeUndefined();
    expect(caught).toMatchObject({ code: 'BB_CAN_SOCKETCAND_MALFORMED', message: expect.stringMatching(message) });
  });
});

describe('parseElement', () => {
  it.each<[string, SocketcandElement]>([
    ['hi', { kind: 'hi' }],
    ['ok', { kind: 'ok' }],
    ['echo', { kind: 'echo' }],
    ['rawmode', { kind: 'rawmode' }],
    ['open can0', { kind: 'open', bus: 'can0' }],
    ['error could not open bus', { kind: 'error', text: 'could not open bus' }],
    ['frame 123 23.424242 1A220344', { kind: 'frame', frame: { id: 0x123, extended: false, data: hex('1a220344'), timestampMs: 23424.242 } }],
    ['frame 1AAAAAAA 1.5 01F1', { kind: 'frame', frame: { id: 0x1aaaaaaa, extended: true, data: hex('01f1'), timestampMs: 1500 } }],
    ['frame 00000080 0.000001', { kind: 'frame', frame: { id: 0x80, extended: true, data: new Uint8Array(0), timestampMs: 0.001 } }],
    ['send 123 0', { kind: 'send', frame: { id: 0x123, extended: false, data: new Uint8Array(0) } }],
    ['send 1AAAAAAA 2 1 f1', { kind: 'send', frame: { id: 0x1aaaaaaa, extended: true, data: hex('01f1') } }],
    ['send 080 1 FF', { kind: 'send', frame: { id: 0x80, extended: false, data: hex('ff') } }],
    ['bcmmode', { kind: 'other', words: ['bcmmode'] }],
  ])('%s', (body, want) => {
    expect(parseElement(body)).toEqual(want);
  });

  it.each([
    ['frame 12 1.0 00', /3 or 8 hex digits/],
    ['frame 800 1.0 00', /out of range/],
    ['frame 2FFFFFFF 1.0 00', /out of range/],
    ['frame 123 abc 00', /SEC\.USEC/],
    ['frame 123 1.0 0', /0\.\.8 bytes/],
    ['frame 123 1.0 000102030405060708', /0\.\.8 bytes/],
    ['frame 123 1.0 ZZ', /0\.\.8 bytes/],
    ['frame 123', /not "frame ID/],
    ['send 123 9 0 0 0 0 0 0 0 0 0', /DLC is not 0\.\.8/],
    ['send 123 2 01', /DLC 2 but 1 data bytes/],
    ['send 123 1 100', /byte 0 is not hex/],
    ['send', /not "send ID DLC/],
  ])('%s → BB_CAN_SOCKETCAND_MALFORMED', (body, message) => {
    expect(() => parseElement(body)).toThrow(expect.objectContaining({ code: 'BB_CAN_SOCKETCAND_MALFORMED', message: expect.stringMatching(message) }));
  });
});

describe('encoders (formats of socketcand protocol.md and state_raw.c)', () => {
  it('send: id %03X/%08X, decimal DLC, lowercase unpadded bytes', () => {
    expect(encodeSend({ id: 0x123, extended: false, data: new Uint8Array(0) })).toBe('< send 123 0 >');
    expect(encodeSend({ id: 0x1aaaaaaa, extended: true, data: hex('01f1') })).toBe('< send 1AAAAAAA 2 1 f1 >');
    expect(encodeSend({ id: 0x80, extended: false, data: hex('ff') })).toBe('< send 080 1 ff >');
  });
  it('frame: %03X id, sec.%06 usec, %02X bytes', () => {
    expect(encodeFrameElement({ id: 0x123, extended: false, data: hex('1a220344') }, 23424.242)).toBe('< frame 123 23.424242 1A220344 >');
    expect(encodeFrameElement({ id: 0x0a100100, extended: true, data: new Uint8Array(0) }, 1000)).toBe('< frame 0A100100 1.000000  >');
  });
  it('refuses invalid frames', () => {
    expect(() => encodeSend({ id: 0x800, extended: false, data: new Uint8Array(0) })).toThrow(expect.objectContaining({ code: 'BB_CAN_FRAME_INVALID' }));
    expect(() => encodeSend({ id: 1, extended: false, data: new Uint8Array(9) })).toThrow(expect.objectContaining({ code: 'BB_CAN_FRAME_INVALID' }));
  });
  it('a frame element parses back to the frame', () => {
    const frame = { id: 0x18ff50e5, extended: true, data: hex('0102030405060708') };
    const [body] = new SocketcandFramer().push(encodeFrameElement(frame, 1234.5));
    expect(parseElement(body ?? '')).toEqual({ kind: 'frame', frame: { ...frame, timestampMs: 1234.5 } });
  });
});

describe('SocketcandFramer fault after good elements', () => {
  it('returns the elements completed before the fault, then throws it (and on every later push)', () => {
    const f = new SocketcandFramer();
    expect(f.push('< frame 123 1.0 01 >junk')).toEqual(['frame 123 1.0 01']);
    expect(() => f.throwFault()).toThrow(expect.objectContaining({ code: 'BB_CAN_SOCKETCAND_MALFORMED' }));
    expect(() => f.push('< ok >')).toThrow(expect.objectContaining({ code: 'BB_CAN_SOCKETCAND_MALFORMED' }));
  });
});
