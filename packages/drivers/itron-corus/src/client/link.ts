/**
 * One signed-on connection to a Corus (itron-corus README §3, §5, §6, §9): start-up, one request
 * in flight, per-step timeouts, database transfer with NAK retries, orderly break. Not shared:
 * {@link CorusSession} owns at most one link per device and serialises operations on it.
 */
import { sleep } from '@busbar/core';
import { CorusError } from '../errors.js';
import type { ClassCodecOptions, CorusValue } from '../codec/data-classes.js';
import { DatabaseAssembler, encodeDatabaseRequest, type DatabaseRequest } from '../codec/database.js';
import { ACK, BREAK_FRAME, DeviceMessageDecoder, NAK, type DeviceMessage } from '../codec/frames.js';
import { decodeReadResponse, encodeReadRequest, encodeWriteRequest, type ParameterRef, type WriteItem } from '../codec/parameters.js';
import { baudRateOfZ, decodeIdentification, decodePasswordMessage, encodeOptionSelect, encodePasswordMessage, encodeSignOnRequest, encodeWakeup, selectBaudChar, type Identification } from '../codec/sign-on.js';
import { resolveLinkOptions, type CorusLinkOptions, type ResolvedLinkOptions } from './options.js';
import type { CorusTransport } from './transport.js';

/** Options of {@link CorusLink.open}: the per-device link options and a NAK hook. */
export interface LinkOptions extends CorusLinkOptions {
  /** Called for each NAK the client sends (metrics). */
  readonly onNak?: () => void;
}

/** Result of a write request (README §6): ACK, or the refusal byte. */
export interface WriteAnswer {
  /** Whether the device answered ACK. */
  readonly accepted: boolean;
  /** `ack`, `nak` or `other`. */
  readonly answer: 'ack' | 'nak' | 'other';
}

/**
 * Internal byte/message buffer with a single waiter (one request in flight). Raw bytes during the
 * sign-on, device messages (frames, ACK, NAK) after it. Once detached it drops every byte.
 */
class Inbox {
  private raw: number[] = [];
  private messages: DeviceMessage[] = [];
  private decoder: DeviceMessageDecoder | undefined;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  private detached = false;
  /** When the last byte arrived (ms, `Date.now()`). */
  private lastByteAt = 0;
  /** Bytes received since the last {@link takeArrivals}. */
  private arrivals = 0;

  feed(chunk: Uint8Array): void {
    if (this.detached || chunk.length === 0) return;
    this.lastByteAt = Date.now();
    this.arrivals += chunk.length;
    if (this.decoder !== undefined) {
      try {
        this.messages.push(...this.decoder.push(chunk));
      } catch (e) {
        this.failure ??= e as Error;
      }
    } else for (const b of chunk) this.raw.push(b);
    this.wake();
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  /** Drops everything buffered and every byte that arrives later (late answers of a dropped link). */
  detach(e: Error): void {
    this.detached = true;
    this.raw = [];
    this.messages = [];
    this.decoder = undefined;
    this.fail(e);
  }

  /** Drops buffered raw bytes. */
  clearRaw(): void {
    this.raw = [];
  }

  /** Switches to session mode: leftover raw bytes go through the frame decoder. */
  startMessages(): void {
    this.decoder = new DeviceMessageDecoder();
    const rest = Uint8Array.from(this.raw);
    this.raw = [];
    if (rest.length > 0) this.feed(rest);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Whether part of a message is buffered (the inter-character timeout runs). */
  private get partial(): boolean {
    return this.raw.length > 0 || (this.decoder?.pending ?? 0) > 0;
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async until<T>(take: () => T | undefined, timeoutMs: number, interCharacterMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = take();
      if (v !== undefined) return v;
      if (this.failure !== undefined) throw this.failure;
      const now = Date.now();
      const gapEnd = this.partial ? this.lastByteAt + interCharacterMs : Number.POSITIVE_INFINITY;
      if (now >= gapEnd) throw new CorusError('BB_CORUS_INTER_CHARACTER_TIMEOUT', `${what} stopped arriving: no byte for ${interCharacterMs} ms`, { context: { step: what, interCharacterMs } });
      if (now >= deadline) throw new CorusError('BB_CORUS_TIMEOUT', `no ${what} within ${timeoutMs} ms`, { context: { step: what, timeoutMs } });
      await this.wait(Math.min(deadline, gapEnd) - now);
    }
  }

  readExact(n: number, timeoutMs: number, interCharacterMs: number, what: string): Promise<Uint8Array> {
    return this.until(() => (this.raw.length >= n ? Uint8Array.from(this.raw.splice(0, n)) : undefined), timeoutMs, interCharacterMs, what);
  }

  /** Identification line: leading 0x00 (wake-up noise) skipped, anything else before '/' is an error. */
  readLine(timeoutMs: number, interCharacterMs: number, maxLength: number): Promise<Uint8Array> {
    return this.until(() => {
      while (this.raw[0] === 0) this.raw.shift();
      const first = this.raw[0];
      if (first === undefined) return undefined;
      if (first !== 0x2f) throw new CorusError('BB_CORUS_PROTOCOL', `expected '/' of the identification, got 0x${first.toString(16).padStart(2, '0')}`);
      const lf = this.raw.indexOf(0x0a);
      if (lf < 0) {
        if (this.raw.length > maxLength) throw new CorusError('BB_CORUS_PROTOCOL', `identification line longer than ${maxLength} bytes`, { context: { maxLength } });
        return undefined;
      }
      return Uint8Array.from(this.raw.splice(0, lf + 1));
    }, timeoutMs, interCharacterMs, 'identification');
  }

  nextMessage(timeoutMs: number, interCharacterMs: number, what: string): Promise<DeviceMessage> {
    return this.until(() => this.messages.shift(), timeoutMs, interCharacterMs, what);
  }

  /** Whether unexpected bytes or messages are waiting (a stray answer means the link is out of step). */
  get dirty(): boolean {
    return this.messages.length > 0 || this.partial;
  }

  /** Number of bytes received since the last call. */
  takeArrivals(): number {
    const n = this.arrivals;
    this.arrivals = 0;
    return n;
  }

  /**
   * After a complete answer: true when nothing else is buffered and no byte arrives for `ms`
   * (the answer is the only one), false otherwise.
   */
  async quiet(ms: number): Promise<boolean> {
    this.takeArrivals();
    if (this.dirty) return false;
    if (ms > 0) {
      const end = Date.now() + ms;
      while (this.failure === undefined && this.arrivals === 0 && Date.now() < end) await this.wait(end - Date.now());
    }
    return this.failure === undefined && this.arrivals === 0 && !this.dirty;
  }
}

/**
 * A signed-on connection (README §3.5: strict turn-taking, one request in flight). Create with
 * {@link CorusLink.open}; it connects once and never reconnects. Any fault after a request left —
 * a timeout, a bad frame, a NAK, a refused request, a duplicated, late or unsolicited answer (also
 * one that arrives while no request is out) — drops the link (break, transport closed, late bytes discarded) before the error is thrown, and
 * {@link CorusLink.lost} settles: the protocol has no request ids (§4.3), so the only way to be sure
 * the next answer belongs to the next request is a new session (§11 "resync by reconnecting").
 * Whoever owns the link (the collector runtime) opens a new one.
 */
export class CorusLink {
  private readonly inbox = new Inbox();
  private readonly options: ResolvedLinkOptions;
  private gone: Error | undefined;
  /** Signed on: from here, a byte while no request is out is unsolicited. */
  private inSession = false;
  /** A request is out (sent, or about to be) and its answer not yet settled. */
  private busy = false;
  private resolveLost!: (e: Error) => void;
  private closing: Promise<void> | undefined;
  /** Settles with the reason when the link is dropped, lost or closed; never rejects. */
  readonly lost: Promise<Error>;
  /** Identification line received at sign-on (device metadata, README §3.2). */
  identification: Identification | undefined;

  private constructor(
    private readonly transport: CorusTransport,
    options: LinkOptions,
    private readonly onNak: (() => void) | undefined,
  ) {
    this.options = resolveLinkOptions(options);
    this.lost = new Promise<Error>((resolve) => (this.resolveLost = resolve));
    transport.onData((c) => {
      this.inbox.feed(c);
      if (this.inSession && !this.busy && this.gone === undefined) {
        // nobody asked: a late or duplicated answer. Drop now, so `lost` tells the owner at once.
        void this.drop(new CorusError('BB_CORUS_STALE_ANSWER', `unsolicited bytes from ${transport.description} while no request was out (a late or duplicated answer): link dropped`, { outcome: 'not_sent' }));
      }
    });
    transport.onClose((e) => {
      const err = e instanceof CorusError ? e : new CorusError('BB_CORUS_CONNECTION_CLOSED', `${transport.description} closed the connection${e ? `: ${e.message}` : ''}`, { cause: e });
      this.markGone(err);
      this.inbox.fail(err);
    });
  }

  /** Whether the link is gone (dropped after a fault, closed by the peer, or closed). */
  get closed(): boolean {
    return this.gone !== undefined;
  }

  private markGone(e: Error): void {
    if (this.gone !== undefined) return;
    this.gone = e;
    this.resolveLost(e);
  }

  /**
   * Opens the transport and runs wake-up, sign-on, option select and password (README §3.1–§3.4);
   * on a serial line the speed changes after the option select without closing the port (§2.2).
   * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` (options, before connecting), `BB_CORUS_CONNECT_FAILED`,
   *   `BB_CORUS_WAKEUP_FAILED`, `BB_CORUS_PROTOCOL`, `BB_CORUS_PARITY`, `BB_CORUS_BAUD_UNSUPPORTED`,
   *   `BB_CORUS_AUTH_FAILED`, `BB_CORUS_TIMEOUT`, `BB_CORUS_INTER_CHARACTER_TIMEOUT`,
   *   `BB_CORUS_CONNECTION_CLOSED`.
   */
  static async open(transport: CorusTransport, options: LinkOptions = {}): Promise<CorusLink> {
    const link = new CorusLink(transport, options, options.onNak);
    await transport.open();
    try {
      await link.startUp();
    } catch (e) {
      link.markGone(e as Error);
      link.inbox.detach(e as Error);
      await transport.close().catch(() => undefined);
      throw e;
    }
    return link;
  }

  private async startUp(): Promise<void> {
    const o = this.options;
    const t = o.timeouts;
    let awake = false;
    let lastErr: unknown;
    for (let i = 0; i < o.wakeupAttempts && !awake; i++) {
      if (i > 0) {
        await sleep(o.wakeupRetryDelayMs);
        this.inbox.clearRaw(); // a late or partial reply of the failed attempt
      }
      await this.transport.write(encodeWakeup(o.wakeupBytes));
      try {
        const r = await this.inbox.readExact(3, t.wakeupMs, t.interCharacterMs, 'wake-up reply');
        if (r[0] === 0 && r[1] === 0 && r[2] === 0) awake = true;
        else lastErr = new Error(`wake-up reply ${Buffer.from(r).toString('hex')}`);
      } catch (e) {
        if (e instanceof CorusError && (e.code === 'BB_CORUS_CONNECTION_CLOSED' || e.code === 'BB_CORUS_PARITY')) throw e;
        lastErr = e;
      }
    }
    if (!awake) throw new CorusError('BB_CORUS_WAKEUP_FAILED', `no 00 00 00 wake-up reply after ${o.wakeupAttempts} attempts`, { cause: lastErr, context: { attempts: o.wakeupAttempts } });
    if (o.wakeupPauseMs > 0) await sleep(o.wakeupPauseMs);
    await this.transport.write(encodeSignOnRequest(o.deviceAddress));
    const ident = decodeIdentification(await this.inbox.readLine(t.identificationMs, t.interCharacterMs, o.maxIdentificationLength));
    this.identification = ident;
    const z = selectBaudChar(ident, o.optionSelect.z);
    await this.transport.write(encodeOptionSelect({ v: o.optionSelect.v, z, y: o.optionSelect.y }));
    await this.transport.switchToSessionMode?.(baudRateOfZ(z));
    const msg = await this.inbox.readExact(o.passwordMessageLength, t.passwordMs, t.interCharacterMs, 'password message');
    decodePasswordMessage(msg);
    await this.transport.write(o.password === undefined ? msg : encodePasswordMessage(o.password));
    const ack = await this.inbox.readExact(1, t.passwordMs, t.interCharacterMs, 'password ACK');
    if (ack[0] !== ACK) throw new CorusError('BB_CORUS_AUTH_FAILED', `password answer refused (0x${(ack[0] as number).toString(16).padStart(2, '0')} instead of ACK)`, { retriable: false });
    this.inbox.startMessages();
    this.inSession = true;
  }

  /**
   * Drops the link after a fault: marks it gone (`lost` settles with `e`), discards buffered and late
   * bytes, sends the break (best effort) and closes the transport. Idempotent.
   */
  private drop(e: Error): Promise<void> {
    this.markGone(e);
    this.inbox.detach(e);
    this.closing ??= (async () => {
      await this.transport.write(BREAK_FRAME).catch(() => undefined);
      await this.transport.close().catch(() => undefined);
    })();
    return this.closing;
  }

  /**
   * Sends one request and runs `receive` for its answer. Before sending: a dropped link throws
   * `BB_CORUS_LINK_LOST`, bytes already waiting throw `BB_CORUS_STALE_ANSWER` and drop the link
   * (outcome `not_sent` for both). After sending, any error drops the link before it is thrown.
   */
  private async exchange<T>(frame: Uint8Array, receive: () => Promise<T>): Promise<T> {
    if (this.gone !== undefined) throw new CorusError('BB_CORUS_LINK_LOST', `the link to ${this.transport.description} was dropped (${this.gone.message}); open a new one`, { cause: this.gone, outcome: 'not_sent' });
    if (this.inbox.dirty) {
      const e = new CorusError('BB_CORUS_STALE_ANSWER', `unsolicited bytes from ${this.transport.description} before a request (a late or duplicated answer): link dropped, nothing sent`, { outcome: 'not_sent' });
      await this.drop(e);
      throw e;
    }
    this.busy = true;
    try {
      await this.transport.write(frame);
      return await receive();
    } catch (e) {
      await this.drop(e as Error);
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /** After a complete answer: throws `BB_CORUS_STALE_ANSWER` when another one is buffered or arrives within the settle time. */
  private async settle(what: string): Promise<void> {
    const ms = this.options.timeouts.answerSettleMs;
    if (!(await this.inbox.quiet(ms))) {
      throw new CorusError('BB_CORUS_STALE_ANSWER', `more bytes within ${ms} ms of the ${what}: it may be a duplicated or late answer to an earlier request (no request ids, README §4.3); not used, link dropped`, { context: { step: what, answerSettleMs: ms } });
    }
  }

  /** A lone NAK to a request: the link is dropped (the device's state after it is unknown, README §11). */
  private async refused(what: string, context: Record<string, string | number>): Promise<never> {
    const e = new CorusError('BB_CORUS_REQUEST_REFUSED', `device refused the ${what}`, { context });
    await this.drop(e);
    throw e;
  }

  /**
   * Reads parameters in one frame (README §5); the caller keeps DATA ≤ 255 (see `planReads`).
   * The answer is used only after the settle time passed with no other byte (no request ids, §4.3).
   * @throws {CorusError} `BB_CORUS_LINK_LOST` (nothing sent), `BB_CORUS_STALE_ANSWER` (an unsolicited,
   *   duplicated or late answer), `BB_CORUS_REQUEST_REFUSED` (lone NAK), `BB_CORUS_FRAME_CRC` (no NAK
   *   retry for reads, §11), `BB_CORUS_RESPONSE_LENGTH`, frame/timeout/connection errors. Every error
   *   after the request left drops the link.
   */
  readParameters(refs: readonly ParameterRef[], codec: ClassCodecOptions = {}): Promise<CorusValue[]> {
    const ids = refs.map((r) => r.id).join(',');
    const t = this.options.timeouts;
    return this.exchange(encodeReadRequest(refs.map((r) => r.id)), async () => {
      const m = await this.inbox.nextMessage(t.responseMs, t.interCharacterMs, 'read answer');
      if (m.kind === 'nak') return this.refused(`read of ids ${ids}`, { ids });
      if (m.kind === 'ack') throw new CorusError('BB_CORUS_FRAME_UNEXPECTED_BYTE', 'ACK instead of a read answer');
      if (m.crcError) throw m.crcError;
      await this.settle('read answer');
      return decodeReadResponse(m.data, refs, codec);
    });
  }

  /**
   * Writes parameters in one frame (README §6) and returns the device's verdict. Never retried.
   * A NAK (refusal) also drops the link.
   * @throws {CorusError} encode errors, `BB_CORUS_LINK_LOST` and a request refused before writing
   *   (outcome `not_sent`); after the frame was written, timeout/connection/frame errors and
   *   `BB_CORUS_STALE_ANSWER` (an ACK followed by more bytes: it may be an earlier request's) with
   *   `retriable: false`, outcome `unknown` and a message starting "write outcome unknown".
   */
  async writeParameters(items: readonly WriteItem[], codec: ClassCodecOptions = {}): Promise<WriteAnswer> {
    const frame = encodeWriteRequest(items, codec);
    const t = this.options.timeouts;
    try {
      return await this.exchange(frame, async () => {
        const m = await this.inbox.nextMessage(t.writeAckMs, t.interCharacterMs, 'write ACK');
        if (m.kind === 'ack') {
          await this.settle('write ACK');
          return { accepted: true, answer: 'ack' } as const;
        }
        await this.drop(new CorusError('BB_CORUS_WRITE_REFUSED', `device answered the write with ${m.kind === 'nak' ? 'NAK' : 'a frame'}: link dropped`));
        return { accepted: false, answer: m.kind === 'nak' ? 'nak' : 'other' } as const;
      });
    } catch (e) {
      if (e instanceof CorusError && e.outcome === 'not_sent') throw new CorusError(e.code, e.message, { cause: e, retriable: false, context: e.context, outcome: 'not_sent' });
      if (e instanceof CorusError) throw new CorusError(e.code, `write outcome unknown: ${e.message}`, { cause: e, retriable: false, context: e.context, outcome: 'unknown' });
      throw e;
    }
  }

  /**
   * Reads one database request (README §9): frames reassembled in order, CRC failures NAKed up to
   * the limit (payload accepted only after its CRC passed), no ACK after the last frame, then the
   * settle time (a repeated last frame is a stale answer).
   * @param onRecords - receives records as frames complete them (newest first, device order).
   * @returns the record size (0 for an empty answer, §9.5).
   * @throws {CorusError} `BB_CORUS_DB_RETRIES_EXHAUSTED`, `BB_CORUS_DB_FRAME_ORDER`,
   *   `BB_CORUS_DB_PARTIAL_RECORD`, `BB_CORUS_REQUEST_REFUSED`, `BB_CORUS_STALE_ANSWER`,
   *   `BB_CORUS_LINK_LOST`, `BB_CORUS_TIMEOUT`, frame errors; each drops the link.
   */
  readDatabase(req: DatabaseRequest, onRecords: (records: Uint8Array[], recordSize: number) => void): Promise<number> {
    const t = this.options.timeouts;
    const limit = this.options.databaseNakLimit;
    return this.exchange(encodeDatabaseRequest(req), async () => {
      const asm = new DatabaseAssembler();
      const deadline = Date.now() + t.databaseTotalMs;
      let naks = 0;
      let frames = 0;
      while (!asm.finished) {
        const left = deadline - Date.now();
        if (left <= 0) throw new CorusError('BB_CORUS_TIMEOUT', 'database transfer exceeded its overall time limit', { context: { frames } });
        const m = await this.inbox.nextMessage(Math.min(left, t.databaseFrameMs), t.interCharacterMs, `database frame ${frames + 1}`);
        if (m.kind === 'nak' && frames === 0) return this.refused(`database ${req.databaseId} request`, { databaseId: req.databaseId });
        if (m.kind !== 'frame') throw new CorusError('BB_CORUS_FRAME_UNEXPECTED_BYTE', `${m.kind.toUpperCase()} instead of a database frame`);
        if (m.crcError) {
          if (naks >= limit) throw new CorusError('BB_CORUS_DB_RETRIES_EXHAUSTED', `database frame ${frames + 1} still corrupt after ${limit} NAKs`, { cause: m.crcError, context: { frame: frames + 1 } });
          naks++;
          this.onNak?.();
          await this.transport.write(Uint8Array.of(NAK));
          continue;
        }
        const { records } = asm.push(m.data);
        frames++;
        naks = 0;
        if (records.length > 0) onRecords(records, asm.size as number);
        if (!asm.finished) await this.transport.write(Uint8Array.of(ACK));
      }
      await this.settle('last database frame');
      return asm.size as number;
    });
  }

  /**
   * Sends the break frame (README §3.6) if the link is up, then closes the transport; `lost`
   * settles with `BB_CORUS_SESSION_CLOSED`. Never throws; idempotent.
   */
  async close(): Promise<void> {
    if (this.gone === undefined) await this.drop(new CorusError('BB_CORUS_SESSION_CLOSED', `the link to ${this.transport.description} was closed`));
    else await (this.closing ?? this.transport.close().catch(() => undefined));
  }
}
