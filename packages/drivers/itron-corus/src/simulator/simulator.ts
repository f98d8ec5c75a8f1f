/**
 * A Corus device behind a TCP listener, for the demo and tests (itron-corus README §13).
 *
 * State machine of §13.2 (ASLEEP → AWAKE → IDENTIFIED → AUTH → SESSION ⇄ DB_TRANSFER), a
 * parameter store driven by the configured map (§13.1), logs with records generated as simulated
 * time advances, password check, inactivity timeout, one session at a time, and fault injection
 * (§13.6). Request parsing here is written independently of the client's decoder; value encoding
 * uses the codec and is cross-checked by iflag (test/peers) and vectors.json.
 *
 * Documented choices for [U] points: unknown id / oversize read / bad write / flagged or unknown
 * database → NAK 0x15 (§13.3–§13.5); database records selected by STOP ≤ end date ≤ START
 * (inclusive, zero bound = unbounded), newest first, first frame number 1; a stray ACK after the
 * last database frame is ignored; wrong password → NAK and back to ASLEEP (or silence).
 * Each frame (and the wake-up reply) goes out in a single socket write (§12 item 5).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { crc16Umts } from '../codec/crc.js';
import { CLASS_LENGTH, decodeValue, parseCorusDateTime, encodeValue, formatCorusDateTime, isCorusDateTime, type CorusDateTime, type CorusInputValue, type CorusValue } from '../codec/data-classes.js';
import { decodeDatabaseRequestData, decodeRecord, encodeDatabaseFrames, type DecodedRecord, type RecordField } from '../codec/database.js';
import { ExactDecimal } from '../codec/exact-decimal.js';
import { encodeResponseFrame } from '../codec/frames.js';
import { decodeParameterId } from '../codec/parameter-id.js';
import { encodePasswordMessage } from '../codec/sign-on.js';
import { MAP_NAME_PARAMETER_ID, parseCorusMap, type CorusMap, type CorusMapInput, type CorusParameter } from '../config/map.js';
import { corusDateTimeToDate, dateToCorusDateTime } from '../client/time-zone.js';

/** Where a fault applies (README §13.6). */
export type CorusFaultPoint = 'wakeup' | 'password' | 'read' | 'write' | 'database' | 'database-frame';

/** What goes wrong (README §13.6). */
export type CorusFaultKind =
  | 'silence' // no answer
  | 'truncate' // half the frame, then nothing
  | 'wrong-etx'
  | 'bad-crc'
  | 'nak' // NAK instead of the answer
  | 'wrong-len' // LEN one larger than the data
  | 'frame-order' // database frame number skips one
  | 'disconnect' // half the frame, then the connection drops
  | 'bad-wakeup' // wake-up reply 00 01 00
  | 'bad-password-ack' // NAK after a correct password
  | 'garbage' // 0x55 before the answer
  | 'slow' // the answer byte by byte, 2 ms apart
  | 'partial-record' // database stream one byte short of whole records
  | 'no-timestamp' // the newest record of the answer with its timestamp field as "no value" (FF FF FF FF)
  | 'duplicate' // the answer, then the same answer again `delayMs` later (0: in the same write)
  | 'duplicate-late' // the answer; it is sent again just before the answer to the next request
  | 'late' // the answer only `delayMs` after the request
  | 'stall'; // the first half of the answer, then the rest `delayMs` later

/** One injected fault: applies to the `after`+1-th event at `on`, `times` times in a row. */
export interface CorusFault {
  /** Event kind. */
  readonly on: CorusFaultPoint;
  /** Fault. */
  readonly kind: CorusFaultKind;
  /** Matching events to let through first. @default 0 */
  readonly after?: number;
  /** How many events it hits. @default 1 */
  readonly times?: number;
  /** Delay of `duplicate`, `late` and `stall`, ms. @default 0 for `duplicate`, 500 otherwise */
  readonly delayMs?: number;
}

/** Options of {@link startCorusSimulator}. */
export interface CorusSimulatorOptions {
  /** TCP port; 0 = ephemeral (read back from the handle). @default 0 */
  readonly port?: number;
  /** Listen address. @default 127.0.0.1 */
  readonly host?: string;
  /** The parameter map and log layouts the device implements. */
  readonly map: CorusMap | CorusMapInput;
  /** Device password (README §3.4). @default "PASS" */
  readonly password?: string;
  /** On a wrong password: NAK (default) or stay silent (README §13.2 [U]). */
  readonly wrongPassword?: 'nak' | 'silent';
  /** Identification line without CR LF. @default "/SIM5CORUS" (invented, README §13.1) */
  readonly identification?: string;
  /** Seed of the generated log values. @default 1 */
  readonly seed?: number;
  /** Faults to inject (README §13.6); more via `setFaults`. */
  readonly faults?: readonly CorusFault[];
  /** Simulated clock start, naive `YYYY-MM-DDTHH:MM:SS`. @default "2020-10-07T12:00:00" */
  readonly startTime?: string;
  /** Records generated per log before `startTime`. @default 96 */
  readonly historyRecords?: number;
  /** Initial records per log, newest first, replacing the generated history (end date read from the layout's timestamp field). */
  readonly logRecords?: Readonly<Record<string, readonly Uint8Array[]>>;
  /** Initial parameter values by name (overrides the defaults). */
  readonly values?: Readonly<Record<string, CorusInputValue>>;
  /** Record bytes per database frame (≤ 252; smaller splits records across frames). @default 252 */
  readonly databaseChunk?: number;
  /** Close the connection after this long without a byte, ms. @default 60000 */
  readonly inactivityMs?: number;
  /** NAKs per database frame before giving up the transfer. @default 5 */
  readonly nakLimit?: number;
  /**
   * Accept only an option select that echoes the identification's Z (README §2.2: both sides switch
   * to that rate); another Z is ignored (the device goes back to sleep). @default false (iflag sends '7')
   */
  readonly requireEchoedBaudChar?: boolean;
  /**
   * IANA zone of the device clock: the clock keeps local wall time and follows daylight saving (the
   * "DST on local time" fault; README §8.3.12 [U]). Records are generated at evenly spaced instants,
   * so a fall-back repeats an hour of wall times in the logs and a spring-forward skips one.
   * `startTime`, clock reads/writes and record dates are wall times in this zone. @default "UTC"
   */
  readonly timeZone?: string;
  /**
   * Time of day (`HH:MM`, device wall clock) at which logs whose `intervalS` is whole days write
   * their record — a gas day (e.g. `06:00`). @default "00:00"
   */
  readonly gasDayStart?: string;
}

/** A stored log record. */
export interface SimulatedRecord {
  /** The record's end date (what START/STOP are compared with). */
  readonly endDate: string;
  /** Raw record bytes. */
  readonly bytes: Uint8Array;
  /** Decoded with the simulator's pulse weight (README §9.6). */
  readonly values: DecodedRecord;
}

/** Handle of a running simulator. */
export interface CorusSimulator {
  /** Listen address. */
  readonly host: string;
  /** Bound port. */
  readonly port: number;
  /** Stops listening and drops connections. */
  close(): Promise<void>;
  /** Current value of a parameter by id or name, as the device would send it (decoded). */
  parameter(idOrName: number | string): CorusValue;
  /** Sets a parameter value (tests). */
  setParameter(idOrName: number | string, value: CorusInputValue): void;
  /** Records of a log, newest first. */
  logRecords(log: string): readonly SimulatedRecord[];
  /** Moves simulated time forward, appending interval records and growing volume registers. */
  advance(seconds: number): void;
  /**
   * Sets the device clock back by `seconds` (the "clock set-back" fault: an operator or a time sync
   * moved it). Nothing is removed: records logged after the next `advance` repeat times already in
   * the logs, after the old ones in log order, as a device does.
   */
  setBackClock(seconds: number): void;
  /** Simulated clock (naive ISO). */
  clockTime(): string;
  /** Replaces the pending faults. */
  setFaults(faults: readonly CorusFault[]): void;
  /** The option select `06 V Z Y CR LF` of the latest sign-on, as received. */
  lastOptionSelect(): Uint8Array | undefined;
  /** Counters for tests: connections, sessions opened, requests by kind, NAKs received. */
  readonly stats: Readonly<{ connections: number; rejectedConnections: number; sessions: number; reads: number; writes: number; databaseRequests: number; naksReceived: number; breaks: number }>;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Naive wall-clock ms of a device date-time (no zone), and back. */
const toMs = (d: CorusDateTime): number => corusDateTimeToDate(d, 'UTC').getTime();
const fromMs = (ms: number): CorusDateTime => dateToCorusDateTime(new Date(ms), 'UTC');

type State = 'ASLEEP' | 'AWAKE' | 'IDENTIFIED' | 'AUTH' | 'SESSION' | 'DB_TRANSFER';

/**
 * Starts a simulated Corus on `host:port` (README §13).
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` for an invalid map.
 */
export async function startCorusSimulator(options: CorusSimulatorOptions): Promise<CorusSimulator> {
  const map = 'byName' in options.map ? options.map : parseCorusMap(options.map);
  const codec = { float3ExponentOffset: map.config.float3ExponentOffset };
  const password = options.password ?? 'PASS';
  const ident = options.identification ?? '/SIM5CORUS';
  const rand = mulberry32(options.seed ?? 1);
  let faults: { f: CorusFault; skip: number; left: number }[] = [];
  let lastOptionSelect: Uint8Array | undefined;
  const setFaults = (fs: readonly CorusFault[]): void => {
    faults = fs.map((f) => ({ f, skip: f.after ?? 0, left: f.times ?? 1 }));
  };
  setFaults(options.faults ?? []);
  const faultOf = (on: CorusFaultPoint): CorusFault | undefined => {
    for (const x of faults) {
      if (x.f.on !== on || x.left <= 0) continue;
      if (x.skip > 0) {
        x.skip--;
        continue;
      }
      x.left--;
      return x.f;
    }
    return undefined;
  };
  const fault = (on: CorusFaultPoint): CorusFaultKind | undefined => faultOf(on)?.kind;
  const stats = { connections: 0, rejectedConnections: 0, sessions: 0, reads: 0, writes: 0, databaseRequests: 0, naksReceived: 0, breaks: 0 };

  // ---- parameter store (README §13.1)
  const tz = options.timeZone ?? 'UTC';
  const instantOf = (d: CorusDateTime): number => corusDateTimeToDate(d, tz).getTime();
  const wallOf = (instantMs: number): CorusDateTime => dateToCorusDateTime(new Date(instantMs), tz);
  const offsetAt = (instantMs: number): number => toMs(wallOf(instantMs)) - Math.floor(instantMs / 1000) * 1000;
  const isSummer = (instantMs: number): boolean => {
    const y = wallOf(instantMs).year;
    return offsetAt(instantMs) > Math.min(offsetAt(Date.UTC(y, 0, 1)), offsetAt(Date.UTC(y, 6, 1)));
  };
  const gasDay = /^(\d\d):(\d\d)$/.exec(options.gasDayStart ?? '00:00');
  if (gasDay === null || Number(gasDay[1]) > 23 || Number(gasDay[2]) > 59) throw new RangeError(`simulator: gasDayStart "${options.gasDayStart}" is not HH:MM`);
  const dayStartMs = (Number(gasDay[1]) * 60 + Number(gasDay[2])) * 60_000;
  let clockMs = instantOf(parseCorusDateTime(options.startTime ?? '2020-10-07T12:00:00'));
  const store = new Map<number, Uint8Array>();
  const clockParam = map.role('clock');
  const pwParam = map.role('pulse_weight');
  const defaultValue = (p: CorusParameter): CorusInputValue => {
    if (p.id === MAP_NAME_PARAMETER_ID) return `FL_${map.config.mapId}`;
    if (p.role === 'pulse_weight') return '0.1';
    switch (p.class) {
      case 'Date':
        return wallOf(clockMs);
      case 'CorusString':
        return p.name.slice(0, 8);
      case 'Index':
      case 'Index9':
        return p.name.includes('unconverted') ? '11796.7' : '12345.67891234';
      case 'Null2':
      case 'Null4':
        return null;
      default:
        return p.min ?? '1';
    }
  };
  for (const p of map.config.parameters) store.set(p.id, encodeValue(p.class, options.values?.[p.name] ?? defaultValue(p), codec));
  if (!map.byId.has(MAP_NAME_PARAMETER_ID)) store.set(MAP_NAME_PARAMETER_ID, encodeValue('CorusString', `FL_${map.config.mapId}`));
  const classOf = (id: number): CorusParameter['class'] | undefined => (id === MAP_NAME_PARAMETER_ID ? 'CorusString' : map.byId.get(id)?.class);
  const lookup = (idOrName: number | string): CorusParameter | { id: number; class: 'CorusString' } => {
    const p = typeof idOrName === 'number' ? map.byId.get(idOrName) : map.byName.get(idOrName);
    if (p !== undefined) return p;
    if (idOrName === MAP_NAME_PARAMETER_ID) return { id: MAP_NAME_PARAMETER_ID, class: 'CorusString' };
    throw new RangeError(`simulator: unknown parameter ${String(idOrName)}`);
  };
  const readParam = (id: number): CorusValue => {
    if (clockParam?.id === id) return wallOf(clockMs);
    const cls = classOf(id) as CorusParameter['class'];
    return decodeValue(cls, store.get(id) as Uint8Array, 0, codec);
  };
  const pulseWeight = (): ExactDecimal => {
    if (map.config.pulseWeightOverride !== undefined) return ExactDecimal.from(map.config.pulseWeightOverride);
    const v = pwParam === undefined ? null : readParam(pwParam.id);
    return v instanceof ExactDecimal ? v : ExactDecimal.from(1);
  };

  // ---- logs (README §13.1): newest first
  // each stored record: `ms` = its end date as naive wall-clock ms (what START/STOP select on)
  const logs = new Map<string, { ms: number; bytes: Uint8Array }[]>();
  let sequence = 0;
  const genField = (f: RecordField, endMs: number, intervalS: number, summerFlag: { field: string; mask: number } | undefined): CorusInputValue => {
    const r = rand();
    const n = f.name;
    if (summerFlag?.field === n) return isSummer(endMs) ? summerFlag.mask : 0;
    if (n.includes('sequence') && ['Byte', 'Word', 'EWord', 'ULong', 'EULong'].includes(f.class)) return sequence;
    switch (f.class) {
      case 'Date':
        return wallOf(n.includes('start') ? endMs - intervalS * 1000 : endMs);
      case 'Null2':
      case 'Null4':
        return null;
      case 'Byte':
        return n.includes('duration') ? Math.min(254, Math.round(intervalS / 60)) : n.includes('status') ? 0 : Math.floor(r * 10);
      case 'Word':
      case 'EWord':
        return Math.floor(r * 200);
      case 'ULong':
      case 'EULong':
        return Math.floor(r * 2000);
      case 'Float1':
        return new ExactDecimal(BigInt(Math.floor(r * 4000) - 1000 || 0) === -1n ? 0n : BigInt(Math.floor(r * 4000) - 1000), 2); // −10.00..29.99, never −0.01 (no-value)
      case 'Float2':
        return new ExactDecimal(BigInt(900 + Math.floor(r * 200)), 3); // 0.900..1.099
      case 'Float3':
        return new ExactDecimal(BigInt(Math.floor(r * 6000)), 1); // 0..599.9
      case 'Float':
        return new ExactDecimal(BigInt(Math.floor(r * 100000)), 3);
      case 'Index':
      case 'Index9':
        return new ExactDecimal(BigInt(Math.floor(r * 1e9)), 3);
      case 'CorusString':
        return 'SIM';
    }
  };
  const appendRecord = (log: string, endMs: number): void => {
    const cfg = map.config.logs[log];
    const layout = cfg?.layouts[0];
    if (cfg === undefined || layout === undefined) return;
    const intervalS = cfg.intervalS ?? 900;
    sequence++;
    const parts = layout.fields.map((f) => encodeValue(f.class, genField(f, endMs, intervalS, cfg.summerTimeFlag), codec));
    const bytes = new Uint8Array(layout.recordLength);
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    let list = logs.get(log);
    if (list === undefined) logs.set(log, (list = []));
    list.unshift({ ms: toMs(wallOf(endMs)), bytes });
    // grow volume registers by the record's consumption (pulse fields × pulse weight)
    const d = decodeRecord(bytes, layout.fields, pulseWeight(), codec);
    for (const kind of ['unconverted', 'converted'] as const) {
      const field = layout.fields.find((f) => f.name.includes('consumption') && f.name.includes(kind) && !f.name.includes(kind === 'converted' ? 'unconverted' : '\0'));
      const reg = map.config.parameters.find((p) => (p.class === 'Index' || p.class === 'Index9') && p.name.includes('volume') && p.name.includes(kind) && !(kind === 'converted' && p.name.includes('unconverted')));
      const add = field === undefined ? undefined : d[field.name];
      if (reg !== undefined && add instanceof ExactDecimal) {
        const cur = readParam(reg.id);
        const next = (cur instanceof ExactDecimal ? cur : ExactDecimal.ZERO).add(add);
        store.set(reg.id, encodeValue(reg.class, next, codec));
      }
    }
  };
  /** Record end instants in `(afterMs, untilMs]`: every `intervalS` (UTC-aligned), or once a day at the gas day start in `tz`. */
  function slotsBetween(intervalS: number | undefined, afterMs: number, untilMs: number): number[] {
    const step = (intervalS ?? 900) * 1000;
    const out: number[] = [];
    if (step % 86_400_000 === 0) {
      const w = wallOf(afterMs);
      for (let day = Date.UTC(w.year, w.month - 1, w.day) - 86_400_000; ; day += 86_400_000) {
        const t = instantOf(fromMs(day + dayStartMs));
        if (t > untilMs) break;
        if (t > afterMs && Math.round(day / 86_400_000) % (step / 86_400_000) === 0) out.push(t);
      }
      return out;
    }
    for (let t = Math.floor(afterMs / step) * step + step; t <= untilMs; t += step) out.push(t);
    return out;
  }
  for (const [log, cfg] of Object.entries(map.config.logs)) {
    const given = options.logRecords?.[log];
    if (given !== undefined) {
      logs.set(log, given.map((bytes) => {
        const layout = cfg.layouts.find((l) => l.recordLength === bytes.length);
        const ts = layout === undefined ? undefined : decodeRecord(bytes, layout.fields, ExactDecimal.from(1), codec)[cfg.timestampField];
        if (!isCorusDateTime(ts)) throw new RangeError(`simulator: a given ${log} record has no layout or no ${cfg.timestampField}`);
        return { ms: toMs(ts), bytes };
      }));
      continue;
    }
    const n = options.historyRecords ?? 96;
    const history = slotsBetween(cfg.intervalS, clockMs - (n + 2) * (cfg.intervalS ?? 900) * 1000, clockMs);
    for (const t of history.slice(history.length - Math.min(n, history.length))) appendRecord(log, t);
  }
  const advance = (seconds: number): void => {
    const target = clockMs + seconds * 1000;
    for (const [log, cfg] of Object.entries(map.config.logs)) for (const t of slotsBetween(cfg.intervalS, clockMs, target)) appendRecord(log, t);
    clockMs = target;
  };

  // ---- connections
  let active: Socket | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (active !== undefined && !active.destroyed) {
      // One session at a time: the device serves one link (README §13).
      stats.rejectedConnections++;
      socket.destroy();
      return;
    }
    active = socket;
    socket.on('close', () => {
      if (active === socket) active = undefined;
    });
    handleConnection(socket);
  });

  function handleConnection(socket: Socket): void {
    let state: State = 'ASLEEP';
    let buf: number[] = [];
    let zeros = 0;
    let ignoreZerosUntil = 0;
    let transfer: { frames: Uint8Array[]; index: number; naks: number; frameOrderFault: boolean } | undefined;
    /** An answer to repeat just before the next one (`duplicate-late`). */
    let repeatBeforeNext: Uint8Array | undefined;
    let inactivity: NodeJS.Timeout | undefined;
    const inactivityMs = options.inactivityMs ?? 60_000;
    const touch = (): void => {
      if (inactivity !== undefined) clearTimeout(inactivity);
      inactivity = setTimeout(() => socket.destroy(), inactivityMs);
      inactivity.unref();
    };
    socket.on('close', () => inactivity !== undefined && clearTimeout(inactivity));
    touch();

    const send = (bytes: Uint8Array): void => {
      if (!socket.destroyed) socket.write(bytes);
    };
    const sendSlow = (bytes: Uint8Array): void => {
      let i = 0;
      const next = (): void => {
        if (i >= bytes.length || socket.destroyed) return;
        socket.write(bytes.subarray(i, ++i));
        setTimeout(next, 2);
      };
      next();
    };
    const later = (ms: number, bytes: Uint8Array): void => {
      setTimeout(() => send(bytes), ms).unref();
    };
    /** Sends an answer (frame or single byte), applying a fault of the duplicated/late family; false if `f` is of another kind. */
    const sendTimed = (answer: Uint8Array, f: CorusFault | undefined): boolean => {
      switch (f?.kind) {
        case 'duplicate':
          if ((f.delayMs ?? 0) > 0) {
            send(answer);
            later(f.delayMs ?? 0, answer);
          } else send(Uint8Array.of(...answer, ...answer));
          return true;
        case 'duplicate-late':
          send(answer);
          repeatBeforeNext = answer;
          return true;
        case 'late':
          later(f.delayMs ?? 500, answer);
          return true;
        case 'stall':
          send(answer.subarray(0, Math.max(1, answer.length >> 1)));
          later(f.delayMs ?? 500, answer.subarray(Math.max(1, answer.length >> 1)));
          return true;
        default:
          return false;
      }
    };
    /** Sends a response frame, applying a fault. */
    const sendFrame = (frame: Uint8Array, fx: CorusFault | CorusFaultKind | undefined): void => {
      const fo = typeof fx === 'string' ? { on: 'read' as const, kind: fx } : fx;
      if (sendTimed(frame, fo)) return;
      const kind = fo?.kind;
      const f = Uint8Array.from(frame);
      switch (kind) {
        case 'silence':
          return;
        case 'nak':
          return send(Uint8Array.of(0x15));
        case 'truncate':
          return send(f.subarray(0, Math.max(1, f.length >> 1)));
        case 'disconnect':
          send(f.subarray(0, Math.max(1, f.length >> 1)));
          socket.end();
          setTimeout(() => socket.destroy(), 5);
          return;
        case 'wrong-etx':
          f[f.length - 3] = 0x04;
          return send(f);
        case 'bad-crc':
          f[f.length - 1] = (f[f.length - 1] as number) ^ 0xff;
          return send(f);
        case 'wrong-len':
          f[1] = (f[1] as number) + 1;
          return send(f);
        case 'garbage':
          return send(Uint8Array.of(0x55, ...f));
        case 'slow':
          return sendSlow(f);
        default:
          return send(f);
      }
    };

    const nak = (): void => send(Uint8Array.of(0x15));

    const onRead = (data: Uint8Array): void => {
      stats.reads++;
      const values: Uint8Array[] = [];
      let total = 0;
      for (let o = 0; o < data.length; ) {
        const decoded = decodeParameterId(data, o);
        if (decoded === undefined) return nak();
        const id = decoded.id;
        o += decoded.length;
        const cls = classOf(id);
        if (cls === undefined) return nak();
        const v = clockParam?.id === id ? encodeValue('Date', wallOf(clockMs)) : (store.get(id) as Uint8Array);
        values.push(v);
        total += v.length;
      }
      if (total > 255) return nak();
      const out = new Uint8Array(total);
      let o = 0;
      for (const v of values) {
        out.set(v, o);
        o += v.length;
      }
      sendFrame(encodeResponseFrame(out), faultOf('read'));
    };

    const onWrite = (data: Uint8Array): void => {
      stats.writes++;
      const fw = faultOf('write');
      const f = fw?.kind;
      const pending: { id: number; bytes: Uint8Array; p: CorusParameter }[] = [];
      for (let o = 0; o < data.length; ) {
        const decoded = decodeParameterId(data, o);
        if (decoded === undefined) return nak();
        const id = decoded.id;
        o += decoded.length;
        const p = map.byId.get(id);
        if (p === undefined || !p.writable) return nak();
        const len = CLASS_LENGTH[p.class];
        if (o + len > data.length) return nak(); // iflag's two-byte-id write ends here (§12 item 1)
        const bytes = data.slice(o, o + len);
        o += len;
        try {
          const v = decodeValue(p.class, bytes, 0, codec);
          if (v instanceof ExactDecimal && ((p.min !== undefined && v.compare(ExactDecimal.from(p.min)) < 0) || (p.max !== undefined && v.compare(ExactDecimal.from(p.max)) > 0))) return nak();
        } catch {
          return nak();
        }
        pending.push({ id, bytes, p });
      }
      if (f === 'nak' || f === 'silence') return f === 'nak' ? nak() : undefined;
      for (const w of pending) {
        if (clockParam?.id === w.id) {
          const d = decodeValue('Date', w.bytes);
          if (isCorusDateTime(d)) clockMs = instantOf(d);
        } else store.set(w.id, w.bytes);
      }
      if (f === 'disconnect') {
        socket.destroy();
        return;
      }
      if (!sendTimed(Uint8Array.of(0x06), fw)) send(Uint8Array.of(0x06));
    };

    const sendTransferFrame = (): void => {
      const t = transfer as NonNullable<typeof transfer>;
      let data = t.frames[t.index] as Uint8Array;
      const kind = fault('database-frame');
      if ((kind === 'frame-order' || t.frameOrderFault) && t.index > 0) {
        data = Uint8Array.from(data);
        data[0] = (data[0] as number) + 1;
      }
      sendFrame(encodeResponseFrame(data), kind === 'frame-order' ? undefined : kind);
      if (t.index === t.frames.length - 1 && kind !== 'bad-crc') {
        transfer = undefined;
        state = 'SESSION';
      }
    };

    const onDatabase = (data: Uint8Array): void => {
      stats.databaseRequests++;
      let req;
      try {
        req = decodeDatabaseRequestData(data);
      } catch {
        return nak();
      }
      if (req.flags !== 0 || !(req.optionMask[0] === 0xf9 && req.optionMask[1] === 0xff && req.optionMask[2] === 0xff && req.optionMask[3] === 0xff)) return nak();
      const logName = Object.keys(map.config.logs).find((l) => map.databaseId(l) === req.databaseId);
      if (logName === undefined) return nak();
      const f = fault('database');
      if (f === 'nak') return nak();
      if (f === 'silence') return;
      const startMs = req.start === null ? Infinity : toMs(req.start);
      const stopMs = req.stop === null ? -Infinity : toMs(req.stop);
      const selected = (logs.get(logName) ?? []).filter((r) => r.ms <= startMs && r.ms >= stopMs);
      const size = map.config.logs[logName]?.layouts[0]?.recordLength ?? 0;
      let stream = new Uint8Array(selected.length * size);
      selected.forEach((r, i) => stream.set(r.bytes, i * size));
      if (f === 'partial-record' && stream.length > 0) stream = stream.subarray(0, stream.length - 1);
      if (f === 'no-timestamp' && stream.length > 0) {
        const cfg = map.config.logs[logName];
        const fields = cfg?.layouts[0]?.fields ?? [];
        const at = fields.findIndex((x) => x.name === cfg?.timestampField);
        const offset = fields.slice(0, Math.max(0, at)).reduce((n, x) => n + CLASS_LENGTH[x.class], 0);
        if (at >= 0) stream.fill(0xff, offset, offset + 4);
      }
      const frames = selected.length === 0 ? [Uint8Array.of(0x01, 0x80, 0x00)] : encodeDatabaseFrames(stream, size, options.databaseChunk ?? 252);
      transfer = { frames, index: 0, naks: 0, frameOrderFault: f === 'frame-order' };
      state = 'DB_TRANSFER';
      sendTransferFrame();
    };

    /** Tries to take one request frame from `buf` in SESSION; returns false if more bytes are needed. */
    const takeFrame = (): boolean => {
      if (buf.length < 2) return false;
      const cmd = buf[1] as number;
      if (cmd === 0x42) {
        if (buf.length < 6) return false;
        const fr = Uint8Array.from(buf.splice(0, 6));
        const crc = crc16Umts(fr, 0, 4);
        if (fr[2] !== 0x30 || fr[3] !== 0x03 || fr[4] !== (crc & 0xff) || fr[5] !== crc >> 8) {
          nak();
          return true;
        }
        stats.breaks++;
        state = 'ASLEEP';
        zeros = 0;
        return true;
      }
      if (buf.length < 3) return false;
      const len = buf[2] as number;
      if (buf.length < len + 6) return false;
      const fr = Uint8Array.from(buf.splice(0, len + 6));
      const crc = crc16Umts(fr, 0, len + 4);
      if (fr[len + 3] !== 0x03 || fr[len + 4] !== (crc & 0xff) || fr[len + 5] !== crc >> 8) {
        nak();
        return true;
      }
      const data = fr.subarray(3, 3 + len);
      if (repeatBeforeNext !== undefined) {
        send(repeatBeforeNext); // the duplicate of the previous answer arrives after this request went out
        repeatBeforeNext = undefined;
      }
      if (cmd === 0xbf) onRead(data);
      else if (cmd === 0xff) onWrite(data);
      else if (cmd === 0xbe) onDatabase(data);
      else nak();
      return true;
    };

    const step = (): boolean => {
      switch (state) {
        case 'ASLEEP': {
          const b = buf.shift() as number;
          if (Date.now() < ignoreZerosUntil) return true;
          if (b === 0) zeros++;
          if (zeros >= 12) {
            zeros = 0;
            state = 'AWAKE';
            const f = fault('wakeup');
            if (f === 'silence' || f === 'bad-wakeup') {
              // stay asleep; the rest of this wake-up run (≤ 50 ms) must not wake us again
              state = 'ASLEEP';
              ignoreZerosUntil = Date.now() + 50;
            }
            if (f === 'bad-wakeup') send(Uint8Array.of(0, 1, 0));
            else if (f !== 'silence') send(Uint8Array.of(0, 0, 0));
          }
          return true;
        }
        case 'AWAKE': {
          while (buf[0] === 0) buf.shift();
          const lf = buf.indexOf(0x0a);
          if (lf < 0) {
            if (buf.length > 64) buf = [];
            return false;
          }
          const line = String.fromCharCode(...buf.splice(0, lf + 1));
          if (/^\/\?[^!]*!\r\n$/.test(line)) {
            send(Uint8Array.from(Buffer.from(`${ident}\r\n`, 'latin1')));
            state = 'IDENTIFIED';
          } else state = 'ASLEEP';
          return true;
        }
        case 'IDENTIFIED': {
          if (buf.length < 6) return false;
          const m = buf.splice(0, 6);
          lastOptionSelect = Uint8Array.from(m);
          if (m[0] !== 0x06 || m[4] !== 0x0d || m[5] !== 0x0a || (options.requireEchoedBaudChar === true && m[2] !== ident.charCodeAt(4))) {
            state = 'ASLEEP';
            return true;
          }
          send(encodePasswordMessage(password));
          state = 'AUTH';
          return true;
        }
        case 'AUTH': {
          const expected = encodePasswordMessage(password);
          if (buf.length < expected.length) return false;
          const m = buf.splice(0, expected.length);
          const ok = m.every((b, i) => b === expected[i]);
          const f = fault('password');
          if (ok && f !== 'bad-password-ack') {
            state = 'SESSION';
            stats.sessions++;
            send(Uint8Array.of(0x06));
          } else {
            state = 'ASLEEP';
            if (options.wrongPassword !== 'silent') nak();
          }
          return true;
        }
        case 'SESSION': {
          const b = buf[0] as number;
          if (b === 0x01) return takeFrame();
          buf.shift(); // stray ACK/NAK/noise (e.g. an ACK after the last database frame) ignored
          return true;
        }
        case 'DB_TRANSFER': {
          const b = buf[0] as number;
          const t = transfer as NonNullable<typeof transfer>;
          if (b === 0x06) {
            buf.shift();
            t.index++;
            if (t.index < t.frames.length) sendTransferFrame();
            else {
              transfer = undefined;
              state = 'SESSION';
            }
            return true;
          }
          if (b === 0x15) {
            buf.shift();
            stats.naksReceived++;
            if (++t.naks > (options.nakLimit ?? 5)) {
              transfer = undefined;
              state = 'SESSION';
            } else sendTransferFrame();
            return true;
          }
          transfer = undefined; // anything else abandons the transfer (README §13.2)
          state = 'SESSION';
          return true;
        }
      }
    };

    socket.on('data', (chunk: Buffer) => {
      touch();
      for (const b of chunk) buf.push(b);
      while (buf.length > 0 && step()) {
        /* consume */
      }
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;

  return {
    host: options.host ?? '127.0.0.1',
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    parameter: (idOrName) => readParam(lookup(idOrName).id),
    setParameter: (idOrName, value) => {
      const p = lookup(idOrName);
      if (clockParam?.id === p.id && isCorusDateTime(value)) clockMs = instantOf(value);
      else store.set(p.id, encodeValue(p.class, value, codec));
    },
    logRecords: (log) => {
      const cfg = map.config.logs[log];
      const layout = cfg?.layouts[0];
      if (layout === undefined) return [];
      return (logs.get(log) ?? []).map((r) => ({ endDate: formatCorusDateTime(fromMs(r.ms)), bytes: r.bytes, values: decodeRecord(r.bytes, layout.fields, pulseWeight(), codec) }));
    },
    advance,
    setBackClock: (seconds) => {
      clockMs -= seconds * 1000;
    },
    clockTime: () => formatCorusDateTime(wallOf(clockMs)),
    setFaults,
    lastOptionSelect: () => lastOptionSelect,
  };
}
