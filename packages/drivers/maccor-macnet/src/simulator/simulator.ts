/**
 * A TypeScript MacNet tester for demos and tests: JSON over TCP (reference §3-§4) and binary (6,8)
 * over TCP and over UDP (§2, §5; one frame per datagram, the reply sent to the datagram's source address
 * and port — the reference leaves the reply port open [?]), channels with plausible dynamics ({@link advance}), procedures, direct mode, the
 * 100 ms rule, unique test names, (6,10) stored in single precision, JSON-RPC errors for malformed
 * requests (vendor help p.2), and one write per reply ending in CR LF (reference §3) — or, with
 * `splitReplies`, replies split and coalesced on the stream at random (seeded) to test client framing.
 * Stricter than MaccorSpoofer (reference §13): it frames requests by braces, validates every field,
 * serializes requests across connections with an optional service time (~30 ms on real testers, §2),
 * and echoes the request id.
 *
 * Error codes of JSON-RPC errors are not documented by the vendor; -32700/-32600/-32601/-32602/-32000
 * are JSON-RPC 2.0 conventions [?]. Failure Results are the binary numeric codes [?].
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { systemClock } from '@busbar/core';
import type { Clock } from '@busbar/core';
import { JsonStreamDecoder } from '../codec/framing.js';
import { BinaryStreamDecoder, decodeDirectOutputBinaryData, encodeBinaryFrame, encodeBinaryResult } from '../codec/binary.js';
import type { BinaryFrame } from '../codec/binary.js';
import { DISABLED_SETPOINT } from '../codec/direct.js';
import { binaryFrameOfDatagram } from '../client/udp.js';
import { advance, newChannel, ocv, SIM_CHANNEL_RANGE } from './model.js';
import type { SimChannel } from './model.js';

/** Options of {@link startMaccorSimulator}. */
export interface MaccorSimulatorOptions {
  /** JSON port (0 = ephemeral). */
  readonly port?: number;
  /** Binary TCP port; omitted = no binary listener; 0 = ephemeral. */
  readonly binaryPort?: number;
  /** Binary UDP port (reference §2, tester default 57550); omitted = no UDP listener; 0 = ephemeral. */
  readonly udpPort?: number;
  readonly host?: string;
  /** Number of test channels (default 8). */
  readonly channels?: number;
  /** Seed of the reply splitting/formatting RNG (default 1). */
  readonly seed?: number;
  /** Procedure names that exist (default ["CCCV_0.5C", "proc_a"]). */
  readonly procedures?: readonly string[];
  /** Test names already in the archive. */
  readonly existingTestNames?: readonly string[];
  /** (1,2) SystemType (default 0; direct mode needs 0). */
  readonly systemType?: number;
  /** Service time per request, ms, serialized across connections (default 0; real testers ~30). */
  readonly serviceTimeMs?: number;
  /** Delay after (6,7) before (6,8) is accepted, ms (default 100; Result 5 before). */
  readonly directReadyDelayMs?: number;
  /** MacNetDirectModeWD, s (default 0 = off; reference §8.5). */
  readonly directModeWatchdogS?: number;
  /** Simulated seconds per real second (default 1). */
  readonly timeScale?: number;
  /**
   * Write each reply in random pieces, cut anywhere including right after an inner CR LF, and coalesce
   * replies ready together (default false). For framing tests of clients: a stream may deliver a reply
   * in any pieces. Off by default, as what is known of real testers (Maccor MacNet reference §3, §11:
   * pymacnet, which needs a reply to arrive without a piece ending on an inner CR LF, and MacNet.py,
   * which parses one `recv()`, both work against real testers) is one write per reply ending in CR LF.
   */
  readonly splitReplies?: boolean;
  /** Time source for dynamics and the 100 ms rule (default system clock). */
  readonly clock?: Clock;
}

/** One request the simulator received (for tests asserting what a client sent). */
export interface SimRequestRecord {
  /** `binary` = binary over TCP, `binary-udp` = binary over UDP. */
  readonly transport: 'json' | 'binary' | 'binary-udp';
  readonly fclass: number;
  readonly fnum: number;
  /** 0-based wire Chan, if present. */
  readonly chan: number | undefined;
  readonly params: Readonly<Record<string, unknown>>;
  readonly atMs: number;
}

/** A UDP datagram the simulator refused (not exactly one binary frame, reference §2, §5): no reply, no effect. */
export interface SimDroppedDatagram {
  readonly reason: string;
  /** The datagram, hex. */
  readonly hex: string;
  /** Sender, `address:port`. */
  readonly from: string;
  readonly atMs: number;
}

/** Handle of a running simulator. */
export interface MaccorSimulator {
  readonly host: string;
  readonly port: number;
  /** Binary TCP port, if a binary listener was requested. */
  readonly binaryPort: number | undefined;
  /** Binary UDP port, if a UDP listener was requested. */
  readonly udpPort: number | undefined;
  /** UDP datagrams refused because they were not exactly one frame, in order. */
  readonly droppedDatagrams: readonly SimDroppedDatagram[];
  /** A snapshot of channel `n` (1-based), advanced to now. */
  channel(n: number): Readonly<SimChannel>;
  /** Overwrites fields of channel `n` (1-based), e.g. to stage a Completed channel. */
  setChannel(n: number, patch: Partial<SimChannel>): void;
  /** Every request received, in order. */
  readonly requests: readonly SimRequestRecord[];
  /** Number of open client connections. */
  connectionCount(): number;
  /** Stops listening (TCP and UDP) and destroys every connection. */
  close(): Promise<void>;
}

class RpcFault extends Error {
  constructor(readonly rpcCode: number, message: string) {
    super(message);
  }
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

const INVALID_NAME = /[\\/:*?"<>|]/;

/**
 * Starts a simulated tester on 127.0.0.1 (default).
 * @returns the handle once listening (ports read back when 0 was asked).
 */
export async function startMaccorSimulator(options: MaccorSimulatorOptions = {}): Promise<MaccorSimulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const count = options.channels ?? 8;
  const rand = mulberry32(options.seed ?? 1);
  const procedures = new Set(options.procedures ?? ['CCCV_0.5C', 'proc_a']);
  const names = new Set(options.existingTestNames ?? []);
  const systemType = options.systemType ?? 0;
  const serviceTimeMs = options.serviceTimeMs ?? 0;
  const readyDelayMs = options.directReadyDelayMs ?? 100;
  const watchdogS = options.directModeWatchdogS ?? 0;
  const timeScale = options.timeScale ?? 1;
  const split = options.splitReplies ?? false;
  const channels: SimChannel[] = Array.from({ length: count }, (_, i) => newChannel(i + 1, 0.3 + 0.05 * (i % 8)));
  const requests: SimRequestRecord[] = [];
  const droppedDatagrams: SimDroppedDatagram[] = [];
  const sockets = new Set<net.Socket>();
  let lastAdvanceMs = clock.nowMs();
  let randomNameCounter = 0;
  let queue: Promise<void> = Promise.resolve();

  const advanceAll = (): void => {
    const now = clock.nowMs();
    let remaining = ((now - lastAdvanceMs) / 1000) * timeScale;
    lastAdvanceMs = now;
    while (remaining > 0) {
      const dt = Math.min(1, remaining);
      for (const c of channels) advance(c, dt, now, watchdogS);
      remaining -= dt;
    }
    // the watchdog also applies with no elapsed time
    for (const c of channels) advance(c, 0, now, watchdogS);
  };

  const chanOf = (p: Record<string, unknown>): SimChannel => {
    const v = p['Chan'];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new RpcFault(-32602, 'Invalid params');
    const c = channels[v];
    if (!c) throw new RpcFault(-32602, 'Illegal value');
    return c;
  };
  const numOf = (p: Record<string, unknown>, k: string): number => {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RpcFault(-32602, 'Invalid params');
    return v;
  };
  const strOf = (p: Record<string, unknown>, k: string): string => {
    const v = p[k];
    if (typeof v !== 'string') throw new RpcFault(-32602, 'Invalid params');
    return v;
  };
  const span = (p: Record<string, unknown>): SimChannel[] => {
    const chan = p['Chan'];
    const len = p['Len'];
    if (typeof chan !== 'number' || typeof len !== 'number' || !Number.isInteger(chan) || !Number.isInteger(len)) throw new RpcFault(-32602, 'Invalid params');
    if (chan < 0 || len < 1 || len > 128 || chan + len > count) throw new RpcFault(-32602, 'Illegal value');
    return channels.slice(chan, chan + len);
  };
  const ok = (p: Record<string, unknown>, c: SimChannel, result: string | number = 'OK'): Record<string, unknown> => ({ FClass: p['FClass'], FNum: p['FNum'], Chan: c.channel - 1, Result: result });
  const uniqueName = (requested: string): string | undefined => {
    if (requested === 'Random') {
      let n: string;
      do n = `Random_${(++randomNameCounter).toString().padStart(6, '0')}`;
      while (names.has(n));
      return n;
    }
    return names.has(requested) ? undefined : requested;
  };
  const resetChannel = (c: SimChannel): void => {
    Object.assign(c, { stat: 0, rf1: 0, rf2: 0, step: 0, cycle: 0, mode: 'idle', direct: undefined, current_a: 0, testTime_s: 0, stepTime_s: 0, capacity_ah: 0, energy_wh: 0, endNum: 0 });
    c.voltage_v = ocv(c.soc);
  };
  const setDirect = (c: SimChannel, cur: number, volt: number, pow: number, mode: unknown, now: number): number => {
    const d = c.direct;
    if (systemType !== 0) return 1;
    if (c.mode !== 'direct' || !d) return 4;
    if (now < d.readyAtMs) return 5;
    if (c.stat !== 2) return 2;
    if (now - d.lastSetMs < 100) return 3;
    if (mode !== 'C' && mode !== 'D' && mode !== 'R') throw new RpcFault(-32602, 'Illegal value');
    if (![cur, volt, pow].every((x) => Number.isFinite(x) && x >= 0)) throw new RpcFault(-32602, 'Illegal value');
    // a set-point inactive in (6,7) stays inactive (reference §8.3)
    if (d.active.current) d.current_a = cur;
    if (d.active.voltage) d.voltage_v = volt;
    if (d.active.power) d.power_w = pow;
    d.mode = mode;
    d.lastSetMs = now;
    return 0;
  };

  const handle = (p: Record<string, unknown>): Record<string, unknown> => {
    const fclass = p['FClass'];
    const fnum = p['FNum'];
    if (typeof fclass !== 'number' || !Number.isInteger(fclass)) throw new RpcFault(-32602, '"FClass" key does not exist or value syntax error');
    if (typeof fnum !== 'number' || !Number.isInteger(fnum)) throw new RpcFault(-32602, '"FNum" key does not exist or value syntax error');
    advanceAll();
    const now = clock.nowMs();
    const base = { FClass: fclass, FNum: fnum };
    switch (fclass) {
      case 0:
        return p;
      case 1:
        switch (fnum) {
          case 1:
            return { ...base, APIVersion: 1, MacTest32EXEversionMajor: 3, MacTest32EXEversionMinor: 2, MacTest32EXEversionBuild: 18, MacTest32DLLversionMajor: 3, MacTest32DLLversionMinor: 2, MacTest32DLLversionBuild: 18, MacTest32ExeDT: '2016-11-08T15:02:58', MacTest32DLLDT: '2016-11-13T11:29:48' };
          case 2:
            return { ...base, SystemID: 'BusbarSim', SystemType: systemType, ControllerBoards: Math.ceil(count / 16), TestChannels: count, AuxBoards: 0, AuxChannels: 0, SMB1Pos: 0, SMB3Pos: 0 };
          case 3:
            return { ...base, ProcedurExists: procedures.has(strOf(p, 'ProcName')) ? 'TRUE' : 'FALSE' };
          case 4:
            return { ...base, TestNameExists: names.has(strOf(p, 'TestName')) ? 'TRUE' : 'FALSE' };
          default:
            throw new RpcFault(-32601, 'Invalid FNum');
        }
      case 4:
        switch (fnum) {
          case 1: {
            const cs = span(p);
            return { ...base, Chan: p['Chan'], Len: p['Len'], Status: cs.map((c) => ({ RF1: c.rf1, RF2: c.rf2, Stat: c.stat })) };
          }
          case 2:
            return { ...base, Chan: p['Chan'], Len: p['Len'], Voltage: span(p).map((c) => Math.fround(c.voltage_v)) };
          case 3:
            return { ...base, Chan: p['Chan'], Len: p['Len'], Current: span(p).map((c) => Math.fround(c.current_a)) };
          case 9:
            return { ...base, Chan: p['Chan'], Len: p['Len'], TestTimes: span(p).map((c) => Math.fround(c.testTime_s)) };
          case 4:
            return { ...base, Chan: chanOf(p).channel - 1, Len: 0, AuxValues: [] };
          case 6: {
            const c = chanOf(p);
            return { ...base, Chan: c.channel - 1, TestName: c.testName, ProcName: c.procName };
          }
          case 7: {
            const c = chanOf(p);
            const t = new Date(now).toISOString().slice(0, 19);
            return {
              ...base, Chan: c.channel - 1, RF1: c.rf1, RF2: c.rf2, Stat: c.stat, LastRecNum: c.lastRecNum, Cycle: c.cycle, Step: c.step,
              TestTime: Math.fround(c.testTime_s), StepTime: Math.fround(c.stepTime_s), Capacity: Math.fround(c.capacity_ah), Energy: Math.fround(c.energy_wh),
              Current: Math.fround(c.current_a), Voltage: Math.fround(c.voltage_v), TesterTime: t,
            };
          }
          case 8: {
            const c = chanOf(p);
            return { ...base, Chan: c.channel - 1, GlobFlags: '0x00000000', VARs: c.vars.map((v) => Math.fround(v)) };
          }
          case 10: {
            const c = chanOf(p);
            return { ...base, Chan: c.channel - 1, NumOfEnds: 1, EndNum: c.stat === 4 ? c.endNum : 0 };
          }
          default:
            throw new RpcFault(-32601, 'Invalid FNum');
        }
      case 6: {
        if (fnum < 2 || fnum > 11 || fnum === 6 || fnum === 1) throw new RpcFault(-32601, 'Invalid FNum');
        const c = chanOf(p);
        switch (fnum) {
          case 2: {
            const proc = strOf(p, 'ProcName');
            const name = strOf(p, 'TestName');
            numOf(p, 'Crate');
            if (c.stat !== 0) return ok(p, c, 23);
            if (!procedures.has(proc)) return ok(p, c, 14);
            if (name.length > 250) return ok(p, c, 18);
            if (name === '' || INVALID_NAME.test(name)) return ok(p, c, 22);
            const unique = uniqueName(name);
            if (unique === undefined) return ok(p, c, 19);
            names.add(unique);
            Object.assign(c, { mode: 'procedure', testName: unique, procName: proc, crate_ah: numOf(p, 'Crate'), step: 1, cycle: 0, testTime_s: 0, stepTime_s: 0, capacity_ah: 0, energy_wh: 0, rf2: 0, lastRecNum: c.lastRecNum + 1, endNum: 0 });
            c.stat = 2;
            c.rf1 = 1;
            return ok(p, c);
          }
          case 3:
            if (c.stat !== 2) return ok(p, c, 'Channel cannot be suspended');
            Object.assign(c, { stat: 3, rf1: 30, rf2: 192, current_a: 0 });
            return ok(p, c);
          case 4:
            if (c.stat !== 3) return ok(p, c, 'Channel cannot be resumed');
            c.stat = 2;
            c.rf2 = 0;
            if (c.direct) c.direct.lastSetMs = now;
            return ok(p, c);
          case 5:
            resetChannel(c);
            return ok(p, c);
          case 7: {
            const name = strOf(p, 'TestName');
            const cur = numOf(p, 'Current');
            const volt = numOf(p, 'Voltage');
            const pow = numOf(p, 'Power');
            const res = numOf(p, 'Resistance');
            const range = numOf(p, 'CurrentRange');
            const mode = p['ChMode'];
            numOf(p, 'DataTime');
            numOf(p, 'DataV');
            numOf(p, 'DataI');
            if (![1, 2, 3, 4].includes(range) || (mode !== 'C' && mode !== 'D' && mode !== 'R')) throw new RpcFault(-32602, 'Illegal value');
            if (systemType !== 0) return ok(p, c, 1);
            if (c.stat !== 0) return ok(p, c, 2);
            const active = { current: cur >= 0 && cur <= SIM_CHANNEL_RANGE.max_current_a, voltage: volt >= 0 && volt <= SIM_CHANNEL_RANGE.max_voltage_v, power: pow >= 0 && pow <= SIM_CHANNEL_RANGE.max_power_w };
            const nActive = Number(active.current) + Number(active.voltage) + Number(active.power) + Number(res !== 0);
            if (nActive > 3 || !c.safety || name.length > 25 || INVALID_NAME.test(name)) return ok(p, c, 3);
            const unique = uniqueName(name);
            if (unique === undefined) return ok(p, c, 3);
            names.add(unique);
            Object.assign(c, { mode: 'direct', testName: unique, procName: '', step: 1, testTime_s: 0, stepTime_s: 0, capacity_ah: 0, energy_wh: 0, rf2: 0, endNum: 0 });
            c.direct = {
              current_a: active.current ? cur : DISABLED_SETPOINT, voltage_v: active.voltage ? volt : DISABLED_SETPOINT, power_w: active.power ? pow : DISABLED_SETPOINT,
              mode, active, readyAtMs: now + readyDelayMs, lastSetMs: now, dataTime_s: numOf(p, 'DataTime'),
            };
            c.stat = 2;
            c.rf1 = mode === 'C' ? 1 : mode === 'D' ? 2 : 4;
            return ok(p, c);
          }
          case 8: {
            const cur = numOf(p, 'Current');
            const volt = numOf(p, 'Voltage');
            const pow = numOf(p, 'Power');
            numOf(p, 'Resistance');
            const range = numOf(p, 'CurrentRange');
            if (![1, 2, 3, 4].includes(range)) throw new RpcFault(-32602, 'Illegal value');
            // JSON Results are "OK" on success (reference §4, §6.10 example); failures keep the binary code [?]
            const result = setDirect(c, cur, volt, pow, p['ChMode'], now);
            return ok(p, c, result === 0 ? 'OK' : result);
          }
          case 9: {
            const n = numOf(p, 'VarNum');
            const v = numOf(p, 'Value');
            if (!Number.isInteger(n) || n < 1 || n > 15) throw new RpcFault(-32602, 'Illegal value');
            c.vars[n - 1] = v;
            return ok(p, c);
          }
          case 10: {
            const keys = ['VSafeMax', 'VSafeMin', 'ISafeChg', 'ISafeDis', 'PBatSafeChg', 'PBatSafeDis'] as const;
            const v = keys.map((k) => Math.fround(numOf(p, k)));
            const [vmax, vmin, ichg, idis, pchg, pdis] = v as [number, number, number, number, number, number];
            if (vmin >= vmax || ichg < 0 || idis < 0 || pchg < 0 || pdis < 0) throw new RpcFault(-32602, 'Illegal value');
            c.safety = { max_voltage_v: vmax, min_voltage_v: vmin, max_charge_current_a: ichg, max_discharge_current_a: idis, max_charge_power_w: pchg, max_discharge_power_w: pdis };
            return { ...base, Chan: c.channel - 1, VSafeMax: vmax, VSafeMin: vmin, ISafeChg: ichg, ISafeDis: idis, PBatSafeChg: pchg, PBatSafeDis: pdis };
          }
          case 11: {
            const name = strOf(p, 'TestName');
            const proc = strOf(p, 'ProcName');
            if (c.stat !== 0 && c.stat !== 1) return ok(p, c, 1);
            if (!procedures.has(proc)) return ok(p, c, 2);
            if (name !== 'Random' && names.has(name)) return ok(p, c, 4);
            if (name === '' || name.length > 250 || INVALID_NAME.test(name)) return ok(p, c, 5);
            return ok(p, c);
          }
          default:
            throw new RpcFault(-32601, 'Invalid FNum');
        }
      }
      default:
        throw new RpcFault(-32601, 'Invalid FClass');
    }
  };

  const serialize = (reply: Record<string, unknown>): string => {
    // vendor style (CR LF line breaks, comma on its own line) or compact, then CR LF (reference §3)
    if (rand() < 0.5) return JSON.stringify(reply) + '\r\n';
    return JSON.stringify(reply, null, 2).replace(/\n/g, '\r\n') + '\r\n';
  };

  /** Splits `text` into 1-3 pieces at random points (seeded). */
  const splitParts = (text: string): Buffer[] => {
    const bytes = Buffer.from(text, 'utf8');
    if (!split || bytes.length < 4) return [bytes];
    const pieces = 1 + Math.floor(rand() * 3);
    const cuts = Array.from({ length: pieces - 1 }, () => 1 + Math.floor(rand() * (bytes.length - 1))).sort((a, b) => a - b);
    let prev = 0;
    const parts: Buffer[] = [];
    for (const cut of [...cuts, bytes.length]) {
      if (cut > prev) parts.push(bytes.subarray(prev, cut));
      prev = cut;
    }
    return parts;
  };

  const serve = <T>(work: () => T): Promise<T> => {
    const run = queue.then(async () => {
      if (serviceTimeMs > 0) await new Promise((r) => setTimeout(r, serviceTimeMs));
      return work();
    });
    queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  const onJsonConnection = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new JsonStreamDecoder();
    let outbox: string[] = [];
    let flushScheduled = false;
    let writes: Promise<void> = Promise.resolve();
    const send = (text: string): void => {
      if (!split) {
        // one write per reply, in order (what is known of real testers, reference §3, §11)
        writes = writes.then(() => {
          if (!socket.destroyed) socket.write(text);
        });
        return;
      }
      // replies ready together are coalesced into one buffer, then written in random pieces, in order
      outbox.push(text);
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        const parts = splitParts(outbox.join(''));
        outbox = [];
        writes = writes.then(async () => {
          for (const [i, part] of parts.entries()) {
            if (socket.destroyed) return;
            if (i > 0) await new Promise((r) => setTimeout(r, 1));
            socket.write(part);
          }
        });
      });
    };
    const reply = (req: Record<string, unknown>): Promise<void> =>
      serve(() => {
        const id = req['id'];
        try {
          if (req['jsonrpc'] !== '2.0' || req['method'] !== 'MacNet' || id === undefined) throw new RpcFault(-32600, 'Method MacNet, jsonrpc 2.0 or id not found');
          const params = req['params'];
          if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new RpcFault(-32602, 'Missing object');
          const p = params as Record<string, unknown>;
          requests.push({ transport: 'json', fclass: Number(p['FClass']), fnum: Number(p['FNum']), chan: typeof p['Chan'] === 'number' ? p['Chan'] : undefined, params: p, atMs: clock.nowMs() });
          const result = handle(p);
          if (p['FClass'] === 0) send(serialize({ jsonrpc: '2.0', method: 'MacNet', params: result, id }));
          else send(serialize({ jsonrpc: '2.0', result, id }));
        } catch (err) {
          const fault = err instanceof RpcFault ? err : new RpcFault(-32000, 'MacNet error');
          send(serialize({ jsonrpc: '2.0', error: { code: fault.rpcCode, message: fault.message }, id: id ?? null }));
        }
      });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (req) => void reply(req));
      } catch {
        void serve(() => send(serialize({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null })));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };

  /**
   * Applies one binary frame, the same rules whichever transport carried it (TCP or UDP): (6,8) with
   * 18 data bytes on an existing channel goes through `setDirect` (100 ms rule, direct mode, readiness);
   * anything else gets an empty frame with the same header fields.
   */
  const applyBinary = (f: BinaryFrame, transport: 'binary' | 'binary-udp'): Uint8Array => {
    requests.push({ transport, fclass: f.fclass, fnum: f.fnum, chan: f.chanIndex0, params: {}, atMs: clock.nowMs() });
    advanceAll();
    const c = channels[f.chanIndex0];
    if (f.fclass === 6 && f.fnum === 8 && c && f.data.length === 18) {
      const d = decodeDirectOutputBinaryData(f.data);
      let result: number;
      try {
        result = setDirect(c, d.current_a, d.voltage_v, d.power_w, d.ch_mode, clock.nowMs());
      } catch {
        result = 0xffff;
      }
      return encodeBinaryResult(6, 8, f.chanIndex0, result);
    }
    return encodeBinaryFrame(f.fclass, f.fnum, f.chanIndex0, new Uint8Array(0));
  };

  const onBinaryConnection = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new BinaryStreamDecoder();
    const answer = (f: BinaryFrame): Promise<void> =>
      serve(() => {
        socket.write(applyBinary(f, 'binary'));
      });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (f) => void answer(f));
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };

  const listen = (server: net.Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });

  const jsonServer = net.createServer(onJsonConnection);
  const port = await listen(jsonServer, options.port ?? 0);
  let binaryServer: net.Server | undefined;
  let binaryPort: number | undefined;
  if (options.binaryPort !== undefined) {
    binaryServer = net.createServer(onBinaryConnection);
    binaryPort = await listen(binaryServer, options.binaryPort);
  }
  let udpSocket: dgram.Socket | undefined;
  let udpPort: number | undefined;
  if (options.udpPort !== undefined) {
    const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    udpPort = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ port: options.udpPort, address: host, exclusive: true }, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    });
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      const from = `${rinfo.address}:${rinfo.port}`;
      const parsed = binaryFrameOfDatagram(msg);
      if (!parsed.ok) {
        // stricter than a guess at the tester: a datagram that is not exactly one frame is dropped
        droppedDatagrams.push({ reason: parsed.reason, hex: msg.toString('hex'), from, atMs: clock.nowMs() });
        return;
      }
      void serve(() => {
        const reply = applyBinary(parsed.frame, 'binary-udp');
        if (udpSocket) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    udpSocket = udp;
  }

  const channelAt = (n: number): SimChannel => {
    const c = channels[n - 1];
    if (!c) throw new RangeError(`simulator has channels 1..${count}, not ${n}`);
    return c;
  };

  return {
    host,
    port,
    binaryPort,
    udpPort,
    requests,
    droppedDatagrams,
    channel(n) {
      advanceAll();
      const c = channelAt(n);
      return { ...c, vars: [...c.vars], direct: c.direct ? { ...c.direct, active: { ...c.direct.active } } : undefined };
    },
    setChannel(n, patch) {
      Object.assign(channelAt(n), patch);
    },
    connectionCount: () => sockets.size,
    async close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      const closeServer = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));
      const closeUdp = (s: dgram.Socket): Promise<void> => new Promise((r) => s.close(() => r()));
      const udp = udpSocket;
      udpSocket = undefined;
      await Promise.all([closeServer(jsonServer), binaryServer ? closeServer(binaryServer) : Promise.resolve(), udp ? closeUdp(udp) : Promise.resolve()]);
    },
  };
}
