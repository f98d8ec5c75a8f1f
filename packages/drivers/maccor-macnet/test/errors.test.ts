/** Every code has an outcome; errors take their code's outcome unless the raiser knows better. */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, MACCOR_ERROR_OUTCOMES, MaccorCommandRejectedError, MaccorError, MaccorRpcError, withOutcome } from '../src/errors.js';

describe('Errors > outcome', () => {
  it('the outcome table covers exactly the catalogue', () => {
    expect(Object.keys(MACCOR_ERROR_OUTCOMES).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
  it('errors default to their code outcome; refusals of the tester are refused', () => {
    expect(new MaccorError('BB_MACCOR_TIMEOUT', 'x').outcome).toBe('unknown');
    expect(new MaccorError('BB_MACCOR_CONNECT_FAILED', 'x').outcome).toBe('not_sent');
    expect(new MaccorError('BB_MACCOR_CLIENT_CLOSED', 'x', { outcome: 'unknown' }).outcome).toBe('unknown');
    expect(new MaccorRpcError('Illegal value', -32602).outcome).toBe('refused');
    expect(new MaccorCommandRejectedError(6, 8, 3, 'too fast').outcome).toBe('refused');
    expect(new MaccorError('BB_MACCOR_TIMEOUT', 'x').toJSON()).toMatchObject({ code: 'BB_MACCOR_TIMEOUT', outcome: 'unknown' });
  });
  it('withOutcome keeps code, message, context and cause', () => {
    const cause = new Error('socket');
    const e = new MaccorError('BB_MACCOR_TIMEOUT', 'no reply to 1,3 within 5 ms', { retriable: true, cause, context: { function: '1,3' } });
    const n = withOutcome(e, 'not_sent') as MaccorError;
    expect(n).toMatchObject({ code: 'BB_MACCOR_TIMEOUT', message: e.message, retriable: true, outcome: 'not_sent', context: { function: '1,3' } });
    expect(n.cause).toBe(cause);
    expect(withOutcome(e, 'unknown')).toBe(e);
    const foreign = new Error('expired');
    expect(withOutcome(foreign, 'not_sent')).toBe(foreign);
  });
});
