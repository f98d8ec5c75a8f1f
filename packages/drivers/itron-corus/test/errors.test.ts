/** Every code has an outcome; errors take their code's outcome unless the raiser knows better. */
import { describe, expect, it } from 'vitest';
import { CORUS_ERROR_OUTCOMES, CorusError, ERROR_CODES, withOutcome } from '../src/errors.js';

describe('Errors > outcome', () => {
  it('the outcome table covers exactly the catalogue', () => {
    expect(Object.keys(CORUS_ERROR_OUTCOMES).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
  it('defaults from the code; withOutcome keeps code, message, retriable, context and cause', () => {
    expect(new CorusError('BB_CORUS_TIMEOUT', 'x').outcome).toBe('unknown');
    expect(new CorusError('BB_CORUS_NOT_WRITABLE', 'x').outcome).toBe('not_sent');
    expect(new CorusError('BB_CORUS_WRITE_REFUSED', 'x').outcome).toBe('refused');
    const cause = new Error('socket');
    const e = new CorusError('BB_CORUS_TIMEOUT', 'no wake-up reply within 5 ms', { cause, context: { step: 'wake-up reply' } });
    const n = withOutcome(e, 'not_sent') as CorusError;
    expect(n).toMatchObject({ code: 'BB_CORUS_TIMEOUT', message: e.message, retriable: true, outcome: 'not_sent', context: { step: 'wake-up reply' } });
    expect(n.cause).toBe(cause);
    expect(withOutcome(e, 'unknown')).toBe(e);
  });
});
