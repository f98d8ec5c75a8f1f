import { describe, expect, it } from 'vitest';
import { FileLock } from '../../src/shared/file-lock.js';

describe('FileLock (the integration files\' readers–writer lock)', () => {
  it('grants shared to several files at once', () => {
    const lock = new FileLock();
    expect(lock.request('a', 'shared')).toBe(true);
    expect(lock.request('b', 'shared')).toBe(true);
    expect([...lock.snapshot().holders.keys()]).toEqual(['a', 'b']);
  });

  it('grants exclusive only when nobody holds the lock, and nothing else while it is held', () => {
    const lock = new FileLock();
    expect(lock.request('a', 'shared')).toBe(true);
    expect(lock.request('x', 'exclusive')).toBe(false);
    lock.release('a');
    expect(lock.snapshot().holders.get('x')).toBe('exclusive');
    expect(lock.request('b', 'shared')).toBe(false);
    expect(lock.request('y', 'exclusive')).toBe(false);
    lock.release('x');
    expect([...lock.snapshot().holders]).toEqual([['b', 'shared']]);
    expect(lock.snapshot().waiting).toEqual(['y']);
  });

  it('prefers a waiting exclusive over later shared requests (no starvation), in arrival order', () => {
    const lock = new FileLock();
    lock.request('a', 'shared');
    expect(lock.request('x', 'exclusive')).toBe(false);
    expect(lock.request('b', 'shared')).toBe(false); // behind x although only shared holders run
    expect(lock.snapshot().waiting).toEqual(['x', 'b']);
    lock.release('a');
    expect([...lock.snapshot().holders.keys()]).toEqual(['x']);
    lock.release('x');
    expect([...lock.snapshot().holders.keys()]).toEqual(['b']);
  });

  it('keeps a waiting ticket\'s place when it asks again, and tells listeners about grants', () => {
    const lock = new FileLock();
    const changes: string[][] = [];
    lock.onChange(() => changes.push([...lock.snapshot().holders.keys()]));
    lock.request('x', 'exclusive');
    expect(lock.request('a', 'shared')).toBe(false);
    expect(lock.request('a', 'shared')).toBe(false);
    expect(lock.snapshot().waiting).toEqual(['a']);
    lock.release('x');
    expect(changes).toEqual([['x'], ['a']]);
    expect(lock.request('a', 'shared')).toBe(true);
  });

  it('refuses a ticket that asks in the other mode; a release of an unknown or waiting ticket leaves the others alone', () => {
    const lock = new FileLock();
    lock.request('a', 'shared');
    expect(() => lock.request('a', 'exclusive')).toThrow(/holds the lock shared/);
    lock.request('x', 'exclusive');
    expect(() => lock.request('x', 'shared')).toThrow(/waits for the lock exclusive/);
    lock.release('nobody');
    lock.release('x'); // gave up while waiting
    expect(lock.snapshot().waiting).toEqual([]);
    expect(lock.request('b', 'shared')).toBe(true);
  });
});
