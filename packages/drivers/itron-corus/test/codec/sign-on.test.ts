/**
 * Sign-on codec (itron-corus README §2.2, §3.2, §3.3): the bytes of the reference's vectors, the
 * echoed Z, the IEC 62056-21 mode C baud table and the 7E1 characters carried on an 8N1 port.
 * Expected bytes come from the vectors (test/vectors, copied from the shared reference) or from the
 * tiny builders below, never from the encoder under test.
 */
import { describe, expect, it } from 'vitest';
import {
  baudRateOfZ,
  decodeIdentification,
  encodeOptionSelect,
  encodeSignOnRequest,
  selectBaudChar,
  SIGN_ON_REQUEST,
  stripEvenParity,
  withEvenParity,
} from '../../src/codec/sign-on.js';
import { hex, toHex, vectors } from '../vectors/load.js';

type Frame = { name: string; hex: string };
const byName = (n: string): string => (vectors.frames as Frame[]).find((f) => f.name === n)?.hex as string;
const session = (vectors.session_example as { exchange: { direction: string; hex: string }[] }).exchange;

/** Test-only 7E1 builder: bit 7 set when the 7 data bits hold an odd number of ones. */
const parity7E1 = (ascii: string): string =>
  toHex(Uint8Array.from(ascii, (c) => {
    const code = c.charCodeAt(0);
    const ones = code.toString(2).replaceAll('0', '').length;
    return ones % 2 === 1 ? code + 0x80 : code;
  }));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('Codec > sign-on (README §2.2, §3.2, §3.3)', () => {
  it('sign-on request without address is the vector 2F 3F 21 0D 0A; an address goes between ? and !', () => {
    expect(toHex(encodeSignOnRequest())).toBe(byName('sign_on_request'));
    expect(toHex(SIGN_ON_REQUEST)).toBe(byName('sign_on_request'));
    expect(toHex(encodeSignOnRequest('12345678'))).toBe('2f3f3132333435363738210d0a');
  });
  it('a sign-on address IEC 62056-21 does not allow → BB_CORUS_CONFIG_INVALID naming deviceAddress', () => {
    expect(() => encodeSignOnRequest('a!b')).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('deviceAddress') }));
    expect(() => encodeSignOnRequest('x'.repeat(33))).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID' }));
  });
  it("iflag's option select (Z '7') is the vector 06 30 37 36 0D 0A", () => {
    expect(toHex(encodeOptionSelect({ v: '0', z: '7', y: '6' }))).toBe(byName('option_select_ack'));
  });
  it("echo: the session example's identification /SIM5CORUS offers Z '5', the option select sends 06 30 35 36 0D 0A", () => {
    const identLine = session[3] as { direction: string; hex: string };
    expect(identLine.direction).toBe('device->client');
    const ident = decodeIdentification(hex(identLine.hex));
    const z = selectBaudChar(ident, 'echo');
    expect(z).toBe('5');
    expect(toHex(encodeOptionSelect({ v: '0', z, y: '6' }))).toBe('063035360d0a');
    // the iflag vector differs only in Z
    expect(byName('option_select_ack').replace('3037', '3035')).toBe('063035360d0a');
  });
  it('a configured Z digit is sent as given, whatever the device offered', () => {
    expect(selectBaudChar(decodeIdentification(ascii('/SIM5CORUS\r\n')), '7')).toBe('7');
  });
  it('echo with no Z digit in the identification → BB_CORUS_PROTOCOL naming the line', () => {
    expect(() => selectBaudChar(decodeIdentification(ascii('/AB\r\n')), 'echo')).toThrow(expect.objectContaining({ code: 'BB_CORUS_PROTOCOL', message: expect.stringContaining('/AB') }));
    expect(() => selectBaudChar(decodeIdentification(ascii('/ABCxCORUS\r\n')), 'echo')).toThrow(expect.objectContaining({ code: 'BB_CORUS_PROTOCOL' }));
  });
  it('option-select characters must be one digit each → BB_CORUS_CONFIG_INVALID naming the field', () => {
    expect(() => encodeOptionSelect({ v: '0', z: '57', y: '6' })).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('optionSelect.z') }));
    expect(() => encodeOptionSelect({ v: 'A', z: '5', y: '6' })).toThrow(expect.objectContaining({ message: expect.stringContaining('optionSelect.v') }));
  });
  it("Z → baud rate: the IEC 62056-21 mode C table '0'=300 … '6'=19200; '7' and others code none", () => {
    expect(['0', '1', '2', '3', '4', '5', '6'].map(baudRateOfZ)).toEqual([300, 600, 1200, 2400, 4800, 9600, 19200]);
    expect(baudRateOfZ('7')).toBeUndefined();
    expect(baudRateOfZ('A')).toBeUndefined();
    expect(baudRateOfZ('constructor')).toBeUndefined();
  });

  describe('7E1 characters on an 8N1 port', () => {
    const messages = {
      'sign-on request': '/?!\r\n',
      'identification /SIM5CORUS': '/SIM5CORUS\r\n',
      'option select 0 5 6': '\x06056\r\n',
      'every 7-bit value': String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i)),
    };
    for (const [name, text] of Object.entries(messages)) {
      it(`${name}: parity in bit 7, and back`, () => {
        const wire = withEvenParity(ascii(text));
        expect(toHex(wire)).toBe(parity7E1(text));
        expect(stripEvenParity(wire)).toEqual(ascii(text));
      });
    }
    it('the sign-on request on the wire is AF 3F 21 8D 0A', () => {
      expect(toHex(withEvenParity(hex(byName('sign_on_request'))))).toBe('af3f218d0a');
    });
    it('an 8-bit byte cannot be sent at 7E1 → BB_CORUS_VALUE_OUT_OF_RANGE with its offset', () => {
      expect(() => withEvenParity(Uint8Array.of(0x2f, 0xe0))).toThrow(expect.objectContaining({ code: 'BB_CORUS_VALUE_OUT_OF_RANGE', context: expect.objectContaining({ offset: 1 }) }));
    });
    it('a received byte with odd parity → BB_CORUS_PARITY at its stream offset', () => {
      const wire = withEvenParity(ascii('/SIM5'));
      wire[3] = (wire[3] as number) ^ 0x80;
      expect(() => stripEvenParity(wire, 10)).toThrow(expect.objectContaining({ code: 'BB_CORUS_PARITY', context: expect.objectContaining({ offset: 13 }) }));
    });
  });
});
