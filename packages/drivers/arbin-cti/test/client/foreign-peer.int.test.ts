/**
 * Another service on the CTI port (README §3.2: a cycler's feedback starts with the token DD…DD 11):
 * the client says what it received as soon as the first bytes arrive, instead of a login timeout
 * after 10 s. Raw TCP servers answer the login with an HTTP error, an SSH banner and random bytes.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ArbinCtiClient } from '../../src/index.js';

const creds = { username: 'busbar', password: 'pw' };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Connections each foreign server accepted, by port. */
const accepted = new Map<number, number>();

/** A server that writes `answer` (in `pieces`) once it receives anything, or right away for a banner; counts connections in {@link accepted}. */
async function foreign(answer: Buffer, opts: { banner?: boolean; pieces?: number } = {}): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    const port = (server.address() as AddressInfo).port;
    accepted.set(port, (accepted.get(port) ?? 0) + 1);
    s.on('error', () => undefined);
    const send = (): void => {
      const n = opts.pieces ?? 1;
      const size = Math.ceil(answer.length / n);
      for (let i = 0; i < answer.length; i += size) s.write(answer.subarray(i, i + size));
    };
    if (opts.banner === true) send();
    else s.once('data', send);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => {
    sockets.forEach((s) => s.destroy());
    server.close(() => r());
  }));
  return (server.address() as AddressInfo).port;
}

function client(port: number): ArbinCtiClient {
  // default timeouts (10 s): the answer must not wait for them
  const c = new ArbinCtiClient({ host: '127.0.0.1', port, credentials: creds });
  cleanup.push(() => c.close());
  return c;
}

describe('Client > a non-CTI peer on the port', () => {
  it('HTTP answer → BB_ARBIN_BAD_TOKEN naming the byte count, the first bytes and HTTP', async () => {
    const http = Buffer.from('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    const port = await foreign(http);
    const err = await client(port).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BB_ARBIN_BAD_TOKEN', context: { received: http.length, hex: http.subarray(0, 16).toString('hex') } });
    expect((err as Error).message).toBe(`127.0.0.1:${port} received ${http.length} bytes that are not an Arbin CTI frame: 48 54 54 50 2F 31 2E 31 … (HTTP?); is another service listening on the CTI port?`);
  });

  it('an SSH banner sent before the login, in pieces → said at once', async () => {
    const port = await foreign(Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'), { banner: true, pieces: 3 });
    const err = await client(port).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BB_ARBIN_BAD_TOKEN' });
    expect((err as Error).message).toMatch(/received \d+ bytes that are not an Arbin CTI frame: 53 53 48 2D 32 2E 30 2D … \(SSH\?\)/);
  });

  it('garbage without a known opening → the bytes, no guess; the client is spent: lost settles with it, no second connection', async () => {
    const port = await foreign(Buffer.from([0x00, 0x01, 0x02, 0xff, 0xdd]));
    const c = client(port);
    const err = await c.connect().catch((e: unknown) => e);
    expect((err as Error).message).toBe(`127.0.0.1:${port} received 5 bytes that are not an Arbin CTI frame: 00 01 02 FF DD; is another service listening on the CTI port?`);
    expect(await c.lost).toBe(err);
    await expect(c.connect()).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent', cause: err });
    await expect(c.getSerialNumber()).rejects.toMatchObject({ code: 'BB_ARBIN_CONNECTION_LOST', outcome: 'not_sent' });
    expect(accepted.get(port)).toBe(1);
  });
});
