/**
 * Line transports of the RCI client (reference §6, vendor note: ASCII over Ethernet or RS232): a
 * TCP socket or a serial line behind one interface. A transport connects once and never
 * reconnects by itself; its loss is exposed as `lost` (the collector runtime supervises).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { BasytecError } from '../errors.js';

/** A byte pipe to the BaSyTec software. */
export interface LineTransport {
  /** Writes bytes; rejects when the transport is closed or failing. */
  write(data: Buffer): Promise<void>;
  /** Registers the receiver of incoming bytes (one receiver). */
  onData(cb: (chunk: Buffer) => void): void;
  /** Resolves (never rejects) with the reason once the transport is gone (peer closed, error, `close()`). */
  readonly lost: Promise<Error>;
  /** Whether the transport is open. */
  isOpen(): boolean;
  /** Closes; idempotent. */
  close(): Promise<void>;
}

/** TCP options. */
export interface TcpTransportOptions {
  readonly host: string;
  readonly port: number;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
}

/**
 * Opens a TCP transport.
 * @throws {BasytecError} `BB_BASYTEC_RCI_NOT_CONNECTED` when the connection cannot be opened in time.
 */
export function connectTcpTransport(o: TcpTransportOptions): Promise<LineTransport> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host: o.host, port: o.port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new BasytecError('BB_BASYTEC_RCI_NOT_CONNECTED', `RCI connect to ${o.host}:${o.port} timed out after ${o.connectTimeoutMs ?? 10_000} ms`, { outcome: 'not_sent', retriable: true, context: { host: o.host, port: o.port } }));
    }, o.connectTimeoutMs ?? 10_000);
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(new BasytecError('BB_BASYTEC_RCI_NOT_CONNECTED', `RCI connect to ${o.host}:${o.port} failed: ${err.message}`, { cause: err, outcome: 'not_sent', retriable: true, context: { host: o.host, port: o.port } }));
    });
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(streamTransport(sock, `${o.host}:${o.port}`));
    });
  });
}

/** Serial options (RS232). */
export interface SerialTransportOptions {
  readonly path: string;
  /** @default 9600 */
  readonly baudRate?: number;
}

/**
 * Opens a serial transport (`serialport`).
 * @throws {BasytecError} `BB_BASYTEC_RCI_NOT_CONNECTED` when the port cannot be opened.
 */
export function openSerialTransport(o: SerialTransportOptions): Promise<LineTransport> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: o.path, baudRate: o.baudRate ?? 9600, autoOpen: false });
    port.open((err) => {
      if (err !== null) {
        reject(new BasytecError('BB_BASYTEC_RCI_NOT_CONNECTED', `RCI serial port ${o.path}: ${err.message}`, { cause: err, outcome: 'not_sent', retriable: true, context: { path: o.path } }));
        return;
      }
      resolve(streamTransport(port, o.path));
    });
  });
}

interface DuplexLike {
  write(data: Buffer, cb: (err?: Error | null) => void): unknown;
  on(ev: 'data', cb: (b: Buffer) => void): unknown;
  on(ev: 'error', cb: (e: Error) => void): unknown;
  on(ev: 'close', cb: () => void): unknown;
  destroy(): unknown;
}

function streamTransport(s: DuplexLike, peer: string): LineTransport {
  let open = true;
  let resolveLost!: (e: Error) => void;
  const lost = new Promise<Error>((r) => (resolveLost = r));
  let receiver: ((b: Buffer) => void) | undefined;
  const gone = (e: Error): void => {
    if (!open) return;
    open = false;
    resolveLost(e);
  };
  s.on('data', (b) => receiver?.(b));
  s.on('error', (e) => gone(new BasytecError('BB_BASYTEC_RCI_CONNECTION_LOST', `RCI ${peer}: ${e.message}`, { cause: e, retriable: true, context: { peer } })));
  s.on('close', () => gone(new BasytecError('BB_BASYTEC_RCI_CONNECTION_LOST', `RCI ${peer} closed the connection`, { retriable: true, context: { peer } })));
  return {
    lost,
    isOpen: () => open,
    onData: (cb) => (receiver = cb),
    write: (data) =>
      new Promise((resolve, reject) => {
        if (!open) {
          reject(new BasytecError('BB_BASYTEC_RCI_NOT_CONNECTED', `RCI ${peer} is not open`, { outcome: 'not_sent', context: { peer } }));
          return;
        }
        s.write(data, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => {
      if (open) {
        gone(new BasytecError('BB_BASYTEC_RCI_CLOSED', `RCI ${peer} closed by the client`, { context: { peer } }));
        s.destroy();
      }
      return Promise.resolve();
    },
  };
}
