/**
 * One cycler's CTI session as the {@link DeviceSupervisor} sees it: connect (TCP + login), poll
 * (get-channels-info for the configured channels), close. The supervisor owns reconnection and
 * reports outages: a lost connection closes the driver client at once (its own reconnect loop is
 * stopped) and the supervisor opens a fresh client — which logs in again (login is per TCP
 * connection, Arbin CTI reference README §2) — with its capped backoff.
 *
 * {@link CyclerSession.port} is how routed commands reach the cycler: control commands (assign,
 * start, stop, resume, jump) run through `DeviceSupervisor.exclusive()`, between two polls; set-MV
 * goes straight to the client's MV queue, which spaces sends to one channel ≥ 200 ms apart and
 * coalesces faster requests (README §5.4, §10) — it needs later requests to be submitted while an
 * earlier one waits, and the client's single-request queue still keeps one exchange on the wire.
 * Every port method passes the binding's send options on to the client, whose `beforeSend` checks the
 * command's expiry immediately before its bytes are written.
 */
import type { ArbinCyclerPort } from '@busbar/actions';
import type { Logger, Metrics } from '@busbar/core';
import type { ArbinCredentials, ChannelReading, LoginFeedback } from '@busbar/driver-arbin-cti';
import { ArbinCtiClient, ArbinCtiError } from '@busbar/driver-arbin-cti';
import type { DeviceSession } from '@busbar/supervisor';
import type { ArbinDevice } from './config.js';

/** Runs `fn` between two polls (the supervisor's `exclusive`). */
export type Exclusive = <R>(fn: () => Promise<R>) => Promise<R>;

/** The connect/poll/close of one cycler, plus the command port. */
export class CyclerSession implements DeviceSession<ChannelReading[]> {
  private client: ArbinCtiClient | undefined;
  private lostReason: string | undefined;
  private channelList: readonly number[] = [];
  private login: LoginFeedback | undefined;
  /** Serialises control commands with polls; set by the collector once the supervisor exists. */
  exclusive: Exclusive = (fn) => fn();

  /**
   * @param device - the cycler's configuration.
   * @param credentials - CTI user (never logged).
   */
  constructor(
    private readonly device: ArbinDevice,
    private readonly credentials: ArbinCredentials | { readonly username: string; readonly password: string },
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** The last login reply (serial, channel count), `undefined` before the first login. */
  get session(): LoginFeedback | undefined {
    return this.login;
  }

  /** The 1-based channels polled (known after login when the configuration says `all`). */
  get channels(): readonly number[] {
    return this.channelList;
  }

  /**
   * Opens a new client and logs in.
   *
   * @throws {ArbinCtiError} `BB_ARBIN_LOGIN_FAILED`, `BB_ARBIN_TIMEOUT`, `BB_ARBIN_CONNECTION_LOST`;
   *   `BB_ARBIN_INVALID_ARGUMENT` when a configured channel is beyond the cycler's channel count.
   */
  async connect(): Promise<void> {
    await this.close();
    const d = this.device;
    const client = new ArbinCtiClient({
      host: d.host, port: d.port, credentials: this.credentials, requestTimeoutMs: d.requestTimeoutMs, connectTimeoutMs: d.connectTimeoutMs,
      mvMinIntervalMs: d.mvMinIntervalMs, readRetries: 0, logger: this.logger, metrics: this.metrics,
    });
    client.on('disconnected', ({ reason }) => {
      if (this.client !== client) return;
      this.lostReason = reason;
      void client.close(); // the supervisor reconnects (and reports the outage), not the client
    });
    this.client = client;
    this.lostReason = undefined;
    try {
      this.login = await client.connect();
    } catch (err) {
      await this.close();
      throw err;
    }
    const n = this.login.num_channels;
    if (d.channels === 'all') {
      this.channelList = Array.from({ length: n }, (_, i) => i + 1);
    } else {
      const beyond = d.channels.filter((c) => c > n);
      if (beyond.length > 0) {
        await this.close();
        throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `cycler ${d.id} has ${n} channels; configured channels ${beyond.join(', ')} do not exist`, { context: { device: d.id, numChannels: n } });
      }
      this.channelList = d.channels;
    }
  }

  /**
   * Reads every configured channel once.
   *
   * @throws {ArbinCtiError} `BB_ARBIN_CONNECTION_LOST` when the connection dropped; the driver's read errors.
   */
  poll(): Promise<ChannelReading[]> {
    const client = this.live('poll');
    return client.getChannels(this.channelList, { aux: this.device.aux, mode: this.device.readMode });
  }

  /** Closes the client (never throws). */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }

  /** The command port of this cycler, the shape `@busbar/actions`' Arbin binding expects (resolves the live client at call time). */
  readonly port: ArbinCyclerPort = {
    // `send.beforeSend` (the command's expiry check) goes down to the client, which calls it right
    // before writing: after `exclusive`, the client's request queue and the set-MV spacing.
    assignSchedule: (ch, schedule, send = {}) => this.exclusive(() => this.live('assignSchedule', false).assignSchedule(ch, schedule, send)),
    startSchedule: (ch, options) => this.exclusive(() => this.live('startSchedule', false).startSchedule(ch, options)),
    stopSchedule: (ch, send = {}) => this.exclusive(() => this.live('stopSchedule', false).stopSchedule(ch, send)),
    resumeSchedule: (ch, send = {}) => this.exclusive(() => this.live('resumeSchedule', false).resumeSchedule(ch, send)),
    jumpToStep: (ch, step, send = {}) => this.exclusive(() => this.live('jumpToStep', false).jumpToStep(ch, step, send)),
    setMetaVariable: async (ch, mv, value, send = {}) => this.live('setMetaVariable', false).setMetaVariable(ch, mv, value, send),
  };

  private live(what: string, read = true): ArbinCtiClient {
    const c = this.client;
    if (c !== undefined && this.lostReason === undefined && c.connected) return c;
    const why = this.lostReason ?? 'not connected';
    if (read) throw new ArbinCtiError('BB_ARBIN_CONNECTION_LOST', `cycler ${this.device.id}: ${why}`, { retriable: true, context: { device: this.device.id } });
    throw new ArbinCtiError('BB_ARBIN_NOT_CONNECTED', `${what} not sent: cycler ${this.device.id} is not connected (${why})`, { retriable: true, context: { device: this.device.id, sent: false } });
  }
}
