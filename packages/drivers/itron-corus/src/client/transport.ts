/**
 * The byte-stream seam between the Corus client and a link (itron-corus README §2): TCP (iflag's
 * only transport) or a serial line. Tests use TCP against the simulator; `serialport` is loaded
 * lazily, only when a serial transport is opened, so TCP works without it.
 */
import { Socket } from 'node:net';
import { CorusError } from '../errors.js';

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
   * Called after option select (README §2.2): a serial line switches to 8N1 at the negotiated
   * rate; TCP ignores it.
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

/** Serial options (README §2.2 [I]). */
export interface SerialTransportOptions {
  /** Device path, e.g. `/dev/ttyUSB0`. */
  readonly path: string;
  /** Sign-on baud rate (7E1). @default 1200 ([sevc]; IEC 62056-21 would start at 300) */
  readonly signOnBaudRate?: number;
  /** Session baud rate (8N1) when the device's Z character gives none or for fixed-speed links. @default signOnBaudRate */
  readonly sessionBaudRate?: number;
}

/** IEC 62056-21 baud characters '0'..'6' (README §2.2). */
export const IEC_BAUD_RATES: readonly number[] = [300, 600, 1200, 2400, 4800, 9600, 19200];

/**
 * A serial transport factory (README §2.2 [I]): sign-on at 7E1, then 8N1 for the binary frames.
 * `serialport` (optional dependency) is imported only when `open()` runs. Untested against a real
 * Corus: the line settings are inferred.
 */
export function serialTransport(options: SerialTransportOptions): CorusTransportFactory {
  return () => new SerialTransport(options);
}

interface MinimalSerialPort {
  open(cb: (e: Error | null) => void): void;
  write(b: Uint8Array, cb: (e: Error | null | undefined) => void): void;
  close(cb: (e: Error | null) => void): void;
  on(ev: 'data', l: (b: Buffer) => void): void;
  on(ev: 'close', l: (e?: Error) => void): void;
  removeAllListeners(): void;
  isOpen: boolean;
}

class SerialTransport implements CorusTransport {
  readonly description: string;
  private port: MinimalSerialPort | undefined;
  private dataListener: ((c: Uint8Array) => void) | undefined;
  private closeListener: ((e?: Error) => void) | undefined;
  private closing = false;

  constructor(private readonly options: SerialTransportOptions) {
    this.description = `serial://${options.path}`;
  }

  private async openPort(baudRate: number, dataBits: 7 | 8, parity: 'even' | 'none'): Promise<void> {
    let mod: { SerialPort: new (o: Record<string, unknown>) => MinimalSerialPort };
    try {
      mod = (await import('serialport')) as unknown as typeof mod;
    } catch (e) {
      throw new CorusError('BB_CORUS_SERIAL_UNAVAILABLE', 'the optional package "serialport" is not installed', { cause: e });
    }
    const port = new mod.SerialPort({ path: this.options.path, baudRate, dataBits, parity, stopBits: 1, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new CorusError('BB_CORUS_CONNECT_FAILED', `cannot open ${this.description}: ${e.message}`, { cause: e })) : resolve())));
    port.on('data', (b) => this.dataListener?.(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    port.on('close', (e) => {
      if (!this.closing) this.closeListener?.(e);
    });
    this.port = port;
  }

  open(): Promise<void> {
    return this.openPort(this.options.signOnBaudRate ?? 1200, 7, 'even');
  }

  async switchToSessionMode(baudRate: number | undefined): Promise<void> {
    const rate = this.options.sessionBaudRate ?? baudRate ?? this.options.signOnBaudRate ?? 1200;
    this.closing = true;
    await this.closePort();
    this.closing = false;
    await this.openPort(rate, 8, 'none');
  }

  write(bytes: Uint8Array): Promise<void> {
    const p = this.port;
    if (p === undefined || !p.isOpen) return Promise.reject(new CorusError('BB_CORUS_CONNECTION_CLOSED', `write to closed ${this.description}`));
    return new Promise((resolve, reject) => p.write(bytes, (e) => (e ? reject(new CorusError('BB_CORUS_CONNECTION_CLOSED', e.message, { cause: e })) : resolve())));
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  private closePort(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    if (p === undefined || !p.isOpen) return Promise.resolve();
    p.removeAllListeners();
    return new Promise((resolve) => p.close(() => resolve()));
  }

  close(): Promise<void> {
    this.closing = true;
    return this.closePort();
  }
}
