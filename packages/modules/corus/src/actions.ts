/**
 * The Corus actions, validated purely against the device's configured parameter map before
 * anything is sent (itron-corus reference README §6 "Safety": only parameters the map declares
 * writable, of the right class, within `min`/`max`):
 *
 * - `corus.write_parameters` — `parameters` is a flat map `{ "<parameter name>": value }`, one
 *   entry per parameter to write, all in one request (split into frames only beyond 255 bytes).
 *   Numeric classes take the value as exact decimal TEXT (`"1.01325"`; a JSON number is accepted
 *   and read through its shortest round-trip text, `0.1` → `"0.1"`), Date classes an ISO 8601
 *   instant with a zone designator (`"2024-05-01T12:00:00Z"`, written in the device's zone),
 *   CorusString text of ≤ 8 characters.
 * - `corus.set_clock` — `parameters: { time: "<ISO 8601 instant with zone>" }`: writes the map's
 *   `clock` role parameter (reference §7.3, id 106 in the example map; §8.3.12 Date class).
 *
 * Refusals (nothing sent): `BB_COMMAND_UNKNOWN_ACTION`, `BB_COMMAND_PARAMETER_MISSING`,
 * `BB_COMMAND_PARAMETER_INVALID`, `BB_CORUS_UNKNOWN_PARAMETER`, `BB_CORUS_NOT_WRITABLE`,
 * `BB_CORUS_VALUE_TYPE`, `BB_CORUS_VALUE_OUT_OF_RANGE` (configured min/max, or not held exactly
 * by the parameter's class — reference §8.2; e.g. a Float (binary32) parameter would store
 * `288.15` as `288.149994`, so that write is refused and `288.149994` must be sent). The device's answer (reference §6: ACK 0x06
 * accepts; NAK 0x15 or anything else refuses) becomes the result: ACK → details
 * `{ answer: 'ACK', vendor_code: '0x06', written }`; otherwise the action fails with
 * `BB_CORUS_WRITE_REFUSED` naming the answer and what was and was not written.
 *
 * Expiry at the wire: a write runs in ONE slot of the session's priority queue (all its frames back
 * to back, nothing in between), and the command's `expires_at` is checked inside that slot,
 * immediately before the first frame is written (the runtime's `beforeSend`): a command that
 * expired while it waited in the queue (behind a log window, a read) is not sent —
 * `BB_COMMAND_EXPIRED`, reported EXPIRED by the executor.
 */
import type { Command } from '@busbar/avro';
import { errorCode } from '@busbar/core';
import type { ClassCodecOptions, CorusInputValue, CorusMap, CorusParameter, WriteAnswer, WriteItem } from '@busbar/driver-itron-corus';
import { CorusError, ExactDecimal, MAX_FRAME_DATA, Priority, dateToCorusDateTime, decodeValue, encodeValue, isNumericClass, parameterIdLength } from '@busbar/driver-itron-corus';
import { CommandRefusedError, requireParameter } from '@busbar/safety';

/** Action name: write parameters by name. */
export const CORUS_WRITE_PARAMETERS = 'corus.write_parameters';
/** Action name: set the device clock. */
export const CORUS_SET_CLOCK = 'corus.set_clock';
/** Every Corus action. */
const CORUS_ACTIONS = [CORUS_WRITE_PARAMETERS, CORUS_SET_CLOCK] as const;

/** The part of an open Corus link a write uses (a `CorusLink` satisfies it). */
export interface CorusWriteLink {
  /** Sends one write request frame and waits for ACK/NAK (itron-corus reference README §6). */
  writeParameters(items: readonly WriteItem[], codec?: ClassCodecOptions): Promise<WriteAnswer>;
}

/**
 * What the actions need from the device session (a `CorusSession` satisfies it): its priority
 * queue. The actions run a whole write in one slot at `Priority.write` (ahead of polls and log
 * windows), never retried, and check the command's expiry inside the slot before the first byte.
 */
export interface CorusWriter {
  /** Queues `run` at `priority` on the open (signed-on, map-checked) link, run once; see `CorusSession.enqueue`. */
  enqueue<T>(priority: number, run: (link: CorusWriteLink) => Promise<T>): Promise<T>;
}

/** What the validation needs to know about the device. */
export interface CorusActionDevice {
  /** Device id (for messages). */
  readonly id: string;
  /** The validated map. */
  readonly corusMap: CorusMap;
  /** IANA zone of the device clock. */
  readonly timeZone: string;
}

/** A validated Corus command: what {@link validateCorusCommand} returns and {@link executeCorusPlan} runs. */
export interface CorusPlan {
  /** The device (map, zone) the writes were checked against. */
  readonly device: CorusActionDevice;
  /** The checked writes, in command order. */
  readonly writes: readonly CheckedWrite[];
  /** One line for logs and the result (`write display_contrast = 9, ...`). */
  readonly summary: string;
}

/** One validated write: parameter, the value to send, and its canonical text. */
export interface CheckedWrite {
  /** The map entry. */
  readonly parameter: CorusParameter;
  /** Value handed to the session: an exact decimal, an instant, text. */
  readonly value: ExactDecimal | Date | string;
  /** Canonical text for results and logs (exact decimal text, ISO instant, the text). */
  readonly text: string;
  /** The value as it goes on the wire (a Date converted to the device zone's date-time). */
  readonly wire: CorusInputValue;
  /** Bytes this write takes in a request frame (parameter id + value, README §4.6, §6). */
  readonly size: number;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Re-throws a driver refusal (value type / range) as a command refusal with the same code. */
function refuse(err: unknown, parameter: string): never {
  const message = err instanceof Error ? err.message : String(err);
  throw new CommandRefusedError(errorCode(err), `${parameter}: ${message}`, { parameter });
}

/**
 * Checks one `name = raw` write against the map: known, writable, the right kind of value for
 * its class, within `min`/`max`, and representable exactly in its class (the driver's pure
 * `encodeValue`).
 *
 * @throws {CommandRefusedError} `BB_CORUS_UNKNOWN_PARAMETER`, `BB_CORUS_NOT_WRITABLE`,
 *   `BB_CORUS_VALUE_TYPE`, `BB_CORUS_VALUE_OUT_OF_RANGE`, `BB_COMMAND_PARAMETER_INVALID`.
 */
export function checkCorusWrite(device: CorusActionDevice, name: string, raw: unknown): CheckedWrite {
  const map = device.corusMap;
  const p = map.byName.get(name);
  if (p === undefined) throw new CommandRefusedError('BB_CORUS_UNKNOWN_PARAMETER', `device ${device.id} (map ${map.mapId}) has no parameter ${name}`, { parameter: name });
  if (!p.writable) throw new CommandRefusedError('BB_CORUS_NOT_WRITABLE', `parameter ${name} (id ${p.id}) is not writable in map ${map.mapId}; nothing was sent`, { parameter: name, id: p.id });
  const codec = { float3ExponentOffset: map.config.float3ExponentOffset };
  let value: ExactDecimal | Date | string;
  let wire: CorusInputValue;
  let text: string;
  if (isNumericClass(p.class)) {
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new CommandRefusedError('BB_CORUS_VALUE_TYPE', `${name} (${p.class}) needs an exact decimal as text (e.g. "1.5"), got ${JSON.stringify(raw)}`, { parameter: name });
    let d: ExactDecimal;
    try {
      d = ExactDecimal.from(raw);
    } catch (err) {
      refuse(err, name);
    }
    text = d.toString();
    const unit = p.unit ? ` ${p.unit}` : '';
    if (p.min !== undefined && d.compare(ExactDecimal.from(p.min)) < 0) throw new CommandRefusedError('BB_CORUS_VALUE_OUT_OF_RANGE', `${name} = ${text}${unit} is below the configured minimum ${p.min}${unit}; nothing was sent`, { parameter: name, value: text, min: p.min });
    if (p.max !== undefined && d.compare(ExactDecimal.from(p.max)) > 0) throw new CommandRefusedError('BB_CORUS_VALUE_OUT_OF_RANGE', `${name} = ${text}${unit} is above the configured maximum ${p.max}${unit}; nothing was sent`, { parameter: name, value: text, max: p.max });
    value = d;
    wire = d;
  } else if (p.class === 'Date') {
    if (typeof raw !== 'string' || !ISO_WITH_ZONE.test(raw) || Number.isNaN(Date.parse(raw))) throw new CommandRefusedError('BB_CORUS_VALUE_TYPE', `${name} (Date) needs an ISO 8601 instant with a zone, e.g. "2024-05-01T12:00:00Z", got ${JSON.stringify(raw)}`, { parameter: name });
    value = new Date(raw);
    text = value.toISOString();
    try {
      wire = dateToCorusDateTime(value, device.timeZone);
    } catch (err) {
      refuse(err, name);
    }
  } else if (p.class === 'CorusString') {
    if (typeof raw !== 'string') throw new CommandRefusedError('BB_CORUS_VALUE_TYPE', `${name} (CorusString) needs text, got ${JSON.stringify(raw)}`, { parameter: name });
    if (raw.length > 8) throw new CommandRefusedError('BB_CORUS_VALUE_OUT_OF_RANGE', `${name} takes at most 8 characters, got ${raw.length}; nothing was sent`, { parameter: name });
    value = raw;
    wire = raw;
    text = raw;
  } else {
    throw new CommandRefusedError('BB_CORUS_NOT_WRITABLE', `parameter ${name} is of class ${p.class}, which carries no value to write`, { parameter: name });
  }
  let bytes: Uint8Array;
  try {
    bytes = encodeValue(p.class, wire, codec); // representable in the class (reference §8.2)
  } catch (err) {
    if (err instanceof CorusError) refuse(err, name);
    throw err;
  }
  if (value instanceof ExactDecimal) {
    // The device must hold exactly what was asked: a Float (binary32, reference §8.3.6) holds 288.15 as 288.149994.
    const held = decodeValue(p.class, bytes, 0, codec);
    if (!(held instanceof ExactDecimal) || !held.equals(value)) throw new CommandRefusedError('BB_CORUS_VALUE_OUT_OF_RANGE', `${name} = ${text} cannot be held exactly by its class ${p.class}: the device would store ${held === null ? 'no value' : String(held)}; send a value the class holds exactly; nothing was sent`, { parameter: name, value: text, held: held === null ? null : String(held) });
  }
  return { parameter: p, value, text, wire, size: parameterIdLength(p.id) + bytes.length };
}

/** Splits writes into request frames of at most `maxData` data bytes (README §4.7), in order. */
function frames(writes: readonly CheckedWrite[], maxData: number): CheckedWrite[][] {
  const out: CheckedWrite[][] = [];
  let cur: CheckedWrite[] = [];
  let size = 0;
  for (const w of writes) {
    if (size + w.size > maxData && cur.length > 0) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(w);
    size += w.size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** The outcome of one write command's frames. */
interface FramesResult {
  readonly accepted: boolean;
  readonly answer: WriteAnswer['answer'];
  readonly written: readonly string[];
  readonly notWritten: readonly string[];
}

/**
 * Runs a validated plan in one write-priority slot of the session's queue — `beforeSend` first,
 * inside the slot, then every frame back to back; a refused frame stops the rest — and turns the
 * device's answer into result details (`answer`, `vendor_code`, `written`, `value.<name>`).
 *
 * @param beforeSend - the command's expiry check (throws `BB_COMMAND_EXPIRED`: nothing sent).
 * @throws {CorusError} `BB_CORUS_WRITE_REFUSED` (outcome `refused` for a NAK before anything was
 *   written, none once a frame was ACKed, `unknown` for another answer); the session's errors
 *   with their outcome (`BB_CORUS_SESSION_CLOSED`: not sent).
 */
export async function executeCorusPlan(writer: CorusWriter, plan: CorusPlan, beforeSend: () => void): Promise<Record<string, string>> {
  const { device, writes } = plan;
  const codec = { float3ExponentOffset: device.corusMap.config.float3ExponentOffset };
  const split = frames(writes, MAX_FRAME_DATA);
  const result = await writer.enqueue<FramesResult>(
    Priority.write,
    async (link) => {
      beforeSend(); // the last moment before the bytes leave: after every queue the command waited in
      const written: string[] = [];
      for (let i = 0; i < split.length; i++) {
        const frame = split[i] as CheckedWrite[];
        const answer = await link.writeParameters(frame.map((w) => ({ id: w.parameter.id, class: w.parameter.class, value: w.wire })), codec);
        if (!answer.accepted) return { accepted: false, answer: answer.answer, written, notWritten: split.slice(i).flat().map((w) => w.parameter.name) };
        written.push(...frame.map((w) => w.parameter.name));
      }
      return { accepted: true, answer: 'ack', written, notWritten: [] };
    }, // run once: a write is never repeated automatically
  );
  if (!result.accepted) {
    const meaning = result.answer === 'nak' ? 'NAK (0x15): the device refused the write' : 'an answer other than ACK/NAK: the write was not confirmed';
    // A NAK before anything was written is a refusal (REJECTED); once a frame was ACKed the command
    // is partly executed (FAILED, written/not_written in the details); an answer that is neither
    // ACK nor NAK leaves the frame in doubt.
    const outcome = result.answer !== 'nak' ? 'unknown' : result.written.length === 0 ? 'refused' : undefined;
    throw new CorusError('BB_CORUS_WRITE_REFUSED', `device ${device.id} answered ${meaning}; written: ${result.written.join(', ') || 'none'}; not written: ${result.notWritten.join(', ')}`, {
      retriable: false,
      outcome, // undefined for a partly executed write: no single outcome, a plain FAILED
      context: { answer: result.answer, vendor_code: result.answer === 'nak' ? '0x15' : 'other', written: result.written.join(','), not_written: result.notWritten.join(',') },
    });
  }
  return { answer: 'ACK', vendor_code: '0x06', written: result.written.join(','), ...Object.fromEntries(writes.map((w) => [`value.${w.parameter.name}`, w.text])) };
}

/**
 * Validates a Corus command against the device's map (pure: nothing is sent).
 *
 * @returns the plan for {@link executeCorusPlan}.
 * @throws {CommandRefusedError} see the module comment for the codes.
 */
export function validateCorusCommand(cmd: Command, device: CorusActionDevice): CorusPlan {
  if (cmd.action === CORUS_WRITE_PARAMETERS) {
    const entries = Object.entries(cmd.parameters);
    if (entries.length === 0) throw new CommandRefusedError('BB_COMMAND_PARAMETER_MISSING', `${CORUS_WRITE_PARAMETERS} needs at least one "<parameter name>": value entry in parameters`);
    const writes = entries.map(([name, raw]) => checkCorusWrite(device, name, raw));
    return { device, writes, summary: `write ${writes.map((w) => `${w.parameter.name} = ${w.text}${w.parameter.unit ? ` ${w.parameter.unit}` : ''}`).join(', ')}` };
  }
  if (cmd.action === CORUS_SET_CLOCK) {
    const clock = device.corusMap.role('clock');
    if (clock === undefined) throw new CommandRefusedError('BB_CORUS_UNKNOWN_PARAMETER', `map ${device.corusMap.mapId} of device ${device.id} has no parameter with role "clock"`);
    const time = requireParameter(cmd.parameters, 'time');
    const extra = Object.keys(cmd.parameters).filter((k) => k !== 'time');
    if (extra.length > 0) throw new CommandRefusedError('BB_COMMAND_PARAMETER_INVALID', `${CORUS_SET_CLOCK} takes only parameter time, got also ${extra.join(', ')}`);
    const w = checkCorusWrite(device, clock.name, time);
    return { device, writes: [w], summary: `set clock ${clock.name} = ${w.text} (device zone ${device.timeZone})` };
  }
  throw new CommandRefusedError('BB_COMMAND_UNKNOWN_ACTION', `action ${cmd.action} is not supported by Corus devices (supported: ${CORUS_ACTIONS.join(', ')})`);
}
