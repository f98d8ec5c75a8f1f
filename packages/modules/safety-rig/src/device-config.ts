/**
 * Configuration of one safety rig (a `devices:` entry of the rig's device file, shared by the rig
 * collector and the commander): its three links — the BMS on CAN through socketcand, the PCS on
 * Modbus RTU, the Arduino I/O board on a serial line — the interlock, and the schedules commands may
 * start. Facts: safety-rig reference §1 (links), §3 (CAN), §4 (PCS), §5 (Arduino), §6 (interlock),
 * §7 (schedules). Safety values (thresholds, ages, delays, envelope, the PCS map's §4.3 choices, the
 * heartbeat, the pin whitelist) have no defaults.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BusbarError } from '@busbar/core';
import type { Dbc } from '@busbar/driver-can';
import { parseDbc } from '@busbar/driver-can';
import type { ArduinoIoConfig } from '@busbar/driver-arduino-io';
import { parseArduinoIoConfig } from '@busbar/driver-arduino-io';
import type { PcsProfile } from '@busbar/driver-modbus';
import { buildPcsMap, heartbeatIssues } from '@busbar/driver-modbus';
import { parseInterlockConfig } from './interlock/config.js';
import type { InterlockConfig } from './interlock/config.js';
import { parseScheduleCsv } from './schedule/csv.js';
import type { Schedule } from './schedule/csv.js';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** One `devices:` entry (before files are read). */
export const rigDeviceSchema = z.object({
  id: z.string().regex(idPattern, 'must be 1–64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit'),
  /** PCS status poll interval, ms (start to start). @default 1000 */
  pollIntervalMs: ms(50, 3_600_000).default(1000),
  can: z.object({
    /** The socketcand daemon on the rig computer (raw mode; reference §3.1: can0, 500 kbit/s). */
    socketcand: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535).default(29536), bus: z.string().min(1).max(16).default('can0') }).strict(),
    /** The BMS DBC (path relative to the device file). */
    dbcFile: z.string().min(1),
    /** Cells per module the cell rules cover, 1 … cellCount inclusive (defect D3; the sample rig: 12 of 14). */
    cellCount: z.number().int().min(1).max(14),
    /** Shortest interval between two Readings of one BMU, ms (PDOs arrive much faster). @default 1000 */
    readingIntervalMs: ms(10, 3_600_000).default(1000),
    /** Send SYNC (0x080) at this period, ms (reference §3.2: 100 ms); absent = the BMS sends by itself. */
    syncPeriodMs: ms(10, 60_000).optional(),
  }).strict(),
  pcs: z.object({
    /** RS-485 line (reference §4.1: 19200 8N1, unit 2). */
    connection: z.object({
      path: z.string().min(1),
      baudRate: z.number().int().positive().default(19200),
      parity: z.enum(['none', 'even', 'odd']).default('none'),
      dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
      stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    }).strict(),
    unitId: z.number().int().min(1).max(247).default(2),
    timeoutMs: ms(10, 10_000).default(500),
    /** The §4.3 choices of `buildPcsMap` (settingsAddressing, opModeCodes, dcCurrentCountsPerA, limits): required. */
    map: z.unknown(),
    /** Written to `security_code` at open for write access (reference §4.2: 125). */
    securityCode: z.number().int().min(0).max(65535),
    /** The PCS communication watchdog (defect D7: a real timeout, never the 33.3 s bypass). */
    heartbeat: z.object({ timeoutS: z.number(), intervalMs: z.number().int() }).strict(),
  }).strict(),
  arduino: z.object({
    /** USB serial device (reference §5: ttyACM0, 9600 baud). */
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    /** Pin whitelist, thermistor table, pressure scale (`@busbar/driver-arduino-io` configuration). */
    config: z.unknown(),
    /** Output names → pins (reference §2: pump 6, fan 7, relay1 5, relay2 3, relay3 4); every pin in the whitelist. */
    outputs: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/), z.number().int().min(0).max(99)),
    /** No valid line for this long = the board is lost, ms. @default 5000 */
    silenceTimeoutMs: ms(100, 600_000).default(5000),
    /** Quiet time between two output commands, ms (> the sketch's 1 s read timeout). @default 1100 */
    commandGapMs: ms(0, 60_000).default(1100),
  }).strict(),
  /** The `interlock:` section inline (see `interlockConfigSchema`) … */
  interlock: z.unknown().optional(),
  /** … or a YAML/JSON file holding it, relative to the device file. */
  interlockFile: z.string().min(1).optional(),
  /** Schedules rig.start_schedule may name: name → file (relative), mode (A or kW), repeat. */
  schedules: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), z.object({ file: z.string().min(1), mode: z.enum(['current', 'power']), repeat: z.boolean().default(false) }).strict()).default({}),
}).strict().superRefine((d, ctx) => {
  if ((d.interlock === undefined) === (d.interlockFile === undefined)) ctx.addIssue({ code: 'custom', path: ['interlock'], message: 'give exactly one of interlock or interlockFile' });
});

/** A parsed `devices:` entry (files not yet read). */
export type RigDeviceConfig = z.output<typeof rigDeviceSchema>;

/** `devices:` with unique ids. */
export const rigDevicesSchema = z.array(rigDeviceSchema).min(1, 'configure at least one rig').superRefine((devices, ctx) => {
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id ${d.id}` });
    seen.add(d.id);
  });
});

/** A schedule a command may start. */
export interface NamedSchedule {
  readonly schedule: Schedule;
  readonly repeat: boolean;
}

/** A rig with its files read and every cross-reference checked. */
export type ResolvedRigDevice = RigDeviceConfig & {
  readonly dbc: Dbc;
  readonly pcsProfile: PcsProfile;
  readonly arduinoConfig: ArduinoIoConfig;
  readonly interlockConfig: InterlockConfig;
  readonly namedSchedules: ReadonlyMap<string, NamedSchedule>;
};

function invalid(index: number, id: string, field: string, message: string, cause?: unknown): never {
  throw new BusbarError('BB_CONFIG_INVALID', `devices[${index}] (${id}) ${field}: ${message}`, { cause });
}

function readText(index: number, id: string, field: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    invalid(index, id, field, `cannot read ${path}: ${(cause as Error).message}`, cause);
  }
}

/**
 * Reads each rig's files (DBC, interlock, schedules; relative to `baseDir`) and checks what spans
 * sections: the PCS map choices and heartbeat, the Arduino configuration, every output the interlock
 * switches named in `arduino.outputs`, every output pin in the whitelist, every schedule within the
 * envelope.
 *
 * @throws {BusbarError} `BB_CONFIG_INVALID` naming `devices[i]` and the field at fault (with the
 *   driver's or the module's error as cause: `BB_RIG_CONFIG_INVALID`, `BB_RIG_SCHEDULE_INVALID`...).
 */
export function resolveRigDevices(devices: readonly RigDeviceConfig[], baseDir: string): ResolvedRigDevice[] {
  return devices.map((d, i) => {
    const attempt = <T>(field: string, fn: () => T): T => {
      try {
        return fn();
      } catch (cause) {
        if (cause instanceof BusbarError && cause.code === 'BB_CONFIG_INVALID') throw cause;
        invalid(i, d.id, field, (cause as Error).message, cause);
      }
    };
    const dbc = attempt('can.dbcFile', () => parseDbc(readText(i, d.id, 'can.dbcFile', resolve(baseDir, d.can.dbcFile))));
    const pcsProfile = attempt('pcs.map', () => buildPcsMap(d.pcs.map as Parameters<typeof buildPcsMap>[0]));
    const hb = heartbeatIssues(d.pcs.heartbeat.timeoutS, d.pcs.heartbeat.intervalMs);
    if (hb.length > 0) invalid(i, d.id, 'pcs.heartbeat', hb.join('; '));
    const arduinoConfig = attempt('arduino.config', () => parseArduinoIoConfig(d.arduino.config));
    for (const [name, pin] of Object.entries(d.arduino.outputs)) {
      if (!arduinoConfig.outputPins.has(pin)) invalid(i, d.id, `arduino.outputs.${name}`, `pin ${pin} is not in arduino.config.outputPins`);
    }
    const interlockInput = d.interlockFile === undefined ? d.interlock : attempt('interlockFile', () => parseYaml(readText(i, d.id, 'interlockFile', resolve(baseDir, d.interlockFile!))) as unknown);
    const interlockConfig = attempt(d.interlockFile === undefined ? 'interlock' : 'interlockFile', () => parseInterlockConfig(interlockInput));
    const a = interlockConfig.actions;
    const switched = [...Object.values(a.warning).flatMap((w) => Object.keys(w.outputs ?? {})), ...Object.keys(a.normal.outputs), ...Object.keys(a.dangerous.outputs), ...a.dangerous.openRelays, ...Object.keys(a.safe.outputs)];
    for (const name of switched) {
      if (!(name in d.arduino.outputs)) invalid(i, d.id, 'interlock.actions', `output ${name} is not one of arduino.outputs (${Object.keys(d.arduino.outputs).join(', ')})`);
    }
    const namedSchedules = new Map<string, NamedSchedule>();
    for (const [name, s] of Object.entries(d.schedules)) {
      const path = resolve(baseDir, s.file);
      const schedule = attempt(`schedules.${name}`, () => parseScheduleCsv(readText(i, d.id, `schedules.${name}.file`, path), s.mode, interlockConfig.envelope, basename(path)));
      namedSchedules.set(name, { schedule, repeat: s.repeat });
    }
    return { ...d, dbc, pcsProfile, arduinoConfig, interlockConfig, namedSchedules };
  });
}
