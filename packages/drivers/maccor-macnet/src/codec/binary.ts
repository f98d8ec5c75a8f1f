/**
 * Binary MacNet frames (TCP 57560, UDP 57550), used for the (6,8) rest set-point that pymacnet's
 * authors could not make work over JSON (Maccor MacNet reference §5, §8.4; vendor help p.8, p.48).
 *
 * Wire grammar (all little-endian):
 *
 *   frame  = FClass:u16 FNum:u16 Chan:u16 Len:u16 data:Len bytes   ; Chan 0-based; Len = data bytes
 *   (6,8)  data = Current:f32 Voltage:f32 Power:f32 Resistance:f32 CurrentRange:u8 ChMode:u8  ; Len 18
 *   reply  = header + Result:u16 (codes of reference §6.10) [?: reply layout undocumented]
 *
 * Unlike pymacnet 1.1.3, `Chan` is the correct 0-based channel (its rest frame adds 1 instead of
 * subtracting 1, reference §8.4). Pure.
 */
import { MaccorError } from '../errors.js';
import { directOutputFields } from './direct.js';
import type { DirectSetpoint } from './direct.js';

/** Size of the binary header, bytes. */
export const BINARY_HEADER_BYTES = 8;

/** The 8-byte binary header. */
export interface BinaryHeader {
  readonly fclass: number;
  readonly fnum: number;
  /** 0-based channel. */
  readonly chanIndex0: number;
  /** Bytes of data that follow (or channel count in multi-channel requests). */
  readonly len: number;
}

/** One binary frame. */
export interface BinaryFrame extends BinaryHeader {
  readonly data: Uint8Array;
}

/** Encodes a header followed by `data` (Len = data.length). */
export function encodeBinaryFrame(fclass: number, fnum: number, chanIndex0: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(BINARY_HEADER_BYTES + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, fclass, true);
  dv.setUint16(2, fnum, true);
  dv.setUint16(4, chanIndex0, true);
  dv.setUint16(6, data.length, true);
  out.set(data, BINARY_HEADER_BYTES);
  return out;
}

/**
 * Encodes a binary (6,8) set direct output frame (26 bytes).
 * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT (see `directOutputFields`).
 */
export function encodeDirectOutputBinary(chanIndex0: number, sp: DirectSetpoint): Uint8Array {
  const f = directOutputFields(sp);
  const data = new Uint8Array(18);
  const dv = new DataView(data.buffer);
  dv.setFloat32(0, f.Current, true);
  dv.setFloat32(4, f.Voltage, true);
  dv.setFloat32(8, f.Power, true);
  dv.setFloat32(12, f.Resistance, true);
  dv.setUint8(16, f.CurrentRange);
  dv.setUint8(17, f.ChMode.charCodeAt(0));
  return encodeBinaryFrame(6, 8, chanIndex0, data);
}

/** Decoded data of a binary (6,8) frame (as the simulator receives it). */
export interface DirectOutputBinaryData {
  readonly current_a: number;
  readonly voltage_v: number;
  readonly power_w: number;
  readonly resistance_ohm: number;
  readonly current_range: number;
  /** 'C', 'D', 'R' (or another letter as received). */
  readonly ch_mode: string;
}

/** Decodes the 18 data bytes of a (6,8) frame. @throws MaccorError BB_MACCOR_BINARY_FRAME_INVALID */
export function decodeDirectOutputBinaryData(data: Uint8Array): DirectOutputBinaryData {
  if (data.length !== 18) throw new MaccorError('BB_MACCOR_BINARY_FRAME_INVALID', `(6,8) data must be 18 bytes, got ${data.length}`, { context: { expected: 18, actual: data.length } });
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    current_a: dv.getFloat32(0, true),
    voltage_v: dv.getFloat32(4, true),
    power_w: dv.getFloat32(8, true),
    resistance_ohm: dv.getFloat32(12, true),
    current_range: dv.getUint8(16),
    ch_mode: String.fromCharCode(dv.getUint8(17)),
  };
}

/** Encodes a reply frame carrying one Result word (the simulator's (6,8) reply). */
export function encodeBinaryResult(fclass: number, fnum: number, chanIndex0: number, result: number): Uint8Array {
  const data = new Uint8Array(2);
  new DataView(data.buffer).setUint16(0, result, true);
  return encodeBinaryFrame(fclass, fnum, chanIndex0, data);
}

/** Reads the Result word of a reply frame. @throws MaccorError BB_MACCOR_BINARY_FRAME_INVALID when data < 2 bytes. */
export function decodeBinaryResult(frame: BinaryFrame): number {
  if (frame.data.length < 2) throw new MaccorError('BB_MACCOR_BINARY_FRAME_INVALID', `reply to (${frame.fclass},${frame.fnum}) has ${frame.data.length} data bytes, need a 2-byte Result`, { context: { actual: frame.data.length } });
  return new DataView(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength).getUint16(0, true);
}

/**
 * Incremental decoder of binary frames on a TCP stream: header, then Len data bytes (reference §5).
 * @throws MaccorError BB_MACCOR_BINARY_FRAME_INVALID when a Len exceeds `maxDataBytes`.
 */
export class BinaryStreamDecoder {
  private buf = new Uint8Array(0);
  /** @param maxDataBytes - cap on one frame's data (default 65535, the u16 maximum). */
  constructor(private readonly maxDataBytes = 0xffff) {}

  /** Drops any partial frame. */
  reset(): void {
    this.buf = new Uint8Array(0);
  }

  /** Appends `chunk` and emits every complete frame. */
  push(chunk: Uint8Array, emit: (frame: BinaryFrame) => void): void {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf, 0);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    let off = 0;
    while (this.buf.length - off >= BINARY_HEADER_BYTES) {
      const dv = new DataView(this.buf.buffer, this.buf.byteOffset + off, BINARY_HEADER_BYTES);
      const len = dv.getUint16(6, true);
      if (len > this.maxDataBytes) {
        this.reset();
        throw new MaccorError('BB_MACCOR_BINARY_FRAME_INVALID', `binary frame Len ${len} exceeds ${this.maxDataBytes}`, { context: { len } });
      }
      if (this.buf.length - off < BINARY_HEADER_BYTES + len) break;
      const frame: BinaryFrame = {
        fclass: dv.getUint16(0, true),
        fnum: dv.getUint16(2, true),
        chanIndex0: dv.getUint16(4, true),
        len,
        data: this.buf.slice(off + BINARY_HEADER_BYTES, off + BINARY_HEADER_BYTES + len),
      };
      off += BINARY_HEADER_BYTES + len;
      emit(frame);
    }
    this.buf = this.buf.slice(off);
  }
}
