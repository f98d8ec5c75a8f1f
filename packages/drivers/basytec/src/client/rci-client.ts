/**
 * RCI client (reference §6): configured command templates over a {@link LineTransport}, a strict
 * rate limit per tester (≤ 10 commands/s, vendor note), long reply timeouts (replies take 1 s to
 * minutes), and at most one command in flight per channel (or per tester).
 *
 * Every error says whether the bytes left, in `outcome` (a {@link BusbarError} field):
 * `not_sent` (template, queue or transport refused it before writing), `refused` (the tester
 * answered with the refusal pattern), `unknown` (written, then a timeout, an unexpected reply or a
 * lost connection: re-read the state before retrying — a start may have happened).
 */
import { noopLogger } from '@busbar/core';
import type { Clock, Logger } from '@busbar/core';
import { expectReply, fillRequest, LineDecoder, matchReply, placeholders, validateTemplates } from '../codec/rci.js';
import type { ReplyExpectation, RciTemplates, RciValues } from '../codec/rci.js';
import { BasytecError } from '../errors.js';
import { RateLimiter } from './rate-limiter.js';
import type { LineTransport } from './rci-transport.js';

/** Default reply timeout when a template sets none, ms (reference §6: replies take up to minutes). */
export const DEFAULT_RCI_TIMEOUT_MS = 120_000;

/** Options of {@link RciClient}. */
export interface RciClientOptions {
  /** TCP or serial transport, already open. */
  readonly transport: LineTransport;
  /** The command set, from the vendor's RCI manual (see README). */
  readonly templates: RciTemplates;
  /** Line terminator appended to requests. @default "\r\n" */
  readonly terminator?: '\r\n' | '\n' | '\r';
  /** Commands per second at most, (0, 10]. @default 10 */
  readonly ratePerSecond?: number;
  /** Reply timeout when the template has none, ms. @default {@link DEFAULT_RCI_TIMEOUT_MS} */
  readonly defaultTimeoutMs?: number;
  /**
   * `channel`: one command in flight per channel, replies told apart by the `{channel}` in their
   * patterns (every reply pattern must contain it). `tester`: one command in flight per tester,
   * the safe choice until the manual says the software handles overlapping commands. @default 'tester'
   */
  readonly inFlight?: 'tester' | 'channel';
  /** Clock and sleep of the limiter (fake timers in unit tests). */
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger?: Logger;
}

/** Per-command options of {@link RciClient.send}. */
export interface RciSendOptions {
  /** Reply timeout, ms (default: the template's `timeoutMs`, else `defaultTimeoutMs`). */
  readonly timeoutMs?: number;
  /**
   * Called right before the request is written, after the limiter slot and the in-flight lane
   * (e.g. a command's expiry check); when it throws, nothing is written and the error is the
   * command's (its `outcome` should be `not_sent`).
   */
  readonly beforeSend?: () => void;
}

/** A successful reply. */
export interface RciReply {
  readonly command: string;
  readonly request: string;
  readonly reply: string;
  /** Named groups of the success pattern (e.g. `state`). */
  readonly groups: Readonly<Record<string, string>>;
  /** Limiter slot time of the send, ms (clock). */
  readonly sentAtMs: number;
}

interface InFlight {
  readonly command: string;
  readonly request: string;
  readonly exp: ReplyExpectation;
  readonly sentAtMs: number;
  resolve(r: RciReply): void;
  reject(e: BasytecError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The RCI client. Connects nothing itself: give it an open transport; it never reconnects. */
export class RciClient {
  private readonly t: LineTransport;
  private readonly limiter: RateLimiter;
  private readonly decoder = new LineDecoder();
  private readonly inflight = new Set<InFlight>();
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly log: Logger;
  private readonly mode: 'tester' | 'channel';
  private closed = false;
  /** Resolves with the reason when the transport is gone. */
  readonly lost: Promise<Error>;

  /** @throws {BasytecError} `BB_BASYTEC_CONFIG_INVALID` for bad templates, rate or timeout. */
  constructor(private readonly o: RciClientOptions) {
    validateTemplates(o.templates);
    this.mode = o.inFlight ?? 'tester';
    if (this.mode === 'channel') {
      for (const [name, tpl] of Object.entries(o.templates)) {
        for (const f of ['success', 'refusal'] as const) {
          const src = tpl[f];
          if (src !== undefined && !placeholders(src).includes('channel')) {
            throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `rci.templates.${name}.${f} must contain {channel} when inFlight is 'channel' (replies are told apart by channel)`, { context: { field: `rci.templates.${name}.${f}` } });
          }
        }
      }
    }
    if (o.defaultTimeoutMs !== undefined && !(Number.isInteger(o.defaultTimeoutMs) && o.defaultTimeoutMs > 0)) {
      throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', 'rci.defaultTimeoutMs must be a positive integer (ms)', { context: { field: 'rci.defaultTimeoutMs' } });
    }
    this.t = o.transport;
    this.limiter = new RateLimiter({ ratePerSecond: o.ratePerSecond, clock: o.clock, sleep: o.sleep });
    this.log = (o.logger ?? noopLogger).child({ component: 'basytec-rci' });
    this.t.onData((b) => this.onData(b));
    this.lost = this.t.lost;
    void this.t.lost.then((e) => this.failAll(e));
  }

  /**
   * Sends a configured command and waits for its reply.
   * @param command - a key of the templates (`start`, `stop`, `readState`, or one you added).
   * @param values - placeholder values (`channel`, `plan`, ...): printable ASCII.
   * @throws {BasytecError} with `outcome`: `BB_BASYTEC_RCI_TEMPLATE_INVALID`/`BB_BASYTEC_RCI_NOT_CONNECTED`/`BB_BASYTEC_RCI_CLOSED`
   *   (not_sent), `BB_BASYTEC_RCI_REFUSED` (refused), `BB_BASYTEC_RCI_TIMEOUT`/`BB_BASYTEC_RCI_UNEXPECTED_REPLY`/
   *   `BB_BASYTEC_RCI_CONNECTION_LOST` (unknown).
   */
  send(command: string, values: RciValues, opts: RciSendOptions = {}): Promise<RciReply> {
    const tpl = this.o.templates[command];
    if (tpl === undefined) return Promise.reject(new BasytecError('BB_BASYTEC_RCI_TEMPLATE_INVALID', `no RCI template named ${JSON.stringify(command)}`, { outcome: 'not_sent', context: { command } }));
    let request: string;
    let exp: ReplyExpectation;
    try {
      request = fillRequest(command, tpl, values);
      exp = expectReply(command, tpl, values);
    } catch (err) {
      return Promise.reject(err as BasytecError);
    }
    const timeoutMs = opts.timeoutMs ?? tpl.timeoutMs ?? this.o.defaultTimeoutMs ?? DEFAULT_RCI_TIMEOUT_MS;
    const lane = this.mode === 'tester' ? '*' : String(values['channel'] ?? '*');
    const prev = this.lanes.get(lane) ?? Promise.resolve();
    const run = prev.then(
      () => this.execute(command, request, exp, timeoutMs, opts.beforeSend),
      () => this.execute(command, request, exp, timeoutMs, opts.beforeSend),
    );
    const settled = run.catch(() => undefined);
    this.lanes.set(lane, settled);
    void settled.then(() => {
      if (this.lanes.get(lane) === settled) this.lanes.delete(lane);
    });
    return run;
  }

  /** Starts a prepared test plan on a channel (template `start`; reference §6). Plans are validated by the caller's configuration. */
  startTest(channel: string | number, plan: string, opts?: RciSendOptions): Promise<RciReply> {
    return this.send('start', { channel, plan }, opts);
  }

  /** Stops the test on a channel (template `stop`). */
  stopTest(channel: string | number, opts?: RciSendOptions): Promise<RciReply> {
    return this.send('stop', { channel }, opts);
  }

  /** Reads the state of a channel (template `readState`); the state is the success pattern's `state` group. */
  async readState(channel: string | number, opts?: RciSendOptions): Promise<string> {
    const r = await this.send('readState', { channel }, opts);
    return r.groups['state'] ?? r.reply;
  }

  /** Closes: queued commands fail `not_sent`, commands in flight `unknown`; closes the transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new BasytecError('BB_BASYTEC_RCI_CLOSED', 'RCI client closed'));
    await this.t.close();
  }

  private async execute(command: string, request: string, exp: ReplyExpectation, timeoutMs: number, beforeSend: (() => void) | undefined): Promise<RciReply> {
    const notSent = (code: 'BB_BASYTEC_RCI_CLOSED' | 'BB_BASYTEC_RCI_NOT_CONNECTED', why: string): BasytecError =>
      new BasytecError(code, `RCI ${command} not sent: ${why}`, { outcome: 'not_sent', context: { command, request } });
    if (this.closed) throw notSent('BB_BASYTEC_RCI_CLOSED', 'the client is closed');
    if (!this.t.isOpen()) throw notSent('BB_BASYTEC_RCI_NOT_CONNECTED', 'the transport is not open');
    const sentAtMs = await this.limiter.acquire();
    if (this.closed) throw notSent('BB_BASYTEC_RCI_CLOSED', 'the client is closed');
    if (!this.t.isOpen()) throw notSent('BB_BASYTEC_RCI_NOT_CONNECTED', 'the transport is not open');
    beforeSend?.(); // throws (e.g. the command expired while it waited for its slot): nothing is written
    return new Promise<RciReply>((resolve, reject) => {
      const f: InFlight = {
        command, request, exp, sentAtMs, timer: undefined,
        resolve: (r) => {
          this.done(f);
          resolve(r);
        },
        reject: (e) => {
          this.done(f);
          reject(e);
        },
      };
      this.inflight.add(f);
      f.timer = setTimeout(() => {
        f.reject(new BasytecError('BB_BASYTEC_RCI_TIMEOUT', `RCI ${command}: no reply within ${timeoutMs} ms after sending ${JSON.stringify(request)}; the outcome is unknown — re-read the state`, {
          outcome: 'unknown', retriable: true, context: { command, request, timeoutMs },
        }));
      }, timeoutMs);
      this.log.debug({ command, request }, 'RCI send');
      this.t.write(Buffer.from(request + (this.o.terminator ?? '\r\n'), 'latin1')).catch((err: unknown) => {
        const e = err as BasytecError;
        f.reject(e.outcome === 'not_sent' ? e : new BasytecError('BB_BASYTEC_RCI_CONNECTION_LOST', `RCI ${command}: write failed: ${(err as Error).message}`, { cause: err, outcome: 'unknown', context: { command, request } }));
      });
    });
  }

  private done(f: InFlight): void {
    if (f.timer !== undefined) clearTimeout(f.timer);
    this.inflight.delete(f);
  }

  private onData(chunk: Buffer): void {
    const { lines, overflow } = this.decoder.push(chunk);
    if (overflow) this.log.warn({}, 'RCI reply line over the cap dropped');
    for (const line of lines) {
      if (line === '') continue;
      let handled = false;
      for (const f of this.inflight) {
        const m = matchReply(f.exp, line);
        if (m.kind === 'success') {
          f.resolve({ command: f.command, request: f.request, reply: line, groups: m.groups, sentAtMs: f.sentAtMs });
        } else if (m.kind === 'refused') {
          f.reject(new BasytecError('BB_BASYTEC_RCI_REFUSED', `RCI ${f.command} refused by the tester: ${JSON.stringify(line)}`, { outcome: 'refused', context: { command: f.command, request: f.request, reply: line, ...m.groups } }));
        } else continue;
        handled = true;
        break;
      }
      if (handled) continue;
      const only = this.mode === 'tester' ? [...this.inflight][0] : undefined;
      if (only !== undefined) {
        only.reject(new BasytecError('BB_BASYTEC_RCI_UNEXPECTED_REPLY', `RCI ${only.command}: reply ${JSON.stringify(line)} matches neither the success nor the refusal pattern; the outcome is unknown`, {
          outcome: 'unknown', context: { command: only.command, request: only.request, reply: line },
        }));
      } else {
        this.log.warn({ reply: line }, 'RCI line matches no command in flight; ignored');
      }
    }
  }

  private failAll(reason: Error): void {
    for (const f of [...this.inflight]) {
      f.reject(new BasytecError(this.closed ? 'BB_BASYTEC_RCI_CLOSED' : 'BB_BASYTEC_RCI_CONNECTION_LOST', `RCI ${f.command}: ${reason.message} while waiting for the reply; the outcome is unknown`, {
        cause: reason, outcome: 'unknown', context: { command: f.command, request: f.request },
      }));
    }
  }
}
