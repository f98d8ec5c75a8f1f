/** Every code has an outcome; errors take their code's outcome unless the raiser knows better. */
import { describe, expect, it } from 'vitest';
import { ARBIN_ERROR_OUTCOMES, ArbinCtiError, ERROR_CODES } from '../src/errors.js';

describe('Errors > outcome', () => {
  it('the outcome table covers exactly the catalogue', () => {
    expect(Object.keys(ARBIN_ERROR_OUTCOMES).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
  it('defaults to the code outcome, overridable', () => {
    expect(new ArbinCtiError('BB_ARBIN_OUTCOME_UNKNOWN', 'x').outcome).toBe('unknown');
    expect(new ArbinCtiError('BB_ARBIN_NOT_CONNECTED', 'x').outcome).toBe('not_sent');
    expect(new ArbinCtiError('BB_ARBIN_CONTROL_NOT_ALLOWED', 'x').outcome).toBe('not_sent');
    expect(new ArbinCtiError('BB_ARBIN_CONNECTION_LOST', 'cannot connect', { outcome: 'not_sent' }).outcome).toBe('not_sent');
  });
});
