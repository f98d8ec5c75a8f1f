/** CorusSession construction (no I/O): link options are validated at the edge, not at the first request. */
import { describe, expect, it } from 'vitest';
import { CorusSession } from '../../src/client/session.js';
import { tcpTransport } from '../../src/client/transport.js';
import { EXAMPLE_CORUS_MAP } from '../../src/config/example-map.js';

describe('Client > CorusSession > options', () => {
  const base = { transport: tcpTransport({ host: '127.0.0.1', port: 4000 }), map: EXAMPLE_CORUS_MAP, keepAliveIntervalMs: 0 };
  it('a bad link option → BB_CORUS_CONFIG_INVALID from the constructor, naming the field', () => {
    expect(() => new CorusSession({ ...base, optionSelect: { y: 'manufacturer' } })).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('optionSelect.y') }));
    expect(() => new CorusSession({ ...base, timeouts: { answerSettleMs: -1 } })).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('timeouts.answerSettleMs') }));
  });
  it('valid link options are accepted (nothing is opened)', async () => {
    const s = new CorusSession({ ...base, optionSelect: { z: '7' }, wakeupBytes: 12, timeouts: { interCharacterMs: 500 } });
    expect(s.connected).toBe(false);
    await s.close();
  });
});
