import { describe, expect, it } from 'vitest';
import { MvCoalescingLedger } from '../src/coalescing.js';

describe('modules > arbin > MvCoalescingLedger', () => {
  it('names the next command of the same channel and MV as the replacement, which absorbs the chain', () => {
    const l = new MvCoalescingLedger();
    const k = MvCoalescingLedger.key('a', 1, 1);
    l.submitted(k, 'c1', 0.5); // sent at once
    l.submitted(k, 'c2', 1.0); // queued
    l.submitted(k, 'c3', 1.5); // supersedes c2
    l.submitted(k, 'c4', 2.0); // supersedes c3
    expect(l.superseded('c2')).toEqual({ by: 'c3', value: 1.5 });
    expect(l.superseded('c3')).toEqual({ by: 'c4', value: 2.0 });
    expect(l.settled('c1')).toEqual([]);
    expect(l.settled('c4')).toEqual(['c2', 'c3']);
    expect(l.size).toBe(0);
  });

  it('keeps channels and MVs apart, and forgets settled commands', () => {
    const l = new MvCoalescingLedger();
    l.submitted(MvCoalescingLedger.key('a', 1, 1), 'x', 1);
    l.submitted(MvCoalescingLedger.key('a', 2, 1), 'y', 1);
    l.submitted(MvCoalescingLedger.key('a', 1, 2), 'z', 1);
    expect(l.superseded('x')).toBeUndefined(); // nothing was submitted after it
    expect(l.settled('x')).toEqual([]);
    expect(l.settled('y')).toEqual([]);
    expect(l.settled('z')).toEqual([]);
    expect(l.settled('unknown')).toEqual([]);
    expect(l.size).toBe(0);
    // a command submitted after the previous one settled does not point back to it
    const k = MvCoalescingLedger.key('a', 3, 1);
    l.submitted(k, 'p', 1);
    l.settled('p');
    l.submitted(k, 'q', 2);
    expect(l.settled('q')).toEqual([]);
  });
});
