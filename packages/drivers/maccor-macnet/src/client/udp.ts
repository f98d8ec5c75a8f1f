/**
 * Binary MacNet frames over UDP: the tester's `MacNet_UDP_Port` listener, default 57550 (Maccor MacNet
 * reference §2; vendor help p.1-2). Used by {@link MaccorClient} for the (6,8) rest set-point when
 * `restVia: 'binary-udp'` (reference §8.4).
 *
 * What the reference says and what this transport does:
 * - One datagram carries one frame, the same binary frame as on TCP 57560 (reference §2 table, marked
 *   [?]; frame layout §5). A datagram that is not exactly `8 + Len` bytes is refused
 *   ({@link binaryFrameOfDatagram}).
 * - The tester replies to the IP address the datagram came from (reference §2, vendor p.1-2). Which port
 *   carries the reply (our source port, UDP_Port or UDP_Port+1) is not stated [?]: a reply is accepted
 *   from the tester's address on any source port, at the local port this socket is bound to
 *   (`localPort`, default 0 = ephemeral; set it, e.g. 57550 or 57551, if a real tester replies to a fixed
 *   port). Datagrams from any other address are ignored.
 * - One request in flight, each with a timeout. UDP gives no delivery guarantee: on timeout the request
 *   fails with BB_MACCOR_UDP_NO_REPLY, outcome unknown (the set-point may have been applied), and it is
 *   never re-sent — the caller decides, as with a TCP timeout. After a timeout or a bad reply the socket
 *   is closed and a new one bound for the next request, so a late reply to an ephemeral port is dropped
 *   by the kernel instead of being taken for the next request's reply.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { noopLogger, noopMetrics, errorCode } from '@busbar/core';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { MaccorError, withOutcome } from '../errors.js';
import { BINARY_HEADER_BYTES } from '../codec/binary.js';
import type { BinaryFrame } from '../codec/binary.js';
import { RequestQueue } from './request-queue.js';
import type { RequestJob } from './request-queue.js';

/** Default binary UDP port of the tester, `MacNet_UDP_Port` (reference §2). */
export const DEFAULT_UDP_PORT = 57550;

/** Result of {@link binaryFrameOfDatagram}: the frame, or why the datagram is not one frame. */
export type DatagramFrame = { readonly ok: true; readonly frame: BinaryFrame } | { readonly ok: false; readonly reason: string };

/**
 * Reads one datagram as exactly one binary frame (reference §2 "one per datagram" [?], §5 header:
 * FClass u16, FNum u16, Chan u16 0-based, Len u16, little-endian, then Len data bytes).
 * Refuses datagrams shorter than the 8-byte header and datagrams whose size is not `8 + Len`
 * (truncated, or trailing bytes). Pure; used by the client and the simulator.
 */
export function binaryFrameOfDatagram(datagram: Uint8Array): DatagramFrame {
  if (datagram.length < BINARY_HEADER_BYTES) return { ok: false, reason: `datagram of ${datagram.length} bytes is shorter than the ${BINARY_HEADER_BYTES}-byte header` };
  const dv = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const len = dv.getUint16(6, true);
  if (datagram.length !== BINARY_HEADER_BYTES + len) {
    return { ok: false, reason: `datagram of ${datagram.length} bytes but header Len ${len} says ${BINARY_HEADER_BYTES + len}` };
  }
  return {
    ok: true,
    frame: {
      fclass: dv.getUint16(0, true),
      fnum: dv.getUint16(2, true),
      chanIndex0: dv.getUint16(4, true),
      len,
      data: datagram.slice(BINARY_HEADER_BYTES),
    },
  };
}

/** Options of {@link BinaryUdpChannel}. */
export interface UdpChannelOptions {
  /** Tester PC address (name or IP). */
  readonly host: string;
  /** Tester UDP port (default 57550, reference §2). */
  readonly port?: number;
  /** Local port to bind (default 0 = ephemeral; see module doc on the reply port [?]). */
  readonly localPort?: number;
  /** Local address to bind (default: the loopback address when the tester is on loopback, else all interfaces). */
  readonly localAddress?: string;
  /** Reply timeout per request, ms (default 5000). */
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
}

interface Bound {
  readonly socket: dgram.Socket;
  readonly peerAddress: string;
}

/**
 * Request/reply over UDP with binary frames, one request in flight (see module doc). Requests queue
 * in order; nothing is retried.
 */
export class BinaryUdpChannel {
  private bound: Bound | undefined;
  private readonly queue: RequestQueue<RequestJob<BinaryFrame>>;
  private inflight: { onFrame: (f: BinaryFrame) => void; onError: (e: unknown) => void } | undefined;
  private readonly port: number;
  private readonly requestTimeoutMs: number;
  private readonly log: Logger;
  private readonly mIgnored;

  /** @param options - see {@link UdpChannelOptions}. */
  constructor(private readonly options: UdpChannelOptions) {
    this.port = options.port ?? DEFAULT_UDP_PORT;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.log = (options.logger ?? noopLogger).child({ component: 'maccor-macnet', host: options.host, port: this.port, transport: 'binary-udp' });
    const metrics: Metrics = options.metrics ?? noopMetrics;
    this.queue = new RequestQueue<RequestJob<BinaryFrame>>({
      transport: 'binary-udp',
      run: (job) => this.run(job),
      abortInFlight: (err) => this.inflight?.onError(withOutcome(err, 'unknown')), // in flight = sent
      metrics,
      clock: options.clock,
    });
    this.mIgnored = metrics.counter({ name: 'busbar_maccor_udp_datagrams_ignored_total', help: 'MacNet UDP datagrams ignored: from another address, or with no request in flight (late replies).', labelNames: ['reason'] });
  }

  /** The local UDP port currently bound, if a socket is open (changes after a timeout when ephemeral). */
  get localPort(): number | undefined {
    return this.bound ? this.bound.socket.address().port : undefined;
  }

  /**
   * Sends `payload` (one frame) as one datagram and resolves with `match` applied to the reply frame.
   * @throws MaccorError BB_MACCOR_UDP_NO_REPLY (outcome unknown, not retriable), BB_MACCOR_UDP_SEND_FAILED
   *   (nothing sent, retriable), BB_MACCOR_UDP_DATAGRAM_INVALID (outcome unknown), BB_MACCOR_CLIENT_CLOSED,
   *   or whatever `match` throws (e.g. BB_MACCOR_REPLY_MISMATCH) or `opts.beforeWrite` throws (then nothing is sent).
   */
  request<R>(payload: Uint8Array, label: string, match: (frame: BinaryFrame) => R, opts: { readonly timeoutMs?: number; readonly beforeWrite?: () => void } = {}): Promise<R> {
    // Strict FIFO on this channel (class doc): every request is queued as a poll, none jumps ahead.
    return this.queue.enqueue<R>({ payload, label, match, timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs, beforeWrite: opts.beforeWrite }, 'poll');
  }

  /** Closes the socket; queued and in-flight requests fail with BB_MACCOR_CLIENT_CLOSED. */
  close(): void {
    this.queue.close();
    this.drop('closed by client');
  }

  private drop(reason: string): void {
    const b = this.bound;
    if (!b) return;
    this.bound = undefined;
    b.socket.removeAllListeners('message');
    try {
      b.socket.close();
    } catch {
      // already closed
    }
    this.log.debug({ reason }, 'MacNet UDP socket closed');
  }

  private async ensureSocket(): Promise<Bound> {
    if (this.bound) return this.bound;
    const { host } = this.options;
    const sendFailed = (message: string, cause: unknown): MaccorError =>
      new MaccorError('BB_MACCOR_UDP_SEND_FAILED', message, { retriable: true, cause, context: { host, port: this.port, outcome: 'not_sent' } });
    let peer: { address: string; family: number };
    try {
      peer = net.isIP(host) ? { address: host, family: net.isIP(host) } : await dns.promises.lookup(host);
    } catch (cause) {
      throw sendFailed(`cannot resolve ${host}: ${(cause as Error).message}`, cause);
    }
    const loopback = peer.family === 6 ? peer.address === '::1' : peer.address.startsWith('127.');
    const localAddress = this.options.localAddress ?? (loopback ? peer.address : undefined);
    const socket = dgram.createSocket({ type: peer.family === 6 ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: this.options.localPort ?? 0, address: localAddress, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      socket.close();
      throw sendFailed(`cannot bind a UDP socket on ${localAddress ?? '*'}:${this.options.localPort ?? 0}: ${(cause as Error).message}`, cause);
    }
    if (this.queue.closed) {
      socket.close();
      throw new MaccorError('BB_MACCOR_CLIENT_CLOSED', 'the MacNet client is closed');
    }
    const bound: Bound = { socket, peerAddress: peer.address };
    socket.on('message', (msg, rinfo) => this.onDatagram(bound, msg, rinfo));
    socket.on('error', (err) => {
      this.log.warn({ err }, 'MacNet UDP socket error');
      if (this.bound === bound) {
        this.inflight?.onError(sendFailed(`UDP socket error: ${err.message}`, err));
        this.drop('socket error');
      }
    });
    this.bound = bound;
    return bound;
  }

  private onDatagram(bound: Bound, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (bound !== this.bound) return;
    if (rinfo.address !== bound.peerAddress) {
      this.mIgnored.inc({ reason: 'foreign_address' });
      this.log.debug({ from: `${rinfo.address}:${rinfo.port}`, bytes: msg.length }, 'ignored a UDP datagram from another address');
      return;
    }
    if (!this.inflight) {
      this.mIgnored.inc({ reason: 'unsolicited' });
      this.log.warn({ from: `${rinfo.address}:${rinfo.port}`, hex: msg.toString('hex') }, 'ignored a MacNet UDP datagram with no request in flight (late reply?)');
      return;
    }
    const parsed = binaryFrameOfDatagram(msg);
    if (!parsed.ok) {
      this.inflight.onError(
        new MaccorError('BB_MACCOR_UDP_DATAGRAM_INVALID', `reply from ${rinfo.address}:${rinfo.port} is not one binary frame: ${parsed.reason}; outcome unknown`, {
          context: { bytes: msg.length, hex: msg.subarray(0, 64).toString('hex'), outcome: 'unknown' },
        }),
      );
      return;
    }
    this.inflight.onFrame(parsed.frame);
  }

  private async run(job: RequestJob<BinaryFrame>): Promise<unknown> {
    const { socket, peerAddress } = await this.ensureSocket();
    job.beforeWrite?.(); // may throw: nothing is sent
    return new Promise<unknown>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void, dropReason?: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inflight = undefined;
        if (dropReason) this.drop(dropReason);
        fn();
      };
      const timer = setTimeout(() => {
        finish(
          () =>
            reject(
              new MaccorError('BB_MACCOR_UDP_NO_REPLY', `no UDP reply to ${job.label} from ${this.options.host}:${this.port} within ${job.timeoutMs} ms; outcome unknown, not re-sent`, {
                retriable: false,
                context: { function: job.label, timeoutMs: job.timeoutMs, outcome: 'unknown' },
              }),
            ),
          'request timeout',
        );
      }, job.timeoutMs);
      const inflight = {
        onFrame: (frame: BinaryFrame): void => {
          let result: unknown;
          try {
            result = job.match(frame);
          } catch (err) {
            finish(() => reject(err), `reply fault: ${errorCode(err)}`);
            return;
          }
          finish(() => resolve(result));
        },
        onError: (err: unknown): void => finish(() => reject(err), `fault: ${errorCode(err)}`),
      };
      this.inflight = inflight;
      this.log.debug({ function: job.label, bytes: job.payload.length, hex: Buffer.from(job.payload).toString('hex') }, 'MacNet UDP request');
      socket.send(job.payload, this.port, peerAddress, (err) => {
        if (err) {
          inflight.onError(
            new MaccorError('BB_MACCOR_UDP_SEND_FAILED', `UDP send to ${peerAddress}:${this.port} failed: ${err.message}`, {
              retriable: true,
              cause: err,
              context: { host: this.options.host, port: this.port, outcome: 'not_sent' },
            }),
          );
        }
      });
    });
  }
}
