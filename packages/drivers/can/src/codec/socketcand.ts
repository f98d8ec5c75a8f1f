/**
 * socketcand wire protocol, raw mode (linux-can/socketcand `doc/protocol.md`, "Mode NO_BUS",
 * "Mode RAW"; the daemon's `state_raw.c` for exact formats). Pure: framing and element
 * parsing/printing, no sockets.
 *
 * ```
 * stream    = *( *ws element )            ASCII over TCP; ws between elements is tolerated
 * element   = "<" SP words SP ">"
 * server:   "< hi >"                                        greeting after connect
 *           "< ok >"                                        open / rawmode accepted
 *           "< error text >"                                refused (e.g. could not open bus)
 *           "< frame ID SEC.USEC DATA >"                    raw mode reception
 *              ID   = 3 hex digits (11-bit) | 8 hex digits (29-bit), uppercase
 *              DATA = 0..8 bytes, uppercase hex, no spaces
 * client:   "< open BUS >" "< rawmode >" "< echo >"
 *           "< send ID DLC B0 B1 ... >"                     ID as above, DLC 0..8, bytes hex unpadded
 * ```
 */
import { CanError } from '../errors.js';
import type { CanFrame } from './frame.js';
import { assertValidFrame } from './frame.js';

/** Longest element the decoder accepts (a raw-mode frame is under 50 characters). */
export const MAX_ELEMENT_CHARS = 256;

/** One parsed socketcand element. */
export type SocketcandElement =
  | { readonly kind: 'hi' }
  | { readonly kind: 'ok' }
  | { readonly kind: 'echo' }
  | { readonly kind: 'rawmode' }
  | { readonly kind: 'open'; readonly bus: string }
  | { readonly kind: 'error'; readonly text: string }
  | { readonly kind: 'frame'; readonly frame: CanFrame }
  | { readonly kind: 'send'; readonly frame: CanFrame }
  | { readonly kind: 'other'; readonly words: readonly string[] };

function malformed(what: string, element?: string): CanError {
  return new CanError('BB_CAN_SOCKETCAND_MALFORMED', element === undefined ? what : `${what}: ${JSON.stringify(element.slice(0, 80))}`);
}

/**
 * Splits a socketcand byte stream into element bodies (the text between `<` and `>`, trimmed),
 * whatever the chunking. State is kept between {@link SocketcandFramer.push} calls.
 */
export class SocketcandFramer {
  private buf = '';
  private inside = false;

  /**
   * Feeds a chunk; returns the complete element bodies it closes, in order.
   * @throws {CanError} `BB_CAN_SOCKETCAND_MALFORMED` for a non-whitespace character outside an
   *   element, a `<` inside one, or an element longer than {@link MAX_ELEMENT_CHARS}. When the chunk
   *   completed elements before the fault, they are returned and the fault is thrown by
   *   {@link SocketcandFramer.throwFault} (and every later push): the stream is dead after a fault.
   */
  push(chunk: string | Uint8Array): string[] {
    this.throwFault();
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    const out: string[] = [];
    try {
      this.scan(text, out);
    } catch (err) {
      if (out.length === 0) throw err;
      this.fault = err as CanError;
    }
    return out;
  }

  /**
   * Throws the fault found after the elements the last {@link SocketcandFramer.push} returned, if any
   * (a chunk with good elements then garbage returns the good ones first; call this after handling them).
   * @throws {CanError} `BB_CAN_SOCKETCAND_MALFORMED`.
   */
  throwFault(): void {
    if (this.fault !== undefined) throw this.fault;
  }

  private fault: CanError | undefined;

  private scan(text: string, out: string[]): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (!this.inside) {
        if (c === '<') {
          this.inside = true;
          this.buf = '';
        } else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
          throw malformed(`byte ${JSON.stringify(c)} outside a < ... > element`, text.slice(i));
        }
        continue;
      }
      if (c === '>') {
        this.inside = false;
        out.push(this.buf.trim());
        this.buf = '';
        continue;
      }
      if (c === '<') throw malformed("'<' inside an element", this.buf);
      this.buf += c;
      if (this.buf.length > MAX_ELEMENT_CHARS) throw malformed(`element longer than ${MAX_ELEMENT_CHARS} characters`, this.buf);
    }
  }

  /** Characters of an element received so far but not closed (0 when between elements). */
  get pending(): number {
    return this.inside ? this.buf.length + 1 : 0;
  }
}

const HEX = /^[0-9A-Fa-f]+$/;

function parseId(text: string, element: string): { id: number; extended: boolean } {
  if (!HEX.test(text) || (text.length !== 3 && text.length !== 8)) throw malformed('CAN id is not 3 or 8 hex digits', element);
  const id = parseInt(text, 16);
  const extended = text.length === 8;
  if (id > (extended ? 0x1fffffff : 0x7ff)) throw malformed(`CAN id 0x${text} is out of range`, element);
  return { id, extended };
}

/**
 * Parses one element body (as {@link SocketcandFramer} returns it).
 * @throws {CanError} `BB_CAN_SOCKETCAND_MALFORMED` for a `frame` or `send` whose id, time, DLC or data do not parse.
 */
export function parseElement(body: string): SocketcandElement {
  const words = body.split(/\s+/).filter((w) => w !== '');
  const [cmd, ...args] = words;
  switch (cmd) {
    case 'hi':
    case 'ok':
    case 'echo':
    case 'rawmode':
      if (args.length === 0) return { kind: cmd };
      break;
    case 'open':
      if (args.length === 1 && args[0] !== undefined) return { kind: 'open', bus: args[0] };
      break;
    case 'error':
      return { kind: 'error', text: args.join(' ') };
    case 'frame': {
      const [idText, time, data = ''] = args;
      if (idText === undefined || time === undefined || args.length > 3) throw malformed('frame element is not "frame ID SEC.USEC DATA"', body);
      const { id, extended } = parseId(idText, body);
      const t = /^(\d+)\.(\d{1,6})$/.exec(time);
      if (t === null) throw malformed('frame time is not SEC.USEC', body);
      if (data.length % 2 !== 0 || data.length > 16 || (data !== '' && !HEX.test(data))) throw malformed('frame data is not 0..8 bytes of hex', body);
      const bytes = Uint8Array.from(Buffer.from(data, 'hex'));
      const timestampMs = Number(t[1]) * 1000 + Number((t[2] ?? '').padEnd(6, '0')) / 1000;
      return { kind: 'frame', frame: { id, extended, data: bytes, timestampMs } };
    }
    case 'send': {
      const [idText, dlcText, ...byteTexts] = args;
      if (idText === undefined || dlcText === undefined) throw malformed('send element is not "send ID DLC DATA..."', body);
      const { id, extended } = parseId(idText, body);
      if (!/^[0-8]$/.test(dlcText)) throw malformed('send DLC is not 0..8', body);
      const dlc = Number(dlcText);
      if (byteTexts.length !== dlc) throw malformed(`send DLC ${dlc} but ${byteTexts.length} data bytes`, body);
      const data = new Uint8Array(dlc);
      byteTexts.forEach((b, i) => {
        if (!/^[0-9A-Fa-f]{1,2}$/.test(b)) throw malformed(`send data byte ${i} is not hex`, body);
        data[i] = parseInt(b, 16);
      });
      return { kind: 'send', frame: { id, extended, data } };
    }
    default:
      break;
  }
  return { kind: 'other', words };
}

function idText(frame: CanFrame): string {
  return frame.id.toString(16).toUpperCase().padStart(frame.extended ? 8 : 3, '0');
}

/**
 * The client's `< send ID DLC B0 ... >` for a frame (socketcand protocol.md "Send a single frame":
 * data lowercase unpadded hex with spaces; the id in 3 or 8 hex digits marks standard/extended).
 * @throws {CanError} `BB_CAN_FRAME_INVALID` for an invalid frame.
 */
export function encodeSend(frame: CanFrame): string {
  assertValidFrame(frame);
  const bytes = Array.from(frame.data, (b) => b.toString(16));
  return `< send ${idText(frame)} ${frame.data.length}${bytes.length > 0 ? ' ' : ''}${bytes.join(' ')} >`;
}

/**
 * The server's raw-mode `< frame ID SEC.USEC DATA >` (socketcand `state_raw.c`: `%03X`/`%08X`,
 * `%lld.%06lld`, `%02X` per byte).
 * @param timestampMs - reception time, ms since the Unix epoch.
 * @throws {CanError} `BB_CAN_FRAME_INVALID` for an invalid frame.
 */
export function encodeFrameElement(frame: CanFrame, timestampMs: number): string {
  assertValidFrame(frame);
  const usec = Math.round(timestampMs * 1000);
  const sec = Math.floor(usec / 1e6);
  const data = Array.from(frame.data, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  return `< frame ${idText(frame)} ${sec}.${String(usec - sec * 1e6).padStart(6, '0')} ${data} >`;
}
