/**
 * The CAN frame every transport carries: classic CAN 2.0A/2.0B data frames (ISO 11898-1), up to
 * 8 data bytes. Remote, error and CAN FD frames are not modelled.
 */
import { CanError } from '../errors.js';

/** Largest standard (11-bit) identifier, 0x7FF. */
export const MAX_STANDARD_ID = 0x7ff;
/** Largest extended (29-bit) identifier, 0x1FFFFFFF. */
export const MAX_EXTENDED_ID = 0x1fffffff;

/**
 * One classic CAN data frame.
 * - `id`: arbitration id, 0..0x7FF (standard) or 0..0x1FFFFFFF (extended);
 * - `extended`: 29-bit id (CAN 2.0B);
 * - `data`: 0..8 bytes (the DLC is `data.length`);
 * - `timestampMs`: reception time in ms since the Unix epoch when the transport knows it (socketcand
 *   gives sec.usec), else absent.
 */
export interface CanFrame {
  readonly id: number;
  readonly extended: boolean;
  readonly data: Uint8Array;
  readonly timestampMs?: number;
}

/**
 * Checks that a frame is a valid classic CAN data frame.
 * @throws {CanError} `BB_CAN_FRAME_INVALID` for an id out of range or more than 8 data bytes.
 */
export function assertValidFrame(frame: CanFrame): void {
  const max = frame.extended ? MAX_EXTENDED_ID : MAX_STANDARD_ID;
  if (!Number.isInteger(frame.id) || frame.id < 0 || frame.id > max) {
    throw new CanError('BB_CAN_FRAME_INVALID', `CAN id ${String(frame.id)} is out of range for a ${frame.extended ? '29' : '11'}-bit identifier (0..0x${max.toString(16).toUpperCase()})`, { context: { id: frame.id, extended: frame.extended } });
  }
  if (frame.data.length > 8) {
    throw new CanError('BB_CAN_FRAME_INVALID', `CAN frame 0x${frame.id.toString(16)} has ${frame.data.length} data bytes; classic CAN carries at most 8`, { context: { id: frame.id, length: frame.data.length } });
  }
}

/** `0x1A3`-style label of a frame id for logs and errors (`x` suffix for extended ids). */
export function formatCanId(id: number, extended: boolean): string {
  return `0x${id.toString(16).toUpperCase().padStart(extended ? 8 : 3, '0')}${extended ? 'x' : ''}`;
}
