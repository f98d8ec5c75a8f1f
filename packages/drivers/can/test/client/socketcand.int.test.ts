/** The socketcand transport against scripted TCP peers: handshake faults and malformed streams. */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSocketcand } from '../../src/client/socketcand.js';
import type { SocketcandTransport } from '../../src/client/socketcand.js';
import type { CanFrame } from '../../src/codec/frame.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function client(port: number, bus = 'can0'): Promise<SocketcandTransport> {
  const c = await connectSocketcand({ host: '127.0.0.1', port, bus, handshakeTimeoutMs: 3000 });
  cleanups.push(() => c.close());
  return c;
}
/** A TCP server that answers with a fixed script, for handshake faults. */
async function scripted(onConnect: (write: (s: string) => void, end: () => void) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    onConnect((s) => sock.write(s), () => sock.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
  });
  return (srv.address() as AddressInfo).port;
}

describe('socketcand transport: faults', () => {
  it('connection refused is BB_CAN_CONNECT_FAILED (retriable)', async () => {
    const port = await scripted(() => {});
    for (const c of cleanups.splice(0).reverse()) await c(); // port now closed
    await expect(connectSocketcand({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'BB_CAN_CONNECT_FAILED', retriable: true });
  });

  it('a server that never greets is BB_CAN_HANDSHAKE_FAILED after the timeout', async () => {
    const port = await scripted(() => {});
    await expect(connectSocketcand({ host: '127.0.0.1', port, handshakeTimeoutMs: 200 })).rejects.toMatchObject({ code: 'BB_CAN_HANDSHAKE_FAILED', message: expect.stringContaining("step 'hi'") });
  });

  it('a wrong answer during the handshake is BB_CAN_HANDSHAKE_FAILED naming it', async () => {
    const port = await scripted((write) => write('< hi >< echo >'));
    await expect(connectSocketcand({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'BB_CAN_HANDSHAKE_FAILED', message: expect.stringContaining("got '< echo >'") });
  });

  it('garbage after the handshake loses the transport with BB_CAN_SOCKETCAND_MALFORMED; frames before it are delivered', async () => {
    let sendMore: ((s: string) => void) | undefined;
    const port = await scripted((write) => {
      sendMore = write;
      write('< hi >');
      setTimeout(() => write('< ok >'), 20);
      setTimeout(() => write('< ok >< frame 123 1.000000 01 >'), 40);
    });
    const c = await client(port);
    const got: CanFrame[] = [];
    c.onFrame((f) => got.push(f));
    await new Promise((r) => setTimeout(r, 50));
    sendMore?.('< frame 124 1.000000 02 >garbage');
    expect(await c.lost).toMatchObject({ code: 'BB_CAN_SOCKETCAND_MALFORMED' });
    expect(got.map((f) => f.id)).toEqual([0x123, 0x124]);
  });

});
