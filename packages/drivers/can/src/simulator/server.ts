/**
 * A socketcand-protocol server of our own: a virtual CAN bus on 127.0.0.1 for tests and demos
 * where the kernel has no CAN. It speaks the raw-mode subset of linux-can/socketcand
 * `doc/protocol.md` (greeting `< hi >`; `< open BUS >` → `< ok >` or `< error could not open bus >`
 * and close; `< rawmode >` → `< ok >`; `< echo >`; `< send ... >` → `< frame ... >` to every other
 * raw-mode client of the same bus; anything else → `< error unknown command >`). BCM commands
 * (add/update/subscribe/filter) are not implemented.
 *
 * Like socketcand, a malformed `send` is ignored (and counted); a byte stream that is not `< ... >`
 * elements closes that client. A client switched to raw mode gets frames only after
 * `rawModeSettleMs`, so that its `< ok >` travels alone (python-can reads the answer to each
 * handshake step with one `recv` and compares it whole).
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { noopLogger } from '@busbar/core';
import type { Logger } from '@busbar/core';
import type { CanFrame } from '../codec/frame.js';
import { encodeFrameElement, parseElement, SocketcandFramer } from '../codec/socketcand.js';
import { CanError } from '../errors.js';

/** Options of {@link startSocketcandServer}. */
export interface SocketcandServerOptions {
  /** Listen address. @default '127.0.0.1' */
  readonly host?: string;
  /** Listen port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Bus names clients may open. @default ['can0'] */
  readonly buses?: readonly string[];
  /** Delay between a client's rawmode `< ok >` and its first relayed frame, ms. @default 50 */
  readonly rawModeSettleMs?: number;
  /** Logger. */
  readonly logger?: Logger;
}

/** A frame the server relayed, for tests: which client sent it and on which bus. */
export interface RelayedFrame {
  readonly bus: string;
  readonly from: number;
  readonly frame: CanFrame;
}

/** A running server. */
export interface SocketcandServer {
  readonly host: string;
  readonly port: number;
  /** Raw-mode clients currently connected (all buses). */
  rawClients(): number;
  /** Every frame clients sent, in order (bounded to the last 10 000). */
  readonly relayed: readonly RelayedFrame[];
  /** `< send >` elements ignored as malformed. */
  malformedSends(): number;
  /** Puts a frame on a bus as if a node sent it (every raw-mode client of that bus receives it). */
  inject(frame: CanFrame, bus?: string): void;
  /** Drops every client connection (the clients see their bus lost); the server keeps listening. */
  dropClients(): void;
  /** Stops listening and closes every client. */
  close(): Promise<void>;
}

interface Client {
  readonly n: number;
  readonly socket: Socket;
  bus: string | undefined;
  raw: boolean;
  ready: boolean;
  pending: string[];
}

/**
 * Starts the server.
 * @throws {CanError} `BB_CAN_INVALID_ARGUMENT` for an empty bus list or a bad port; listen errors as `BB_CAN_CONNECT_FAILED`.
 */
export async function startSocketcandServer(options: SocketcandServerOptions = {}): Promise<SocketcandServer> {
  const host = options.host ?? '127.0.0.1';
  const buses = new Set(options.buses ?? ['can0']);
  if (buses.size === 0) throw new CanError('BB_CAN_INVALID_ARGUMENT', 'buses must name at least one bus');
  const settleMs = options.rawModeSettleMs ?? 50;
  const logger = (options.logger ?? noopLogger).child({ component: 'socketcand-sim' });
  const clients = new Set<Client>();
  const relayed: RelayedFrame[] = [];
  let malformed = 0;
  let counter = 0;

  const deliver = (c: Client, line: string): void => {
    if (c.socket.destroyed) return;
    if (!c.ready) {
      c.pending.push(line);
      return;
    }
    c.socket.write(line);
  };
  const relay = (bus: string, frame: CanFrame, from: Client | undefined): void => {
    relayed.push({ bus, from: from?.n ?? 0, frame });
    if (relayed.length > 10_000) relayed.shift();
    const line = encodeFrameElement(frame, Date.now());
    for (const c of clients) if (c !== from && c.raw && c.bus === bus) deliver(c, line);
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const c: Client = { n: ++counter, socket, bus: undefined, raw: false, ready: false, pending: [] };
    clients.add(c);
    const framer = new SocketcandFramer();
    socket.on('error', () => {});
    socket.on('close', () => clients.delete(c));
    socket.write('< hi >');
    socket.on('data', (chunk: Buffer) => {
      let bodies: string[];
      try {
        bodies = framer.push(chunk);
      } catch (err) {
        logger.warn({ client: c.n, err: (err as Error).message }, 'closing client: not socketcand framing');
        socket.destroy();
        return;
      }
      for (const body of bodies) {
        let el;
        try {
          el = parseElement(body);
        } catch {
          malformed++;
          continue; // socketcand ignores a malformed send (state_raw.c: "Syntax error in send command")
        }
        if (c.bus === undefined) {
          if (el.kind === 'open' && buses.has(el.bus)) {
            c.bus = el.bus;
            socket.write('< ok >');
          } else if (el.kind === 'open') {
            socket.end('< error could not open bus >');
          } else if (el.kind === 'echo') socket.write('< echo >');
          else socket.write('< error unknown command >');
          continue;
        }
        if (el.kind === 'rawmode') {
          c.raw = true;
          socket.write('< ok >');
          setTimeout(() => {
            c.ready = true;
            const lines = c.pending.splice(0);
            if (lines.length > 0 && !socket.destroyed) socket.write(lines.join(''));
          }, settleMs).unref();
        } else if (el.kind === 'send') {
          if (c.raw) relay(c.bus, el.frame, c);
          else socket.write('< error unknown command >');
        } else if (el.kind === 'echo') socket.write('< echo >');
        else socket.write('< error unknown command >');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new CanError('BB_CAN_CONNECT_FAILED', `socketcand simulator cannot listen on ${host}:${options.port ?? 0}: ${err.message}`, { cause: err })));
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host, port }, 'socketcand simulator listening');
  return {
    host,
    port,
    relayed,
    rawClients: () => [...clients].filter((c) => c.raw).length,
    malformedSends: () => malformed,
    inject: (frame, bus = [...buses][0] ?? 'can0') => relay(bus, frame, undefined),
    dropClients: () => {
      for (const c of clients) c.socket.destroy();
    },
    close: async () => {
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
