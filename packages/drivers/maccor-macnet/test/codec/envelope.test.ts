import { describe, expect, it } from 'vitest';
import { decodeReply } from '../../src/codec/envelope.js';
import { num } from '../../src/codec/fields.js';
import { summarizeJson } from '../../src/codec/summary.js';
import { MaccorError } from '../../src/errors.js';
import { MaccorRpcError } from '../../src/errors.js';
import { channelToIndex0, planChannelSpans } from '../../src/codec/channels.js';
import { rf1Name, rf2Name, statName } from '../../src/codec/tables.js';

const expect47 = { FClass: 4, FNum: 7, Chan: 3, id: 1987 };

describe('Codec > envelope > decodeReply', () => {
  const faults: [string, Record<string, unknown>, string][] = [
    ['JSON-RPC error', { jsonrpc: '2.0', error: { code: -32601, message: 'Invalid FClass' }, id: 1987 }, 'BB_MACCOR_RPC_ERROR'],
    ['error without message', { jsonrpc: '2.0', error: 'bad', id: 1987 }, 'BB_MACCOR_REPLY_MALFORMED'],
    ['MaccorSpoofer {"err": 1}', { err: 1 }, 'BB_MACCOR_FUNCTION_UNSUPPORTED'],
    ['MaccorSpoofer {} for a high Chan', {}, 'BB_MACCOR_REPLY_MALFORMED'],
    ['result not an object', { jsonrpc: '2.0', result: [1], id: 1987 }, 'BB_MACCOR_REPLY_MALFORMED'],
    ['other FClass', { jsonrpc: '2.0', result: { FClass: 4, FNum: 1, Chan: 3 }, id: 1987 }, 'BB_MACCOR_REPLY_MISMATCH'],
    ['other Chan', { jsonrpc: '2.0', result: { FClass: 4, FNum: 7, Chan: 2 }, id: 1987 }, 'BB_MACCOR_REPLY_MISMATCH'],
  ];
  for (const [name, msg, code] of faults) {
    it(`${name} → ${code}`, () => {
      expect(() => decodeReply(msg, expect47)).toThrow(expect.objectContaining({ code }));
    });
  }
  it('a JSON-RPC error carries the tester message and code', () => {
    try {
      decodeReply({ jsonrpc: '2.0', error: { code: -32602, message: 'Illegal value' }, id: 1 }, expect47);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MaccorRpcError);
      expect((e as MaccorRpcError).testerMessage).toBe('Illegal value');
      expect((e as MaccorRpcError).rpcCode).toBe(-32602);
    }
  });
  it('a Len mismatch on a multi-channel read is a mismatch (retriable)', () => {
    expect(() => decodeReply({ result: { FClass: 4, FNum: 1, Chan: 0, Len: 2 } }, { FClass: 4, FNum: 1, Chan: 0, Len: 8 })).toThrow(expect.objectContaining({ code: 'BB_MACCOR_REPLY_MISMATCH', retriable: true }));
  });
  it('a different id is flagged, not fatal (reference §4)', () => {
    const r = decodeReply({ jsonrpc: '2.0', result: { FClass: 4, FNum: 7, Chan: 3 }, id: 5 }, expect47);
    expect(r.idMismatch).toBe(true);
  });
});

describe('Codec > channels', () => {
  it('1-based channel → 0-based wire', () => {
    expect(channelToIndex0(1)).toBe(0);
    expect(channelToIndex0(5)).toBe(4);
    for (const bad of [0, -1, 1.5, 65536]) expect(() => channelToIndex0(bad)).toThrow(expect.objectContaining({ code: 'BB_MACCOR_INVALID_ARGUMENT' }));
  });
  it('multi-channel reads are chunked into ≤ 128 channels from the real first channel (not Chan -1)', () => {
    expect(planChannelSpans(1, 300)).toEqual([
      { chanIndex0: 0, len: 128 },
      { chanIndex0: 128, len: 128 },
      { chanIndex0: 256, len: 44 },
    ]);
    expect(planChannelSpans(5, 2)).toEqual([{ chanIndex0: 4, len: 2 }]);
  });
});

describe('Codec > tables', () => {
  it('names documented codes and maps unknown ones to unknown(n) (reference §7)', () => {
    expect([statName(4), statName(17), statName(99)]).toEqual(['Completed', 'Not USED', 'unknown(99)']);
    expect([rf1Name(31), rf1Name(6)]).toEqual(['Complete', 'unknown(6)']);
    expect([rf2Name(193), rf2Name(197), rf2Name(2)]).toEqual(['O: normal end', 'P: voltage safety <pk', 'unknown(2)']);
  });
});

describe('Codec > envelope > hostile, deeply nested replies', () => {
  /** `{"a":{"a":…1…}}`, `levels` deep, built without recursion (as JSON.parse would hand it over). */
  const nested = (levels: number): Record<string, unknown> => JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels)) as Record<string, unknown>;

  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('a reply with no result, nested 5000 levels (≈30 KB), is BB_MACCOR_REPLY_MALFORMED, not a RangeError', () => {
    const reply = { jsonrpc: '2.0', id: 1987, junk: nested(5000) };
    expect(() => JSON.stringify(reply)).toThrow(RangeError); // the hazard being guarded against
    const err = thrown(() => decodeReply(reply, expect47));
    expect(err).toBeInstanceOf(MaccorError);
    expect(err).toMatchObject({ code: 'BB_MACCOR_REPLY_MALFORMED', context: expect.objectContaining({ keys: 'jsonrpc,id,junk' }) });
    expect((err as Error).message.length).toBeLessThan(400);
  });

  it('an error member without message, deeply nested, is BB_MACCOR_REPLY_MALFORMED', () => {
    expect(thrown(() => decodeReply({ error: nested(5000) }, expect47))).toMatchObject({ code: 'BB_MACCOR_REPLY_MALFORMED' });
  });

  it('{"err": <deep>} is BB_MACCOR_FUNCTION_UNSUPPORTED', () => {
    expect(thrown(() => decodeReply({ err: nested(5000) }, expect47))).toMatchObject({ code: 'BB_MACCOR_FUNCTION_UNSUPPORTED' });
  });

  it('a deep FClass is a BB_MACCOR_REPLY_MISMATCH with a bounded actual', () => {
    const err = thrown(() => decodeReply({ result: { FClass: nested(5000), FNum: 7 } }, expect47));
    expect(err).toMatchObject({ code: 'BB_MACCOR_REPLY_MISMATCH' });
    expect(String((err as MaccorError).context['actual']).length).toBeLessThanOrEqual(201);
  });

  it('a field reader given a deep value throws BB_MACCOR_REPLY_MALFORMED', () => {
    expect(thrown(() => num({ Volts: nested(5000) }, 'Volts', '(4,7)'))).toMatchObject({ code: 'BB_MACCOR_REPLY_MALFORMED' });
  });
});

describe('Codec > summary > summarizeJson', () => {
  it.each([
    ['scalars', [1, 'a', true, null], '[1,"a",true,null]'],
    ['depth capped at 3', { a: { b: { c: { d: 1 } } } }, '{"a":{"b":{"c":{…}}}}'],
    ['empty containers past the depth cap', { a: { b: { c: {}, d: [] } } }, '{"a":{"b":{"c":{},"d":[]}}}'],
    ['width capped at 10', Array.from({ length: 12 }, (_, i) => i), '[0,1,2,3,4,5,6,7,8,9,…(12 items)]'],
    ['non-JSON values', { u: undefined, n: 10n, f: () => 1 }, '{"u":undefined,"n":<bigint>,"f":<function>}'],
  ])('%s', (_name, value, expected) => {
    expect(summarizeJson(value)).toBe(expected);
  });

  it('output is cut at maxChars with an ellipsis, even for one huge string', () => {
    const s = summarizeJson({ s: 'y'.repeat(1_000_000) });
    expect(s.length).toBe(201);
    expect(s.endsWith('…')).toBe(true);
  });

  it('cycles do not loop (depth cap)', () => {
    const o: Record<string, unknown> = {};
    o['self'] = o;
    expect(summarizeJson(o)).toBe('{"self":{"self":{"self":{…}}}}');
  });
});
