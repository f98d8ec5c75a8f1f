/**
 * `ModbusDeviceClient`: one Modbus device over TCP or RTU (serial), on `modbus-serial`'s `ModbusRTU`.
 *
 * - One request in flight at a time (a promise queue): polling and writes share one client, as an
 *   RTU line allows one master and many TCP devices serve one request at a time.
 * - Per-request timeout (`timeoutMs`), typed errors: {@link ModbusExceptionError} (spec §7),
 *   {@link ModbusTimeoutError}, {@link ModbusConnectionError}; refusals ({@link ModbusWriteRefusedError})
 *   before any byte is sent.
 * - Connects once and reports the loss of its link (event `disconnected`); it never reconnects by
 *   itself: the collector runtime's supervisor reconnects with backoff (the one reconnect loop of
 *   Busbar, `@busbar/supervisor`), and `connect()` may be called again after a loss.
 *
 * Protocol facts: Modbus Application Protocol Specification V1.1b3 (function codes §6, exceptions §7);
 * Modbus Messaging on TCP/IP Implementation Guide V1.0b (MBAP header, unit identifier).
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import modbusSerial from 'modbus-serial';
import { z } from 'zod';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Logger, Metrics } from '@busbar/core';
import { formatIssues, parseRegisterMap } from '../codec/register-map.js';
import type { DeviceMap, RegisterPoint } from '../codec/register-map.js';
import { planReads } from '../codec/read-plan.js';
import type { PlanOptions, ReadBlock } from '../codec/read-plan.js';
import { applyBitToRegister, decodeBlock, encodeWrite } from '../codec/values.js';
import type { EncodedWrite, PointValues } from '../codec/values.js';
import {
  ModbusConfigError,
  ModbusConnectionError,
  ModbusExceptionError,
  exceptionOutcome,
  ModbusResponseError,
  ModbusTimeoutError,
  ModbusWriteRefusedError,
} from '../errors.js';
import type { ModbusRequestContext } from '../errors.js';

/** Modbus TCP endpoint (Modbus Messaging on TCP/IP Implementation Guide; port 502 by convention). */
export interface TcpConnection {
  /** Discriminator. */
  readonly kind: 'tcp';
  /** Host name or IP address. */
  readonly host: string;
  /** TCP port, 1..65535 (devices use 502). */
  readonly port: number;
}

/** Modbus RTU serial line (Modbus over Serial Line Specification V1.02: default 19200 baud, even parity, 8 data bits, 1 stop bit). */
export interface RtuConnection {
  /** Discriminator. */
  readonly kind: 'rtu';
  /** Serial device path, e.g. `/dev/ttyUSB0`. */
  readonly path: string;
  /** Bits per second, e.g. 9600, 19200. */
  readonly baudRate: number;
  /** Parity. */
  readonly parity: 'none' | 'even' | 'odd';
  /** Data bits (8 for RTU). */
  readonly dataBits: 7 | 8;
  /** Stop bits. */
  readonly stopBits: 1 | 2;
}

/** Options of {@link ModbusDeviceClient}. */
export interface ModbusDeviceClientOptions {
  /** Where the device is. */
  readonly connection: TcpConnection | RtuConnection;
  /** Unit identifier (slave id): 1..247 on RTU; 0..255 on TCP (255 or 1 for most TCP devices). */
  readonly unitId: number;
  /** Per-request timeout (and TCP connect timeout), ms. @default 1000 */
  readonly timeoutMs?: number;
  /** Register map: validated here with `parseRegisterMap` (raw JSON is fine). */
  readonly map: DeviceMap | unknown;
  /** Read planning limits (see `planReads`). */
  readonly plan?: PlanOptions;
  /** Structured logger. @default noopLogger */
  readonly logger?: Logger;
  /** Metrics factory. @default noopMetrics */
  readonly metrics?: Metrics;
  /** Device id for logs and the `device` metric label. @default `${host}:${port}` or the serial path, with `/unitId` */
  readonly deviceId?: string;
}

/** Result of {@link ModbusDeviceClient.readAll}. */
export interface ReadAllResult {
  /** Engineering values by point name (booleans for bit points). */
  readonly values: PointValues;
  /** Wall time of all requests of the read, ms. */
  readonly durationMs: number;
}

/** Result of {@link ModbusDeviceClient.write}. */
export interface WriteResult {
  /** Point written. */
  readonly point: string;
  /** Engineering value the device now holds (after rounding to the register's resolution). */
  readonly value: number | boolean;
  /** What went on the wire. */
  readonly encoded: EncodedWrite;
  /** Wall time of the request(s), ms. */
  readonly durationMs: number;
}

/** Events of {@link ModbusDeviceClient}. */
export interface ModbusDeviceClientEvents {
  /** The link is up. */
  connected: [];
  /** The link was lost (not emitted by `close()`); `reason` says why. The client does not reconnect by itself. */
  disconnected: [reason: string];
}

const DEFAULTS = { timeoutMs: 1000 } as const;

const optionsSchema = z.object({
  connection: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('tcp'), host: z.string().min(1, 'must not be empty'), port: z.number().int().min(1, 'must be 1..65535').max(65535, 'must be 1..65535') }),
    z.object({
      kind: z.literal('rtu'),
      path: z.string().min(1, 'must not be empty'),
      baudRate: z.number().int().min(300, 'must be an integer 300..4000000').max(4_000_000, 'must be an integer 300..4000000'),
      parity: z.enum(['none', 'even', 'odd'], { error: 'must be none, even or odd' }),
      dataBits: z.union([z.literal(7), z.literal(8)], { error: 'must be 7 or 8' }),
      stopBits: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }),
    }),
  ], { error: 'must be {kind: "tcp", host, port} or {kind: "rtu", path, baudRate, parity, dataBits, stopBits}' }),
  unitId: z.number().int('must be an integer 0..255').min(0, 'must be an integer 0..255').max(255, 'must be an integer 0..255'),
  timeoutMs: z.number().int().min(1, 'must be an integer 1..600000 (ms)').max(600_000, 'must be an integer 1..600000 (ms)').optional(),
});

// modbus-serial is CommonJS: its module.exports is the ModbusRTU class, which also carries `.default`.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

/**
 * How modbus-serial 8 reports a response it cannot match to the request (its index.js `_onReceive`,
 * plain `Error`s): too short or of the wrong length for the function code, a bad CRC (RTU; over TCP
 * it computes the CRC itself), another unit id or another function code. A wrong MBAP transaction id
 * is dropped by the library and ends as a timeout.
 */
const LIB_MALFORMED_RESPONSE = /^(Data length error|CRC error|Unexpected data error)/;

/** Error shapes thrown by modbus-serial (see its index.js). */
interface LibError {
  readonly message?: string;
  readonly errno?: string;
  readonly name?: string;
  readonly modbusCode?: number;
  /** Chunks received for the transaction (when the library kept them). */
  readonly modbusResponses?: readonly Uint8Array[];
}

/**
 * A client for one Modbus device. Use one instance per connection (per serial line, per TCP device),
 * shared by polling and writes: requests are serialised.
 *
 * @example
 * const client = new ModbusDeviceClient({ connection: { kind: 'tcp', host: '127.0.0.1', port: 502 }, unitId: 1, map: POWER_SUPPLY_MAP });
 * client.on('disconnected', (reason) => log.warn({ reason }, 'device lost'));
 * await client.connect(); // once: after a `disconnected`, the caller decides when to connect again
 * const { values } = await client.readAll();
 * await client.write('voltage_setpoint_v', 12);
 */
export class ModbusDeviceClient extends EventEmitter<ModbusDeviceClientEvents> {
  /** The validated register map. */
  readonly map: DeviceMap;
  /** The read plan executed by {@link readAll}. */
  readonly blocks: readonly ReadBlock[];
  /** Device id used in logs and metric labels. */
  readonly deviceId: string;

  private readonly connection: TcpConnection | RtuConnection;
  private readonly unitId: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private readonly pointsByName: ReadonlyMap<string, RegisterPoint>;
  private readonly metric;

  private rtu: ModbusRTU | undefined;
  private socket: Socket | undefined;
  private isConnected = false;
  private closed = false;
  private connecting: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private failInFlight: ((err: Error) => void) | undefined;

  /**
   * @param options - see {@link ModbusDeviceClientOptions}; the map is validated here.
   * @throws {ModbusConfigError} `BB_MODBUS_CONFIG_INVALID` naming the bad option or map field.
   */
  constructor(options: ModbusDeviceClientOptions) {
    super();
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) throw new ModbusConfigError(formatIssues(parsed.error));
    let map: DeviceMap;
    try {
      map = parseRegisterMap(options.map);
    } catch (e) {
      if (e instanceof ModbusConfigError) throw new ModbusConfigError(e.issues.map((i) => `map.${i}`), { cause: e });
      throw e;
    }
    const c = options.connection;
    if (c.kind === 'rtu' && (options.unitId < 1 || options.unitId > 247)) {
      throw new ModbusConfigError(['unitId: must be 1..247 on a serial line (Modbus over Serial Line V1.02 §2.2; 0 is broadcast)']);
    }

    this.map = map;
    this.blocks = Object.freeze(planReads(map, options.plan));
    this.connection = c;
    this.unitId = options.unitId;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.deviceId = options.deviceId ?? `${c.kind === 'tcp' ? `${c.host}:${c.port}` : c.path}/${options.unitId}`;
    this.logger = (options.logger ?? noopLogger).child({ component: 'modbus', device: this.deviceId });
    this.pointsByName = new Map(map.points.map((p) => [p.name, p]));
    const metrics = options.metrics ?? noopMetrics;
    this.metric = {
      requests: metrics.counter({ name: 'busbar_modbus_requests_total', help: 'Modbus requests by function code and outcome (ok, exception, timeout, invalid, connection).', labelNames: ['device', 'function_code', 'outcome'] }),
      duration: metrics.histogram({ name: 'busbar_modbus_request_duration_seconds', help: 'Modbus request round-trip time.', labelNames: ['device', 'function_code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] }),
      connects: metrics.counter({ name: 'busbar_modbus_connect_attempts_total', help: 'Modbus connect attempts by outcome (ok, error).', labelNames: ['device', 'outcome'] }),
      refusals: metrics.counter({ name: 'busbar_modbus_write_refusals_total', help: 'Writes refused before sending, by error code.', labelNames: ['device', 'code'] }),
    };
  }

  /** Whether the link is up. */
  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Opens the link once (no retry). Resolves at once when already connected; concurrent calls share
   * one attempt. Re-opens after {@link close}.
   *
   * @throws {ModbusConnectionError} `BB_MODBUS_CONNECTION` (retriable) when the port cannot be opened.
   */
  async connect(): Promise<void> {
    this.closed = false;
    if (this.isConnected) return;
    this.connecting ??= this.openOnce().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Closes the link. Queued requests fail with `BB_MODBUS_CONNECTION`.
   * Does not emit `disconnected`.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.teardown(new ModbusConnectionError(`client for ${this.deviceId} closed`, { context: { device: this.deviceId } }));
    await this.connecting?.catch(() => undefined);
    this.teardown(new ModbusConnectionError(`client for ${this.deviceId} closed`, { context: { device: this.deviceId } }));
  }

  /**
   * Reads every point of the map with the planned blocks (`blocks`), one request after another.
   *
   * @returns engineering values by point name, and the wall time, ms.
   * @throws {ModbusExceptionError} `BB_MODBUS_EXCEPTION`, {@link ModbusTimeoutError} `BB_MODBUS_TIMEOUT`,
   *   {@link ModbusConnectionError} `BB_MODBUS_CONNECTION`, `BB_MODBUS_RESPONSE_INVALID`: the first failure
   *   ends the read (no partial result).
   */
  async readAll(): Promise<ReadAllResult> {
    return this.enqueue(async () => {
      const t0 = performance.now();
      const values: PointValues = {};
      for (const block of this.blocks) Object.assign(values, decodeBlock(block, await this.readBlockNow(block)));
      return { values, durationMs: performance.now() - t0 };
    });
  }

  /**
   * Writes `value` (engineering units; boolean or 0/1 for bits) to point `pointName`. The write is
   * validated by `encodeWrite` before anything is queued; a bit inside a holding register is written
   * by read (FC 03) – modify – write (FC 06) inside one queue slot.
   *
   * @throws {ModbusWriteRefusedError} `BB_MODBUS_UNKNOWN_POINT`, `BB_MODBUS_NOT_WRITABLE`,
   *   `BB_MODBUS_WRITE_OUT_OF_RANGE` — nothing sent; and the wire errors of {@link readAll}.
   */
  async write(pointName: string, value: number | boolean): Promise<WriteResult> {
    let encoded: EncodedWrite;
    try {
      const point = this.pointsByName.get(pointName);
      if (!point) throw new ModbusWriteRefusedError('BB_MODBUS_UNKNOWN_POINT', `no point named ${JSON.stringify(pointName)} in the map of ${this.deviceId}`, { point: pointName });
      encoded = encodeWrite(point, value);
    } catch (e) {
      if (e instanceof ModbusWriteRefusedError) {
        this.metric.refusals.inc({ device: this.deviceId, code: e.code });
        this.logger.warn({ point: pointName, value, code: e.code }, e.message);
      }
      throw e;
    }
    return this.enqueue(async () => {
      const t0 = performance.now();
      await this.writeNow(encoded);
      this.logger.info({ point: pointName, value: encoded.value, raw: encoded.raw }, 'modbus write');
      return { point: pointName, value: encoded.value, encoded, durationMs: performance.now() - t0 };
    });
  }

  // ---- internals -------------------------------------------------------------------------------

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async openOnce(): Promise<void> {
    const rtu = new ModbusRTU();
    // modbus-serial re-emits port errors as 'error': without a listener EventEmitter would throw.
    rtu.on('error', (err: unknown) => this.logger.debug({ err: String((err as LibError)?.message ?? err) }, 'modbus port error'));
    const c = this.connection;
    try {
      if (c.kind === 'tcp') {
        const socket = await openSocket(c.host, c.port, this.timeoutMs);
        if (this.closed) {
          socket.destroy();
          throw new ModbusConnectionError(`client for ${this.deviceId} closed while connecting`, { context: { device: this.deviceId } });
        }
        socket.once('close', () => this.onLinkLost(rtu, 'socket closed'));
        this.socket = socket;
        await rtu.linkTCP(socket, { port: c.port });
      } else {
        await rtu.connectRTUBuffered(c.path, { baudRate: c.baudRate, parity: c.parity, dataBits: c.dataBits, stopBits: c.stopBits });
        rtu.on('close', () => this.onLinkLost(rtu, 'serial port closed'));
      }
    } catch (e) {
      this.metric.connects.inc({ device: this.deviceId, outcome: 'error' });
      this.socket?.destroy();
      this.socket = undefined;
      if (e instanceof ModbusConnectionError) throw e;
      throw new ModbusConnectionError(`cannot connect to ${this.deviceId}: ${(e as LibError)?.message ?? String(e)}`, { cause: e, context: { device: this.deviceId } });
    }
    rtu.setID(this.unitId);
    rtu.setTimeout(this.timeoutMs);
    this.rtu = rtu;
    this.isConnected = true;
    this.metric.connects.inc({ device: this.deviceId, outcome: 'ok' });
    this.logger.info({}, 'modbus connected');
    this.emit('connected');
  }

  private onLinkLost(rtu: ModbusRTU, reason: string): void {
    if (this.rtu !== rtu || !this.isConnected) return;
    this.teardown(new ModbusConnectionError(`connection to ${this.deviceId} lost: ${reason}`, { context: { device: this.deviceId } }));
    if (this.closed) return;
    this.logger.warn({ reason }, 'modbus disconnected');
    this.emit('disconnected', reason);
  }

  private teardown(err: ModbusConnectionError): void {
    const rtu = this.rtu;
    this.rtu = undefined;
    this.isConnected = false;
    this.failInFlight?.(err);
    this.failInFlight = undefined;
    if (rtu) rtu.destroy(() => undefined);
    this.socket?.destroy();
    this.socket = undefined;
  }

  /**
   * Runs one library request with the link check, in-flight failure on loss, error mapping and metrics.
   * `sentOutcome` is the outcome of a failure once the request left (`unknown`; `not_sent` for the read
   * step of a read-modify-write, whose write never leaves when the read fails).
   */
  private async request<T>(req: ModbusRequestContext, call: (rtu: ModbusRTU) => Promise<T>, sentOutcome: 'unknown' | 'not_sent' = 'unknown'): Promise<T> {
    const labels = { device: this.deviceId, function_code: req.functionCode };
    const rtu = this.rtu;
    if (!rtu || !this.isConnected) {
      this.metric.requests.inc({ ...labels, outcome: 'connection' });
      throw new ModbusConnectionError(`not connected to ${this.deviceId}`, { context: { ...req, device: this.deviceId }, outcome: 'not_sent' });
    }
    const t0 = performance.now();
    try {
      const result = await new Promise<T>((resolve, reject) => {
        this.failInFlight = reject;
        call(rtu).then(resolve, reject);
      });
      this.metric.requests.inc({ ...labels, outcome: 'ok' });
      return result;
    } catch (e) {
      const err = this.mapError(e, req, sentOutcome);
      this.metric.requests.inc({ ...labels, outcome: err instanceof ModbusExceptionError ? 'exception' : err instanceof ModbusTimeoutError ? 'timeout' : err instanceof ModbusResponseError ? 'invalid' : 'connection' });
      this.logger.debug({ err: err.message, code: err.code }, 'modbus request failed');
      throw err;
    } finally {
      this.failInFlight = undefined;
      this.metric.duration.observe(labels, (performance.now() - t0) / 1000);
      forgetSettledTransactions(rtu);
    }
  }

  /**
   * Maps a library failure to a typed error with its outcome: an exception response is `refused`
   * (`not_sent` for the read step of a read-modify-write); a request the library refused before
   * writing (port not open, bad unit id) is `not_sent`; anything after the bytes left is `sentOutcome`.
   */
  private mapError(e: unknown, req: ModbusRequestContext, sentOutcome: 'unknown' | 'not_sent'): ModbusExceptionError | ModbusTimeoutError | ModbusConnectionError | ModbusResponseError {
    const context = { ...req, device: this.deviceId };
    if (e instanceof ModbusConnectionError) {
      // the link was lost while this request was in flight (teardown)
      return e.outcome !== undefined ? e : new ModbusConnectionError(`${e.message}${sentOutcome === 'unknown' && isWrite(req.functionCode) ? ' (the request was sent: the device may have executed the write)' : ''}`, { cause: e.cause, context: e.context, outcome: sentOutcome });
    }
    const lib = (e ?? {}) as LibError;
    if (typeof lib.modbusCode === 'number') return new ModbusExceptionError(req, lib.modbusCode, { cause: e, outcome: sentOutcome === 'not_sent' ? 'not_sent' : exceptionOutcome(lib.modbusCode) });
    if (lib.errno === 'ETIMEDOUT' || lib.name === 'TransactionTimedOutError') return new ModbusTimeoutError(req, this.timeoutMs, { cause: e, outcome: sentOutcome });
    if (lib.name === 'PortNotOpenError' || lib.name === 'BadAddressError') {
      return new ModbusConnectionError(`request to ${this.deviceId} not sent: ${lib.message ?? String(e)}`, { cause: e, context, outcome: 'not_sent' });
    }
    const message = lib.message ?? String(e);
    if (LIB_MALFORMED_RESPONSE.test(message)) {
      const received = lib.modbusResponses?.reduce((n, chunk) => n + chunk.length, 0);
      return new ModbusResponseError(
        `malformed response from unit ${req.unitId} to function ${req.functionCode} at address ${req.address}: ${describeLibMalformed(message)}${sentOutcome === 'unknown' && isWrite(req.functionCode) ? ' (the device may have executed the write)' : ''}`,
        { ...context, reason: message, ...(received === undefined ? {} : { receivedBytes: received }) },
        { cause: e, outcome: sentOutcome },
      );
    }
    return new ModbusConnectionError(`request to ${this.deviceId} failed: ${message}`, { cause: e, context, outcome: sentOutcome });
  }

  private async readBlockNow(block: ReadBlock): Promise<number[] | boolean[]> {
    const req = { functionCode: block.functionCode, address: block.start, quantity: block.count, unitId: this.unitId };
    switch (block.type) {
      case 'holding':
        return (await this.request(req, (r) => r.readHoldingRegisters(block.start, block.count))).data;
      case 'input':
        return (await this.request(req, (r) => r.readInputRegisters(block.start, block.count))).data;
      case 'coil':
        return (await this.request(req, (r) => r.readCoils(block.start, block.count))).data;
      case 'discrete':
        return (await this.request(req, (r) => r.readDiscreteInputs(block.start, block.count))).data;
    }
  }

  private async writeNow(w: EncodedWrite): Promise<void> {
    const unitId = this.unitId;
    if (w.type === 'coil') {
      await this.request({ functionCode: 5, address: w.address, quantity: 1, unitId }, (r) => r.writeCoil(w.address, w.bit === true));
    } else if (w.readModifyWrite) {
      const read = await this.request({ functionCode: 3, address: w.address, quantity: 1, unitId }, (r) => r.readHoldingRegisters(w.address, 1), 'not_sent');
      const word = read.data[0];
      if (typeof word !== 'number') throw new ModbusConnectionError(`empty read of register ${w.address} from ${this.deviceId}`, { context: { address: w.address }, outcome: 'not_sent' });
      const next = applyBitToRegister(word, w.bitIndex ?? 0, w.bit === true);
      await this.request({ functionCode: 6, address: w.address, quantity: 1, unitId }, (r) => r.writeRegister(w.address, next));
    } else if (w.words && w.words.length === 1) {
      const word = w.words[0]!;
      await this.request({ functionCode: 6, address: w.address, quantity: 1, unitId }, (r) => r.writeRegister(w.address, word));
    } else if (w.words) {
      const words = [...w.words];
      await this.request({ functionCode: 16, address: w.address, quantity: words.length, unitId }, (r) => r.writeRegisters(w.address, words));
    }
  }
}

/** Whether a function code writes (5, 6, 15, 16). */
function isWrite(functionCode: number): boolean {
  return functionCode === 5 || functionCode === 6 || functionCode === 15 || functionCode === 16;
}

/**
 * A modbus-serial malformed-response message in Busbar's words (the library's text stays in
 * `context.reason`). Lengths are of the PDU plus unit id and CRC as the library counts them (over
 * TCP it rebuilds an RTU frame from the MBAP body: unit id + PDU + 2 CRC bytes).
 */
function describeLibMalformed(message: string): string {
  const length = /^Data length error, expected (\d+) got (\d+)/.exec(message);
  if (length) return `wrong length: expected ${Number(length[1]) - 3}-byte PDU, got ${Number(length[2]) - 3} bytes`;
  if (message.startsWith('CRC error')) return 'CRC mismatch';
  const unit = /^Unexpected data error, expected address (\d+) got (\d+)/.exec(message);
  if (unit) return `answer from unit ${unit[2]}, expected unit ${unit[1]}`;
  const fn = /^Unexpected data error, expected code (\d+) got (\d+)/.exec(message);
  if (fn) return `function code ${fn[2]} in the answer, expected ${fn[1]}`;
  return message;
}

/** Opens a TCP socket with a connect timeout; rejects with {@link ModbusConnectionError}. */
function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ModbusConnectionError(`TCP connect to ${host}:${port} timed out after ${timeoutMs} ms`, { context: { host, port, timeoutMs } }));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ModbusConnectionError(`TCP connect to ${host}:${port} failed: ${err.message}`, { cause: err, context: { host, port } }));
    });
    socket.connect({ host, port }, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // 'close' follows; handled there
      resolve(socket);
    });
  });
}

/**
 * Drops `modbus-serial`'s record of settled transactions. The library (8.0.x) keeps every request in
 * `_transactions` under its transaction id (modulo 256 over TCP) with its request buffer and callback,
 * and never deletes one: up to 256 stale entries per connection, about 150 KB of heap per device (100
 * devices: 18,000 `Buffer`s and as many closures after a minute; `npm run bench:footprint`, README
 * "Performance"). This client has one request in flight at a time (the queue), so once it has settled no
 * entry there is awaited; a late reply to a timed-out request then finds no transaction and is ignored
 * by the library (as a reply with an unknown id is).
 */
function forgetSettledTransactions(rtu: ModbusRTU): void {
  const lib = rtu as unknown as { _transactions?: Record<number, unknown> };
  if (lib._transactions !== undefined) lib._transactions = {};
}
