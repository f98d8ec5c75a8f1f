/**
 * Typed field readers for decoded MacNet `result` objects (Maccor MacNet reference §4: numbers are
 * JSON numbers, booleans are the strings "TRUE"/"FALSE", dates are ISO 8601 without a zone).
 * Each reader throws `BB_MACCOR_REPLY_MALFORMED` naming the function and field at fault. Pure.
 */
import { MaccorError } from '../errors.js';
import { summarizeJson } from './summary.js';

/** A decoded `result` (or request `params`) object. */
export type MacnetObject = Readonly<Record<string, unknown>>;

function malformed(what: string, key: string, value: unknown, expected: string): MaccorError {
  const actual = summarizeJson(value);
  return new MaccorError('BB_MACCOR_REPLY_MALFORMED', `${what}: field ${key} should be ${expected}, got ${actual}`, {
    context: { field: key, expected, actual },
  });
}

/** A finite JSON number. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function num(o: MacnetObject, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(what, key, v, 'a number');
  return v;
}

/** An integer JSON number. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function int(o: MacnetObject, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw malformed(what, key, v, 'an integer');
  return v;
}

/** A JSON string. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function str(o: MacnetObject, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw malformed(what, key, v, 'a string');
  return v;
}

/** A MacNet boolean: the string "TRUE" or "FALSE" (case-insensitive). @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function bool(o: MacnetObject, key: string, what: string): boolean {
  const v = o[key];
  if (typeof v === 'string') {
    const u = v.toUpperCase();
    if (u === 'TRUE') return true;
    if (u === 'FALSE') return false;
  }
  throw malformed(what, key, v, '"TRUE" or "FALSE"');
}

/** An array of finite numbers. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function numArray(o: MacnetObject, key: string, what: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw malformed(what, key, v, 'an array of numbers');
  return v as number[];
}

/** An array of objects. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function objArray(o: MacnetObject, key: string, what: string): MacnetObject[] {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) throw malformed(what, key, v, 'an array of objects');
  return v as MacnetObject[];
}

/** Checks that an array decoded with `Len` has `Len` entries. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function checkLength(values: readonly unknown[], len: number, key: string, what: string): void {
  if (values.length !== len) {
    throw new MaccorError('BB_MACCOR_REPLY_MALFORMED', `${what}: ${key} has ${values.length} entries, Len says ${len}`, {
      context: { field: key, expected: len, actual: values.length },
    });
  }
}
