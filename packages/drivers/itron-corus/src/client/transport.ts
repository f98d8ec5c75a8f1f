/**
 * The byte-stream seam between the Corus client and a link (itron-corus README §2): TCP (iflag's
 * only transport) or a serial line. Tests use TCP against the simulator; `serialport` is loaded
 * lazily, only when a serial transport is opened, so TCP works without it.
 */
import { Socket } from 'node:net';
import { sleep } from '@busbar/core';
import { CorusError } from '../errors.js';
import { stripEvenParity, withEvenParity } from '../codec/sign-on.js';
import { corusSerialOptionsSchema, invalid, type CorusSerialOptions } from './options.js';

/** A byte stream to one converter. One instance per connection (not reusable after close). */
export interface CorusTransport {
  /** Human-readable endpoint for logs (`tcp://127.0.0.1:4000`, `serial:///dev/ttyUSB0`). */
  readonly description: string;
  /**
   * Opens the link.
   * @throws {CorusError} `BB_CORUS_CONNECT_FAILED`, `BB_CORUS_TIMEOUT`, `BB_CORUS_SERIAL_UNAVAILABLE`.
   */
  open(): Promise<void>;
  /** Writes bytes (resolves when handed to the OS). */
  write(bytes: Uint8Array): Promise<void>;
  /** Registers the receiver of incoming bytes (one receiver). */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Registers the listener of the link's end (remote close or error). */
  onClose(listener: (error?: Error) => void): void;
  /**
   * Called after the option select went out (README §2.2) with the rate its Z codes (`undefined`
   * for a Z outside the table): a serial line changes its speed on the open port; TCP has none.
   */
  switchToSessionMode?(baudRate: number | undefined): Promise<void>;
  /** Closes the link; idempotent. */
  close(): Promise<void>;
}

/** Creates a fresh transport for each session (connection). */
export type CorusTransportFactory = () => CorusTransport;

/** TCP options. */
export interface TcpTransportOptions {
  /** Host name or address. */
  readonly host: string;
  /** TCP port (the protocol defines none; README §2.1). */
  readonly port: number;
  /** Connect timeout, ms. @default 10000 (README §10) */
  readonly connectTimeoutMs?: number;
}

/** A TCP transport factory (README §2.1). */
export function tcpTransport(options: TcpTransportOptions): CorusTransportFactory {
  return () => new TcpTransport(options);
}

class TcpTransport implements CorusTransport {
  readonly description: string;
  private readonly socket = new Socket();
  private dataListener: ((c: Uint8Array) => void) | undefined;
  private closeListener: ((e?: Error) => void) | undefined;
  private closed = false;
  private lastError: Error | undefined;

  constructor(private readonly options: TcpTransportOptions) {
    this.description = `tcp://${options.host}:${options.port}`;
    this.socket.setNoDelay(true);
    this.socket.on('data', (c: Buffer) => this.dataListener?.(new Uint8Array(c.buffer, c.byteOffset, c.byteLength)));
    this.socket.on('error', (e) => {
      this.lastError = e;
    });
    this.socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.closeListener?.(this.lastError);
    });
  }

  open(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        reject(new CorusError('BB_CORUS_TIMEOUT', `TCP connect to ${this.description} timed out after ${timeoutMs} ms`, { context: { endpoint: this.description }, outcome: 'not_sent' }));
      }, timeoutMs);
      const onError = (e: Error): void => {
        clearTimeout(timer);
        reject(new CorusError('BB_CORUS_CONNECT_FAILED', `TCP connect to ${this.description} failed: ${e.message}`, { cause: e, context: { endpoint: this.description } }));
      };
      this.socket.once('error', onError);
      this.socket.connect(this.options.port, this.options.host, () => {
        clearTimeout(timer);
        this.socket.off('error', onError);
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new CorusError('BB_CORUS_CONNECTION_CLOSED', `write to closed ${this.description}`, { outcome: 'not_sent' }));
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (e) => (e ? reject(new CorusError('BB_CORUS_CONNECTION_CLOSED', `write to ${this.description} failed: ${e.message}`, { cause: e })) : resolve()));
    });
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 200).unref();
    });
  }
}

/** A line setting the serial transport applied, reported to {@link SerialTransportOptions.onLineEvent}. */
export type SerialLineEvent =
  | { readonly kind: 'open'; readonly baudRate: number; readonly dataBits: 8; readonly parity: 'none'; readonly stopBits: 1 }
  | { readonly kind: 'update'; readonly baudRate: number }
  | { readonly kind: 'close' };

/** Serial options (README §2.2 [I]): the line settings of {@link CorusSerialOptions} and the port. */
export interface SerialTransportOptions extends CorusSerialOptions {
  /** Device path, e.g. `/dev/ttyUSB0`. */
  readonly path: string;
  /** Observer of the settings the transport asks of the port (logs, tests). */
  readonly onLineEvent?: (event: SerialLineEvent) => void;
}

/**
 * A serial transport factory (README §2.2 [I]). The port is opened once, at the sign-on speed and
 * 8N1, and stays open for the whole session: the 7E1 sign-on characters are sent and checked with
 * their even parity in bit 7 (the same 10 bits on the wire), and after the option select only the
 * speed changes (serialport `port.update({ baudRate })`, after the option select has left the UART)
 * — never a close and reopen, which would drop DTR/RTS and may reset a modem or optical head.
 * Input already waiting when the port opens (late bytes of an earlier session) is discarded.
 * `serialport` (optional dependency) is imported only when `open()` runs. Untested against a real
 * Corus: the line settings are inferred.
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` for invalid line options (when called).
 */
export function serialTransport(options: SerialTransportOptions): CorusTransportFactory {
  const r = corusSerialOptionsSchema.safeParse(options);
  if (!r.success) throw invalid(`serial options of ${options.path}`, r.error);
  const line = r.data;
  return () => new SerialTransport(options, line);
}

interface MinimalSerialPort {
  open(cb: (e: Error | null) => void): void;
  write(b: Uint8Array, cb: (e: Error | null | undefined) => void): void;
  drain(cb: (e: Error | null) => void): void;
  flush(cb: (e: Error | null) => void): void;
  update(o: { baudRate: number }, cb: (e: Error | null) => void): void;
  close(cb: (e: Error | null) => void): void;
  on(ev: 'data', l: (b: Buffer) => void): void;
  on(ev: 'close', l: (e?: Error) => void): void;
  on(ev: 'error', l: (e: Error) => void): void;
  removeAllListeners(): void;
  isOpen: boolean;
}

const call = (f: (cb: (e: Error | null | undefined) => void) => void, what: string, description: string): Promise<void> =>
  new Promise((resolve, reject) => f((e) => (e ? reject(new CorusError('BB_CORUS_CONNECTION_CLOSED', `${what} on ${description} failed: ${e.message}`, { cause: e })) : resolve())));

class SerialTransport implements CorusTransport {
  readonly description: string;
  private port: MinimalSerialPort | undefined;
  private dataListener: ((c: Uint8Array) => void) | undefined;
  private closeListener: ((e?: Error) => void) | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  /** Sign-on phase: 7E1 characters carried on the 8N1 port with their parity in bit 7. */
  private signOn = true;
  private received = 0;

  constructor(
    private readonly options: SerialTransportOptions,
    private readonly line: { readonly signOnBaudRate: number; readonly sessionBaudRate?: number | undefined; readonly baudSwitchDelayMs: number },
  ) {
    this.description = `serial://${options.path}`;
  }

  async open(): Promise<void> {
    let mod: { SerialPort: new (o: Record<string, unknown>) => MinimalSerialPort };
    try {
      mod = (await import('serialport')) as unknown as typeof mod;
    } catch (e) {
      throw new CorusError('BB_CORUS_SERIAL_UNAVAILABLE', 'the optional package "serialport" is not installed', { cause: e });
    }
    const baudRate = this.line.signOnBaudRate;
    const port = new mod.SerialPort({ path: this.options.path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new CorusError('BB_CORUS_CONNECT_FAILED', `cannot open ${this.description}: ${e.message}`, { cause: e })) : resolve())));
    this.options.onLineEvent?.({ kind: 'open', baudRate, dataBits: 8, parity: 'none', stopBits: 1 });
    await call((cb) => port.flush(cb), 'flush', this.description).catch(() => undefined);
    port.on('data', (b) => this.receive(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    port.on('error', () => undefined); // surfaced by 'close' or the failed call
    port.on('close', (e) => {
      if (!this.closing) this.closeListener?.(e);
    });
    this.port = port;
  }

  private receive(chunk: Uint8Array): void {
    if (!this.signOn) return this.dataListener?.(chunk);
    let bytes: Uint8Array;
    try {
      bytes = stripEvenParity(chunk, this.received);
    } catch (e) {
      // a wrong-parity sign-on character: the line is not what §2.2 says; end the link with it
      this.closeListener?.(e as Error);
      void this.close();
      return;
    }
    this.received += chunk.length;
    this.dataListener?.(bytes);
  }

  /**
   * After the option select (README §2.2): waits until it has left the UART, then changes only the
   * speed — to the configured session rate, else the rate Z codes — and leaves sign-on framing.
   * @throws {CorusError} `BB_CORUS_BAUD_UNSUPPORTED` when Z codes no rate and none is configured;
   *   `BB_CORUS_CONNECTION_CLOSED` when the port fails.
   */
  async switchToSessionMode(baudRate: number | undefined): Promise<void> {
    const p = this.port;
    if (p === undefined || !p.isOpen) throw new CorusError('BB_CORUS_CONNECTION_CLOSED', `${this.description} is not open`);
    const rate = this.line.sessionBaudRate ?? baudRate;
    if (rate === undefined) throw new CorusError('BB_CORUS_BAUD_UNSUPPORTED', `the option select's Z codes no IEC 62056-21 baud rate and no sessionBaudRate is configured for ${this.description}`, { retriable: false });
    await call((cb) => p.drain(cb), 'drain', this.description);
    if (this.line.baudSwitchDelayMs > 0) await sleep(this.line.baudSwitchDelayMs);
    this.signOn = false;
    if (rate !== this.line.signOnBaudRate) {
      await call((cb) => p.update({ baudRate: rate }, cb), `baud rate ${rate}`, this.description);
      this.options.onLineEvent?.({ kind: 'update', baudRate: rate });
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    const p = this.port;
    if (p === undefined || !p.isOpen) return Promise.reject(new CorusError('BB_CORUS_CONNECTION_CLOSED', `write to closed ${this.description}`, { outcome: 'not_sent' }));
    let out = bytes;
    if (this.signOn) {
      try {
        out = withEvenParity(bytes);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    return call((cb) => p.write(out, cb), 'write', this.description);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  /** Closes the port once; later calls return the same promise. */
  close(): Promise<void> {
    this.closing = true;
    if (this.closed !== undefined) return this.closed;
    const p = this.port;
    this.port = undefined;
    if (p === undefined || !p.isOpen) return (this.closed = Promise.resolve());
    p.removeAllListeners();
    p.on('error', () => undefined);
    return (this.closed = new Promise((resolve) =>
      p.close(() => {
        this.options.onLineEvent?.({ kind: 'close' });
        resolve();
      }),
    ));
  }
}
