/**
 * A {@link CanTransport} over the socketcand TCP protocol in raw mode (linux-can/socketcand
 * `doc/protocol.md`): connect, wait `< hi >`, `< open BUS >` → `< ok >`, `< rawmode >` → `< ok >`;
 * then every bus frame arrives as `< frame ... >` and `< send ... >` puts one on the bus. This is
 * what python-can's `socketcand` interface speaks, and what a socketcand daemon on the rig's
 * computer serves in production.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { noopLogger } from '@busbar/core';
import type { Logger } from '@busbar/core';
import type { CanFrame } from '../codec/frame.js';
import { encodeSend, parseElement, SocketcandFramer } from '../codec/socketcand.js';
import type { SocketcandElement } from '../codec/socketcand.js';
import { CanError } from '../errors.js';
import { FrameHub } from './transport.js';
import type { CanTransport } from './transport.js';

/** socketcand's default TCP port (socketcand README / `-p` option). */
export const DEFAULT_SOCKETCAND_PORT = 29536;
/** Time allowed for connect + handshake, ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;

/** Options of {@link connectSocketcand}. */
export interface SocketcandOptions {
  /** Server host, e.g. `127.0.0.1` or the rig computer. */
  readonly host: string;
  /** Server port. @default 29536 */
  readonly port?: number;
  /** CAN interface name on the server, at most 16 characters (protocol.md "open"). @default 'can0' */
  readonly bus?: string;
  /** Connect + handshake timeout, ms. @default 5000 */
  readonly handshakeTimeoutMs?: number;
  /** Logger (context: host, port, bus). */
  readonly logger?: Logger;
}

/**
 * Connects to a socketcand server, opens `bus` and switches to raw mode.
 * @returns the transport, receiving every frame of the bus.
 * @throws {CanError} `BB_CAN_CONNECT_FAILED` (TCP), `BB_CAN_SOCKETCAND_ERROR` (the server refused the
 *   bus), `BB_CAN_HANDSHAKE_FAILED` (unexpected answer or timeout), `BB_CAN_INVALID_ARGUMENT` (bus name).
 */
export async function connectSocketcand(options: SocketcandOptions): Promise<SocketcandTransport> {
  const port = options.port ?? DEFAULT_SOCKETCAND_PORT;
  const bus = options.bus ?? 'can0';
  if (!/^[A-Za-z0-9_.-]{1,16}$/.test(bus)) throw new CanError('BB_CAN_INVALID_ARGUMENT', `bus name ${JSON.stringify(bus)} must be 1..16 characters without spaces or < > (socketcand protocol.md "open")`);
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const logger = (options.logger ?? noopLogger).child({ transport: 'socketcand', host: options.host, port, bus });
  const socket = connect({ host: options.host, port, noDelay: true });
  const framer = new SocketcandFramer();
  const ctx = { host: options.host, port, bus };

  return new Promise<SocketcandTransport>((resolve, reject) => {
    let step: 'connect' | 'hi' | 'open' | 'rawmode' = 'connect';
    const fail = (err: CanError): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new CanError('BB_CAN_HANDSHAKE_FAILED', `socketcand ${options.host}:${port}: no ${step === 'connect' ? 'connection' : `answer at step '${step}'`} within ${timeoutMs} ms`, { retriable: true, context: { ...ctx, step } })), timeoutMs);
    socket.once('connect', () => {
      step = 'hi';
    });
    socket.on('error', (err) => {
      if (step === 'connect') fail(new CanError('BB_CAN_CONNECT_FAILED', `cannot connect to socketcand ${options.host}:${port}: ${err.message}`, { cause: err, retriable: true, context: ctx }));
      else fail(new CanError('BB_CAN_HANDSHAKE_FAILED', `socketcand ${options.host}:${port} failed during '${step}': ${err.message}`, { cause: err, retriable: true, context: { ...ctx, step } }));
    });
    socket.on('close', () => fail(new CanError('BB_CAN_HANDSHAKE_FAILED', `socketcand ${options.host}:${port} closed the connection during '${step}'`, { retriable: true, context: { ...ctx, step } })));
    const onData = (chunk: Buffer): void => {
      let bodies: string[];
      try {
        bodies = framer.push(chunk);
      } catch (err) {
        fail(err as CanError);
        return;
      }
      for (let i = 0; i < bodies.length; i++) {
        if (step === 'connect') step = 'hi';
        let el: SocketcandElement;
        try {
          el = parseElement(bodies[i] as string);
        } catch (err) {
          fail(err as CanError);
          return;
        }
        if (el.kind === 'error') {
          fail(new CanError('BB_CAN_SOCKETCAND_ERROR', `socketcand ${options.host}:${port} refused '${step}': ${el.text}`, { context: { ...ctx, step } }));
          return;
        }
        const expected = step === 'hi' ? 'hi' : 'ok';
        if (el.kind !== expected) {
          fail(new CanError('BB_CAN_HANDSHAKE_FAILED', `socketcand ${options.host}:${port}: expected '< ${expected} >' at step '${step}', got '< ${bodies[i] ?? ''} >'`, { context: { ...ctx, step } }));
          return;
        }
        if (step === 'hi') {
          step = 'open';
          socket.write(`< open ${bus} >`);
        } else if (step === 'open') {
          step = 'rawmode';
          socket.write('< rawmode >');
        } else {
          clearTimeout(timer);
          socket.removeAllListeners();
          const transport = new SocketcandTransport(socket, framer, logger, ctx);
          logger.info({}, 'socketcand raw mode open');
          resolve(transport);
          // Elements that arrived with the final ok belong to the transport: hand them over once the
          // caller has had the chance to attach listeners.
          const rest = bodies.slice(i + 1);
          setImmediate(() => {
            try {
              transport.handleBodies(rest);
              framer.throwFault();
            } catch (err) {
              transport.lose(err as CanError);
            }
          });
          return;
        }
      }
      try {
        framer.throwFault();
      } catch (err) {
        fail(err as CanError);
      }
    };
    socket.on('data', onData);
  });
}

/** The socketcand raw-mode transport; create it with {@link connectSocketcand}. */
export class SocketcandTransport implements CanTransport {
  readonly kind = 'socketcand';
  private readonly hub = new FrameHub();
  readonly lost: Promise<Error> = this.hub.lost;
  /** `< error ... >` elements received in raw mode (socketcand sends CAN error frames this way). */
  errorElements = 0;

  /** @internal use {@link connectSocketcand}. */
  constructor(private readonly socket: Socket, private readonly framer: SocketcandFramer, private readonly logger: Logger, private readonly ctx: Readonly<Record<string, string | number>>) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.handleBodies(this.framer.push(chunk));
        this.framer.throwFault();
      } catch (err) {
        this.lose(err as CanError);
      }
    });
    socket.on('error', (err) => this.lose(new CanError('BB_CAN_CONNECTION_LOST', `socketcand connection failed: ${err.message}`, { cause: err, retriable: true, context: ctx })));
    socket.on('close', () => this.lose(new CanError('BB_CAN_CONNECTION_LOST', 'socketcand server closed the connection', { retriable: true, context: ctx })));
  }

  /** @internal */
  handleBodies(bodies: readonly string[]): void {
    for (const body of bodies) {
      let el: SocketcandElement;
      try {
        el = parseElement(body);
      } catch (err) {
        this.lose(err as CanError);
        return;
      }
      if (el.kind === 'frame') this.hub.deliver(el.frame);
      else if (el.kind === 'error') {
        this.errorElements++;
        this.logger.warn({ element: body.slice(0, 80) }, 'socketcand reported an error');
      } else this.logger.debug({ element: body.slice(0, 80) }, 'socketcand element ignored');
    }
  }

  /** @internal */
  lose(err: CanError): void {
    if (this.hub.ended !== undefined) return;
    this.logger.warn({ code: err.code, err: err.message }, 'socketcand transport lost');
    this.hub.fail(err);
    this.socket.destroy();
  }

  /** @inheritdoc */
  async send(frame: CanFrame): Promise<void> {
    this.hub.assertOpen(this.kind);
    const line = encodeSend(frame);
    await new Promise<void>((resolve, reject) => {
      this.socket.write(line, (err) => (err == null ? resolve() : reject(new CanError('BB_CAN_CONNECTION_LOST', `socketcand write failed: ${err.message}`, { cause: err, context: this.ctx }))));
    });
  }
  /** @inheritdoc */
  onFrame(listener: (frame: CanFrame) => void): () => void {
    return this.hub.onFrame(listener);
  }
  /** @inheritdoc */
  frames(): AsyncIterableIterator<CanFrame> {
    return this.hub.frames();
  }
  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.hub.ended !== undefined && this.socket.destroyed) return;
    this.hub.closeHub();
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      const kill = setTimeout(() => this.socket.destroy(), 1000);
      this.socket.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      this.socket.end();
    });
  }
}
