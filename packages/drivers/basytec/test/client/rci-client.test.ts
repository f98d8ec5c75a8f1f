/**
 * RciClient logic with fake timers and an in-memory transport (the TCP and serial transports are
 * exercised against the RCI simulator in rci.int.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_RCI_TEMPLATES } from '../../src/codec/rci.js';
import { RciClient } from '../../src/client/rci-client.js';
import type { LineTransport } from '../../src/client/rci-transport.js';
import { BasytecError } from '../../src/errors.js';

class MemoryTransport implements LineTransport {
  readonly sent: { line: string; atMs: number }[] = [];
  private rx: ((b: Buffer) => void) | undefined;
  private open = true;
  private resolveLost!: (e: Error) => void;
  readonly lost = new Promise<Error>((r) => (this.resolveLost = r));
  write(data: Buffer): Promise<void> {
    if (!this.open) return Promise.reject(new BasytecError('BB_BASYTEC_RCI_NOT_CONNECTED', 'closed', { outcome: 'not_sent' }));
    this.sent.push({ line: data.toString('latin1'), atMs: Date.now() });
    return Promise.resolve();
  }
  onData(cb: (b: Buffer) => void): void {
    this.rx = cb;
  }
  reply(line: string): void {
    this.rx?.(Buffer.from(`${line}\r\n`));
  }
  isOpen(): boolean {
    return this.open;
  }
  drop(): void {
    this.open = false;
    this.resolveLost(new BasytecError('BB_BASYTEC_RCI_CONNECTION_LOST', 'peer closed'));
  }
  close(): Promise<void> {
    this.open = false;
    return Promise.resolve();
  }
}

const settle = async <T>(p: Promise<T>): Promise<{ ok: T } | { err: BasytecError }> => p.then((ok) => ({ ok }), (err: BasytecError) => ({ err }));

describe('RciClient', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('sends the filled template with CRLF and resolves on the success reply', async () => {
    const t = new MemoryTransport();
    const c = new RciClient({ transport: t, templates: EXAMPLE_RCI_TEMPLATES });
    const p = c.startTest(3, 'capacity.pln');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.sent.map((s) => s.line)).toEqual(['START 3 capacity.pln\r\n']);
    t.reply('OK START 3');
    await expect(p).resolves.toMatchObject({ command: 'start', reply: 'OK START 3', request: 'START 3 capacity.pln' });
    const s = c.readState(3);
    await vi.advanceTimersByTimeAsync(100);
    t.reply('STATE 3 running');
    await expect(s).resolves.toBe('running');
  });

  it('beforeSend runs after the limiter slot, right before the write; when it throws, nothing is written and its error is the result', async () => {
    const t = new MemoryTransport();
    const c = new RciClient({ transport: t, templates: EXAMPLE_RCI_TEMPLATES });
    const calls: { atMs: number; sentBefore: number }[] = [];
    const first = c.stopTest(1, { beforeSend: () => calls.push({ atMs: Date.now(), sentBefore: t.sent.length }) });
    await vi.advanceTimersByTimeAsync(0);
    t.reply('OK STOP 1');
    await first;
    const expired = new BasytecError('BB_BASYTEC_RCI_CLOSED', 'expired while waiting', { outcome: 'not_sent' });
    const second = settle(c.stopTest(2, { beforeSend: () => {
      calls.push({ atMs: Date.now(), sentBefore: t.sent.length });
      throw expired;
    } }));
    await vi.advanceTimersByTimeAsync(200);
    expect(await second).toEqual({ err: expired });
    expect(calls).toEqual([{ atMs: 0, sentBefore: 0 }, { atMs: 100, sentBefore: 1 }]); // the second waited for its 100 ms slot
    expect(t.sent.map((s) => s.line)).toEqual(['STOP 1\r\n']);
  });

  it('outcomes: refused, unknown on a timeout after sending, unknown on an unexpected reply, not_sent for a bad value', async () => {
    const t = new MemoryTransport();
    const c = new RciClient({ transport: t, templates: EXAMPLE_RCI_TEMPLATES });
    const refused = settle(c.stopTest(1));
    await vi.advanceTimersByTimeAsync(0);
    t.reply('ERR STOP 1 channel idle');
    expect(await refused).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_REFUSED', outcome: 'refused', context: { reason: 'channel idle' } } });

    const timedOut = settle(c.startTest(1, 'p.pln', { timeoutMs: 180_000 }));
    let timedOutDone = false;
    void timedOut.then(() => (timedOutDone = true));
    await vi.advanceTimersByTimeAsync(100); // limiter slot: 100 ms after the first command
    expect(t.sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(179_999);
    expect(timedOutDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await timedOut).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_TIMEOUT', outcome: 'unknown' } });

    const odd = settle(c.stopTest(1));
    await vi.advanceTimersByTimeAsync(100);
    t.reply('HELLO');
    expect(await odd).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_UNEXPECTED_REPLY', outcome: 'unknown', context: { reply: 'HELLO' } } });

    expect(await settle(c.startTest(1, 'bad\nplan'))).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_TEMPLATE_INVALID', outcome: 'not_sent' } });
    expect(await settle(c.send('reboot', {}))).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_TEMPLATE_INVALID', outcome: 'not_sent' } });
    expect(t.sent).toHaveLength(3);
  });

  it('the default timeout is the template timeout (start: 3 min), else defaultTimeoutMs', async () => {
    const t = new MemoryTransport();
    const c = new RciClient({ transport: t, templates: { ...EXAMPLE_RCI_TEMPLATES, stop: { request: 'STOP {channel}', success: '^OK STOP {channel}$' } }, defaultTimeoutMs: 5000 });
    const start = settle(c.startTest(1, 'p'));
    await vi.advanceTimersByTimeAsync(179_999);
    t.reply('OK START 1');
    expect(await start).toHaveProperty('ok');
    const stop = settle(c.stopTest(1));
    await vi.advanceTimersByTimeAsync(5000);
    expect(await stop).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_TIMEOUT' } });
  });

  it("inFlight 'tester': one command at a time; the second is written only after the first reply", async () => {
    const t = new MemoryTransport();
    const c = new RciClient({ transport: t, templates: EXAMPLE_RCI_TEMPLATES });
    const a = c.startTest(1, 'p');
    const b = c.startTest(2, 'p');
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.sent.map((s) => s.line)).toEqual(['START 1 p\r\n']);
    t.reply('OK START 1');
    await a;
    await vi.advanceTimersByTimeAsync(0);
    expect(t.sent.map((s) => s.line)).toEqual(['START 1 p\r\n', 'START 2 p\r\n']);
    t.reply('OK START 2');
    await b;
  });

  it("inFlight 'channel': channels overlap (replies told apart by channel), one command per channel, all through one 10/s limiter", async () => {
    const t = new MemoryTransport();
    const c = new RciClient({ transport: t, templates: EXAMPLE_RCI_TEMPLATES, inFlight: 'channel' });
    const a1 = c.startTest(1, 'p');
    const b = c.startTest(2, 'p');
    const a2 = c.stopTest(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.sent.map((s) => [s.line, s.atMs])).toEqual([['START 1 p\r\n', 0], ['START 2 p\r\n', 100]]);
    t.reply('OK START 2');
    t.reply('OK START 1');
    await Promise.all([a1, b]);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.sent.map((s) => s.line)).toEqual(['START 1 p\r\n', 'START 2 p\r\n', 'STOP 1\r\n']);
    t.reply('OK STOP 1');
    await a2;
    expect(() => new RciClient({ transport: t, templates: { ...EXAMPLE_RCI_TEMPLATES, stop: { request: 'STOP {channel}', success: '^OK$' } }, inFlight: 'channel' })).toThrow(/must contain \{channel\}/);
  });

  it('a lost connection: the command in flight is unknown, the queued ones not_sent; close() refuses new ones', async () => {
    const t = new MemoryTransport();
    const c = new RciClient({ transport: t, templates: EXAMPLE_RCI_TEMPLATES });
    const inflight = settle(c.startTest(1, 'p'));
    const queued = settle(c.startTest(2, 'p'));
    await vi.advanceTimersByTimeAsync(0);
    t.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(await inflight).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_CONNECTION_LOST', outcome: 'unknown' } });
    expect(await queued).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_NOT_CONNECTED', outcome: 'not_sent' } });
    await expect(c.lost).resolves.toMatchObject({ code: 'BB_BASYTEC_RCI_CONNECTION_LOST' });
    const t2 = new MemoryTransport();
    const c2 = new RciClient({ transport: t2, templates: EXAMPLE_RCI_TEMPLATES });
    const pending = settle(c2.startTest(1, 'p'));
    await vi.advanceTimersByTimeAsync(0);
    await c2.close();
    expect(await pending).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_CLOSED', outcome: 'unknown' } });
    expect(await settle(c2.startTest(1, 'p'))).toMatchObject({ err: { code: 'BB_BASYTEC_RCI_CLOSED', outcome: 'not_sent' } });
  });
});
