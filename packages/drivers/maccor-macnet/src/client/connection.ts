/**
 * One TCP connection to a MacNet listener with one request in flight and a per-request timeout
 * (Maccor MacNet reference §3.1-§3.5, §11 "Implications"). It **connects once** (on {@link
 * RequestConnection.connect} or the first request) and never reconnects: when the socket goes (peer
 * close, timeout, stream fault) or cannot be opened, {@link RequestConnection.lost} settles, queued
 * requests fail with BB_MACCOR_CONNECTION_LOST (`not_sent`) and so do later ones. Reconnecting is the
 * collector runtime's job (`@busbar/supervisor`), which opens a new client.
 *
 * - Requests queue; commands (`priority: 'command'`) go before polls.
 * - Each request is written in ONE `socket.write()` (MaccorSpoofer treats each read as a message, §13).
 * - Replies are framed by a stream decoder (JSON brace matcher or binary header+Len), never one per read.
 * - On timeout, framing error, reply mismatch or peer close the socket is destroyed, so a late reply
 *   cannot be taken for the next request; the connection is lost.
 * - When the peer closes mid-request the request fails at once (no busy loop, unlike pymacnet §11).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { noopLogger, noopMetrics, errorCode, systemClock } from '@busbar/core';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { MaccorError, withOutcome } from '../errors.js';
import { RequestQueue } from './request-queue.js';
import type { RequestJob, RequestPriority } from './request-queue.js';

/** A stream decoder (JSON or binary framing). */
export interface StreamDecoder<M> {
  push(chunk: Uint8Array, emit: (message: M) => void): void;
  reset(): void;
}

/** Options of {@link RequestConnection}. */
export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Reply timeout per request, ms (default 5000; reference §3.4 suggests ≥ 5 s). */
  readonly requestTimeoutMs?: number;
  /** TCP connect timeout, ms (default 3000). */
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  /** Label for logs and metrics: `json` or `binary`. */
  readonly transport?: string;
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides the connection's request timeout, ms. */
  readonly timeoutMs?: number;
  /** Commands jump ahead of queued polls (reference §12 "Give commands priority"). */
  readonly priority?: RequestPriority;
  /**
   * Called when the request reaches the wire, after any wait in the queue and for the connection,
   * immediately before its bytes are written. A throw fails the request with that error and nothing is
   * written (the caller uses it to refuse a command that expired while it waited).
   */
  readonly beforeWrite?: () => void;
}

/** Connection events. */
export interface ConnectionEvents {
  connected: [{ host: string; port: number }];
  disconnected: [{ host: string; port: number; reason: string }];
}

/** Message suffix of an unanswered command (FClass 6 changes the tester's state, reference §6). */
function mayHaveExecuted(label: string): string {
  return label.startsWith('6,') ? '; the request was sent: the tester may have executed it' : '';
}

/** A request/response connection over TCP, generic in its framing (see module doc). */
export class RequestConnection<M> extends EventEmitter<ConnectionEvents> {
  private socket: net.Socket | undefined;
  private readonly queue: RequestQueue<RequestJob<M>>;
  /** The socket being opened (the one connect attempt). */
  private opening: Promise<net.Socket> | undefined;
  /** Set when the connection was lost (or could not be opened): nothing more is sent. */
  private lostError: MaccorError | undefined;
  private settleLost: (err: Error) => void = () => undefined;
  /** Settles (never rejects) with the reason when the connection is lost or could not be opened; not on {@link close}. */
  readonly lost: Promise<Error>;
  private inflight: { onMessage: (m: M) => void; onError: (e: unknown) => void } | undefined;
  private inflightLabel: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly transport: string;
  private readonly mReconnects;

  /**
   * @param options - host, port, timeouts, logger, metrics.
   * @param decoder - framing of replies on this stream.
   */
  constructor(private readonly options: ConnectionOptions, private readonly decoder: StreamDecoder<M>) {
    super();
    this.lost = new Promise<Error>((resolve) => (this.settleLost = resolve));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    this.transport = options.transport ?? 'json';
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? noopLogger).child({ component: 'maccor-macnet', host: options.host, port: options.port, transport: this.transport });
    const metrics: Metrics = options.metrics ?? noopMetrics;
    this.queue = new RequestQueue<RequestJob<M>>({
      transport: this.transport,
      run: (job) => this.run(job),
      abortInFlight: (err) => this.inflight?.onError(withOutcome(err, 'unknown')), // in flight = written
      metrics,
      clock: this.clock,
    });
    this.mReconnects = metrics.counter({ name: 'busbar_maccor_connects_total', help: 'MacNet TCP connection attempts by outcome.', labelNames: ['transport', 'outcome'] });
  }

  /** Whether a socket is currently open. */
  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /**
   * Queues one request. `payload` is written in one write; `match` turns the first framed reply into
   * the result or throws (a throw also resets the connection when the error is a mismatch or framing fault).
   * @throws MaccorError BB_MACCOR_CONNECT_FAILED, BB_MACCOR_CONNECTION_LOST (lost before it was
   *   written), BB_MACCOR_CLIENT_CLOSED (queued: outcome `not_sent`),
   *   BB_MACCOR_TIMEOUT, BB_MACCOR_CONNECTION_CLOSED, BB_MACCOR_CLIENT_CLOSED (in flight), framing
   *   faults (outcome `unknown`; a command's message says the tester may have executed it), or whatever
   *   `match` or `opts.beforeWrite` throws (the latter before anything is written, unchanged).
   */
  request<R>(payload: Uint8Array, label: string, match: (message: M) => R, opts: RequestOptions = {}): Promise<R> {
    if (this.lostError !== undefined) return Promise.reject(this.lostError);
    const job: RequestJob<M> = { payload, label, match, timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs, beforeWrite: opts.beforeWrite };
    return this.queue.enqueue<R>(job, opts.priority ?? 'poll');
  }

  /**
   * Opens the connection (once; a second call waits for the same attempt).
   *
   * @throws MaccorError BB_MACCOR_CONNECT_FAILED (the connection is then lost for good),
   *   BB_MACCOR_CONNECTION_LOST (it was lost before), BB_MACCOR_CLIENT_CLOSED.
   */
  async connect(): Promise<void> {
    await this.ensureSocket();
  }

  /** Closes the socket; queued and in-flight requests fail with BB_MACCOR_CLIENT_CLOSED. Does not settle {@link lost}. */
  close(): void {
    this.queue.close();
    this.drop('closed by client', false);
  }

  /** Destroys the socket; unless the client closed it, the connection is lost for good (see module doc). */
  private drop(reason: string, lost = true): void {
    if (lost) this.markLost(new MaccorError('BB_MACCOR_CONNECTION_LOST', `the MacNet connection to ${this.options.host}:${this.options.port} was lost (${reason}); this client does not reconnect: nothing was sent`, { retriable: true, context: { host: this.options.host, port: this.options.port, reason } }));
    const s = this.socket;
    if (!s) return;
    this.socket = undefined;
    this.decoder.reset();
    s.removeAllListeners('data');
    s.destroy();
    this.log.info({ reason }, 'MacNet connection dropped');
    this.emit('disconnected', { host: this.options.host, port: this.options.port, reason });
  }

  private markLost(err: MaccorError): void {
    if (this.lostError !== undefined || this.queue.closed) return;
    this.lostError = err;
    this.queue.close(err);
    this.settleLost(err);
  }

  private ensureSocket(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.lostError !== undefined) return Promise.reject(this.lostError);
    if (this.queue.closed) return Promise.reject(new MaccorError('BB_MACCOR_CLIENT_CLOSED', 'the MacNet client is closed'));
    this.opening ??= this.open();
    return this.opening;
  }

  private async open(): Promise<net.Socket> {
    const { host, port } = this.options;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new MaccorError('BB_MACCOR_CONNECT_FAILED', `connect to ${host}:${port} timed out after ${this.connectTimeoutMs} ms`, { retriable: true, context: { host, port } }));
      }, this.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (cause) => {
        clearTimeout(timer);
        reject(new MaccorError('BB_MACCOR_CONNECT_FAILED', `connect to ${host}:${port} failed: ${cause.message}`, { retriable: true, cause, context: { host, port } }));
      });
    }).catch((err: unknown) => {
      this.mReconnects.inc({ transport: this.transport, outcome: 'failed' });
      this.log.warn({ err }, 'MacNet connect failed');
      this.markLost(new MaccorError('BB_MACCOR_CONNECTION_LOST', `the MacNet connection to ${host}:${port} could not be opened (${(err as Error).message}); this client does not retry: nothing was sent`, { retriable: true, cause: err, context: { host, port } }));
      throw err;
    });
    if (this.queue.closed) {
      socket.destroy();
      throw new MaccorError('BB_MACCOR_CLIENT_CLOSED', 'the MacNet client is closed');
    }
    socket.setNoDelay(true);
    this.decoder.reset();
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err) => this.log.warn({ err }, 'MacNet socket error'));
    socket.on('close', () => {
      if (this.socket === socket) {
        this.inflight?.onError(new MaccorError('BB_MACCOR_CONNECTION_CLOSED', `${host}:${port} closed the connection during a request${this.inflightLabel === undefined ? '' : mayHaveExecuted(this.inflightLabel)}`, { retriable: true, context: { host, port } }));
        this.drop('peer closed');
      }
    });
    this.socket = socket;
    this.mReconnects.inc({ transport: this.transport, outcome: 'ok' });
    this.log.info({}, 'MacNet connected');
    this.emit('connected', { host, port });
    return socket;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    try {
      this.decoder.push(chunk, (message) => {
        if (this.inflight) this.inflight.onMessage(message);
        else {
          this.log.warn({}, 'unsolicited MacNet reply; resetting the connection');
          throw new MaccorError('BB_MACCOR_REPLY_MISMATCH', 'unsolicited reply with no request in flight', { retriable: true });
        }
      });
    } catch (err) {
      if (this.inflight) this.inflight.onError(err);
      this.drop(`stream fault: ${errorCode(err)}`);
    }
  }

  private async run(job: RequestJob<M>): Promise<unknown> {
    const socket = await this.ensureSocket();
    job.beforeWrite?.(); // may throw: nothing is written
    return new Promise<unknown>((resolve, reject) => {
      const finish = (fn: () => void): void => {
        clearTimeout(timer);
        this.inflight = undefined;
        this.inflightLabel = undefined;
        fn();
      };
      const timer = setTimeout(() => {
        finish(() => reject(new MaccorError('BB_MACCOR_TIMEOUT', `no reply to ${job.label} within ${job.timeoutMs} ms${mayHaveExecuted(job.label)}`, { retriable: true, context: { function: job.label, timeoutMs: job.timeoutMs } })));
        this.drop('request timeout');
      }, job.timeoutMs);
      this.inflight = {
        onMessage: (m) => {
          let result: unknown;
          try {
            result = job.match(m);
          } catch (err) {
            finish(() => reject(err));
            if (err instanceof MaccorError && (err.code === 'BB_MACCOR_REPLY_MISMATCH' || err.code === 'BB_MACCOR_REPLY_MALFORMED')) this.drop(`reply fault: ${err.code}`);
            return;
          }
          finish(() => resolve(result));
        },
        onError: (err) => finish(() => reject(err)),
      };
      this.inflightLabel = job.label;
      this.log.debug({ function: job.label, bytes: job.payload.length }, 'MacNet request');
      socket.write(job.payload);
    });
  }
}
