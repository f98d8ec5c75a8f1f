/**
 * The newest-wins pacer with fake timers (Vitest fakes `setTimeout` and `Date`, so the system clock
 * moves with them). A "wire" is simulated by hand: each send returns a promise the test settles
 * later (the reply), so a send may be handed out long before its reply. Cases come from the two
 * copies it replaces: Arbin set-MV (200 ms per channel, coalesced per MV, Arbin CTI reference README
 * §5.4) and Maccor (6,8) set-points (100 ms per channel, Maccor MacNet reference §8.6).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NewestWinsPacer } from '../src/index.js';
import type { PacedItem } from '../src/index.js';

interface Wire<V> {
  readonly sent: Array<{ atMs: number; item: PacedItem<number, V> }>;
  /** Answers the oldest unanswered send (ok or failed). */
  reply(ok?: boolean): Promise<void>;
}

function rig<V>(minIntervalMs: number, onIdle?: (key: number) => void): { pacer: NewestWinsPacer<number, V>; wire: Wire<V> } {
  const sent: Wire<V>['sent'] = [];
  const open: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const pacer = new NewestWinsPacer<number, V>({
    minIntervalMs,
    send: (item) => {
      sent.push({ atMs: Date.now(), item });
      return new Promise<void>((resolve, reject) => open.push({ resolve, reject }));
    },
    ...(onIdle ? { onIdle } : {}),
  });
  const reply = async (ok = true): Promise<void> => {
    const o = open.shift();
    if (!o) throw new Error('nothing in flight');
    if (ok) o.resolve();
    else o.reject(new Error('no reply'));
    await vi.advanceTimersByTimeAsync(0);
  };
  return { pacer, wire: { sent, reply } };
}

describe('core > NewestWinsPacer', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000 }));
  afterEach(() => vi.useRealTimers());

  it('sends the first value at once and holds the next until minIntervalMs after the reply', async () => {
    const { pacer, wire } = rig<string>(100);
    expect(pacer.submit(1, 'a', { commandId: 'c-a' })).toBeUndefined();
    expect(wire.sent.map((s) => s.item.value)).toEqual(['a']);
    pacer.submit(1, 'b');
    await vi.advanceTimersByTimeAsync(500); // no reply yet: nothing else of the key goes out
    expect(wire.sent).toHaveLength(1);
    expect(pacer.earliestSendMs(1)).toBe(Infinity);
    await wire.reply(); // reply at 1 500
    expect(pacer.nextDueMs()).toBe(1_600);
    await vi.advanceTimersByTimeAsync(99);
    expect(wire.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(wire.sent.map((s) => [s.item.value, s.atMs])).toEqual([['a', 1_000], ['b', 1_600]]);
  });

  it('a value that waited behind a slow reply is followed on the wire ≥ minIntervalMs later, and only the newest goes out', async () => {
    // The spacing is stamped at the reply, not at the hand-out: handed out at 0, written after a
    // 500 ms wait, the next one must still wait 200 ms after that reply.
    const { pacer, wire } = rig<number>(200);
    pacer.submit(1, 2.0, { commandId: 'first' });
    const s1 = pacer.submit(1, 1.5, { commandId: 'lower' });
    const s2 = pacer.submit(1, 0.5, { commandId: 'lowest' });
    expect(s1).toBeUndefined();
    expect(s2?.superseded.commandId).toBe('lower');
    expect(s2?.by.commandId).toBe('lowest');
    await vi.advanceTimersByTimeAsync(510);
    await wire.reply(false); // a failure starts the spacing too
    await vi.advanceTimersByTimeAsync(199);
    expect(wire.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(wire.sent.map((s) => s.item.commandId)).toEqual(['first', 'lowest']);
    expect(wire.sent[1]!.atMs - 1_510).toBe(200);
  });

  it('keys are independent: one key in flight does not hold another', () => {
    const { pacer, wire } = rig<string>(100);
    pacer.submit(1, 'c1');
    pacer.submit(2, 'c2');
    expect(wire.sent.map((s) => s.item.key)).toEqual([1, 2]);
  });

  it('slots of one key are all sent, oldest first, spaced; a slot is replaced only by the same slot', async () => {
    const { pacer, wire } = rig<string>(200);
    pacer.submit(1, 'busy');
    pacer.submit(1, 'mv1', { slot: 1 });
    pacer.submit(1, 'mv2', { slot: 2 });
    const s = pacer.submit(1, 'mv1-newer', { slot: 1 });
    expect(s?.superseded.value).toBe('mv1');
    await wire.reply();
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.sent.map((x) => x.item.value)).toEqual(['busy', 'mv2']); // mv1 moved behind mv2 when replaced
    await wire.reply();
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.sent.map((x) => x.item.value)).toEqual(['busy', 'mv2', 'mv1-newer']);
  });

  it('a send outside the queue takes the key only when it is free and spaced, and holds the queue while it runs', async () => {
    const { pacer, wire } = rig<string>(200);
    pacer.submit(1, 'single');
    expect(pacer.tryBegin(1)).toBe(false); // the single is in flight
    await wire.reply();
    expect(pacer.tryBegin(1)).toBe(false); // spacing from its reply
    await vi.advanceTimersByTimeAsync(200);
    expect(pacer.tryBegin(1)).toBe(true);
    pacer.submit(1, 'after');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(wire.sent).toHaveLength(1); // the batch holds the key
    pacer.complete(1);
    await vi.advanceTimersByTimeAsync(199);
    expect(wire.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(wire.sent.map((x) => x.item.value)).toEqual(['single', 'after']);
  });

  it('complete() without a flight records a send (a start that counts as the first set-point)', async () => {
    const { pacer, wire } = rig<string>(100);
    pacer.complete(1);
    pacer.submit(1, 'a');
    expect(wire.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(wire.sent).toHaveLength(1);
  });

  it('drop() returns the pending values of a key and nothing of it is sent', async () => {
    const { pacer, wire } = rig<string>(100);
    pacer.submit(1, 'a');
    pacer.submit(1, 'b');
    pacer.submit(2, 'x');
    expect(pacer.hasPending(1)).toBe(true);
    expect(pacer.drop(1).map((i) => i.value)).toEqual(['b']);
    expect(pacer.hasPending(1)).toBe(false);
    await wire.reply();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(wire.sent.map((s) => s.item.value)).toEqual(['a', 'x']);
  });

  it('idle() resolves when the flight of the key ends; onIdle is told', async () => {
    const idles: number[] = [];
    const { pacer, wire } = rig<string>(100, (k) => idles.push(k));
    await expect(pacer.idle(1)).resolves.toBeUndefined();
    pacer.submit(1, 'a');
    let done = false;
    void pacer.idle(1).then(() => (done = true));
    void pacer.idleAll();
    await vi.advanceTimersByTimeAsync(50);
    expect(done).toBe(false);
    await wire.reply();
    expect(done).toBe(true);
    expect(idles).toEqual([1]);
    expect(pacer.lastCompletedMs(1)).toBe(1_050);
  });

  it('close() stops sending, clears the timer and hands back what was pending', async () => {
    const { pacer, wire } = rig<string>(100);
    pacer.submit(1, 'a');
    pacer.submit(1, 'b');
    await wire.reply();
    expect(vi.getTimerCount()).toBe(1);
    expect(pacer.close().map((i) => i.value)).toEqual(['b']);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => pacer.submit(1, 'c')).toThrow(RangeError);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(wire.sent).toHaveLength(1);
  });

  it('refuses a negative interval', () => {
    expect(() => new NewestWinsPacer({ minIntervalMs: -1, send: async () => undefined })).toThrow(RangeError);
  });
});
