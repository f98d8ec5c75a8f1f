/**
 * A TypeScript CTI server for tests and the demo: N channels with plausible dynamics and the vendor's
 * result codes. Stricter than ArbinSpoofer (Arbin CTI reference README §9): it checks the token, the
 * length field (exact size per command), the checksum and that a login happened, records every
 * violation and closes the offending connection.
 *
 * The simulated schedule, whatever file is assigned: step 1 "CC_Charge" (constant current +I until
 * the upper voltage), step 2 "Rest_1" (rest for restS), step 3 "CC_Discharge" (−I until the lower
 * voltage), step 4 "Rest_2"; repeated `cycles` times, then Finished. I is MV_UD`currentMv` when set
 * (non-zero), else `defaultCurrentA` — as a real schedule whose current step reads an MV (README §4.7).
 * Voltage = OCV(SOC) + I·R.
 *
 * There is no documented result code for "not logged in" (README §2, §11.2): the simulator records a
 * violation and closes the connection.
 */
import { Buffer } from 'node:buffer';
import { createServer, type Server, type Socket } from 'node:net';
import { AUX_TYPES, decodeChannelInfoRequest, emptyChannelRecord, encodeChannelInfoFeedback, type AuxType, type AuxValue, type ChannelInfoRecord } from '../codec/channel-info.js';
import { CTI_COMMANDS, commandNameOfRequest, type CtiCommandName } from '../codec/commands.js';
import { encodeStandardFeedback } from '../codec/feedback.js';
import { CTI_TOKEN, CtiFrameDecoder, hex32, type CtiFrame } from '../codec/frame.js';
import { decodeConsoleMessageRequest, encodeConsoleMessageFeedback } from '../codec/console-message.js';
import { encodeSerialNumberFeedback } from '../codec/serial-number.js';
import { decodeLoginRequest, encodeLoginFeedback } from '../codec/login.js';
import { decodeSetMetaVariableRequest, decodeUpdateMetaVariablesRequest, mvNumberOfMetaCode, MV_MIN_INTERVAL_MS } from '../codec/meta-variable.js';
import {
  decodeAssignScheduleRequest,
  decodeContinueChannelRequest,
  decodeJumpToStepRequest,
  decodeResumeScheduleRequest,
  decodeStartScheduleRequest,
  decodeStopScheduleRequest,
} from '../codec/schedule.js';
import { channelStatusName, formatStepAndCycle } from '../codec/status.js';

/** Options of {@link startArbinSimulator}. */
export interface ArbinSimulatorOptions {
  /** Bind address. Default 127.0.0.1. */
  readonly host?: string;
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Number of IV channels. Default 8. */
  readonly channels?: number;
  /** Accepted user name. Default "admin". */
  readonly username?: string;
  /** Accepted password. Default "admin". */
  readonly password?: string;
  /** Simulation step, ms of wall time. Default 100. */
  readonly tickMs?: number;
  /** Simulated seconds per wall-clock second. Default 1. */
  readonly timeScale?: number;
  /** Which MV_UD (1..16) the charge/discharge steps use as current set-point, A. Default 1. */
  readonly currentMv?: number;
  /** Current when the MV is 0 (not set), A. Default 1. */
  readonly defaultCurrentA?: number;
  /** Cell capacity, Ah. Default 2. */
  readonly capacityAh?: number;
  /** Internal resistance, Ω. Default 0.05. */
  readonly internalResistanceOhm?: number;
  /** Initial state of charge, 0..1. Default 0.5. */
  readonly initialSoc?: number;
  /** Charge ends at this voltage, V. Default 4.2. */
  readonly upperVoltageV?: number;
  /** Discharge ends at this voltage, V. Default 3.0. */
  readonly lowerVoltageV?: number;
  /** Duration of each rest step, simulated s. Default 60. */
  readonly restS?: number;
  /** Number of cycles before Finished. Default 1. */
  readonly cycles?: number;
  /** Schedule files the simulated cycler knows. Default ["Busbar_CC.sdx"]. */
  readonly schedules?: readonly string[];
  /** Serial number reported by get-serial and login. Default 207855. */
  readonly serialNumber?: number;
  /** Aux temperature values per channel (sent when aux data is requested). Default 1. */
  readonly auxTemperatures?: number;
  /** How an all-channels request (−1) is answered (README §4.2, §11.4). Default `single-frame`. */
  readonly allChannelsReply?: 'single-frame' | 'frame-per-channel';
  /** allow_control in the login reply. Default true. */
  readonly allowControl?: boolean;
}

/** A snapshot of one simulated channel (1-based `channel`). */
export interface SimulatedChannelState {
  /** 1-based channel number. */
  readonly channel: number;
  /** Status code (README §4.2.1). */
  readonly status: number;
  /** Status name. */
  readonly status_name: string;
  /** Whether a test is running (charge, rest or discharge step). */
  readonly running: boolean;
  /** Voltage, V. */
  readonly voltage_v: number;
  /** Current, A. */
  readonly current_a: number;
  /** State of charge, 0..1. */
  readonly soc: number;
  /** Assigned schedule. */
  readonly schedule: string;
  /** Test name of the running/last test. */
  readonly test_name: string;
  /** Current step, 1-based (0 when no test). */
  readonly step_index: number;
  /** Current cycle, 1-based (0 when no test). */
  readonly cycle_index: number;
  /** MV_UD1..16 values. */
  readonly mv: readonly number[];
}

/** One recorded protocol violation. */
export interface SimulatorViolation {
  /** What was wrong. */
  readonly reason: string;
  /** Command code, when known. */
  readonly command?: string;
}

/** A running simulator. */
export interface ArbinSimulator {
  /** Bound address. */
  readonly host: string;
  /** Bound port. */
  readonly port: number;
  /** Stops listening, closes every connection and the simulation timer. */
  close(): Promise<void>;
  /** Snapshot of channel `n` (1-based). */
  channel(n: number): SimulatedChannelState;
  /** Puts channel `n` into Unsafe (status 8) and stops its test. */
  injectFault(n: number): void;
  /** Currently open client connections. */
  readonly connections: number;
  /** Violations seen so far (bad token, checksum, size, request before login, unknown command). */
  readonly violations: readonly SimulatorViolation[];
  /** Messages received by send-message-to-console. */
  readonly consoleMessages: readonly string[];
  /** Every accepted MV update, with wall-clock time. */
  readonly mvLog: readonly { readonly channel: number; readonly mv: number; readonly value: number; readonly atMs: number }[];
}

interface Step {
  readonly label: string;
  readonly type: string;
  readonly status: number;
  readonly sign: -1 | 0 | 1;
}

const STEPS: readonly Step[] = [
  { label: 'CC_Charge', type: 'Current', status: 2, sign: 1 },
  { label: 'Rest_1', type: 'Rest', status: 4, sign: 0 },
  { label: 'CC_Discharge', type: 'Current', status: 3, sign: -1 },
  { label: 'Rest_2', type: 'Rest', status: 4, sign: 0 },
];

interface Channel {
  index0: number;
  status: number;
  running: boolean;
  paused: boolean;
  everStarted: boolean;
  schedule: string;
  testName: string;
  step: number;
  cycle: number;
  soc: number;
  voltage: number;
  current: number;
  testTime: number;
  stepTime: number;
  chgAh: number;
  disAh: number;
  chgWh: number;
  disWh: number;
  mv: number[];
  lastMvAtMs: number;
  tempC: number;
}

const FIXED_REQUEST_BYTES: Partial<Record<CtiCommandName, number>> = {
  login: 86, getChannelsInfo: 62, assignSchedule: 671, stopSchedule: 128, resumeSchedule: 128, jumpToStep: 131, setMetaVariable: 74, getSerialNumber: 128, sendConsoleMessage: 2070,
};

/** Open-circuit voltage of the simulated cell, V, for a state of charge 0..1 (monotonic, 2.9–4.2 V). */
export function simulatedOcv(soc: number): number {
  const s = Math.min(1, Math.max(0, soc));
  return 3.0 + 1.0 * s + 0.2 * s ** 3 - 0.1 * Math.exp(-20 * s);
}

/**
 * Starts the simulator.
 *
 * @example const sim = await startArbinSimulator({ port: 0, channels: 8, username: 'u', password: 'p', tickMs: 50 });
 */
export async function startArbinSimulator(options: ArbinSimulatorOptions = {}): Promise<ArbinSimulator> {
  const o = {
    host: options.host ?? '127.0.0.1', port: options.port ?? 0, channels: options.channels ?? 8, username: options.username ?? 'admin', password: options.password ?? 'admin',
    tickMs: options.tickMs ?? 100, timeScale: options.timeScale ?? 1, currentMv: options.currentMv ?? 1, defaultCurrentA: options.defaultCurrentA ?? 1,
    capacityAh: options.capacityAh ?? 2, r: options.internalResistanceOhm ?? 0.05, soc0: options.initialSoc ?? 0.5, vMax: options.upperVoltageV ?? 4.2,
    vMin: options.lowerVoltageV ?? 3.0, restS: options.restS ?? 60, cycles: options.cycles ?? 1, schedules: options.schedules ?? ['Busbar_CC.sdx'],
    serial: options.serialNumber ?? 207855, auxTemps: options.auxTemperatures ?? 1, allReply: options.allChannelsReply ?? 'single-frame', allowControl: options.allowControl ?? true,
  };
  const channels: Channel[] = Array.from({ length: o.channels }, (_, i) => ({
    index0: i, status: 0, running: false, paused: false, everStarted: false, schedule: '', testName: '', step: 0, cycle: 0, soc: o.soc0,
    voltage: simulatedOcv(o.soc0), current: 0, testTime: 0, stepTime: 0, chgAh: 0, disAh: 0, chgWh: 0, disWh: 0, mv: new Array<number>(16).fill(0), lastMvAtMs: -Infinity, tempC: 25,
  }));
  const violations: SimulatorViolation[] = [];
  const consoleMessages: string[] = [];
  const mvLog: { channel: number; mv: number; value: number; atMs: number }[] = [];
  const sockets = new Set<Socket>();

  const setpoint = (ch: Channel): number => {
    const v = ch.mv[o.currentMv - 1] ?? 0;
    return v !== 0 ? Math.abs(v) : o.defaultCurrentA;
  };
  const enterStep = (ch: Channel, step: number): void => {
    const s = STEPS[step - 1];
    if (s === undefined) {
      ch.running = false;
      ch.status = 0;
      ch.current = 0;
      return;
    }
    ch.step = step;
    ch.stepTime = 0;
    ch.status = s.status;
  };
  const tick = (): void => {
    const dt = (o.tickMs / 1000) * o.timeScale;
    for (const ch of channels) {
      if (ch.running && !ch.paused) {
        const s = STEPS[ch.step - 1] as Step;
        ch.current = s.sign * setpoint(ch);
        ch.soc = Math.min(1.05, Math.max(-0.05, ch.soc + (ch.current * dt) / 3600 / o.capacityAh));
        ch.voltage = simulatedOcv(ch.soc) + ch.current * o.r;
        ch.testTime += dt;
        ch.stepTime += dt;
        const ah = (Math.abs(ch.current) * dt) / 3600;
        if (ch.current > 0) {
          ch.chgAh += ah;
          ch.chgWh += ah * ch.voltage;
        } else if (ch.current < 0) {
          ch.disAh += ah;
          ch.disWh += ah * ch.voltage;
        }
        ch.tempC += (25 + 0.5 * ch.current ** 2 - ch.tempC) * Math.min(1, dt / 300);
        const done = s.sign > 0 ? ch.voltage >= o.vMax : s.sign < 0 ? ch.voltage <= o.vMin : ch.stepTime >= o.restS;
        if (done) {
          if (ch.step < STEPS.length) enterStep(ch, ch.step + 1);
          else if (ch.cycle < o.cycles) {
            ch.cycle++;
            enterStep(ch, 1);
          } else {
            ch.running = false;
            ch.status = 15;
            ch.current = 0;
          }
        }
      } else {
        ch.current = 0;
        ch.voltage = simulatedOcv(ch.soc);
      }
    }
  };
  const timer = setInterval(tick, o.tickMs);

  const record = (ch: Channel, auxOptions: number): ChannelInfoRecord => {
    const aux = Object.fromEntries(AUX_TYPES.map((t) => [t, [] as AuxValue[]])) as Record<AuxType, AuxValue[]>;
    if ((auxOptions & 0x400) !== 0) {
      for (let k = 0; k < o.auxTemps; k++) aux.temperature.push({ value: ch.tempC + k * 0.1, dt: 0 });
      aux.voltage.push({ value: ch.voltage, dt: 0 });
    }
    const base = emptyChannelRecord(ch.index0);
    return {
      ...base,
      status: ch.status,
      status_name: channelStatusName(ch.status),
      schedule: ch.schedule,
      testname: ch.testName,
      exit_condition: ch.running ? 'N/A' : '',
      step_and_cycle_format: ch.step > 0 ? formatStepAndCycle({ cycle_index: ch.cycle, step_index: ch.step, step_label: STEPS[ch.step - 1]?.label ?? '', step_type: STEPS[ch.step - 1]?.type ?? '' }) : '',
      test_time_s: ch.testTime,
      step_time_s: ch.stepTime,
      voltage_v: ch.voltage,
      current_a: ch.current,
      power_w: ch.voltage * ch.current,
      charge_capacity_ah: ch.chgAh,
      discharge_capacity_ah: ch.disAh,
      charge_energy_wh: ch.chgWh,
      discharge_energy_wh: ch.disWh,
      internal_resistance_ohm: o.r,
      aux,
    };
  };

  const handle = (socket: Socket, session: { loggedIn: boolean }, frame: CtiFrame): Buffer[] | 'close' => {
    const name = commandNameOfRequest(frame.commandCode);
    const violate = (reason: string): 'close' => {
      violations.push({ reason, command: hex32(frame.commandCode) });
      return 'close';
    };
    if (!frame.checksumOk) return violate(`checksum 0x${frame.checksum.toString(16)} != computed 0x${frame.computedChecksum.toString(16)}`);
    if (name === undefined) return violate('unknown command code');
    const fixed = FIXED_REQUEST_BYTES[name];
    if (fixed !== undefined && frame.bytes.length !== fixed) return violate(`${name} request is ${frame.bytes.length} bytes, expected ${fixed}`);
    if (name !== 'login' && !session.loggedIn) return violate(`${name} before login`);
    const ch = (i: number): Channel | undefined => channels[i];
    const std = (code: number, index0: number, result: number): Buffer[] => [encodeStandardFeedback(code, { channel_index0: index0, result })];
    try {
      switch (name) {
        case 'login': {
          const req = decodeLoginRequest(frame);
          let result = req.username === o.username && req.password === o.password ? 1 : 2;
          if (session.loggedIn) result = 3;
          if (result === 1) session.loggedIn = true;
          return [encodeLoginFeedback({
            result, ip_address: Uint8Array.of(127, 0, 0, 1), cycler_sn: String(o.serial), note: 'Busbar Arbin CTI simulator', nick_name: 'busbar-sim', location: '', emergency_contact: '',
            other_comments: '', email: '', call: '', itac: 0, version: 1, allow_control: o.allowControl ? 1 : 0, num_channels: o.channels, user_type: 0, picture_length: 0,
          })];
        }
        case 'getChannelsInfo': {
          const req = decodeChannelInfoRequest(frame);
          if (req.channel_index0 === -1) {
            const keep = channels.filter((c) => req.channel_selection === 1 || (req.channel_selection === 2 && c.running) || (req.channel_selection === 3 && c.status === 8));
            const recs = keep.map((c) => record(c, req.aux_options));
            return o.allReply === 'single-frame' ? [encodeChannelInfoFeedback(recs)] : recs.map((r) => encodeChannelInfoFeedback([r]));
          }
          const c = ch(req.channel_index0);
          return [encodeChannelInfoFeedback(c === undefined ? [] : [record(c, req.aux_options)])];
        }
        case 'assignSchedule': {
          const req = decodeAssignScheduleRequest(frame);
          const code = CTI_COMMANDS.assignSchedule.feedback;
          const c = ch(req.channel_index0);
          if (c === undefined) return std(code, req.channel_index0, 0x10);
          if (c.running || c.paused) return std(code, req.channel_index0, 0x14);
          if (req.schedule === '') return std(code, req.channel_index0, 0x12);
          if (!o.schedules.includes(req.schedule)) return std(code, req.channel_index0, 0x13);
          c.schedule = req.schedule;
          return std(code, req.channel_index0, 0);
        }
        case 'startSchedule': {
          const req = decodeStartScheduleRequest(frame);
          const code = CTI_COMMANDS.startSchedule.feedback;
          return req.channel_indexes0.flatMap((i) => {
            const c = ch(i);
            if (c === undefined) return std(code, i, 0x10);
            if (c.running || c.paused || c.status === 8) return std(code, i, 0x12);
            if (c.schedule === '') return std(code, i, 0x15);
            if (req.test_name === '') return std(code, i, 0x23);
            Object.assign(c, { running: true, paused: false, everStarted: true, testName: req.test_name, cycle: 1, testTime: 0, chgAh: 0, disAh: 0, chgWh: 0, disWh: 0 });
            enterStep(c, 1);
            return std(code, i, 0);
          });
        }
        case 'stopSchedule': {
          const req = decodeStopScheduleRequest(frame);
          const code = CTI_COMMANDS.stopSchedule.feedback;
          const targets = req.all_channels ? channels : [ch(req.channel_index0)];
          if (targets[0] === undefined) return std(code, req.channel_index0, 0x10);
          return targets.flatMap((c) => {
            const cc = c as Channel;
            if (cc.running || cc.paused) Object.assign(cc, { running: false, paused: false, status: 0, current: 0 });
            return std(code, cc.index0, 0);
          });
        }
        case 'resumeSchedule': {
          const req = decodeResumeScheduleRequest(frame);
          const code = CTI_COMMANDS.resumeSchedule.feedback;
          const c = ch(req.channel_index0);
          if (c === undefined) return std(code, req.channel_index0, 0x10);
          if (c.running || c.status === 8) return std(code, req.channel_index0, 0x12);
          if (!c.everStarted) return std(code, req.channel_index0, 0x23);
          c.running = true;
          c.paused = false;
          enterStep(c, Math.max(1, c.step));
          return std(code, req.channel_index0, 0);
        }
        case 'continueChannel': {
          const req = decodeContinueChannelRequest(frame);
          const code = CTI_COMMANDS.continueChannel.feedback;
          return req.channel_indexes0.flatMap((i) => {
            const c = ch(i);
            if (c === undefined) return std(code, i, 0x10);
            if (c.status === 8) return std(code, i, 0x16);
            if (c.running && !c.paused) return std(code, i, 0x12);
            if (!c.paused) return std(code, i, 0x15);
            c.paused = false;
            enterStep(c, c.step);
            return std(code, i, 0);
          });
        }
        case 'jumpToStep': {
          const req = decodeJumpToStepRequest(frame);
          const code = CTI_COMMANDS.jumpToStep.feedback;
          const c = ch(req.channel_index0);
          if (c === undefined || !c.running) return std(code, req.channel_index0, 0x12);
          if (req.step_index0 >= STEPS.length) Object.assign(c, { running: false, status: 0, current: 0 }); // [P1.1]: a missing step stops the test
          else enterStep(c, req.step_index0 + 1);
          return std(code, req.channel_index0, 0);
        }
        case 'setMetaVariable': {
          const req = decodeSetMetaVariableRequest(frame);
          const code = CTI_COMMANDS.setMetaVariable.feedback;
          const c = ch(req.channel_index0);
          if (c === undefined || req.mv_type !== 1 || req.mv_value_type !== 1) return std(code, req.channel_index0, 0x10);
          const mv = mvNumberOfMetaCode(req.mv_meta_code);
          if (mv === undefined) return std(code, req.channel_index0, 0x11);
          if (!c.running) return std(code, req.channel_index0, 0x12);
          c.mv[mv - 1] = req.mv_data;
          c.lastMvAtMs = Date.now();
          mvLog.push({ channel: c.index0 + 1, mv, value: req.mv_data, atMs: c.lastMvAtMs });
          return std(code, req.channel_index0, 0);
        }
        case 'updateMetaVariables': {
          const entries = decodeUpdateMetaVariablesRequest(frame);
          const code = CTI_COMMANDS.updateMetaVariables.feedback;
          const first = entries[0]?.channel_index0 ?? 0;
          const now = Date.now();
          for (const e of entries) {
            const c = ch(e.channel_index0);
            if (c === undefined) return std(code, e.channel_index0, 0x10);
            if (mvNumberOfMetaCode(e.mv_meta_code) === undefined) return std(code, e.channel_index0, 0x11);
            if (!c.running) return std(code, e.channel_index0, 0x12);
            if (now - c.lastMvAtMs < MV_MIN_INTERVAL_MS) return std(code, e.channel_index0, 0x14);
          }
          for (const e of entries) {
            const c = ch(e.channel_index0) as Channel;
            const mv = mvNumberOfMetaCode(e.mv_meta_code) as number;
            c.mv[mv - 1] = e.value;
            mvLog.push({ channel: c.index0 + 1, mv, value: e.value, atMs: now });
          }
          for (const e of entries) (ch(e.channel_index0) as Channel).lastMvAtMs = now;
          return std(code, first, 0);
        }
        case 'getSerialNumber':
          return [encodeSerialNumberFeedback({ serial_number: o.serial, result: 0 })];
        case 'sendConsoleMessage':
          consoleMessages.push(decodeConsoleMessageRequest(frame).message);
          return [encodeConsoleMessageFeedback(1)];
      }
    } catch (err) {
      return violate(`cannot decode ${name}: ${String(err)}`);
    }
    void socket;
    return violate('unhandled');
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const session = { loggedIn: false };
    const decoder = new CtiFrameDecoder({ direction: 'request', maxFrameBytes: 64 * 1024 });
    let pending = Buffer.alloc(0);
    const kill = (reason: string): void => {
      violations.push({ reason });
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      // Strict: the stream must start with a token; no resynchronisation on garbage.
      pending = Buffer.concat([pending, chunk]);
      const n = Math.min(CTI_TOKEN.length, pending.length);
      for (let i = 0; i < n; i++) if (pending[i] !== CTI_TOKEN[i]) return kill('bad token');
      let frames: CtiFrame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return kill(`bad length field: ${String(err)}`);
      }
      if (decoder.skippedBytes > 0) return kill('garbage between frames');
      pending = Buffer.from(pending.subarray(pending.length - decoder.bufferedBytes));
      for (const f of frames) {
        const out = handle(socket, session, f);
        if (out === 'close') return void socket.destroy();
        for (const b of out) socket.write(b);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;

  const snapshot = (n: number): SimulatedChannelState => {
    const c = channels[n - 1];
    if (c === undefined) throw new RangeError(`simulator has no channel ${n} (1..${channels.length})`);
    return {
      channel: n, status: c.status, status_name: channelStatusName(c.status), running: c.running, voltage_v: c.voltage, current_a: c.current, soc: c.soc, schedule: c.schedule,
      test_name: c.testName, step_index: c.running ? c.step : 0, cycle_index: c.running ? c.cycle : 0, mv: [...c.mv],
    };
  };

  return {
    host: o.host,
    port,
    channel: snapshot,
    injectFault(n: number): void {
      const c = channels[n - 1];
      if (c === undefined) throw new RangeError(`simulator has no channel ${n}`);
      Object.assign(c, { running: false, paused: false, status: 8, current: 0 });
    },
    get connections() {
      return sockets.size;
    },
    violations,
    consoleMessages,
    mvLog,
    async close(): Promise<void> {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
