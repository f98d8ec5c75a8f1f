/**
 * One signed-on connection to a Corus (itron-corus README §3, §5, §6, §9): start-up, one request
 * in flight, per-step timeouts, database transfer with NAK retries, orderly break. Not shared:
 * {@link CorusSession} owns at most one link per device and serialises operations on it.
 */
import { CorusError } from '../errors.js';
import type { ClassCodecOptions, CorusValue } from '../codec/data-classes.js';
import { DatabaseAssembler, encodeDatabaseRequest, type DatabaseRequest } from '../codec/database.js';
import { ACK, BREAK_FRAME, DeviceMessageDecoder, NAK, type DeviceMessage } from '../codec/frames.js';
import { decodeReadResponse, encodeReadRequest, encodeWriteRequest, type ParameterRef, type WriteItem } from '../codec/parameters.js';
import { decodeIdentification, decodePasswordMessage, encodeOptionSelect, encodePasswordMessage, encodeWakeup, SIGN_ON_REQUEST, type Identification, type OptionSelect } from '../codec/sign-on.js';
import { IEC_BAUD_RATES, type CorusTransport } from './transport.js';

/** Step timeouts in ms (README §10, Busbar defaults). */
export interface CorusTimeouts {
  /** Wake-up reply. @default 5000 */
  readonly wakeupMs?: number;
  /** Identification line. @default 10000 */
  readonly identificationMs?: number;
  /** Password message and the ACK after it. @default 5000 */
  readonly passwordMs?: number;
  /** Read answer frame. @default 10000 */
  readonly responseMs?: number;
  /** ACK after a write. @default 5000 */
  readonly writeAckMs?: number;
  /** Each database frame. @default 10000 */
  readonly databaseFrameMs?: number;
  /** Whole database request (all frames). @default 120000 */
  readonly databaseTotalMs?: number;
}

/** Start-up options of a link (README §3). */
export interface LinkOptions {
  /** Zero bytes in the wake-up run. @default 200 */
  readonly wakeupBytes?: number;
  /** Wake-up attempts. @default 3 */
  readonly wakeupAttempts?: number;
  /** Pause between wake-up attempts, ms. @default 500 (README §3.1: [sevc] 5 s) */
  readonly wakeupRetryDelayMs?: number;
  /** Option-select characters. @default V '0', Z '7', Y '6' */
  readonly optionSelect?: OptionSelect;
  /**
   * Password answer (README §3.4): `undefined` echoes the device's message (iflag, default);
   * a string answers with that password + CRC.
   */
  readonly password?: string;
  /** Length of the device's password message. @default 6 (4 characters + CRC) */
  readonly passwordMessageLength?: number;
  /** Timeouts. */
  readonly timeouts?: CorusTimeouts;
  /** NAKs allowed per database frame. @default 3 (README §9.4) */
  readonly databaseNakLimit?: number;
  /** Called for each NAK sent (metrics). */
  readonly onNak?: () => void;
}

/** Result of a write request (README §6): ACK, or the refusal byte. */
export interface WriteAnswer {
  /** Whether the device answered ACK. */
  readonly accepted: boolean;
  /** `ack`, `nak` or `other`. */
  readonly answer: 'ack' | 'nak' | 'other';
}

/** Internal byte/message buffer with a single waiter (one request in flight). */
class Inbox {
  private raw: number[] = [];
  private messages: DeviceMessage[] = [];
  private decoder: DeviceMessageDecoder | undefined;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;

  feed(chunk: Uint8Array): void {
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

  private async until<T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = take();
      if (v !== undefined) return v;
      if (this.failure !== undefined) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new CorusError('BB_CORUS_TIMEOUT', `no ${what} within ${timeoutMs} ms`, { context: { step: what, timeoutMs } });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  readExact(n: number, timeoutMs: number, what: string): Promise<Uint8Array> {
    return this.until(() => (this.raw.length >= n ? Uint8Array.from(this.raw.splice(0, n)) : undefined), timeoutMs, what);
  }

  /** Identification line: leading 0x00 (wake-up noise) skipped, anything else before '/' is an error. */
  readLine(timeoutMs: number): Promise<Uint8Array> {
    return this.until(() => {
      while (this.raw[0] === 0) this.raw.shift();
      const first = this.raw[0];
      if (first === undefined) return undefined;
      if (first !== 0x2f) throw new CorusError('BB_CORUS_PROTOCOL', `expected '/' of the identification, got 0x${first.toString(16).padStart(2, '0')}`);
      const lf = this.raw.indexOf(0x0a);
      if (lf < 0) {
        if (this.raw.length > 128) throw new CorusError('BB_CORUS_PROTOCOL', 'identification line longer than 128 bytes');
        return undefined;
      }
      return Uint8Array.from(this.raw.splice(0, lf + 1));
    }, timeoutMs, 'identification');
  }

  nextMessage(timeoutMs: number, what: string): Promise<DeviceMessage> {
    return this.until(() => this.messages.shift(), timeoutMs, what);
  }

  /** Whether unexpected bytes or messages are waiting (a stray answer means the link is out of step). */
  get dirty(): boolean {
    return this.messages.length > 0 || this.raw.length > 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A signed-on connection. Create with {@link CorusLink.open}; any thrown error leaves the link
 * unusable (close it and open a new one: README §11 "resync by reconnecting").
 */
export class CorusLink {
  private readonly inbox = new Inbox();
  private closedByPeer = false;
  /** Identification line received at sign-on (device metadata, README §3.2). */
  identification: Identification | undefined;

  private constructor(
    private readonly transport: CorusTransport,
    private readonly options: LinkOptions,
  ) {
    transport.onData((c) => this.inbox.feed(c));
    transport.onClose((e) => {
      this.closedByPeer = true;
      this.inbox.fail(new CorusError('BB_CORUS_CONNECTION_CLOSED', `${transport.description} closed the connection${e ? `: ${e.message}` : ''}`, { cause: e }));
    });
  }

  /** Whether the peer closed the link. */
  get closed(): boolean {
    return this.closedByPeer;
  }

  private t(k: keyof CorusTimeouts, d: number): number {
    return this.options.timeouts?.[k] ?? d;
  }

  /**
   * Opens the transport and runs wake-up, sign-on, option select and password (README §3.1–§3.4).
   * @throws {CorusError} `BB_CORUS_CONNECT_FAILED`, `BB_CORUS_WAKEUP_FAILED`, `BB_CORUS_PROTOCOL`,
   *   `BB_CORUS_AUTH_FAILED`, `BB_CORUS_TIMEOUT`, `BB_CORUS_CONNECTION_CLOSED`.
   */
  static async open(transport: CorusTransport, options: LinkOptions = {}): Promise<CorusLink> {
    const link = new CorusLink(transport, options);
    await transport.open();
    try {
      await link.startUp();
    } catch (e) {
      await transport.close().catch(() => undefined);
      throw e;
    }
    return link;
  }

  private async startUp(): Promise<void> {
    const o = this.options;
    const attempts = o.wakeupAttempts ?? 3;
    let awake = false;
    let lastErr: unknown;
    for (let i = 0; i < attempts && !awake; i++) {
      if (i > 0) {
        await sleep(o.wakeupRetryDelayMs ?? 500);
        this.inbox.clearRaw(); // a late or partial reply of the failed attempt
      }
      await this.transport.write(encodeWakeup(o.wakeupBytes ?? 200));
      try {
        const r = await this.inbox.readExact(3, this.t('wakeupMs', 5000), 'wake-up reply');
        if (r[0] === 0 && r[1] === 0 && r[2] === 0) awake = true;
        else lastErr = new Error(`wake-up reply ${Buffer.from(r).toString('hex')}`);
      } catch (e) {
        if ((e as CorusError).code === 'BB_CORUS_CONNECTION_CLOSED') throw e;
        lastErr = e;
      }
    }
    if (!awake) throw new CorusError('BB_CORUS_WAKEUP_FAILED', `no 00 00 00 wake-up reply after ${attempts} attempts`, { cause: lastErr, context: { attempts } });
    await this.transport.write(SIGN_ON_REQUEST);
    this.identification = decodeIdentification(await this.inbox.readLine(this.t('identificationMs', 10_000)));
    await this.transport.write(encodeOptionSelect(o.optionSelect));
    const baudIndex = Number(o.optionSelect?.z ?? this.identification.baudChar);
    await this.transport.switchToSessionMode?.(IEC_BAUD_RATES[baudIndex]);
    const msg = await this.inbox.readExact(o.passwordMessageLength ?? 6, this.t('passwordMs', 5000), 'password message');
    decodePasswordMessage(msg);
    await this.transport.write(o.password === undefined ? msg : encodePasswordMessage(o.password));
    const ack = await this.inbox.readExact(1, this.t('passwordMs', 5000), 'password ACK');
    if (ack[0] !== ACK) throw new CorusError('BB_CORUS_AUTH_FAILED', `password answer refused (0x${(ack[0] as number).toString(16).padStart(2, '0')} instead of ACK)`, { retriable: false });
    this.inbox.startMessages();
  }

  private async request(frame: Uint8Array): Promise<void> {
    if (this.inbox.dirty) throw new CorusError('BB_CORUS_FRAME_UNEXPECTED_BYTE', 'unsolicited bytes from the device before a request', { outcome: 'not_sent' });
    await this.transport.write(frame);
  }

  /**
   * Reads parameters in one frame (README §5); the caller keeps DATA ≤ 255 (see `planReads`).
   * @throws {CorusError} `BB_CORUS_REQUEST_REFUSED` (lone NAK), `BB_CORUS_FRAME_CRC` (no NAK retry
   *   for reads, §11), `BB_CORUS_RESPONSE_LENGTH`, frame/timeout/connection errors.
   */
  async readParameters(refs: readonly ParameterRef[], codec: ClassCodecOptions = {}): Promise<CorusValue[]> {
    await this.request(encodeReadRequest(refs.map((r) => r.id)));
    const m = await this.inbox.nextMessage(this.t('responseMs', 10_000), 'read answer');
    if (m.kind === 'nak') throw new CorusError('BB_CORUS_REQUEST_REFUSED', `device refused the read of ids ${refs.map((r) => r.id).join(',')}`, { context: { ids: refs.map((r) => r.id).join(',') } });
    if (m.kind === 'ack') throw new CorusError('BB_CORUS_FRAME_UNEXPECTED_BYTE', 'ACK instead of a read answer');
    if (m.crcError) throw m.crcError;
    return decodeReadResponse(m.data, refs, codec);
  }

  /**
   * Writes parameters in one frame (README §6) and returns the device's verdict. Never retried.
   * @throws {CorusError} encode errors and a request refused before writing (outcome `not_sent`);
   *   after the frame was written, timeout/connection/frame errors with `retriable: false`, outcome
   *   `unknown` and a message starting "write outcome unknown".
   */
  async writeParameters(items: readonly WriteItem[], codec: ClassCodecOptions = {}): Promise<WriteAnswer> {
    const frame = encodeWriteRequest(items, codec);
    try {
      await this.request(frame);
      const m = await this.inbox.nextMessage(this.t('writeAckMs', 5000), 'write ACK');
      if (m.kind === 'ack') return { accepted: true, answer: 'ack' };
      return { accepted: false, answer: m.kind === 'nak' ? 'nak' : 'other' };
    } catch (e) {
      if (e instanceof CorusError && e.outcome === 'not_sent') throw new CorusError(e.code, e.message, { cause: e, retriable: false, context: e.context, outcome: 'not_sent' });
      if (e instanceof CorusError) throw new CorusError(e.code, `write outcome unknown: ${e.message}`, { cause: e, retriable: false, context: e.context, outcome: 'unknown' });
      throw e;
    }
  }

  /**
   * Reads one database request (README §9): frames reassembled in order, CRC failures NAKed up to
   * the limit (payload accepted only after its CRC passed), no ACK after the last frame.
   * @param onRecords - receives records as frames complete them (newest first, device order).
   * @returns the record size (0 for an empty answer, §9.5).
   * @throws {CorusError} `BB_CORUS_DB_RETRIES_EXHAUSTED`, `BB_CORUS_DB_FRAME_ORDER`,
   *   `BB_CORUS_DB_PARTIAL_RECORD`, `BB_CORUS_REQUEST_REFUSED`, `BB_CORUS_TIMEOUT`, frame errors.
   */
  async readDatabase(req: DatabaseRequest, onRecords: (records: Uint8Array[], recordSize: number) => void): Promise<number> {
    await this.request(encodeDatabaseRequest(req));
    const asm = new DatabaseAssembler();
    const deadline = Date.now() + this.t('databaseTotalMs', 120_000);
    const limit = this.options.databaseNakLimit ?? 3;
    let naks = 0;
    let frames = 0;
    while (!asm.finished) {
      const left = deadline - Date.now();
      if (left <= 0) throw new CorusError('BB_CORUS_TIMEOUT', 'database transfer exceeded its overall time limit', { context: { frames } });
      const m = await this.inbox.nextMessage(Math.min(left, this.t('databaseFrameMs', 10_000)), `database frame ${frames + 1}`);
      if (m.kind === 'nak' && frames === 0) throw new CorusError('BB_CORUS_REQUEST_REFUSED', `device refused the database ${req.databaseId} request`);
      if (m.kind !== 'frame') throw new CorusError('BB_CORUS_FRAME_UNEXPECTED_BYTE', `${m.kind.toUpperCase()} instead of a database frame`);
      if (m.crcError) {
        if (naks >= limit) throw new CorusError('BB_CORUS_DB_RETRIES_EXHAUSTED', `database frame ${frames + 1} still corrupt after ${limit} NAKs`, { cause: m.crcError, context: { frame: frames + 1 } });
        naks++;
        this.options.onNak?.();
        await this.transport.write(Uint8Array.of(NAK));
        continue;
      }
      const { records } = asm.push(m.data);
      frames++;
      naks = 0;
      if (records.length > 0) onRecords(records, asm.size as number);
      if (!asm.finished) await this.transport.write(Uint8Array.of(ACK));
    }
    return asm.size as number;
  }

  /** Sends the break frame (README §3.6) if the link is up, then closes the transport. Never throws. */
  async close(): Promise<void> {
    if (!this.closedByPeer) await this.transport.write(BREAK_FRAME).catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }
}
