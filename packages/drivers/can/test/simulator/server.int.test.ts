import { afterEach, describe, expect, it } from 'vitest';
import { connectSocketcand } from '../../src/client/socketcand.js';
import type { SocketcandTransport } from '../../src/client/socketcand.js';
import type { CanFrame } from '../../src/codec/frame.js';
import { startSocketcandServer } from '../../src/simulator/server.js';
import type { SocketcandServer } from '../../src/simulator/server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(options: Parameters<typeof startSocketcandServer>[0] = {}): Promise<SocketcandServer> {
  const s = await startSocketcandServer({ rawModeSettleMs: 10, ...options });
  cleanups.push(() => s.close());
  return s;
}
async function client(port: number, bus = 'can0'): Promise<SocketcandTransport> {
  const c = await connectSocketcand({ host: '127.0.0.1', port, bus, handshakeTimeoutMs: 3000 });
  cleanups.push(() => c.close());
  return c;
}
function next(c: SocketcandTransport): Promise<CanFrame> {
  return new Promise((resolve) => {
    const off = c.onFrame((f) => {
      off();
      resolve(f);
    });
  });
}

describe('socketcand server (ours) + socketcand transport (ours)', () => {
  it('relays each client frame to the other raw-mode clients of the bus, standard and extended ids', async () => {
    const s = await server();
    const a = await client(s.port);
    const b = await client(s.port);
    const c = await client(s.port);
    await new Promise((r) => setTimeout(r, 30));
    const atB = next(b);
    const atC = next(c);
    let atA = 0;
    a.onFrame(() => atA++);
    await a.send({ id: 0x0a100101, extended: true, data: Uint8Array.of(0xe1) });
    const fb = await atB;
    expect(fb).toMatchObject({ id: 0x0a100101, extended: true, data: Uint8Array.of(0xe1) });
    expect(Math.abs((fb.timestampMs ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(await atC).toMatchObject({ id: 0x0a100101, extended: true });
    expect(atA).toBe(0);
    expect(s.relayed.map((r) => r.frame.id)).toEqual([0x0a100101]);
    const inj = next(a);
    s.inject({ id: 0x181, extended: false, data: new Uint8Array(8) });
    expect(await inj).toMatchObject({ id: 0x181, extended: false, data: new Uint8Array(8) });
  });

  it('keeps many frames in order across TCP segment boundaries', async () => {
    const s = await server();
    const a = await client(s.port);
    const b = await client(s.port);
    await new Promise((r) => setTimeout(r, 30));
    const got: number[] = [];
    const done = new Promise<void>((resolve) => b.onFrame((f) => {
      got.push(f.data[0] ?? -1);
      if (got.length === 500) resolve();
    }));
    for (let i = 0; i < 500; i++) void a.send({ id: 0x200, extended: false, data: Uint8Array.of(i & 0xff, i >> 8) });
    await done;
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i & 0xff));
  });

  it('an unknown bus is refused with the server text (BB_CAN_SOCKETCAND_ERROR)', async () => {
    const s = await server({ buses: ['can0'] });
    await expect(connectSocketcand({ host: '127.0.0.1', port: s.port, bus: 'can7' })).rejects.toMatchObject({ code: 'BB_CAN_SOCKETCAND_ERROR', message: expect.stringContaining('could not open bus') });
  });

  it('a server that drops clients makes lost resolve with BB_CAN_CONNECTION_LOST; sends are then refused', async () => {
    const s = await server();
    const a = await client(s.port);
    s.dropClients();
    expect(await a.lost).toMatchObject({ code: 'BB_CAN_CONNECTION_LOST' });
    await expect(a.send({ id: 1, extended: false, data: new Uint8Array(0) })).rejects.toMatchObject({ code: 'BB_CAN_TRANSPORT_CLOSED' });
  });

  it('a malformed send is ignored and counted by our server, like socketcand', async () => {
    const s = await server();
    const port = s.port;
    const { connect } = await import('node:net');
    const sock = connect({ host: '127.0.0.1', port });
    cleanups.push(async () => void sock.destroy());
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    sock.write('< open can0 >< rawmode >< send 123 2 01 >< echo >');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (text.includes('< echo >')) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    expect(text).toBe('< hi >< ok >< ok >< echo >');
    expect(s.malformedSends()).toBe(1);
  });
});
