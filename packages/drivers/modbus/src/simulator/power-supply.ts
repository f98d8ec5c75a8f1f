/**
 * A programmable DC power supply behind a Modbus TCP server (modbus-serial `ServerTCP`), for the
 * demo and the tests. Its register map is {@link POWER_SUPPLY_MAP}
 * (also `examples/power-supply.map.json`).
 *
 * Model, advanced every `tickMs` of simulated time (dt = tickMs):
 * - a resistive load (`loadOhms`, default 5 Ω); with the output on and the interlock closed the
 *   output voltage approaches min(set-point, current limit × R) as a first-order lag (τ = 0.3 s)
 *   plus uniform noise of ±5 mV from a seeded PRNG; current = V / R; power = V × I. Output off →
 *   0 V, 0 A, 0 W at once.
 * - CV mode while the set-point rules, CC mode when the current limit does.
 * - heat-sink temperature approaches 25 °C + 0.05 °C/W × power (τ = 5 s); over-temperature at ≥ 85 °C.
 * - over-voltage protection: with `ovp_enabled`, a measured voltage above `ovp_level_v` switches
 *   the output off and latches `status_ovp_tripped` until the output is enabled again.
 *
 * Stricter than a plain register bank (answers like a careful device, spec §7):
 * - an address outside the map → exception 02 ILLEGAL DATA ADDRESS (also reading 126/127 registers);
 * - a read quantity above 125 registers → exception 03 ILLEGAL DATA VALUE (§6.3/6.4);
 * - a write covering part of a float32 (FC 06 to one half, FC 16 cutting one) → exception 02;
 * - a set-point outside the device's range (0..60 V, 0..20 A, OVP 0..66 V, reserved control bits)
 *   → exception 03, state unchanged;
 * - enabling the output while the interlock is open → exception 04 SERVER DEVICE FAILURE;
 * - requests for another unit id are not answered (as a serial device would not).
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ServerTCP } from 'modbus-serial';
import type { IServiceVector } from 'modbus-serial';
import { parseRegisterMap } from '../codec/register-map.js';
import type { DeviceMap, RegisterPoint } from '../codec/register-map.js';
import { decodeRaw, encodeRaw } from '../codec/values.js';

/**
 * Register map of the simulated power supply (0-based PDU addresses):
 *
 *   holding 0–1  voltage_setpoint_v  float32 V, writable 0..60
 *   holding 2–3  current_limit_a     float32 A, writable 0..20
 *   holding 4    control_word        uint16; bit 0 ovp_enabled, bit 1 remote_sense_enabled (writable bits)
 *   holding 5    ovp_level_v         uint16 × 0.1 V, writable 0..66
 *   input   0–1  voltage_v           float32 V (measured)
 *   input   2–3  current_a           float32 A (measured)
 *   input   4–5  power_w             float32 W
 *   input   6    status_word         uint16; bits 0 output on, 1 CV, 2 CC, 3 over-temperature, 4 OVP tripped
 *   input   7    temperature_c       int16 × 0.1 °C
 *   coil    0    output_enabled      writable
 *   discrete 0   interlock_closed
 */
export const POWER_SUPPLY_MAP: DeviceMap = parseRegisterMap({
  pollIntervalMs: 1000,
  points: [
    { name: 'voltage_setpoint_v', type: 'holding', address: 0, dataType: 'float32', unit: 'V', writable: { min: 0, max: 60 } },
    { name: 'current_limit_a', type: 'holding', address: 2, dataType: 'float32', unit: 'A', writable: { min: 0, max: 20 } },
    { name: 'control_word', type: 'holding', address: 4, dataType: 'uint16' },
    { name: 'ovp_enabled', type: 'holding', address: 4, dataType: 'bit', bit: 0, writable: { min: 0, max: 1 } },
    { name: 'remote_sense_enabled', type: 'holding', address: 4, dataType: 'bit', bit: 1, writable: { min: 0, max: 1 } },
    { name: 'ovp_level_v', type: 'holding', address: 5, dataType: 'uint16', scale: 0.1, unit: 'V', writable: { min: 0, max: 66 } },
    { name: 'voltage_v', type: 'input', address: 0, dataType: 'float32', unit: 'V' },
    { name: 'current_a', type: 'input', address: 2, dataType: 'float32', unit: 'A' },
    { name: 'power_w', type: 'input', address: 4, dataType: 'float32', unit: 'W' },
    { name: 'status_word', type: 'input', address: 6, dataType: 'uint16' },
    { name: 'status_output_on', type: 'input', address: 6, dataType: 'bit', bit: 0 },
    { name: 'status_cv_mode', type: 'input', address: 6, dataType: 'bit', bit: 1 },
    { name: 'status_cc_mode', type: 'input', address: 6, dataType: 'bit', bit: 2 },
    { name: 'status_over_temperature', type: 'input', address: 6, dataType: 'bit', bit: 3 },
    { name: 'status_ovp_tripped', type: 'input', address: 6, dataType: 'bit', bit: 4 },
    { name: 'temperature_c', type: 'input', address: 7, dataType: 'int16', scale: 0.1, unit: '°C' },
    { name: 'output_enabled', type: 'coil', address: 0, dataType: 'bit', writable: { min: 0, max: 1 } },
    { name: 'interlock_closed', type: 'discrete', address: 0, dataType: 'bit' },
  ],
});

/** Options of {@link startPowerSupplySimulator}. */
export interface PowerSupplySimulatorOptions {
  /** Listen address (loopback only in tests). @default '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 = a free ephemeral port. @default 0 */
  readonly port?: number;
  /** Unit id answered (others are ignored). @default 1 */
  readonly unitId?: number;
  /** Seed of the noise PRNG (same seed, same noise sequence). @default 1 */
  readonly seed?: number;
  /** Model step, ms of simulated and wall time. @default 100 */
  readonly tickMs?: number;
  /** Load resistance, Ω. @default 5 */
  readonly loadOhms?: number;
}

/** Snapshot of the simulated device, engineering units. */
export interface PowerSupplyState {
  /** Voltage set-point, V. */
  readonly voltageSetpointV: number;
  /** Current limit, A. */
  readonly currentLimitA: number;
  /** Output enable coil. */
  readonly outputEnabled: boolean;
  /** Over-voltage protection enabled (control word bit 0). */
  readonly ovpEnabled: boolean;
  /** Remote sense enabled (control word bit 1; no effect in the model). */
  readonly remoteSenseEnabled: boolean;
  /** Over-voltage protection level, V (0.1 V resolution). */
  readonly ovpLevelV: number;
  /** Measured output voltage, V. */
  readonly voltageV: number;
  /** Measured output current, A. */
  readonly currentA: number;
  /** Output power, W. */
  readonly powerW: number;
  /** Heat-sink temperature, °C. */
  readonly temperatureC: number;
  /** Status word (see {@link POWER_SUPPLY_MAP}). */
  readonly statusWord: number;
  /** Safety interlock input. */
  readonly interlockClosed: boolean;
  /** Model ticks run since start. */
  readonly ticks: number;
  /** Write requests accepted / answered with an exception. */
  readonly writesAccepted: number;
  /** Write requests answered with an exception. */
  readonly writesRejected: number;
}

/** A running simulator. */
export interface PowerSupplySimulator {
  /** Address it listens on. */
  readonly host: string;
  /** Port it listens on (read back when started with port 0). */
  readonly port: number;
  /** Unit id it answers. */
  readonly unitId: number;
  /** Current state. */
  state(): PowerSupplyState;
  /**
   * Forces the value an input register or discrete input point reads as (engineering units; boolean
   * for bits), e.g. `forceInput('temperature_c', 95)`; `undefined` releases it. The model keeps
   * running underneath. Forcing `interlock_closed` also acts on the model (opens/closes the interlock).
   * @throws {Error} for a name that is not an input/discrete point of {@link POWER_SUPPLY_MAP}.
   */
  forceInput(name: string, value: number | boolean | undefined): void;
  /** Advances the model by `n` ticks at once (tests that must not wait). */
  step(n?: number): void;
  /** Stops the server (dropping every client connection) and the model timer. */
  close(): Promise<void>;
}

/** A Modbus exception for modbus-serial's server (it answers `modbusErrorCode`, spec §7). */
function modbusException(code: 2 | 3 | 4, msg: string): { modbusErrorCode: number; msg: string } {
  return { modbusErrorCode: code, msg };
}

function pointByName(name: string): RegisterPoint {
  const p = POWER_SUPPLY_MAP.points.find((q) => q.name === name);
  if (!p) throw new Error(`no point ${name}`);
  return p;
}

/** mulberry32: small, seedable, deterministic PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOLDING_COUNT = 6;
const INPUT_COUNT = 8;
const P = {
  vset: pointByName('voltage_setpoint_v'),
  ilim: pointByName('current_limit_a'),
  ovp: pointByName('ovp_level_v'),
  v: pointByName('voltage_v'),
  i: pointByName('current_a'),
  p: pointByName('power_w'),
  status: pointByName('status_word'),
  temp: pointByName('temperature_c'),
};

/**
 * Starts the simulated power supply.
 *
 * @returns once listening; `port` is the bound port.
 * @throws {Error} when the port cannot be bound (e.g. in use) after 5 tries for an ephemeral port.
 */
export async function startPowerSupplySimulator(options: PowerSupplySimulatorOptions = {}): Promise<PowerSupplySimulator> {
  const host = options.host ?? '127.0.0.1';
  const unitId = options.unitId ?? 1;
  const tickMs = options.tickMs ?? 100;
  const loadOhms = options.loadOhms ?? 5;
  const random = prng(options.seed ?? 1);

  const s = {
    vset: 0,
    ilim: 1,
    controlWord: 0,
    ovpRaw: 660,
    output: false,
    interlock: true,
    v: 0,
    i: 0,
    p: 0,
    temp: 25,
    cc: false,
    ovpTripped: false,
    ticks: 0,
    writesAccepted: 0,
    writesRejected: 0,
  };
  const forced = new Map<string, number | boolean>();

  const statusWord = (): number => {
    const on = s.output && s.interlock;
    return (on ? 1 : 0) | (on && !s.cc ? 2 : 0) | (on && s.cc ? 4 : 0) | (s.temp >= 85 ? 8 : 0) | (s.ovpTripped ? 16 : 0);
  };

  const tick = (): void => {
    const dt = tickMs / 1000;
    s.ticks += 1;
    if (s.output && s.interlock) {
      const vCv = s.vset;
      const vCc = s.ilim * loadOhms;
      s.cc = vCc < vCv;
      const target = Math.min(vCv, vCc);
      s.v += (target - s.v) * (1 - Math.exp(-dt / 0.3));
      const noisy = Math.max(0, s.v + (random() - 0.5) * 0.01);
      s.v = noisy;
      s.i = Math.min(s.v / loadOhms, s.ilim);
      s.p = s.v * s.i;
      if ((s.controlWord & 1) === 1 && s.v > s.ovpRaw / 10) {
        s.output = false;
        s.ovpTripped = true;
      }
    }
    if (!s.output || !s.interlock) {
      s.v = 0;
      s.i = 0;
      s.p = 0;
      s.cc = false;
    }
    s.temp += (25 + 0.05 * s.p - s.temp) * (1 - Math.exp(-dt / 5));
  };

  const engineering = (p: RegisterPoint, value: number): number[] => encodeRaw(p, (value - (p.offset ?? 0)) / (p.scale ?? 1));
  const forcedOr = (p: RegisterPoint, v: number): number => {
    const f = forced.get(p.name);
    return typeof f === 'number' ? f : v;
  };

  const holdingImage = (): number[] => [...engineering(P.vset, s.vset), ...engineering(P.ilim, s.ilim), s.controlWord, s.ovpRaw];
  const inputImage = (): number[] => {
    let status = forcedOr(P.status, statusWord());
    // Forced bits of the status word.
    for (const p of POWER_SUPPLY_MAP.points) {
      if (p.type === 'input' && p.dataType === 'bit' && forced.has(p.name)) status = forced.get(p.name) === true ? status | (1 << (p.bit ?? 0)) : status & ~(1 << (p.bit ?? 0));
    }
    return [
      ...engineering(P.v, forcedOr(P.v, s.v)),
      ...engineering(P.i, forcedOr(P.i, s.i)),
      ...engineering(P.p, forcedOr(P.p, s.p)),
      status & 0xffff,
      ...engineering(P.temp, Math.max(-3276.8, Math.min(3276.7, forcedOr(P.temp, s.temp)))),
    ];
  };

  const checkRead = (addr: number, len: number, size: number): void => {
    if (len > 125) throw modbusException(3, `quantity ${len} > 125`);
    if (len < 1 || addr + len > size) throw modbusException(2, `addresses ${addr}..${addr + len - 1} not all implemented`);
  };

  /** Applies a holding-register write of `values` at `addr` atomically, or throws an exception. */
  const writeHolding = (addr: number, values: readonly number[]): void => {
    try {
      if (addr + values.length > HOLDING_COUNT) throw modbusException(2, `addresses ${addr}..${addr + values.length - 1} not all implemented`);
      const end = addr + values.length;
      // float32 pairs 0–1 and 2–3 must be written whole.
      for (const start of [0, 2]) {
        const inside = addr <= start && end >= start + 2;
        const outside = end <= start || addr >= start + 2;
        if (!inside && !outside) throw modbusException(2, `write ${addr}..${end - 1} splits the float32 at ${start}`);
      }
      const image = holdingImage();
      values.forEach((v, k) => {
        image[addr + k] = v;
      });
      const vset = decodeRaw(P.vset, image.slice(0, 2));
      const ilim = decodeRaw(P.ilim, image.slice(2, 4));
      const control = image[4]!;
      const ovpRaw = image[5]!;
      if (!(vset >= 0 && vset <= 60)) throw modbusException(3, `voltage set-point ${vset} outside 0..60 V`);
      if (!(ilim >= 0 && ilim <= 20)) throw modbusException(3, `current limit ${ilim} outside 0..20 A`);
      if ((control & ~0x3) !== 0) throw modbusException(3, `reserved control bits set: 0x${control.toString(16)}`);
      if (ovpRaw > 660) throw modbusException(3, `OVP level ${ovpRaw / 10} V outside 0..66 V`);
      s.vset = vset;
      s.ilim = ilim;
      s.controlWord = control;
      s.ovpRaw = ovpRaw;
      s.writesAccepted += 1;
    } catch (e) {
      s.writesRejected += 1;
      throw e;
    }
  };

  const vector: IServiceVector = {
    getHoldingRegister: (addr: number, _unit: number): number => {
      checkRead(addr, 1, HOLDING_COUNT);
      return holdingImage()[addr]!;
    },
    getMultipleHoldingRegisters: (addr: number, len: number, _unit: number): number[] => {
      checkRead(addr, len, HOLDING_COUNT);
      return holdingImage().slice(addr, addr + len);
    },
    getInputRegister: (addr: number, _unit: number): number => {
      checkRead(addr, 1, INPUT_COUNT);
      return inputImage()[addr]!;
    },
    getMultipleInputRegisters: (addr: number, len: number, _unit: number): number[] => {
      checkRead(addr, len, INPUT_COUNT);
      return inputImage().slice(addr, addr + len);
    },
    getCoil: (addr: number, _unit: number): boolean => {
      if (addr !== 0) throw modbusException(2, `coil ${addr} not implemented`);
      return s.output;
    },
    getDiscreteInput: (addr: number, _unit: number): boolean => {
      if (addr !== 0) throw modbusException(2, `discrete input ${addr} not implemented`);
      const f = forced.get('interlock_closed');
      return typeof f === 'boolean' ? f : s.interlock;
    },
    setCoil: (addr: number, value: boolean, _unit: number): void => {
      if (addr !== 0) {
        s.writesRejected += 1;
        throw modbusException(2, `coil ${addr} not implemented`);
      }
      if (value && !s.interlock) {
        s.writesRejected += 1;
        throw modbusException(4, 'interlock open: output cannot be enabled');
      }
      if (value && !s.output) s.ovpTripped = false;
      s.output = value;
      s.writesAccepted += 1;
    },
    setRegister: (addr: number, value: number, _unit: number): void => writeHolding(addr, [value]),
    setRegisterArray: (addr: number, values: number[], _unit: number): void => writeHolding(addr, values),
  };

  const server = await listen(vector, host, options.port ?? 0, unitId);
  const timer = setInterval(tick, tickMs);
  timer.unref();

  return {
    host,
    port: server.port,
    unitId,
    state: () => ({
      voltageSetpointV: s.vset,
      currentLimitA: s.ilim,
      outputEnabled: s.output,
      ovpEnabled: (s.controlWord & 1) === 1,
      remoteSenseEnabled: (s.controlWord & 2) === 2,
      ovpLevelV: s.ovpRaw / 10,
      voltageV: s.v,
      currentA: s.i,
      powerW: s.p,
      temperatureC: s.temp,
      statusWord: statusWord(),
      interlockClosed: s.interlock,
      ticks: s.ticks,
      writesAccepted: s.writesAccepted,
      writesRejected: s.writesRejected,
    }),
    forceInput: (name, value) => {
      const p = POWER_SUPPLY_MAP.points.find((q) => q.name === name);
      if (!p || (p.type !== 'input' && p.type !== 'discrete')) throw new Error(`forceInput: ${name} is not an input register or discrete input point of the power supply`);
      if (value === undefined) forced.delete(name);
      else forced.set(name, value);
      if (name === 'interlock_closed') {
        s.interlock = value === undefined ? true : value === true || value === 1;
        if (!s.interlock) s.output = false;
      }
    },
    step: (n = 1) => {
      for (let k = 0; k < n; k++) tick();
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.server.close(() => resolve());
      }),
  };
}

/** Starts `ServerTCP` on `port` (0: a free port found first; modbus-serial maps port 0 to 502). */
async function listen(vector: IServiceVector, host: string, port: number, unitId: number): Promise<{ server: ServerTCP; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const p = port === 0 ? await freePort(host) : port;
    try {
      const server = await new Promise<ServerTCP>((resolve, reject) => {
        const srv = new ServerTCP(vector, { host, port: p, unitID: unitId });
        srv.on('initialized', () => resolve(srv));
        srv.on('serverError', (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
        srv.on('socketError', () => undefined);
        srv.on('error', () => undefined);
      });
      return { server, port: p };
    } catch (e) {
      if (port !== 0 || attempt >= 5) throw e;
    }
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
