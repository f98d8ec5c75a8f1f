/**
 * The MacNet client the collector and commander use: typed reads and guarded commands over one JSON
 * connection (TCP 57570) plus, for the rest set-point, one binary transport opened on first use: a TCP
 * connection (57560) or a UDP socket (57550) (Maccor MacNet reference §2, §5, §8.4, §12).
 *
 * Channels are 1-based everywhere in this API; the wire is 0-based (reference §1.4).
 */
import type { EventEmitter } from 'node:events';
import { noopLogger } from '@busbar/core';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { MaccorError, withOutcome } from '../errors.js';
import { JsonStreamDecoder } from '../codec/framing.js';
import { DEFAULT_REQUEST_ID, decodeReply, encodeRequest } from '../codec/envelope.js';
import type { MacnetParams } from '../codec/envelope.js';
import type { MacnetObject } from '../codec/fields.js';
import { channelToIndex0, planChannelSpans } from '../codec/channels.js';
import {
  decodeGeneralInfo,
  decodeProcedureExists,
  decodeTestNameExists,
  decodeVersionInfo,
  encodeEcho,
  encodeGeneralInfoRequest,
  encodeProcedureExistsRequest,
  encodeTestNameExistsRequest,
  encodeVersionInfoRequest,
} from '../codec/system.js';
import type { GeneralInfo, VersionInfo } from '../codec/system.js';
import {
  decodeAuxValues,
  decodeChannelReading,
  decodeEndStatus,
  decodeGlobalFlagsAndVars,
  decodeMultiStatus,
  decodeMultiValues,
  decodeTestInfo,
  encodeChannelRequest,
  encodeMultiChannelRequest,
} from '../codec/status.js';
import type { ChannelReading, ChannelStatus, ChannelValue, EndStatus, GlobalFlagsAndVars, TestInfo } from '../codec/status.js';
import {
  compareSafetyEcho,
  decodeCommandResult,
  decodeSafetyLimits,
  encodeChannelCommand,
  encodeCheckTestStart,
  encodeSetSafetyLimits,
  encodeSetVariable,
  encodeStartTest,
} from '../codec/commands.js';
import type { SafetyLimits, StartTestFields } from '../codec/commands.js';
import { encodeSetDirectOutput, encodeStartDirectMode } from '../codec/direct.js';
import type { DataRecordOptions, DirectSetpoint } from '../codec/direct.js';
import { BinaryStreamDecoder, decodeBinaryResult, encodeDirectOutputBinary } from '../codec/binary.js';
import type { BinaryFrame } from '../codec/binary.js';
import { CHECK_START_RESULTS, DIRECT_OUTPUT_RESULTS, START_DIRECT_RESULTS, START_TEST_RESULTS, statName } from '../codec/tables.js';
import { MaccorCommandRejectedError } from '../errors.js';
import { RequestConnection } from './connection.js';
import type { ConnectionEvents, RequestOptions } from './connection.js';
import { BinaryUdpChannel, DEFAULT_UDP_PORT } from './udp.js';

/** Default JSON port (reference §2). */
export const DEFAULT_JSON_PORT = 57570;
/** Default binary TCP port (reference §2). */
export const DEFAULT_BINARY_PORT = 57560;

/**
 * How a rest set-point ((6,8) ChMode "R") is sent (reference §8.4):
 * - `json`: (6,8) on the JSON connection (default);
 * - `binary-tcp`: a binary (6,8) frame on the binary TCP port (57560), pymacnet's work-around, with the
 *   correct 0-based Chan; `binary` is the older name of the same thing, kept for existing configurations;
 * - `binary-udp`: the same frame as one datagram to the binary UDP port (57550, reference §2).
 */
export type RestVia = 'json' | 'binary' | 'binary-tcp' | 'binary-udp';

/** Every accepted {@link RestVia} value. */
export const REST_VIA_VALUES: readonly RestVia[] = ['json', 'binary', 'binary-tcp', 'binary-udp'];

/** Options of {@link MaccorClient}. */
export interface MaccorClientOptions {
  /** Tester PC address. */
  readonly host: string;
  /** JSON TCP port (default 57570). */
  readonly jsonPort?: number;
  /** Binary TCP port (default 57560), used only for a rest set-point with `restVia: 'binary-tcp'`. */
  readonly binaryPort?: number;
  /** Binary UDP port of the tester (default 57550), used only with `restVia: 'binary-udp'`. */
  readonly udpPort?: number;
  /**
   * Local UDP port (default 0 = ephemeral). The tester replies to the sender's address; which port it
   * replies to is not documented (reference §2 [?]) — set 57550 or 57551 if a tester needs a fixed one.
   */
  readonly udpLocalPort?: number;
  /** Reply timeout per request, ms (default 5000). */
  readonly requestTimeoutMs?: number;
  /** TCP connect timeout, ms (default 3000). */
  readonly connectTimeoutMs?: number;
  /** How to send a rest set-point (default `json`); see {@link RestVia}. */
  readonly restVia?: RestVia;
  /** Bytes appended to each JSON request (default none; `"\r\n"` if a tester needs it, reference §3.2). */
  readonly terminator?: '' | '\r\n';
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
}

/**
 * A check run when a command's request reaches the wire (after any wait in the client's queue and for
 * the connection), immediately before its bytes are written; a throw fails the call with that error
 * and nothing is written. The collector passes its expiry check here (a command may wait behind a
 * slow request after it was admitted).
 */
export interface WireGuard {
  readonly beforeWrite?: () => void;
}

/** How strictly {@link MaccorClient.startTest} runs its pre-checks. */
export type PreflightMode = 'required' | 'if_supported';

/** Options of {@link MaccorClient.startTest}. */
export interface StartTestOptions extends StartTestFields, WireGuard {
  /** Safety limits set with (6,10) and verified before the start (required; never defaulted). */
  readonly safety: SafetyLimits;
  /** Reset a Completed channel first (default true, as pymacnet; reference §8.2). */
  readonly resetIfCompleted?: boolean;
  /**
   * `required` (default): (1,3), (1,4) and (6,11) must answer; `if_supported`: a peer that does not
   * implement them (MaccorSpoofer) skips them, reported in the outcome.
   */
  readonly preflight?: PreflightMode;
}

/** What {@link MaccorClient.startTest} did. */
export interface StartTestOutcome {
  readonly channel: number;
  readonly testName: string;
  /** True when the channel showed Completed and was reset first. */
  readonly wasReset: boolean;
  /** The limits as the tester stored them. */
  readonly safetyEcho: SafetyLimits;
  /** Pre-checks that ran and those the peer did not support. */
  readonly checksRun: readonly string[];
  readonly checksSkipped: readonly string[];
}

/** Options of {@link MaccorClient.startDirectControl}. */
export interface StartDirectControlOptions extends WireGuard {
  /** Data file name; "Random" lets the tester generate one (default "Random"). */
  readonly testName?: string;
  /** Safety limits set with (6,10) and verified first (required). */
  readonly safety: SafetyLimits;
  /**
   * Initial set-point. Every set-point to be used later in (6,8) must be active here (reference §8.3),
   * e.g. `{ mode: 'charge', current_a: 0, voltage_v: 4.2 }`.
   */
  readonly initial: DirectSetpoint;
  readonly dataRecord?: DataRecordOptions;
  /** Reset a Completed channel first (default true). */
  readonly resetIfCompleted?: boolean;
}

/** Outcome of (6,11) check test start. */
export type CheckStartResult = { readonly ok: true } | { readonly ok: false; readonly result: string | number; readonly reason: string };

/** Tolerance for the (6,10) echo (reference §6.6). */
const ECHO_TOLERANCE = 0.001;

/**
 * Runs the steps a start does before its command ((4,7), (6,5) if Completed, (1,2), (1,3), (1,4),
 * (6,10), (6,11)): a failure of one of them with outcome `unknown` is `not_sent` for the start,
 * whose own request ((6,2) or (6,7)) never left. Refusals stay `refused`.
 */
async function beforeTheCommand<T>(steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (err) {
    throw err instanceof MaccorError && err.outcome === 'unknown' ? withOutcome(err, 'not_sent') : err;
  }
}

/**
 * Client of one tester (see module doc). Events `connected`/`disconnected` come from the JSON connection.
 */
export class MaccorClient {
  private readonly json: RequestConnection<Record<string, unknown>>;
  private binary: RequestConnection<BinaryFrame> | undefined;
  private binaryWatched = false;
  private udp: BinaryUdpChannel | undefined;
  private general: GeneralInfo | undefined;
  private readonly lastSetpoints = new Map<number, DirectSetpoint>();
  private readonly log: Logger;

  /**
   * @param options - see {@link MaccorClientOptions}.
   * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT when `restVia` is not one of {@link REST_VIA_VALUES}.
   */
  constructor(private readonly options: MaccorClientOptions) {
    if (options.restVia !== undefined && !REST_VIA_VALUES.includes(options.restVia)) {
      throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `restVia must be one of ${REST_VIA_VALUES.join(', ')}, got ${JSON.stringify(options.restVia)}`, { context: { field: 'restVia' } });
    }
    this.log = (options.logger ?? noopLogger).child({ component: 'maccor-macnet' });
    this.json = new RequestConnection(
      {
        host: options.host,
        port: options.jsonPort ?? DEFAULT_JSON_PORT,
        requestTimeoutMs: options.requestTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs,
        logger: options.logger,
        metrics: options.metrics,
        clock: options.clock,
        transport: 'json',
      },
      new JsonStreamDecoder(),
    );
    this.lost = new Promise<Error>((resolve) => (this.settleLost = resolve));
    this.watch(this.json);
  }

  /**
   * Settles (never rejects) with the reason when a connection of this client is lost or could not be
   * opened; the client then closes itself (every later request fails `not_sent`). Not settled by
   * {@link close}. The client never reconnects: the collector runtime opens a new client.
   */
  readonly lost: Promise<Error>;
  private settleLost: (err: Error) => void = () => undefined;

  private watch(connection: { readonly lost: Promise<Error> }): void {
    void connection.lost.then((err) => {
      this.settleLost(err);
      this.close();
    });
  }

  /**
   * Opens the JSON connection (once). Requests also open it on first use; after a loss nothing
   * reconnects.
   *
   * @throws MaccorError BB_MACCOR_CONNECT_FAILED, BB_MACCOR_CONNECTION_LOST, BB_MACCOR_CLIENT_CLOSED.
   */
  connect(): Promise<void> {
    return this.json.connect();
  }

  /** Connection events of the JSON connection (`connected`, `disconnected`). */
  get events(): EventEmitter<ConnectionEvents> {
    return this.json;
  }

  /** (1,2) as cached by the last {@link getGeneralInfo}, if any. */
  get cachedGeneralInfo(): GeneralInfo | undefined {
    return this.general;
  }

  /** Closes every connection and socket; pending requests fail with BB_MACCOR_CLIENT_CLOSED. */
  close(): void {
    this.json.close();
    this.binary?.close();
    this.udp?.close();
  }

  /**
   * Sends one JSON request and returns the checked `result` (low-level; prefer the typed methods).
   * @throws see {@link decodeReply} and {@link RequestConnection.request}.
   */
  async call(params: MacnetParams, opts: RequestOptions = {}): Promise<MacnetObject> {
    const payload = Buffer.from(encodeRequest(params, DEFAULT_REQUEST_ID) + (this.options.terminator ?? ''), 'utf8');
    const label = `${params.FClass},${params.FNum}`;
    return this.json.request(
      payload,
      label,
      (message) => {
        const reply = decodeReply(message, { FClass: params.FClass, FNum: params.FNum, Chan: params.Chan, Len: params.Len, id: DEFAULT_REQUEST_ID });
        if (reply.idMismatch) this.log.warn({ function: label, id: reply.id }, 'MacNet reply id differs from the request id');
        return reply.result;
      },
      opts,
    );
  }

  private chan(channel: number): number {
    const idx = channelToIndex0(channel);
    if (this.general && channel > this.general.testChannels) {
      throw new MaccorError('BB_MACCOR_CHANNEL_OUT_OF_RANGE', `channel ${channel} is not 1..${this.general.testChannels} on ${this.general.systemId}`, {
        context: { channel, testChannels: this.general.testChannels },
      });
    }
    return idx;
  }

  private command(params: MacnetParams, guard: WireGuard = {}): Promise<MacnetObject> {
    return this.call(params, { priority: 'command', ...(guard.beforeWrite ? { beforeWrite: guard.beforeWrite } : {}) });
  }

  /** (0,n) echo: a liveness probe; returns the echoed object (reference §2, vendor p.9). */
  async echo(fnum = 0): Promise<MacnetObject> {
    return this.call(encodeEcho(fnum));
  }

  /** (1,1) version info. */
  async getVersionInfo(): Promise<VersionInfo> {
    return decodeVersionInfo(await this.call(encodeVersionInfoRequest()));
  }

  /** (1,2) general info; caches TestChannels (channel validation) and SystemType (direct mode). */
  async getGeneralInfo(guard: WireGuard = {}): Promise<GeneralInfo> {
    this.general = decodeGeneralInfo(await this.call(encodeGeneralInfoRequest(), guard));
    return this.general;
  }

  private async channelCount(): Promise<number> {
    return (this.general ?? (await this.getGeneralInfo())).testChannels;
  }

  /**
   * (4,1) Stat/RF1/RF2 of channels `first..first+count-1` (default: all), in ≤ 128-channel requests
   * starting at the real first channel (not pymacnet's `Chan: -1`, reference §6.3).
   */
  async readStatuses(first = 1, count?: number): Promise<ChannelStatus[]> {
    const n = count ?? (await this.channelCount()) - first + 1;
    const out: ChannelStatus[] = [];
    for (const span of planChannelSpans(first, n)) {
      out.push(...decodeMultiStatus(await this.call(encodeMultiChannelRequest(1, span.chanIndex0, span.len))));
    }
    return out;
  }

  private async readValues(fnum: 2 | 3 | 9, first: number, count?: number): Promise<ChannelValue[]> {
    const n = count ?? (await this.channelCount()) - first + 1;
    const out: ChannelValue[] = [];
    for (const span of planChannelSpans(first, n)) out.push(...decodeMultiValues(fnum, await this.call(encodeMultiChannelRequest(fnum, span.chanIndex0, span.len))));
    return out;
  }

  /** (4,2) voltages, V, of channels `first..` (default all). */
  readVoltages(first = 1, count?: number): Promise<ChannelValue[]> {
    return this.readValues(2, first, count);
  }
  /** (4,3) currents, A, of channels `first..` (default all). */
  readCurrents(first = 1, count?: number): Promise<ChannelValue[]> {
    return this.readValues(3, first, count);
  }
  /** (4,9) test times, s, of channels `first..` (default all). */
  readTestTimes(first = 1, count?: number): Promise<ChannelValue[]> {
    return this.readValues(9, first, count);
  }

  /** (4,7) full reading of one channel. `guard` runs before the request is written ({@link WireGuard}). */
  async readChannel(channel: number, guard: WireGuard = {}): Promise<ChannelReading> {
    return decodeChannelReading(await this.call(encodeChannelRequest(7, this.chan(channel)), guard));
  }
  /** (4,4) aux input values of a channel (units from (4,5)). */
  async readAux(channel: number): Promise<number[]> {
    return decodeAuxValues(await this.call(encodeChannelRequest(4, this.chan(channel))));
  }
  /** (4,6) test name and procedure of a channel. */
  async readTestInfo(channel: number): Promise<TestInfo> {
    return decodeTestInfo(await this.call(encodeChannelRequest(6, this.chan(channel))));
  }
  /** (4,8) global flags and VAR1..VAR15 of a channel. */
  async readGlobalFlagsAndVars(channel: number): Promise<GlobalFlagsAndVars> {
    return decodeGlobalFlagsAndVars(await this.call(encodeChannelRequest(8, this.chan(channel))));
  }
  /** (4,10) end status of a channel. */
  async readEndStatus(channel: number): Promise<EndStatus> {
    return decodeEndStatus(await this.call(encodeChannelRequest(10, this.chan(channel))));
  }

  /** (1,3): does the procedure exist (name without `.000`)? */
  async procedureExists(procName: string): Promise<boolean> {
    return decodeProcedureExists(await this.call(encodeProcedureExistsRequest(procName)));
  }
  /** (1,4): does the test name exist in the archive? */
  async testNameExists(testName: string): Promise<boolean> {
    return decodeTestNameExists(await this.call(encodeTestNameExistsRequest(testName)));
  }

  /** (6,11) check test start; a non-OK Result comes back as `{ ok: false, reason }`, not thrown. */
  async checkTestStart(channel: number, fields: StartTestFields): Promise<CheckStartResult> {
    const r = await this.call(encodeCheckTestStart(this.chan(channel), fields), { priority: 'command' });
    try {
      decodeCommandResult(6, 11, r, CHECK_START_RESULTS);
      return { ok: true };
    } catch (err) {
      if (err instanceof MaccorCommandRejectedError) return { ok: false, result: err.result, reason: err.meaning };
      throw err;
    }
  }

  /**
   * (6,10) set safety limits and verify the echo within 0.001 (reference §6.6, §8.7).
   * @throws MaccorError BB_MACCOR_SAFETY_ECHO_MISMATCH naming the field, BB_MACCOR_INVALID_ARGUMENT.
   */
  async setSafetyLimits(channel: number, limits: SafetyLimits): Promise<SafetyLimits> {
    const r = await this.command(encodeSetSafetyLimits(this.chan(channel), limits));
    const echo = decodeSafetyLimits(r);
    const diff = compareSafetyEcho(limits, echo, ECHO_TOLERANCE);
    if (diff) {
      throw new MaccorError('BB_MACCOR_SAFETY_ECHO_MISMATCH', `channel ${channel}: (6,10) echo of ${diff.field} is ${diff.echoed}, sent ${diff.sent}; start aborted`, {
        context: { channel, field: diff.field, sent: diff.sent, echoed: diff.echoed },
      });
    }
    return echo;
  }

  private async prepareChannel(channel: number, resetIfCompleted: boolean, first: WireGuard = {}): Promise<boolean> {
    let state = await this.readChannel(channel, first);
    let wasReset = false;
    if (state.stat === 4 && resetIfCompleted) {
      await this.reset(channel);
      wasReset = true;
      state = await this.readChannel(channel);
    }
    if (state.stat !== 0) {
      throw new MaccorError('BB_MACCOR_CHANNEL_NOT_AVAILABLE', `channel ${channel} is ${state.stat_name} (Stat ${state.stat}), not Available${state.stat === 4 ? '; reset it first' : ''}`, {
        context: { channel, stat: state.stat, statName: statName(state.stat) },
      });
    }
    return wasReset;
  }

  private async optionalCheck<T>(mode: PreflightMode, name: string, run: () => Promise<T>, ran: string[], skipped: string[]): Promise<T | undefined> {
    try {
      const r = await run();
      ran.push(name);
      return r;
    } catch (err) {
      if (mode === 'if_supported' && err instanceof MaccorError && err.code === 'BB_MACCOR_FUNCTION_UNSUPPORTED') {
        skipped.push(name);
        this.log.warn({ check: name }, 'MacNet peer does not support a start pre-check; skipped');
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Starts a procedure test (reference §6.7, §8.7-§8.9, §12 "Commander safety"):
   * (4,7) state → (6,5) reset if Completed → (1,3) procedure exists → (1,4) name unique (unless
   * "Random") → (6,10) limits + echo check → (6,11) check start → (6,2) start.
   * @throws MaccorError BB_MACCOR_CHANNEL_NOT_AVAILABLE, BB_MACCOR_PROCEDURE_MISSING,
   *   BB_MACCOR_TEST_NAME_EXISTS, BB_MACCOR_START_CHECK_FAILED (outcome `refused`),
   *   BB_MACCOR_SAFETY_ECHO_MISMATCH, BB_MACCOR_INVALID_ARGUMENT (`not_sent`), any transport error of a
   *   step before (6,2) (`not_sent`: the start never left); MaccorCommandRejectedError
   *   BB_MACCOR_COMMAND_REJECTED from (6,2) (`refused`); BB_MACCOR_TIMEOUT, BB_MACCOR_CONNECTION_CLOSED,
   *   reply faults of the (6,2) itself (`unknown`: the tester may have started the test).
   */
  async startTest(channel: number, o: StartTestOptions): Promise<StartTestOutcome> {
    const idx = this.chan(channel);
    if (!o.testName || o.testName.length > 250) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `testName must be 1..250 characters, got ${o.testName.length}`, { context: { field: 'testName' } });
    if (!o.procName || o.procName.length > 250 || /\.000$/i.test(o.procName)) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `procName must be 1..250 characters without ".000", got ${JSON.stringify(o.procName)}`, { context: { field: 'procName' } });
    if (o.comment.length > 80) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `comment must be ≤ 80 characters, got ${o.comment.length}`, { context: { field: 'comment' } });
    if (!Number.isFinite(o.crate) || o.crate <= 0) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `crate (capacity in Ah for C-rate steps) must be > 0, got ${o.crate}`, { context: { field: 'crate' } });
    encodeSetSafetyLimits(idx, o.safety); // validate limits before touching the tester
    const mode = o.preflight ?? 'required';
    const ran: string[] = [];
    const skipped: string[] = [];
    const guard: WireGuard = o.beforeWrite ? { beforeWrite: o.beforeWrite } : {};
    const { wasReset, safetyEcho } = await beforeTheCommand(async () => {
      const wasReset = await this.prepareChannel(channel, o.resetIfCompleted ?? true, guard); // the guard checks the first request
      const exists = await this.optionalCheck(mode, '(1,3) procedure exists', () => this.procedureExists(o.procName), ran, skipped);
      if (exists === false) throw new MaccorError('BB_MACCOR_PROCEDURE_MISSING', `procedure ${JSON.stringify(o.procName)} does not exist on the tester`, { context: { channel, procName: o.procName } });
      if (o.testName !== 'Random') {
        const taken = await this.optionalCheck(mode, '(1,4) test name exists', () => this.testNameExists(o.testName), ran, skipped);
        if (taken === true) throw new MaccorError('BB_MACCOR_TEST_NAME_EXISTS', `test name ${JSON.stringify(o.testName)} already exists; test names must be unique`, { context: { channel, testName: o.testName } });
      }
      const safetyEcho = await this.setSafetyLimits(channel, o.safety);
      const check = await this.optionalCheck(mode, '(6,11) check test start', () => this.checkTestStart(channel, o), ran, skipped);
      if (check && !check.ok) {
        throw new MaccorError('BB_MACCOR_START_CHECK_FAILED', `channel ${channel}: check test start refused: ${check.reason}`, { context: { channel, result: String(check.result), reason: check.reason } });
      }
      return { wasReset, safetyEcho };
    });
    decodeCommandResult(6, 2, await this.command(encodeStartTest(idx, o), guard), START_TEST_RESULTS); // and the start itself
    this.log.info({ channel, testName: o.testName, procName: o.procName }, 'MacNet test started');
    return { channel, testName: o.testName, wasReset, safetyEcho, checksRun: ran, checksSkipped: skipped };
  }

  /**
   * (6,9) set VAR1..VAR15 of a channel. `guard` runs before the request is written ({@link WireGuard}).
   * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT, BB_MACCOR_CHANNEL_OUT_OF_RANGE (outcome `not_sent`);
   *   BB_MACCOR_COMMAND_REJECTED, BB_MACCOR_RPC_ERROR (`refused`); BB_MACCOR_TIMEOUT,
   *   BB_MACCOR_CONNECTION_CLOSED, reply faults (`unknown`: the variable may be set); whatever `guard` throws.
   */
  async setVariable(channel: number, varNum: number, value: number, guard: WireGuard = {}): Promise<void> {
    decodeCommandResult(6, 9, await this.command(encodeSetVariable(this.chan(channel), varNum, value), guard));
  }
  /**
   * (6,3) suspend.
   * @throws MaccorCommandRejectedError BB_MACCOR_COMMAND_REJECTED (outcome `refused`); the transport
   *   errors with their outcome as {@link setVariable}; whatever `guard` throws ({@link WireGuard}).
   */
  async suspend(channel: number, guard: WireGuard = {}): Promise<void> {
    decodeCommandResult(6, 3, await this.command(encodeChannelCommand(3, this.chan(channel)), guard));
  }
  /** (6,4) resume. @throws as {@link suspend}. */
  async resume(channel: number, guard: WireGuard = {}): Promise<void> {
    decodeCommandResult(6, 4, await this.command(encodeChannelCommand(4, this.chan(channel)), guard));
  }
  /** (6,5) reset: ends any test; the only "stop" MacNet has (reference §6.11). @throws as {@link suspend}. */
  async reset(channel: number, guard: WireGuard = {}): Promise<void> {
    this.lastSetpoints.delete(channel);
    decodeCommandResult(6, 5, await this.command(encodeChannelCommand(5, this.chan(channel)), guard));
  }

  /**
   * Starts direct control (reference §8): (1,2) SystemType 0 → (4,7) state, reset if Completed →
   * (6,10) limits + echo check → (6,7). The tester may answer (6,8) with Result 5 "not ready" for
   * up to a second or so afterwards (reference §8.6).
   * @throws MaccorError BB_MACCOR_DIRECT_MODE_UNSUPPORTED, BB_MACCOR_CHANNEL_NOT_AVAILABLE (outcome
   *   `refused`), BB_MACCOR_SAFETY_ECHO_MISMATCH, BB_MACCOR_INVALID_ARGUMENT (`not_sent`), any transport
   *   error of a step before (6,7) (`not_sent`); BB_MACCOR_COMMAND_REJECTED from (6,7) (`refused`); a
   *   timeout or reply fault of the (6,7) itself (`unknown`).
   */
  async startDirectControl(channel: number, o: StartDirectControlOptions): Promise<{ channel: number; safetyEcho: SafetyLimits; wasReset: boolean }> {
    const idx = this.chan(channel);
    const testName = o.testName ?? 'Random';
    encodeSetSafetyLimits(idx, o.safety);
    encodeStartDirectMode(idx, testName, o.initial, o.dataRecord); // validate before touching the tester
    const guard: WireGuard = o.beforeWrite ? { beforeWrite: o.beforeWrite } : {};
    let first: WireGuard = guard; // the guard checks the first request written and the (6,7)
    const takeFirst = (): WireGuard => {
      const g = first;
      first = {};
      return g;
    };
    const { wasReset, safetyEcho } = await beforeTheCommand(async () => {
      const info = this.general ?? (await this.getGeneralInfo(takeFirst()));
      if (info.systemType !== 0) {
        throw new MaccorError('BB_MACCOR_DIRECT_MODE_UNSUPPORTED', `direct mode needs SystemType 0 (lab system); ${info.systemId} is type ${info.systemType}`, { context: { systemType: info.systemType } });
      }
      this.chan(channel);
      const wasReset = await this.prepareChannel(channel, o.resetIfCompleted ?? true, takeFirst());
      const safetyEcho = await this.setSafetyLimits(channel, o.safety);
      return { wasReset, safetyEcho };
    });
    decodeCommandResult(6, 7, await this.command(encodeStartDirectMode(idx, testName, o.initial, o.dataRecord), guard), START_DIRECT_RESULTS);
    this.lastSetpoints.set(channel, o.initial);
    return { channel, safetyEcho, wasReset };
  }

  /**
   * (6,8) set direct output. Pace calls ≥ 100 ms apart per channel (the Maccor module paces them with `@busbar/core`'s `NewestWinsPacer`) and check them
   * against a `DirectControlEnvelope` first; this method validates shape only. A rest set-point goes
   * as a binary frame (correct 0-based Chan) on TCP when `restVia` is `binary-tcp`/`binary`, or as one
   * UDP datagram when it is `binary-udp` (reference §2, §5, §8.4). Nothing is retried: a timeout leaves
   * the outcome unknown (the error says so) and the caller decides.
   *
   * The stored set-point that {@link refreshDirectOutput} re-sends is cleared when this (6,8) is
   * written and stored again only when the tester answers OK: after a failure (timeout: outcome
   * unknown; rejection) there is nothing to refresh, so an older set-point is never re-sent over a newer
   * one the tester may have applied. `guard` runs before the request is written ({@link WireGuard}).
   * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT, BB_MACCOR_UDP_SEND_FAILED (outcome `not_sent`);
   *   MaccorCommandRejectedError BB_MACCOR_COMMAND_REJECTED (Result 3 too fast, 4 not direct, 5 not
   *   ready...; `refused`); BB_MACCOR_TIMEOUT (JSON, binary TCP), BB_MACCOR_UDP_NO_REPLY,
   *   BB_MACCOR_UDP_DATAGRAM_INVALID (binary UDP), BB_MACCOR_REPLY_MISMATCH (binary reply for another
   *   function or channel) (`unknown`).
   */
  async setDirectOutput(channel: number, sp: DirectSetpoint, guard: WireGuard = {}): Promise<void> {
    const idx = this.chan(channel);
    const via = this.options.restVia ?? 'json';
    const written: WireGuard = {
      beforeWrite: () => {
        guard.beforeWrite?.();
        this.lastSetpoints.delete(channel); // from here on the tester may apply sp: never refresh the older one
      },
    };
    if (sp.mode === 'rest' && via !== 'json') {
      const frame = encodeDirectOutputBinary(idx, sp);
      const match = (reply: BinaryFrame): number => {
        if (reply.fclass !== 6 || reply.fnum !== 8 || reply.chanIndex0 !== idx) {
          throw new MaccorError('BB_MACCOR_REPLY_MISMATCH', `binary reply (${reply.fclass},${reply.fnum}) Chan ${reply.chanIndex0} does not match (6,8) Chan ${idx}`, {
            retriable: true,
            context: { channel, transport: via, outcome: 'unknown' },
          });
        }
        return decodeBinaryResult(reply);
      };
      const result = via === 'binary-udp' ? await this.udpChannel().request(frame, '6,8', match, written) : await this.binaryConnection().request(frame, '6,8', match, { priority: 'command', ...written });
      if (result !== 0) throw new MaccorCommandRejectedError(6, 8, result, DIRECT_OUTPUT_RESULTS[result] ?? `undocumented result code ${result}`, { channel });
    } else {
      decodeCommandResult(6, 8, await this.command(encodeSetDirectOutput(idx, sp), written), DIRECT_OUTPUT_RESULTS);
    }
    this.lastSetpoints.set(channel, sp);
  }

  /**
   * The set-point of the last (6,8)/(6,7) the tester answered OK, if no (6,8) was written to the channel
   * since (a later failed or unanswered one clears it: the tester's state is then unknown).
   */
  lastDirectSetpoint(channel: number): DirectSetpoint | undefined {
    return this.lastSetpoints.get(channel);
  }

  /**
   * Re-sends the last set-point: the keep-alive for the tester's `MacNetDirectModeWD` watchdog, which
   * suspends a direct-mode channel that gets no (6,8) in time (reference §8.5). Call it faster than
   * that watchdog and ≥ 100 ms after the previous (6,8).
   * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT when the channel has no set-point (none yet, or the
   *   last (6,8) failed or went unanswered: put the channel to rest instead).
   */
  async refreshDirectOutput(channel: number): Promise<void> {
    const sp = this.lastSetpoints.get(channel);
    if (!sp) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `channel ${channel} has no direct-mode set-point to refresh`, { context: { channel } });
    await this.setDirectOutput(channel, sp);
  }

  private udpChannel(): BinaryUdpChannel {
    this.udp ??= new BinaryUdpChannel({
      host: this.options.host,
      port: this.options.udpPort ?? DEFAULT_UDP_PORT,
      localPort: this.options.udpLocalPort,
      requestTimeoutMs: this.options.requestTimeoutMs,
      logger: this.options.logger,
      metrics: this.options.metrics,
      clock: this.options.clock,
    });
    return this.udp;
  }

  private binaryConnection(): RequestConnection<BinaryFrame> {
    this.binary ??= new RequestConnection(
      {
        host: this.options.host,
        port: this.options.binaryPort ?? DEFAULT_BINARY_PORT,
        requestTimeoutMs: this.options.requestTimeoutMs,
        connectTimeoutMs: this.options.connectTimeoutMs,
        logger: this.options.logger,
        metrics: this.options.metrics,
        clock: this.options.clock,
        transport: 'binary',
      },
      new BinaryStreamDecoder(),
    );
    if (this.binary !== undefined && !this.binaryWatched) {
      this.binaryWatched = true;
      this.watch(this.binary);
    }
    return this.binary;
  }
}
