/**
 * TCP client of the Arbin CTI server (MITS Pro Console.exe), Arbin CTI reference README §2, §8, §10.
 *
 * - One request in flight per connection, behind a queue; feedbacks carry no request id and are matched
 *   by order and expected feedback code (README §2).
 * - Each frame is written with a single `socket.write` (ArbinSpoofer needs it, README §9).
 * - Connects once: `connect()` opens the TCP connection and logs in (login is per TCP connection,
 *   README §2). The client never reconnects: when the connection goes (server close, socket error, a
 *   request timeout or a non-CTI peer, both of which destroy the socket) {@link ArbinCtiClient.lost}
 *   settles and `disconnected` is emitted, once; the request in flight fails (`BB_ARBIN_CONNECTION_LOST`,
 *   outcome `unknown`, for a read; `BB_ARBIN_OUTCOME_UNKNOWN` for a control command) and every queued or
 *   later request fails `BB_ARBIN_CONNECTION_LOST` with outcome `not_sent`. Reconnecting (a new client,
 *   a new login) is the collector runtime's job (`@busbar/supervisor`).
 * - Per-request timeout (vendor recommendation 10 s, README §2). Nothing is resent: control commands
 *   (assign, start, stop, resume, continue, jump, set-MV, MV-advanced, console message) that were written
 *   but unanswered fail `BB_ARBIN_OUTCOME_UNKNOWN` (README §10).
 * - Feedbacks are cut by their length field; surplus bytes (ArbinSpoofer's 2 trailing bytes) are
 *   skipped by resynchronising on the token; checksum mismatches are warnings (README §3.3, §3.4).
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { NewestWinsPacer, noopLogger, noopMetrics, sleep, systemClock, type Clock, type CommandOutcome, type Counter, type Histogram, type Logger, type Metrics } from '@busbar/core';
import { AUX_OPTIONS, CHANNEL_SELECTION, decodeChannelInfoFeedback, encodeChannelInfoRequest, type ChannelInfoRecord } from '../codec/channel-info.js';
import { CTI_COMMANDS, type CtiCommandName } from '../codec/commands.js';
import { decodeStandardFeedback } from '../codec/feedback.js';
import { canStartFrame, CTI_TOKEN, CtiFrameDecoder, describeForeignBytes, hex32, type CtiFrame } from '../codec/frame.js';
import { decodeConsoleMessageFeedback, encodeConsoleMessageRequest } from '../codec/console-message.js';
import { decodeSerialNumberFeedback, encodeGetSerialNumberRequest } from '../codec/serial-number.js';
import { decodeLoginFeedback, encodeLoginRequest, type LoginFeedback } from '../codec/login.js';
import { encodeSetMetaVariableRequest, encodeUpdateMetaVariablesRequest, mvMetaCode, MV_MIN_INTERVAL_MS } from '../codec/meta-variable.js';
import { describeResult, type CtiResult, type CtiResultFamily } from '../codec/result-codes.js';
import {
  encodeAssignScheduleRequest,
  encodeContinueChannelRequest,
  encodeJumpToStepRequest,
  encodeResumeScheduleRequest,
  encodeStartScheduleRequest,
  encodeStopScheduleRequest,
} from '../codec/schedule.js';
import { ArbinCtiError, type ArbinCtiErrorCode } from '../errors.js';
import { toChannelReading, type ChannelReading } from '../reading.js';
import type { ArbinCredentials } from './credentials.js';

/** Default CTI port for control and information commands (README §2, [I4.5]). */
export const DEFAULT_CTI_PORT = 9031;
/** Default per-request timeout, ms (vendor recommendation, README §2). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default TCP connect timeout, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default quiet period that ends an all-channels reply split over several frames, ms (README §4.2). */
export const DEFAULT_ALL_CHANNELS_QUIET_MS = 200;
/** How often a batch MV update checks whether its channels' set-MV in flight has completed, ms. */
const MV_BATCH_POLL_MS = 10;

/** Options of {@link ArbinCtiClient}. */
export interface ArbinCtiClientOptions {
  /** Cycler PC host name or IP. */
  readonly host: string;
  /** TCP port. Default {@link DEFAULT_CTI_PORT} (9031). */
  readonly port?: number;
  /** Login credentials (see `loadArbinCredentials`). Never logged. */
  readonly credentials: ArbinCredentials | { readonly username: string; readonly password: string };
  /** Per-request timeout, ms. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /** TCP connect + login timeout, ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Quiet period that ends a multi-frame all-channels reply, ms. Default 200. */
  readonly allChannelsQuietMs?: number;
  /** Minimum spacing of set-MV commands per channel, ms. Default 200 (README §5.4). */
  readonly mvMinIntervalMs?: number;
  /** Refuse control commands when the login reply says allow_control = 0. Default true (README §10). */
  readonly enforceAllowControl?: boolean;
  /** Largest accepted feedback frame, bytes. Default 4 MiB (`DEFAULT_MAX_FRAME_BYTES`, codec/frame.ts). */
  readonly maxFrameBytes?: number;
  /** Logger (default no-op). Credentials and payloads are never logged. */
  readonly logger?: Logger;
  /** Metrics (default no-op). */
  readonly metrics?: Metrics;
  /** Clock for the MV spacing. Default the system clock. */
  readonly clock?: Clock;
}

/** The result of a control command: the cycler's result code mapped to its vendor meaning. */
export interface CommandResult extends CtiResult {
  /** Which operation. */
  readonly command: CtiCommandName;
  /** 1-based channel, `null` for commands without one. */
  readonly channel: number | null;
  /** True when this set-MV was replaced by a newer value before it was sent (never sent; `ok` false). */
  readonly superseded?: boolean;
  /**
   * When `ok` is false: `refused` (the cycler answered with a refusal code, nothing executed) or
   * `not_sent` (a superseded set-MV). Absent when `ok`. Same meaning as a Busbar error's `outcome`.
   */
  readonly outcome?: CommandOutcome;
}

/** Events of {@link ArbinCtiClient}. */
export interface ArbinCtiClientEvents {
  /** Logged in (once per client: it never reconnects). */
  connected: [info: { readonly host: string; readonly port: number; readonly numChannels: number; readonly serial: string }];
  /**
   * The logged-in connection dropped (server close, socket error, request timeout, non-CTI bytes);
   * emitted once, when {@link ArbinCtiClient.lost} settles. `code` is the error code that made the
   * client drop it (`BB_ARBIN_TIMEOUT`, `BB_ARBIN_BAD_TOKEN`), `undefined` when the peer closed.
   */
  disconnected: [info: { readonly reason: string; readonly code: string | undefined }];
  /** A set-MV request was superseded by a newer value for the same channel and MV. */
  'mv-superseded': [info: { readonly channel: number; readonly mv: number; readonly supersededValue: number; readonly newValue: number }];
}

/**
 * Per-call options of the control commands.
 *
 * `beforeSend` is called immediately before the command's bytes are written to the socket — after
 * every queue the command waited in (the caller's, the client's request queue, the set-MV spacing)
 * and after the connection is ready. If it throws, nothing is written and the call rejects with that
 * error unchanged: this is where a command's expiry is checked at the wire (e.g.
 * `assertNotExpired` of `@busbar/safety`). For {@link ArbinCtiClient.startSchedule} it runs before
 * the assign and again before the start.
 */
export interface SendOptions {
  /** Throws to keep the command off the wire. */
  readonly beforeSend?: () => void;
}

/** One channel + MV + value of a batch update. */
export interface MvSetting {
  /** 1-based channel. */
  readonly channel: number;
  /** MV_UD number, 1..16. */
  readonly mv: number;
  /** New value. */
  readonly value: number;
}

interface Inflight {
  readonly expected: number;
  readonly collect: ((frames: readonly CtiFrame[]) => boolean) | undefined;
  readonly frames: CtiFrame[];
  resolve(frames: CtiFrame[]): void;
  reject(err: unknown): void;
  quietTimer?: NodeJS.Timeout;
}

interface ExchangeOptions {
  readonly command: CtiCommandName;
  /** A read: a failure after writing stays a transport error; otherwise it becomes `BB_ARBIN_OUTCOME_UNKNOWN`. */
  readonly idempotent: boolean;
  readonly channel?: number;
  /** Collect several frames until this returns true or the quiet period passes. */
  readonly collect?: (frames: readonly CtiFrame[]) => boolean;
  /** See {@link SendOptions.beforeSend}. */
  readonly beforeSend?: () => void;
}

/** One set-MV waiting for its channel's slot (the pacer's value; the slot is the MV number). */
type MvTag = { readonly mv: number; readonly value: number; resolve(r: CommandResult): void; reject(e: unknown): void; readonly send: SendOptions };

/**
 * Arbin CTI client. Create, `await connect()`, then poll and command; `close()` at the end.
 *
 * Channels in this API are the cycler's **1-based** numbers; the wire index is `channel − 1`.
 */
export class ArbinCtiClient extends EventEmitter<ArbinCtiClientEvents> {
  private readonly host: string;
  private readonly port: number;
  private readonly credentials: ArbinCtiClientOptions['credentials'];
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly quietMs: number;
  private readonly enforceAllowControl: boolean;
  private readonly maxFrameBytes: number | undefined;
  private readonly log: Logger;
  /** Set-MV spacing per channel, newest value per MV wins (`@busbar/core` pacer). */
  private readonly mv: NewestWinsPacer<number, MvTag>;
  private readonly clock: Clock;
  private readonly m: {
    requests: Counter;
    duration: Histogram;
    checksum: Counter;
    skipped: Counter;
    superseded: Counter;
  };

  private socket: Socket | undefined;
  private decoder: CtiFrameDecoder | undefined;
  private inflight: Inflight | undefined;
  private loginInfo: LoginFeedback | undefined;
  private state: 'idle' | 'connecting' | 'ready' | 'lost' | 'closed' = 'idle';
  /** The one connect attempt (later `connect()` calls share it). */
  private connecting: Promise<LoginFeedback> | undefined;
  /** Why the client is spent (state `lost`): the connection went, or the connect attempt failed. */
  private spent: { readonly reason: string; readonly error: Error } | undefined;
  private settleLost: (err: Error) => void = () => undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readyWaiters: Array<() => void> = [];
  private checksumWarned = false;
  /** The first bytes of the current connection until they are known to start a CTI frame (then `undefined`). */
  private firstBytes: { bytes: Buffer; total: number } | undefined;

  /** @param options - see {@link ArbinCtiClientOptions}. */
  constructor(options: ArbinCtiClientOptions) {
    super();
    this.host = options.host;
    this.port = options.port ?? DEFAULT_CTI_PORT;
    this.credentials = options.credentials;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.quietMs = options.allChannelsQuietMs ?? DEFAULT_ALL_CHANNELS_QUIET_MS;
    this.enforceAllowControl = options.enforceAllowControl ?? true;
    this.maxFrameBytes = options.maxFrameBytes;
    this.clock = options.clock ?? systemClock;
    this.mv = new NewestWinsPacer<number, MvTag>({
      minIntervalMs: options.mvMinIntervalMs ?? MV_MIN_INTERVAL_MS,
      clock: this.clock,
      // The channel stays in flight until the feedback (or failure); the spacing starts then, so
      // waiting in the request queue behind slow reads cannot shrink the gap between two writes.
      send: ({ key: channel, value: req }) => {
        const frame = encodeSetMetaVariableRequest({ channel_index0: channel - 1, mv_meta_code: mvMetaCode(req.mv), mv_data: req.value });
        const sent = this.command('setMetaVariable', 'setMetaVariable', frame, channel, req.send);
        sent.then(req.resolve, req.reject);
        return sent;
      },
    });
    this.log = (options.logger ?? noopLogger).child({ driver: 'arbin-cti', host: this.host, port: this.port });
    const metrics = options.metrics ?? noopMetrics;
    this.m = {
      requests: metrics.counter({ name: 'busbar_arbin_requests_total', help: 'CTI requests by command and outcome.', labelNames: ['command', 'outcome'] }),
      duration: metrics.histogram({ name: 'busbar_arbin_request_duration_seconds', help: 'CTI request round-trip time.', labelNames: ['command'] }),
      checksum: metrics.counter({ name: 'busbar_arbin_checksum_mismatches_total', help: 'Feedback frames whose checksum did not match.' }),
      skipped: metrics.counter({ name: 'busbar_arbin_skipped_bytes_total', help: 'Bytes skipped while resynchronising on the frame token.' }),
      superseded: metrics.counter({ name: 'busbar_arbin_mv_superseded_total', help: 'set-MV requests replaced by a newer value before sending.' }),
    };
    this.lost = new Promise<Error>((resolve) => (this.settleLost = resolve));
  }

  /**
   * Settles (never rejects), once, when the client is spent: its logged-in connection was lost
   * (`BB_ARBIN_CONNECTION_LOST`, `cause` the timeout or bad-token error when the client dropped it) or
   * its `connect()` failed (that error). Not settled by {@link close}. The client never reconnects:
   * create a new one (the collector runtime does).
   */
  readonly lost: Promise<Error>;

  /** The last login feedback (cycler identity, channel count, allow_control), or `undefined` before login. */
  get session(): LoginFeedback | undefined {
    return this.loginInfo;
  }

  /** Whether a logged-in connection is up. */
  get connected(): boolean {
    return this.state === 'ready';
  }

  /**
   * Opens the TCP connection and logs in — once per client. A call while connected (or connecting)
   * returns the same login; a failed attempt spends the client ({@link lost} settles with its error)
   * and later calls fail without touching the network.
   *
   * @throws {ArbinCtiError} `BB_ARBIN_LOGIN_FAILED` (result 2), `BB_ARBIN_TIMEOUT`, `BB_ARBIN_CONNECTION_LOST`
   *   (TCP refused or closed; also every call after the client is spent, outcome `not_sent`),
   *   `BB_ARBIN_BAD_TOKEN` (another service on the port), `BB_ARBIN_CLOSED`.
   */
  connect(): Promise<LoginFeedback> {
    if (this.state === 'closed') return Promise.reject(new ArbinCtiError('BB_ARBIN_CLOSED', 'client closed'));
    if (this.state === 'lost') return Promise.reject(this.notSent({ command: 'login', idempotent: true }, 'connect'));
    if (this.connecting === undefined) {
      this.state = 'connecting';
      this.connecting = this.open().catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.markLost(`connect failed: ${error.message}`, error);
        throw err;
      });
    }
    return this.connecting;
  }

  /** Closes the connection; pending and later requests fail with `BB_ARBIN_CLOSED`. Does not settle {@link lost}. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const err = new ArbinCtiError('BB_ARBIN_CLOSED', 'client closed');
    for (const req of this.mv.close()) req.value.reject(err);
    this.failInflight(err);
    for (const w of this.readyWaiters.splice(0)) w();
    const s = this.socket;
    this.socket = undefined;
    if (s !== undefined && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.destroy();
      });
    }
  }

  // ---------------------------------------------------------------- reads

  /**
   * Reads channels by 1-based number and returns SI-named readings in the order asked.
   *
   * `mode: 'per-channel'` (default) sends one request per channel (works everywhere, including
   * ArbinSpoofer); `mode: 'all'` sends one request for all channels (−1) and keeps the channels asked
   * for (fewer round trips on real hardware; README §4.2). `aux: true` requests aux values (0x400).
   * Not retried: a timeout or a lost connection spends the client (see {@link lost}).
   *
   * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` for channels outside 1..num_channels;
   *   `BB_ARBIN_CHANNEL_MISMATCH` when the cycler answers for another channel or leaves one out;
   *   `BB_ARBIN_TIMEOUT` (the connection is then dropped), `BB_ARBIN_CONNECTION_LOST` (outcome `unknown`
   *   when lost while in flight, `not_sent` when the client was already spent), `BB_ARBIN_NOT_CONNECTED`
   *   (before `connect()`), decode errors.
   */
  async getChannels(channels: readonly number[], options: { readonly aux?: boolean; readonly mode?: 'per-channel' | 'all' } = {}): Promise<ChannelReading[]> {
    for (const c of channels) this.checkChannel(c);
    const auxOptions = options.aux === true ? AUX_OPTIONS.aux : AUX_OPTIONS.none;
    if (options.mode === 'all') {
      const records = await this.getChannelRecords(-1, auxOptions);
      const byIndex = new Map(records.map((r) => [r.channel_index0, r]));
      return channels.map((c) => {
        const r = byIndex.get(c - 1);
        if (r === undefined) throw new ArbinCtiError('BB_ARBIN_CHANNEL_MISMATCH', `all-channels reply has no record for channel ${c}`, { context: { channel: c, records: records.length } });
        return toChannelReading(r);
      });
    }
    const out: ChannelReading[] = [];
    for (const c of channels) {
      const records = await this.getChannelRecords(c - 1, auxOptions);
      const r = records[0];
      if (r === undefined || r.channel_index0 !== c - 1) {
        throw new ArbinCtiError('BB_ARBIN_CHANNEL_MISMATCH', `asked for channel ${c} (index ${c - 1}), the reply describes index ${r?.channel_index0 ?? 'none'}`, {
          context: { channel: c, actualIndex0: r?.channel_index0 },
        });
      }
      out.push(toChannelReading(r));
    }
    return out;
  }

  /**
   * Low-level get-channels-info: the decoded records for a 0-based index (or −1 = all channels,
   * gathering every frame until all `num_channels` records arrived or a quiet period passed).
   *
   * @throws {ArbinCtiError} see {@link getChannels}.
   */
  async getChannelRecords(channelIndex0: number, auxOptions: number = AUX_OPTIONS.none, selection: number = CHANNEL_SELECTION.all): Promise<ChannelInfoRecord[]> {
    const frame = encodeChannelInfoRequest({ channel_index0: channelIndex0, channel_selection: selection, aux_options: auxOptions });
    const all = channelIndex0 === -1;
    const expectedRecords = (): number => this.loginInfo?.num_channels ?? Infinity;
    const count = (frames: readonly CtiFrame[]): number => frames.reduce((s, f) => s + f.bytes.readUInt32LE(20), 0);
    const frames = await this.exchange(frame, CTI_COMMANDS.getChannelsInfo.feedback, {
      command: 'getChannelsInfo',
      idempotent: true,
      ...(all ? { collect: (fs: readonly CtiFrame[]) => selection === CHANNEL_SELECTION.all && count(fs) >= expectedRecords() } : {}),
    });
    return frames.flatMap((f) => decodeChannelInfoFeedback(f).records);
  }

  /**
   * Reads the cycler serial number (README §6.1). Not retried.
   *
   * @throws {ArbinCtiError} transport and decode errors as {@link getChannels}.
   */
  async getSerialNumber(): Promise<{ readonly serialNumber: number; readonly result: CtiResult }> {
    const [f] = await this.exchange(encodeGetSerialNumberRequest(), CTI_COMMANDS.getSerialNumber.feedback, { command: 'getSerialNumber', idempotent: true });
    const fb = decodeSerialNumberFeedback(f as CtiFrame);
    return { serialNumber: fb.serial_number, result: describeResult('getSerialNumber', fb.result) };
  }

  // ---------------------------------------------------------------- commands

  /**
   * Assigns a schedule file to a channel (README §4.4). Never resent. A refusal by the cycler resolves
   * with `ok: false`, `outcome: 'refused'`.
   *
   * @throws {ArbinCtiError} `BB_ARBIN_OUTCOME_UNKNOWN` when written but unanswered, or the feedback
   *   cannot be decoded (outcome `unknown`: the cycler may have executed it); `BB_ARBIN_NOT_CONNECTED`,
   *   `BB_ARBIN_CONNECTION_LOST` (the client was spent before it was written), `BB_ARBIN_CLOSED`,
   *   `BB_ARBIN_CONTROL_NOT_ALLOWED`, `BB_ARBIN_INVALID_ARGUMENT` (outcome `not_sent`).
   */
  async assignSchedule(channel: number, schedule: string, options: SendOptions & { readonly barcode?: string; readonly testCapacityAh?: number; readonly userVariables?: readonly number[] } = {}): Promise<CommandResult> {
    this.checkControl(channel);
    const frame = encodeAssignScheduleRequest({
      channel_index0: channel - 1,
      schedule,
      ...(options.barcode !== undefined ? { barcode: options.barcode } : {}),
      ...(options.testCapacityAh !== undefined ? { test_capacity_ah: options.testCapacityAh } : {}),
      ...(options.userVariables !== undefined ? { user_variables: options.userVariables } : {}),
    });
    return this.command('assignSchedule', 'assignSchedule', frame, channel, options);
  }

  /**
   * Starts a test: assigns `schedule` (unless `assign: false`) then starts it with `testName`
   * (README §4.5, pycti's order). Returns the assign result when the assign is refused.
   * `beforeSend` runs before each of the two writes: a throw before the start leaves the schedule
   * assigned but not started. A failure of the assign keeps its outcome (`unknown` when unanswered:
   * the schedule may be assigned, the start was not sent).
   *
   * @throws {ArbinCtiError} as {@link assignSchedule}; whatever `beforeSend` throws.
   */
  async startSchedule(channel: number, options: SendOptions & { readonly schedule?: string; readonly testName: string; readonly assign?: boolean }): Promise<CommandResult> {
    this.checkControl(channel);
    const start = encodeStartScheduleRequest({ test_name: options.testName, channel_indexes0: [channel - 1] });
    if (options.assign !== false) {
      if (options.schedule === undefined) throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', 'startSchedule: schedule is required unless assign is false', { context: { field: 'schedule' } });
      const assigned = await this.assignSchedule(channel, options.schedule, options.beforeSend !== undefined ? { beforeSend: options.beforeSend } : {});
      if (!assigned.ok) return assigned;
    }
    return this.command('startSchedule', 'startSchedule', start, channel, options);
  }

  /** Stops the test on a channel (README §4.6). Never resent. @throws {ArbinCtiError} as {@link assignSchedule}. */
  async stopSchedule(channel: number, send: SendOptions = {}): Promise<CommandResult> {
    this.checkControl(channel);
    return this.command('stopSchedule', 'stopSchedule', encodeStopScheduleRequest({ channel_index0: channel - 1 }), channel, send);
  }

  /** Resumes a stopped test (README §6.2). Never resent. @throws {ArbinCtiError} as {@link assignSchedule}. */
  async resumeSchedule(channel: number, send: SendOptions = {}): Promise<CommandResult> {
    this.checkControl(channel);
    return this.command('resumeSchedule', 'resumeSchedule', encodeResumeScheduleRequest({ channel_index0: channel - 1 }), channel, send);
  }

  /** Continues a paused channel (README §6.2, [I4.5] layout). Never resent. @throws {ArbinCtiError} as {@link assignSchedule}. */
  async continueChannel(channel: number, send: SendOptions = {}): Promise<CommandResult> {
    this.checkControl(channel);
    return this.command('continueChannel', 'continueChannel', encodeContinueChannelRequest({ channel_indexes0: [channel - 1] }), channel, send);
  }

  /**
   * Makes a running channel jump to `stepIndex` — 1-based, as in {@link ChannelReading.step_index};
   * the wire is 0-based (README §6.2). A step that does not exist stops the test ([P1.1]). Never resent.
   *
   * @throws {ArbinCtiError} as {@link assignSchedule}.
   */
  async jumpToStep(channel: number, stepIndex: number, send: SendOptions = {}): Promise<CommandResult> {
    this.checkControl(channel);
    return this.command('jumpToStep', 'jumpToStep', encodeJumpToStepRequest({ channel_index0: channel - 1, step_index0: stepIndex - 1 }), channel, send);
  }

  /**
   * Sets MV_UD`mv` (1..16) of a running channel (README §4.7). At most one set-MV per channel is in
   * flight, and the next one is written no sooner than `mvMinIntervalMs` (200 ms) after the previous
   * one's feedback — so queueing behind slow reads can never bring two writes closer than that
   * (the cycler would answer 0x14 and keep the older value, README §5.4). A newer value for the same
   * channel and MV queued before the older one was taken supersedes it: the older call resolves
   * `{ ok: false, superseded: true }` and an `mv-superseded` event is emitted. Never resent.
   *
   * @throws {ArbinCtiError} as {@link assignSchedule}; whatever `send.beforeSend` throws.
   */
  setMetaVariable(channel: number, mv: number, value: number, send: SendOptions = {}): Promise<CommandResult> {
    this.checkControl(channel);
    encodeSetMetaVariableRequest({ channel_index0: channel - 1, mv_meta_code: mvMetaCode(mv), mv_data: value }); // validate now
    if (this.state === 'closed' || this.state === 'lost') return Promise.reject(this.notSent({ command: 'setMetaVariable', idempotent: false, channel }, 'set-MV'));
    return new Promise<CommandResult>((resolve, reject) => {
      const replaced = this.mv.submit(channel, { mv, value, resolve, reject, send }, { slot: mv });
      if (replaced !== undefined) {
        this.m.superseded.inc();
        this.emit('mv-superseded', { channel, mv, supersededValue: replaced.superseded.value.value, newValue: value });
        replaced.superseded.value.resolve({
          ok: false, code: null, name: 'SUPERSEDED', reason: `superseded by a newer value (${value}) for MV_UD${mv} before it was sent`, source: 'busbar NewestWinsPacer',
          command: 'setMetaVariable', channel, superseded: true, outcome: 'not_sent',
        });
      }
    });
  }

  /**
   * Sets several MVs in one MV-advanced message (README §6.2, at most 160 entries). Waits until no
   * set-MV of its channels is in flight and each channel's spacing (from the last feedback) allows
   * it; its channels are then in flight until its feedback. Never resent.
   *
   * @throws {ArbinCtiError} as {@link assignSchedule}; whatever `send.beforeSend` throws.
   */
  async setMetaVariables(settings: readonly MvSetting[], send: SendOptions = {}): Promise<CommandResult> {
    for (const s of settings) this.checkControl(s.channel);
    const frame = encodeUpdateMetaVariablesRequest(settings.map((s) => ({ channel_index0: s.channel - 1, mv_meta_code: mvMetaCode(s.mv), value: s.value })));
    const channels = [...new Set(settings.map((s) => s.channel))];
    for (;;) {
      if (this.state === 'closed' || this.state === 'lost') throw this.notSent({ command: 'updateMetaVariables', idempotent: false }, 'MV update');
      const now = this.clock.nowMs();
      if (channels.every((c) => this.mv.earliestSendMs(c) <= now)) break;
      // in flight: poll for its completion; spacing: wait it out
      const waitMs = Math.max(1, Math.min(...channels.map((c) => (this.mv.isInFlight(c) ? MV_BATCH_POLL_MS : this.mv.earliestSendMs(c) - now)).filter((ms) => ms > 0)));
      await sleep(waitMs);
    }
    for (const c of channels) this.mv.tryBegin(c);
    try {
      return await this.command('updateMetaVariables', 'setMetaVariable', frame, channels.length === 1 ? (channels[0] ?? null) : null, send);
    } finally {
      for (const c of channels) this.mv.complete(c);
    }
  }

  /**
   * Shows a message on the cycler PC's Console (README §6.4; RTF, "[DateTime]<-->[RichText]").
   * Never resent.
   *
   * @throws {ArbinCtiError} as {@link assignSchedule}.
   */
  async sendConsoleMessage(message: string): Promise<CommandResult> {
    const frame = encodeConsoleMessageRequest(message);
    const [f] = await this.exchange(frame, CTI_COMMANDS.sendConsoleMessage.feedback, { command: 'sendConsoleMessage', idempotent: false });
    const r = describeResult('sendConsoleMessage', decodeConsoleMessageFeedback(f as CtiFrame).result);
    return { ...r, command: 'sendConsoleMessage', channel: null };
  }

  // ---------------------------------------------------------------- internals

  private checkChannel(channel: number): void {
    const max = this.loginInfo?.num_channels ?? 0xffff;
    if (!Number.isInteger(channel) || channel < 1 || channel > max) {
      throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `channel ${channel} is not in 1..${max} (channels are 1-based)`, { context: { field: 'channel', value: channel, max } });
    }
  }

  private checkControl(channel: number): void {
    this.checkChannel(channel);
    if (this.enforceAllowControl && this.loginInfo !== undefined && this.loginInfo.allow_control === 0) {
      throw new ArbinCtiError('BB_ARBIN_CONTROL_NOT_ALLOWED', 'the CTI user may not control channels (login reply allow_control = 0)', { context: { channel } });
    }
  }

  private async command(command: CtiCommandName, family: CtiResultFamily, frame: Buffer, channel: number | null, send: SendOptions = {}): Promise<CommandResult> {
    const feedback = CTI_COMMANDS[command].feedback;
    const [f] = await this.exchange(frame, feedback, { command, idempotent: false, ...(channel !== null ? { channel } : {}), ...(send.beforeSend !== undefined ? { beforeSend: send.beforeSend } : {}) });
    const fb = decodeStandardFeedback(f as CtiFrame, feedback);
    const r = describeResult(family, fb.result);
    if (!r.ok) this.log.warn({ command, channel, code: r.code, name: r.name }, `cycler refused ${command}: ${r.reason}`);
    return r.ok ? { ...r, command, channel } : { ...r, command, channel, outcome: 'refused' };
  }

  /** Queues one exchange (one request in flight per connection, README §2); nothing is retried. */
  private exchange(frame: Buffer, expected: number, opts: ExchangeOptions): Promise<CtiFrame[]> {
    const run = async (): Promise<CtiFrame[]> => {
      const t0 = performance.now();
      try {
        const frames = await this.exchangeOnce(frame, expected, opts);
        this.m.requests.inc({ command: opts.command, outcome: 'ok' });
        this.m.duration.observe({ command: opts.command }, (performance.now() - t0) / 1000);
        return frames;
      } catch (err) {
        const code = err instanceof ArbinCtiError ? err.code : typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : 'BB_CORE_UNEXPECTED';
        this.m.requests.inc({ command: opts.command, outcome: code });
        throw err;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async exchangeOnce(frame: Buffer, expected: number, opts: ExchangeOptions): Promise<CtiFrame[]> {
    const deadline = performance.now() + this.requestTimeoutMs;
    await this.waitReady(deadline, opts);
    const socket = this.socket;
    if (socket === undefined || this.state !== 'ready') throw this.notSent(opts, 'connection not ready');
    // The last moment before the bytes leave: a throw here means nothing was written.
    opts.beforeSend?.();
    const pending = new Promise<CtiFrame[]>((resolve, reject) => {
      const remaining = Math.max(1, deadline - performance.now());
      const timer = setTimeout(() => {
        const got = inflight.frames;
        if (inflight.collect !== undefined && got.length > 0) {
          finish();
          resolve(got);
          return;
        }
        finish();
        const err = opts.idempotent
          ? new ArbinCtiError('BB_ARBIN_TIMEOUT', `no ${opts.command} feedback (0x${hex32(expected)}) in ${this.requestTimeoutMs} ms`, { retriable: true, context: { command: opts.command, timeoutMs: this.requestTimeoutMs } })
          : this.outcomeUnknown(opts, `no feedback in ${this.requestTimeoutMs} ms`);
        reject(err);
        this.dropConnection('request timeout', 'BB_ARBIN_TIMEOUT', err);
      }, remaining);
      const finish = (): void => {
        clearTimeout(timer);
        clearTimeout(inflight.quietTimer);
        if (this.inflight === inflight) this.inflight = undefined;
      };
      const inflight: Inflight = {
        expected,
        collect: opts.collect,
        frames: [],
        resolve: (fs) => {
          finish();
          resolve(fs);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
      };
      this.inflight = inflight;
      socket.write(frame);
    });
    try {
      return await pending;
    } catch (err) {
      const lost = err instanceof ArbinCtiError && (err.code === 'BB_ARBIN_CONNECTION_LOST' || err.code === 'BB_ARBIN_CLOSED');
      if (lost && !opts.idempotent) throw this.outcomeUnknown(opts, 'the connection was lost before its feedback arrived', err);
      throw err;
    }
  }

  /**
   * The error of a request that was not written: `BB_ARBIN_CLOSED`, `BB_ARBIN_CONNECTION_LOST` (the
   * client is spent; outcome `not_sent`, `cause` what spent it) or `BB_ARBIN_NOT_CONNECTED` (`why`).
   */
  private notSent(opts: ExchangeOptions, why: string): ArbinCtiError {
    if (this.state === 'closed') return new ArbinCtiError('BB_ARBIN_CLOSED', 'client closed', { context: { command: opts.command, sent: false } });
    if (this.spent !== undefined) {
      return new ArbinCtiError('BB_ARBIN_CONNECTION_LOST', `${opts.command} not sent: ${this.spent.reason}; this client does not reconnect`, {
        retriable: true, outcome: 'not_sent', cause: this.spent.error, context: { command: opts.command, channel: opts.channel, sent: false },
      });
    }
    return new ArbinCtiError('BB_ARBIN_NOT_CONNECTED', `${opts.command} not sent: ${why}`, { retriable: true, context: { command: opts.command, channel: opts.channel, sent: false } });
  }

  private outcomeUnknown(opts: ExchangeOptions, why: string, cause?: unknown): ArbinCtiError {
    return new ArbinCtiError('BB_ARBIN_OUTCOME_UNKNOWN', `${opts.command} was sent but ${why}: the cycler may or may not have executed it; it is not resent`, {
      ...(cause !== undefined ? { cause } : {}),
      context: { command: opts.command, channel: opts.channel, sent: true },
    });
  }

  private waitReady(deadline: number, opts: ExchangeOptions): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'closed' || this.state === 'lost') return Promise.reject(this.notSent(opts, 'client closed'));
    if (this.state === 'idle') return Promise.reject(this.notSent(opts, 'connect() was not called'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(this.notSent(opts, `no logged-in connection within ${this.requestTimeoutMs} ms`));
      }, Math.max(1, deadline - performance.now()));
      const waiter = (): void => {
        clearTimeout(timer);
        if (this.state === 'ready') resolve();
        else reject(this.notSent(opts, 'the connect attempt failed'));
      };
      this.readyWaiters.push(waiter);
    });
  }

  /** Opens a socket, logs in, and marks the client ready (the one connect attempt). */
  private async open(): Promise<LoginFeedback> {
    const socket = new Socket();
    socket.setNoDelay(true);
    const decoder = new CtiFrameDecoder({ direction: 'feedback', ...(this.maxFrameBytes !== undefined ? { maxFrameBytes: this.maxFrameBytes } : {}) });
    this.socket = socket;
    this.decoder = decoder;
    this.checksumWarned = false;
    this.firstBytes = { bytes: Buffer.alloc(0), total: 0 };
    socket.on('data', (chunk: Buffer) => this.onData(socket, decoder, chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => this.onClose(socket));
    const opts: ExchangeOptions = { command: 'login', idempotent: true };
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ArbinCtiError('BB_ARBIN_TIMEOUT', `TCP connect to ${this.host}:${this.port} timed out after ${this.connectTimeoutMs} ms`, { retriable: true, outcome: 'not_sent' })), this.connectTimeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(new ArbinCtiError('BB_ARBIN_CONNECTION_LOST', `cannot connect to ${this.host}:${this.port}: ${err.message}`, { retriable: true, cause: err, outcome: 'not_sent' }));
        });
        socket.connect(this.port, this.host);
      });
      const login = encodeLoginRequest({ username: this.credentials.username, password: this.credentials.password });
      const frames = await new Promise<CtiFrame[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ArbinCtiError('BB_ARBIN_TIMEOUT', `no login feedback in ${this.connectTimeoutMs} ms`, { retriable: true })), this.connectTimeoutMs);
        this.inflight = {
          expected: CTI_COMMANDS.login.feedback,
          collect: undefined,
          frames: [],
          resolve: (fs) => {
            clearTimeout(timer);
            this.inflight = undefined;
            resolve(fs);
          },
          reject: (e) => {
            clearTimeout(timer);
            this.inflight = undefined;
            reject(e);
          },
        };
        socket.write(login);
      });
      const info = decodeLoginFeedback(frames[0] as CtiFrame);
      const result = describeResult('login', info.result);
      if (!result.ok) throw new ArbinCtiError('BB_ARBIN_LOGIN_FAILED', `login refused by the cycler: ${result.reason} (result ${info.result})`, { context: { result: info.result, user: this.credentials.username } });
      if (this.state === 'closed' || this.socket !== socket) throw this.notSent(opts, 'client closed');
      this.loginInfo = info;
      this.state = 'ready';
      this.log.info({ serial: info.cycler_sn, channels: info.num_channels, allowControl: info.allow_control }, 'logged in to Arbin CTI');
      this.emit('connected', { host: this.host, port: this.port, numChannels: info.num_channels, serial: info.cycler_sn });
      for (const w of this.readyWaiters.splice(0)) w();
      return info;
    } catch (err) {
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
      throw err;
    }
  }

  private onData(socket: Socket, decoder: CtiFrameDecoder, chunk: Buffer): void {
    if (socket !== this.socket) return;
    if (this.firstBytes !== undefined && this.checkFirstBytes(this.firstBytes, chunk)) return;
    const before = decoder.skippedBytes;
    let frames: CtiFrame[] = [];
    let input: Uint8Array = chunk;
    for (;;) {
      try {
        frames = frames.concat(decoder.push(input));
        break;
      } catch (err) {
        this.log.warn({ code: err instanceof ArbinCtiError ? err.code : undefined, err: String(err) }, 'garbage length field; resynchronising');
        input = new Uint8Array(0);
      }
    }
    const skipped = decoder.skippedBytes - before;
    if (skipped > 0) {
      this.m.skipped.inc(undefined, skipped);
      this.log.debug({ skipped }, 'skipped bytes before a frame token');
    }
    for (const f of frames) this.onFrame(f);
  }

  /**
   * A cycler's first feedback starts with the token (README §3.2): when the first bytes of a connection
   * cannot start a frame, another service answers on the port. Fails the request in flight (the login)
   * with `BB_ARBIN_BAD_TOKEN` showing what came, at once instead of after the timeout, and drops the
   * connection. Returns whether it did.
   */
  private checkFirstBytes(first: { bytes: Buffer; total: number }, chunk: Buffer): boolean {
    first.total += chunk.length;
    if (first.bytes.length < 64) first.bytes = Buffer.concat([first.bytes, chunk.subarray(0, 64 - first.bytes.length)]);
    if (canStartFrame(first.bytes)) {
      if (first.bytes.length >= CTI_TOKEN.length) this.firstBytes = undefined; // a token: a CTI peer
      return false;
    }
    const err = new ArbinCtiError('BB_ARBIN_BAD_TOKEN', `${this.host}:${this.port} ${describeForeignBytes(first.bytes, first.total)}; is another service listening on the CTI port?`, {
      context: { host: this.host, port: this.port, received: first.total, hex: first.bytes.subarray(0, 16).toString('hex') },
    });
    this.firstBytes = undefined;
    this.log.error({ received: first.total, hex: first.bytes.subarray(0, 16).toString('hex') }, err.message);
    this.failInflight(err);
    this.dropConnection('not a CTI peer', err.code, err);
    return true;
  }

  private onFrame(frame: CtiFrame): void {
    if (!frame.checksumOk) {
      this.m.checksum.inc();
      const fields = { command: hex32(frame.commandCode), received: frame.checksum, computed: frame.computedChecksum };
      if (!this.checksumWarned) this.log.warn(fields, 'feedback checksum mismatch (tolerated, README §3.4)');
      else this.log.debug(fields, 'feedback checksum mismatch');
      this.checksumWarned = true;
    }
    const inflight = this.inflight;
    if (inflight === undefined || frame.commandCode !== inflight.expected) {
      this.log.warn({ command: hex32(frame.commandCode), expected: inflight === undefined ? undefined : hex32(inflight.expected) }, 'unexpected feedback ignored');
      return;
    }
    inflight.frames.push(frame);
    if (inflight.collect === undefined) return inflight.resolve(inflight.frames);
    if (inflight.collect(inflight.frames)) return inflight.resolve(inflight.frames);
    clearTimeout(inflight.quietTimer);
    inflight.quietTimer = setTimeout(() => inflight.resolve(inflight.frames), this.quietMs);
  }

  private failInflight(err: unknown): void {
    const inflight = this.inflight;
    this.inflight = undefined;
    inflight?.reject(err);
  }

  /** Destroys the socket on the client's own decision (request timeout, non-CTI peer): the connection is lost. */
  private dropConnection(reason: string, code: ArbinCtiErrorCode, cause: ArbinCtiError): void {
    const s = this.socket;
    if (s === undefined) return;
    this.log.warn({ reason, code }, 'dropping CTI connection');
    s.destroy();
    this.handleLoss(s, reason, { code, error: cause });
  }

  private onClose(socket: Socket): void {
    this.handleLoss(socket, 'connection closed', undefined);
  }

  /**
   * The socket of this client went: the request in flight fails (its caller turns a control command's
   * failure into `BB_ARBIN_OUTCOME_UNKNOWN`); a logged-in client is spent ({@link markLost}) and emits
   * `disconnected`. During the connect attempt, `open()` fails instead and `connect()` spends the client.
   */
  private handleLoss(socket: Socket, reason: string, drop: { readonly code: ArbinCtiErrorCode; readonly error: ArbinCtiError } | undefined): void {
    const cause = drop?.error;
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.decoder = undefined;
    this.failInflight(
      new ArbinCtiError('BB_ARBIN_CONNECTION_LOST', `connection lost while waiting for a feedback (${reason})`, { retriable: true, ...(cause !== undefined ? { cause } : {}), context: { host: this.host, port: this.port, reason } }),
    );
    if (this.state !== 'ready') return;
    const err = new ArbinCtiError('BB_ARBIN_CONNECTION_LOST', `the CTI connection to ${this.host}:${this.port} was lost (${reason}); this client does not reconnect`, {
      retriable: true, ...(cause !== undefined ? { cause } : {}), context: { host: this.host, port: this.port, reason },
    });
    this.markLost(`the connection was lost (${reason})`, err);
    this.emit('disconnected', { reason, code: drop?.code });
  }

  /**
   * Spends the client, once: {@link lost} settles with `error`, set-MVs waiting for their spacing and
   * requests waiting for the connection fail `BB_ARBIN_CONNECTION_LOST` (`not_sent`); queued requests
   * fail the same way when their turn comes. No-op once closed.
   */
  private markLost(reason: string, error: Error): void {
    if (this.state === 'closed' || this.state === 'lost') return;
    this.state = 'lost';
    this.spent = { reason, error };
    this.log.warn({ reason, code: (error as { code?: unknown }).code }, 'Arbin CTI client spent; it does not reconnect');
    for (const req of this.mv.close()) req.value.reject(this.notSent({ command: 'setMetaVariable', idempotent: false, channel: req.key }, reason));
    for (const w of this.readyWaiters.splice(0)) w();
    this.settleLost(error);
  }
}
