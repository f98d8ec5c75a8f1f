import { describe, expect, it } from 'vitest';
import { checkNodeIdRange, nodeOfCobId, RIG_BMU_PDO_BASES } from '../../src/codec/canopen.js';

describe('BMU ids (safety-rig reference §3.2)', () => {
  const rig = checkNodeIdRange();

  it('maps every PDO id of BMUs 1..15 to its node and PDO number', () => {
    for (let n = 1; n <= 15; n++) {
      RIG_BMU_PDO_BASES.forEach((base, i) => expect(nodeOfCobId(base + n, false, rig)).toEqual({ nodeId: n, pdo: i + 1 }));
    }
  });

  it.each([
    [0x180, false, 'node 0'],
    [0x190, false, 'node 16 of 0x180 / node 0 of 0x190'],
    [0x080, false, 'SYNC'],
    [0x601, false, 'SDO request'],
    [0x581, false, 'SDO response'],
    [0x181, true, 'extended id'],
  ])('0x%s (extended %s) is not a BMU PDO: %s', (id, extended) => {
    expect(nodeOfCobId(id, extended, rig)).toBeUndefined();
  });

  it('a narrower range and other bases are configuration', () => {
    const r = checkNodeIdRange({ minNode: 2, maxNode: 4, pdoBases: [0x180, 0x280] });
    expect(nodeOfCobId(0x181, false, r)).toBeUndefined();
    expect(nodeOfCobId(0x284, false, r)).toEqual({ nodeId: 4, pdo: 2 });
  });

  it.each([
    [{ minNode: 0 }, /1 ≤ minNode/],
    [{ minNode: 5, maxNode: 4 }, /1 ≤ minNode ≤ maxNode/],
    [{ maxNode: 128 }, /≤ 127/],
    [{ maxNode: 17 }, /overlap/],
    [{ maxNode: 127, pdoBases: [0x790] }, /11 bits/],
  ])('refuses %j', (range, message) => {
    expect(() => checkNodeIdRange(range)).toThrow(expect.objectContaining({ code: 'BB_CAN_INVALID_ARGUMENT', message: expect.stringMatching(message) }));
  });
});
