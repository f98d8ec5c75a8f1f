/**
 * The MacNet JSON-RPC envelope.
 *
 * Wire grammar (Maccor MacNet reference §4; vendor help p.2, p.8):
 *
 *   request = {"jsonrpc":"2.0","method":"MacNet","params":{"FClass":u16,"FNum":u16[,"Chan":u16][,"Len":u16], ...},"id":int}
 *   reply   = {"jsonrpc":"2.0","result":{"FClass":..,"FNum":..[,"Chan":..][,"Len":..], ...},"id":int}
 *           | {"jsonrpc":"2.0","error":{"code":int?,"message":string},"id":..}
 *           | {"jsonrpc":"2.0","method":"MacNet","params":{...},"id":..}   ; echo (0,x) and class-7 replies, §10.4
 *           | {"err":1}                                                     ; MaccorSpoofer: function not implemented (§13)
 *
 * `Chan` is 0-based on the wire (reference §1.4). `id` defaults to 1987 as in every vendor example;
 * a different id in a reply is reported, not fatal (reference §4). Pure.
 */
import { MaccorError, MaccorRpcError } from '../errors.js';
import type { MacnetObject } from './fields.js';
import { summarizeJson, topLevelKeys } from './summary.js';

/** The id every vendor example and pymacnet uses (reference §4). */
export const DEFAULT_REQUEST_ID = 1987;

/** `params` of one request: FClass, FNum and the function's fields. `Chan` is 0-based. */
export interface MacnetParams {
  readonly FClass: number;
  readonly FNum: number;
  readonly Chan?: number;
  readonly Len?: number;
  readonly [key: string]: unknown;
}

/**
 * Serializes one request as compact JSON, with no terminator (reference §3.2: one object per write).
 * @param params - FClass, FNum, Chan (0-based), function fields.
 * @param id - JSON-RPC id (default 1987).
 * @returns the request text.
 */
export function encodeRequest(params: MacnetParams, id: number = DEFAULT_REQUEST_ID): string {
  return JSON.stringify({ jsonrpc: '2.0', method: 'MacNet', params, id });
}

/** What a reply must repeat from its request (reference §3.5). */
export interface ReplyExpectation {
  readonly FClass: number;
  readonly FNum: number;
  /** 0-based channel of the request, checked when the reply carries `Chan`. */
  readonly Chan?: number;
  /** Channel count of a multi-channel read, checked when the reply carries `Len`. */
  readonly Len?: number;
  /** The request id; a mismatch is reported in {@link DecodedReply.idMismatch}. */
  readonly id?: number;
}

/** A successful reply. */
export interface DecodedReply {
  /** The `result` object (or `params`, for envelope variants that use it). */
  readonly result: MacnetObject;
  /** The reply's id, if any. */
  readonly id: unknown;
  /** True when the reply id differs from the request id (a warning only, reference §4). */
  readonly idMismatch: boolean;
}

function isObject(v: unknown): v is MacnetObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a parsed reply against its request and returns its `result`.
 * @param message - one object from {@link JsonStreamDecoder}.
 * @param expect - FClass/FNum (and Chan/Len when the request had them).
 * @throws MaccorRpcError `BB_MACCOR_RPC_ERROR` for a JSON-RPC error reply (carries the tester message).
 * @throws MaccorError `BB_MACCOR_FUNCTION_UNSUPPORTED` for `{"err": ...}`; `BB_MACCOR_REPLY_MALFORMED`
 *   when there is no result (context `keys`: the reply's top-level member names);
 *   `BB_MACCOR_REPLY_MISMATCH` when FClass/FNum/Chan/Len differ (retriable). Never anything else:
 *   values are quoted with the bounded {@link summarizeJson}, so a hostile, deeply nested reply cannot
 *   raise a `RangeError` from `JSON.stringify`.
 */
export function decodeReply(message: Record<string, unknown>, expect: ReplyExpectation): DecodedReply {
  const ctx = { fclass: expect.FClass, fnum: expect.FNum, chan: expect.Chan };
  const error = message['error'];
  if (error !== undefined) {
    if (isObject(error) && typeof error['message'] === 'string') {
      const code = typeof error['code'] === 'number' ? error['code'] : undefined;
      throw new MaccorRpcError(error['message'], code, ctx);
    }
    throw new MaccorError('BB_MACCOR_REPLY_MALFORMED', `(${expect.FClass},${expect.FNum}): JSON-RPC error member without a message: ${summarizeJson(error)}`, { context: { ...ctx, keys: topLevelKeys(message) } });
  }
  let result = message['result'];
  if (result === undefined && message['method'] === 'MacNet') result = message['params'];
  if (!isObject(result)) {
    if ('err' in message && Object.keys(message).length === 1) {
      throw new MaccorError('BB_MACCOR_FUNCTION_UNSUPPORTED', `(${expect.FClass},${expect.FNum}) not implemented by the peer (reply ${summarizeJson(message)})`, { context: ctx });
    }
    throw new MaccorError('BB_MACCOR_REPLY_MALFORMED', `(${expect.FClass},${expect.FNum}): reply has no result object: ${summarizeJson(message)}`, {
      context: { ...ctx, keys: topLevelKeys(message) },
    });
  }
  const mismatch = (field: string, expected: number, actual: unknown): MaccorError =>
    new MaccorError('BB_MACCOR_REPLY_MISMATCH', `reply ${field} ${summarizeJson(actual)} does not match request ${field} ${expected} for (${expect.FClass},${expect.FNum})`, {
      retriable: true,
      context: { ...ctx, field, expected, actual: summarizeJson(actual) },
    });
  if (result['FClass'] !== expect.FClass) throw mismatch('FClass', expect.FClass, result['FClass']);
  if (result['FNum'] !== expect.FNum) throw mismatch('FNum', expect.FNum, result['FNum']);
  if (expect.Chan !== undefined && result['Chan'] !== undefined && result['Chan'] !== expect.Chan) throw mismatch('Chan', expect.Chan, result['Chan']);
  if (expect.Len !== undefined && result['Len'] !== undefined && result['Len'] !== expect.Len) throw mismatch('Len', expect.Len, result['Len']);
  const id = message['id'];
  return { result, id, idMismatch: expect.id !== undefined && id !== expect.id };
}
