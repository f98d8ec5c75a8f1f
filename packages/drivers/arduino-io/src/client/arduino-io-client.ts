/**
 * `ArduinoIoClient`: one session with the rig's Arduino sketch over a serial line (`serialport`).
 *
 * - Opens the port once ({@link ArduinoIoClient.open}) and resolves after the first valid reading
 *   line (opening the USB port resets most Arduino boards: the first line comes after the boot).
 * - Readings are emitted as they arrive (`reading`); lines that do not decode are reported
 *   (`lineError`, counted) and dropped; nothing else happens to the session.
 * - Loss is exposed, never repaired: `lost` resolves with the error when the port closes or fails, or
 *   when no valid line came for `silenceTimeoutMs`; the client then closes itself. Reconnecting is the
 *   caller's decision (a new client).
 * - `setOutputs` validates against the pin whitelist before any byte is written, serialises commands
 *   and keeps `commandGapMs` between them (the sketch reads up to 30 bytes with a 1 s timeout and
 *   would merge two commands sent closer together into one garbled read, safety-rig reference §5).
 *
 * What can be verified of an output command: the sketch sends NO acknowledgement and NO output state
 * (reference §5), so there is no read-back. `setOutputs` verifies that the command left the port
 * (written and drained within `writeTimeoutMs`) and, with `awaitNextReading`, that the board was still
 * alive and printing after it (the next valid line arrived); it cannot know the pins' levels.
 */
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { z } from 'zod';
import { noopLogger, noopMetrics, sleep, systemClock } from '@busbar/core';
import type { Clock, Logger, Metrics } from '@busbar/core';
import { parseArduinoIoConfig } from '../codec/config.js';
import type { ArduinoIoConfig } from '../codec/config.js';
import { convertReading } from '../codec/conversion.js';
import type { ArduinoReading } from '../codec/conversion.js';
import { LineFramer } from '../codec/line-framer.js';
import { encodeOutputCommand } from '../codec/output-command.js';
import type { PinLevels } from '../codec/output-command.js';
import { decodeReadingLine } from '../codec/reading-line.js';
import { ArduinoError } from '../errors.js';

/** Options of {@link ArduinoIoClient.open}. */
export interface ArduinoIoClientOptions {
  /** Serial device, e.g. `/dev/ttyACM0` (reference §5). */
  readonly path: string;
  /** Baud rate. @default 9600 (the sketch's, reference §5) */
  readonly baudRate?: number;
  /** Pin whitelist, thermistor table, pressure scale: validated here (raw JSON is fine). */
  readonly config: ArduinoIoConfig | unknown;
  /** Longest wait for the first valid line after opening, ms (covers the board's reset on open). @default 5000 */
  readonly firstLineTimeoutMs?: number;
  /** No valid line for this long = session lost (`BB_ARDUINO_SILENT`), ms; the sketch prints about every 1000 ms. @default 5000 */
  readonly silenceTimeoutMs?: number;
  /** Longest wait for a command to be written and drained, ms. @default 1000 */
  readonly writeTimeoutMs?: number;
  /** Quiet time kept between two commands, ms (> the sketch's 1 s read timeout). @default 1100 */
  readonly commandGapMs?: number;
  /** Framer line limit, bytes. @default 128 */
  readonly maxLineBytes?: number;
  /** Time source of `receivedAtMs`. @default systemClock */
  readonly clock?: Clock;
  /** Structured logger. @default noopLogger */
  readonly logger?: Logger;
  /** Metrics factory. @default noopMetrics */
  readonly metrics?: Metrics;
  /** Device id for logs and the `device` metric label. @default the path */
  readonly deviceId?: string;
}

/** A converted reading and when it arrived. */
export interface TimedReading extends ArduinoReading {
  /** Arrival time of the line's LF, ms since epoch (the client's clock). */
  readonly receivedAtMs: number;
}

/** Options of one {@link ArduinoIoClient.setOutputs} call. */
export interface SetOutputsOptions {
  /** After writing, wait for the next valid reading line as evidence the board is alive. @default false */
  readonly awaitNextReading?: boolean;
  /**
   * Called after the command's turn came (queue and `commandGapMs` waited) and immediately before its
   * bytes are written; if it throws, nothing is written and the error is rethrown as is (a command
   * that expired while it waited: the protocol contract's `ActionContext.beforeSend`).
   */
  readonly beforeSend?: () => void;
}

/** Result of {@link ArduinoIoClient.setOutputs}. */
export interface SetOutputsResult {
  /** The bytes written (ASCII), e.g. `6:1&7:1`. */
  readonly command: string;
  /** `drained`: written out of the port; `board_alive`: and a valid line followed. Never a pin read-back: the sketch has none. */
  readonly verified: 'drained' | 'board_alive';
}

/** Events of {@link ArduinoIoClient}. */
export interface ArduinoIoClientEvents {
  /** A valid line, converted. */
  reading: [reading: TimedReading];
  /** A line was dropped (`BB_ARDUINO_LINE_INVALID` / `_TOO_LONG`). */
  lineError: [error: ArduinoError];
}

const DEFAULTS = { baudRate: 9600, firstLineTimeoutMs: 5000, silenceTimeoutMs: 5000, writeTimeoutMs: 1000, commandGapMs: 1100 } as const;

const ms = (lo: number, hi: number) => z.number().int(`must be an integer ${lo}..${hi} (ms)`).min(lo, `must be an integer ${lo}..${hi} (ms)`).max(hi, `must be an integer ${lo}..${hi} (ms)`).optional();
const optionsSchema = z.object({
  path: z.string({ error: 'must be a serial device path' }).min(1, 'must not be empty'),
  baudRate: z.number().int('must be an integer 300..4000000').min(300, 'must be an integer 300..4000000').max(4_000_000, 'must be an integer 300..4000000').optional(),
  firstLineTimeoutMs: ms(1, 600_000),
  silenceTimeoutMs: ms(1, 600_000),
  writeTimeoutMs: ms(1, 600_000),
  commandGapMs: ms(0, 600_000),
  maxLineBytes: z.number().int('must be an integer 1..65536').min(1, 'must be an integer 1..65536').max(65536, 'must be an integer 1..65536').optional(),
});

/**
 * A session with the sketch. Create with {@link ArduinoIoClient.open}.
 *
 * @example
 * const io = await ArduinoIoClient.open({ path: '/dev/ttyACM0', config });
 * io.on('reading', (r) => console.log(r.temperature1_c.value));
 * void io.lost.then((err) => log.warn({ code: err.code }, 'arduino lost'));
 * await io.setOutputs({ 6: true, 7: true }); // pump + fan on
 */
export class ArduinoIoClient extends EventEmitter<ArduinoIoClientEvents> {
  /** Resolves once, with why the session ended (port lost, silence, or `close()`); never rejects. */
  readonly lost: Promise<ArduinoError>;
  /** Device id used in logs and metric labels. */
  readonly deviceId: string;
  /** The validated configuration. */
  readonly config: ArduinoIoConfig;

  private readonly port: SerialPort;
  private readonly framer: LineFramer;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly silenceTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly commandGapMs: number;
  private readonly metric;
  private resolveLost!: (e: ArduinoError) => void;
  private ended: ArduinoError | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastWriteDoneAt = Number.NEGATIVE_INFINITY;
  private latestReading: TimedReading | undefined;
  private readonly gapAbort = new AbortController();
  /** Waiters of {@link nextReading}, failed at the end of the session. */
  private readonly endWaiters = new Set<(e: ArduinoError) => void>();

  private constructor(options: ArduinoIoClientOptions, config: ArduinoIoConfig, port: SerialPort) {
    super();
    this.config = config;
    this.port = port;
    this.deviceId = options.deviceId ?? options.path;
    this.framer = new LineFramer(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes });
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? noopLogger).child({ component: 'arduino-io', device: this.deviceId });
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? DEFAULTS.silenceTimeoutMs;
    this.writeTimeoutMs = options.writeTimeoutMs ?? DEFAULTS.writeTimeoutMs;
    this.commandGapMs = options.commandGapMs ?? DEFAULTS.commandGapMs;
    const metrics = options.metrics ?? noopMetrics;
    this.metric = {
      lines: metrics.counter({ name: 'busbar_arduino_lines_total', help: 'Lines received from the Arduino sketch, by outcome (ok or an error code).', labelNames: ['device', 'outcome'] }),
      commands: metrics.counter({ name: 'busbar_arduino_commands_total', help: 'Output commands, by outcome (ok or an error code).', labelNames: ['device', 'outcome'] }),
    };
    this.lost = new Promise((resolve) => {
      this.resolveLost = resolve;
    });
  }

  /**
   * Opens the port and waits for the first valid reading line.
   *
   * @param options - see {@link ArduinoIoClientOptions}.
   * @returns the open session.
   * @throws {ArduinoError} `BB_ARDUINO_CONFIG_INVALID` (options or configuration), `BB_ARDUINO_CONNECTION`
   *   (the port cannot be opened, or closed before the first line), `BB_ARDUINO_TIMEOUT` (no valid line
   *   within `firstLineTimeoutMs`); the port is closed again on failure.
   */
  static async open(options: ArduinoIoClientOptions): Promise<ArduinoIoClient> {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new ArduinoError('BB_ARDUINO_CONFIG_INVALID', `invalid Arduino I/O client options: ${issues.join('; ')}`, { context: { path: issues[0]?.split(':')[0] } });
    }
    const config = isParsedConfig(options.config) ? options.config : parseArduinoIoConfig(options.config);
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? DEFAULTS.baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) reject(new ArduinoError('BB_ARDUINO_CONNECTION', `cannot open ${options.path}: ${err.message}`, { retriable: true, cause: err, context: { path: options.path } }));
        else resolve();
      });
    });
    const client = new ArduinoIoClient(options, config, port);
    client.attach();
    const firstLineTimeoutMs = options.firstLineTimeoutMs ?? DEFAULTS.firstLineTimeoutMs;
    try {
      await client.firstReading(firstLineTimeoutMs);
    } catch (e) {
      await client.close();
      throw e;
    }
    client.logger.info({ path: options.path }, 'arduino session open');
    return client;
  }

  /** The last valid reading, if any. */
  get latest(): TimedReading | undefined {
    return this.latestReading;
  }

  /** Whether the session has ended (lost or closed). */
  get isLost(): boolean {
    return this.ended !== undefined;
  }

  /**
   * Switches outputs. Validated against the whitelist before anything is queued; then written after
   * the previous command plus `commandGapMs`.
   *
   * @param levels - pin number → level (`true` = high), e.g. `{ 6: true, 7: true }`.
   * @returns the command written and how far it was verified (see the module docs: no pin read-back exists).
   * @throws {ArduinoError} `BB_ARDUINO_PIN_NOT_ALLOWED` / `BB_ARDUINO_COMMAND_INVALID` (outcome
   *   `not_sent`); `BB_ARDUINO_CONNECTION` (session ended: `not_sent` before writing, `unknown` while
   *   writing); `BB_ARDUINO_TIMEOUT` (not drained in time, or no line after it: outcome `unknown`).
   */
  async setOutputs(levels: PinLevels, options: SetOutputsOptions = {}): Promise<SetOutputsResult> {
    let command: string;
    try {
      command = encodeOutputCommand(levels, this.config.outputPins);
    } catch (e) {
      this.count(e);
      throw e;
    }
    const run = this.queue.then(() => this.writeCommand(command, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the port; `lost` resolves with `BB_ARDUINO_CONNECTION` "closed" if it had not already. Idempotent. */
  async close(): Promise<void> {
    if (this.port.isOpen) {
      const closed = new Promise<void>((resolve) => this.port.once('close', () => resolve()));
      this.end(new ArduinoError('BB_ARDUINO_CONNECTION', `client for ${this.deviceId} closed`, { context: { device: this.deviceId } }));
      await closed;
      return;
    }
    this.end(new ArduinoError('BB_ARDUINO_CONNECTION', `client for ${this.deviceId} closed`, { context: { device: this.deviceId } }));
  }

  // ---- internals -------------------------------------------------------------------------------

  private attach(): void {
    this.port.on('data', (chunk: Buffer) => this.onData(chunk));
    this.port.on('error', (err: Error) => {
      this.end(new ArduinoError('BB_ARDUINO_CONNECTION', `serial port ${this.deviceId} failed: ${err.message}`, { retriable: true, cause: err, context: { device: this.deviceId } }));
    });
    this.port.on('close', (err: Error | null) => {
      this.end(new ArduinoError('BB_ARDUINO_CONNECTION', `serial port ${this.deviceId} closed${err ? `: ${err.message}` : ''}`, { retriable: true, ...(err ? { cause: err } : {}), context: { device: this.deviceId } }));
    });
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    for (const r of this.framer.push(chunk)) {
      if (r.kind === 'error') {
        this.reportLineError(r.error);
        continue;
      }
      let reading: TimedReading;
      try {
        reading = { ...convertReading(decodeReadingLine(r.text), this.config), receivedAtMs: this.clock.nowMs() };
      } catch (e) {
        if (e instanceof ArduinoError) {
          this.reportLineError(e);
          continue;
        }
        throw e;
      }
      this.latestReading = reading;
      this.metric.lines.inc({ device: this.deviceId, outcome: 'ok' });
      this.armSilence();
      this.emit('reading', reading);
    }
  }

  private reportLineError(e: ArduinoError): void {
    this.metric.lines.inc({ device: this.deviceId, outcome: e.code });
    this.logger.warn({ code: e.code }, e.message);
    this.emit('lineError', e);
  }

  private armSilence(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      this.end(new ArduinoError('BB_ARDUINO_SILENT', `no valid line from ${this.deviceId} for ${this.silenceTimeoutMs} ms`, { retriable: true, context: { device: this.deviceId, silenceTimeoutMs: this.silenceTimeoutMs } }));
    }, this.silenceTimeoutMs);
  }

  /** Waits for the next valid reading within `timeoutMs`, or the end of the session. */
  private nextReading(timeoutMs: number, what: string): Promise<TimedReading> {
    return new Promise((resolve, reject) => {
      if (this.ended) {
        reject(this.ended);
        return;
      }
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('reading', onReading);
        this.endWaiters.delete(onEnd);
      };
      const onEnd = (e: ArduinoError): void => {
        cleanup();
        reject(e);
      };
      const onReading = (r: TimedReading): void => {
        cleanup();
        resolve(r);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new ArduinoError('BB_ARDUINO_TIMEOUT', `no valid line from ${this.deviceId} within ${timeoutMs} ms ${what}`, { retriable: true, context: { device: this.deviceId, timeoutMs } }));
      }, timeoutMs);
      this.on('reading', onReading);
      this.endWaiters.add(onEnd);
    });
  }

  private async firstReading(timeoutMs: number): Promise<void> {
    await this.nextReading(timeoutMs, 'after opening the port');
  }

  private async writeCommand(command: string, options: SetOutputsOptions): Promise<SetOutputsResult> {
    const notSent = (): ArduinoError => new ArduinoError('BB_ARDUINO_CONNECTION', `session with ${this.deviceId} ended (${this.ended?.code}); command ${command} not sent`, { outcome: 'not_sent', cause: this.ended, context: { device: this.deviceId, command } });
    if (this.ended) throw this.fail(notSent());
    const wait = this.lastWriteDoneAt + this.commandGapMs - performance.now();
    if (wait > 0) await sleep(wait, this.gapAbort.signal);
    if (this.ended) throw this.fail(notSent());
    if (options.beforeSend) {
      try {
        options.beforeSend();
      } catch (e) {
        throw this.fail(e as Error);
      }
    }
    const written = new Promise<void>((resolve, reject) => {
      this.port.write(command, 'ascii', (err) => {
        if (err) {
          reject(err);
          return;
        }
        this.port.drain((err2) => (err2 ? reject(err2) : resolve()));
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ArduinoError('BB_ARDUINO_TIMEOUT', `command ${command} not drained to ${this.deviceId} within ${this.writeTimeoutMs} ms; outcome unknown`, { retriable: true, outcome: 'unknown', context: { device: this.deviceId, command } })), this.writeTimeoutMs);
    });
    try {
      await Promise.race([written, timeout]);
    } catch (e) {
      if (e instanceof ArduinoError) throw this.fail(e);
      throw this.fail(new ArduinoError('BB_ARDUINO_CONNECTION', `writing ${command} to ${this.deviceId} failed: ${(e as Error).message}; outcome unknown`, { retriable: true, outcome: 'unknown', cause: e, context: { device: this.deviceId, command } }));
    } finally {
      clearTimeout(timer);
      this.lastWriteDoneAt = performance.now();
    }
    this.logger.info({ command }, 'arduino outputs written');
    if (!options.awaitNextReading) {
      this.metric.commands.inc({ device: this.deviceId, outcome: 'ok' });
      return { command, verified: 'drained' };
    }
    try {
      await this.nextReading(this.silenceTimeoutMs, `after command ${command}`);
    } catch (e) {
      throw this.fail(e instanceof ArduinoError && e.code === 'BB_ARDUINO_TIMEOUT' ? new ArduinoError('BB_ARDUINO_TIMEOUT', `${e.message}; the command was written, its effect is unknown`, { retriable: true, outcome: 'unknown', cause: e, context: e.context }) : (e as Error));
    }
    this.metric.commands.inc({ device: this.deviceId, outcome: 'ok' });
    return { command, verified: 'board_alive' };
  }

  private fail(e: Error): Error {
    this.count(e);
    return e;
  }

  private count(e: unknown): void {
    this.metric.commands.inc({ device: this.deviceId, outcome: e instanceof ArduinoError ? e.code : 'BB_CORE_UNEXPECTED' });
  }

  private end(e: ArduinoError): void {
    if (this.ended) return;
    this.ended = e;
    clearTimeout(this.silenceTimer);
    this.gapAbort.abort();
    for (const w of [...this.endWaiters]) w(e);
    if (this.port.isOpen) this.port.close(() => undefined);
    if (e.code !== 'BB_ARDUINO_CONNECTION' || !e.message.endsWith('closed')) this.logger.warn({ code: e.code }, `arduino session lost: ${e.message}`);
    this.resolveLost(e);
  }
}

function isParsedConfig(c: unknown): c is ArduinoIoConfig {
  return typeof c === 'object' && c !== null && (c as { outputPins?: unknown }).outputPins instanceof Set;
}
