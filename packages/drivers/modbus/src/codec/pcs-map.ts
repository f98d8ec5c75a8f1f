/**
 * The battery safety rig's PCS (Rhombus Energy Solutions RES-DCVC60-480, 60 kW bidirectional) as a
 * Busbar register map, with the documents' conflicts as explicit configuration.
 *
 * Source: safety-rig reference §4 (its §4.2 register map, read from the vendor's xlsx "MODBUS
 * Programming Manual 100-PBJ1226-PAA V1.0"; §4.3 inconsistencies; §4.1 link: RTU unit 2, 19200 8N1,
 * FC 04 reads of input registers, FC 06 writes of single holding registers). Addresses are the
 * zero-based protocol addresses the original passed to its library (41024…, 30256…), exactly as the
 * xlsx lists them: the leading 4/3 is NOT a table prefix here.
 *
 * Scales: the documents give counts per unit (32.767 counts/V, 52.094 counts/A, 218.44 counts/kW,
 * 109.22 counts/°C, 65.535 counts/V for phase voltages, 10 counts/s for timers); a Busbar point's
 * `scale` is the inverse (units per count). Signed quantities are 16-bit two's complement (reference
 * §4.2: the original added/subtracted 65536).
 *
 * §4.3 conflicts, none picked silently — each is a required option of {@link buildPcsMap}:
 * 1. register numbering of the settings: xlsx (security 41024, heartbeat 41025, op mode 41026, set-point
 *    41027) or vendor PDF (41025, 41027, 41028, 41029) → `settingsAddressing`. The PDF does not number
 *    the limit registers and its numbers collide with the xlsx limits, so with `pdf` the limit points
 *    are left out of the map;
 * 2. op-mode codes (code: 2 current, 1 power, 4 voltage; an older script: 1 current, 2 power; PDF: 4 =
 *    constant power, xlsx: 4 = constant voltage) → `opModeCodes`;
 * 3. battery voltage limits (code writes 384/264 V; the xlsx ranges are 400–840 V and 270–400 V) →
 *    `limits` (the writable ranges of the limit registers);
 * 4. DC current read-back scale (code 52.094 counts/A, xlsx 32.767) → `dcCurrentCountsPerA`;
 * 5. the heartbeat value 333 (33.3 s) that the PDF says bypasses the watchdog (defect D7): the
 *    heartbeat point's writable range stops at 30 s, so 333 cannot be written; see `PcsHeartbeat`.
 *
 * Pure: no I/O, no timers.
 */
import { ModbusConfigError } from '../errors.js';
import { parseRegisterMap } from './register-map.js';
import type { DeviceMap, RegisterPoint } from './register-map.js';
import type { PlanOptions } from './read-plan.js';

/** Counts per engineering unit, as the reference gives them (§4.2). */
export const PCS_COUNTS_PER = Object.freeze({
  /** Battery and DC-link voltages, set-points in voltage mode: counts per V. */
  voltage_v: 32.767,
  /** Current set-points and limits (the code's value): counts per A. */
  current_a: 52.094,
  /** Power set-points, limits and read-backs: counts per kW. */
  power_kw: 218.44,
  /** Ambient and heat-sink temperatures: counts per °C. */
  temperature_c: 109.22,
  /** Phase RMS voltages: counts per V. */
  phase_voltage_v: 65.535,
  /** Heartbeat and comm timer: counts per s (1 count = 0.1 s). */
  timer_s: 10,
});

/** The operating-mode codes written to the op-mode register (§4.3 items 1–2: configuration). */
export interface PcsOpModeCodes {
  /** PCS off (0 in every document). */
  readonly off: number;
  /** Constant current (2 in the code, 1 in an older script). */
  readonly current: number;
  /** Constant power (1 in the code, 2 in an older script, 4 in the PDF). */
  readonly power: number;
  /** Constant voltage (4 in the code's config and the xlsx); absent = not used. */
  readonly voltage?: number;
}

/** Writable ranges of the battery limit registers (§4.3 item 3: the code's values lie outside the xlsx ranges). */
export interface PcsLimitRanges {
  /** Accepted values of `battery_max_voltage_v`, V (xlsx: 400–840). */
  readonly batteryMaxVoltageV: { readonly min: number; readonly max: number };
  /** Accepted values of `battery_min_voltage_v`, V (xlsx: 270–400). */
  readonly batteryMinVoltageV: { readonly min: number; readonly max: number };
}

/** Options of {@link buildPcsMap}: the §4.3 choices, all required. */
export interface PcsMapOptions {
  /** Settings register numbering: the xlsx's (the code's) or the vendor PDF's (§4.3 item 1). */
  readonly settingsAddressing: 'xlsx' | 'pdf';
  /** Op-mode codes (§4.3 items 1–2). */
  readonly opModeCodes: PcsOpModeCodes;
  /** DC-link current read-back scale, counts per A: 52.094 (code) or 32.767 (xlsx) (§4.3 item 4). */
  readonly dcCurrentCountsPerA: number;
  /** Writable ranges of the voltage limits (§4.3 item 3); used with `xlsx` addressing. */
  readonly limits: PcsLimitRanges;
  /** Poll interval suggested by the map, ms. @default 1000 */
  readonly pollIntervalMs?: number;
}

/** A PCS profile: the map, the op-mode codes, and the read plan the PCS needs. */
export interface PcsProfile {
  /** The validated register map. */
  readonly map: DeviceMap;
  /** Op-mode codes as configured. */
  readonly opModeCodes: PcsOpModeCodes;
  /** Read only the input registers (FC 04), as the original did (reference §4.1). */
  readonly plan: PlanOptions;
}

/** Name of the heartbeat point (the communication timeout, s). */
export const PCS_HEARTBEAT_POINT = 'heartbeat_timeout_s';

/** Largest heartbeat timeout the map accepts, s: below the 33.3 s "bypass" value (defect D7). */
export const PCS_HEARTBEAT_MAX_S = 30;

const SETTINGS_ADDRESSES = {
  xlsx: { security_code: 41024, heartbeat_timeout_s: 41025, op_mode: 41026, op_mode_setpoint_raw: 41027 },
  pdf: { security_code: 41025, heartbeat_timeout_s: 41027, op_mode: 41028, op_mode_setpoint_raw: 41029 },
} as const;

const inv = (countsPer: number): number => 1 / countsPer;

type Point = Omit<RegisterPoint, 'type'>;

/** Status registers (FC 04), reference §4.2 "Read-only status". */
function statusPoints(dcCurrentCountsPerA: number): Point[] {
  const bits = (address: number, prefix: string, named: Record<number, string>): Point[] =>
    Object.entries(named).map(([bit, name]) => ({ name: `${prefix}_${name}`, address, dataType: 'bit', bit: Number(bit) }));
  return [
    { name: 'ambient_temperature_c', address: 30256, dataType: 'int16', scale: inv(PCS_COUNTS_PER.temperature_c), unit: '°C' },
    { name: 'heatsink_temperature_c', address: 30257, dataType: 'int16', scale: inv(PCS_COUNTS_PER.temperature_c), unit: '°C' },
    { name: 'modbus_address', address: 30258, dataType: 'uint16' },
    { name: 'modbus_baud_rate_code', address: 30259, dataType: 'uint16' },
    { name: 'modbus_parity_code', address: 30260, dataType: 'uint16' },
    { name: 'modbus_mode_code', address: 30261, dataType: 'uint16' },
    { name: 'comm_timer_s', address: 30262, dataType: 'uint16', scale: inv(PCS_COUNTS_PER.timer_s), unit: 's' },
    { name: 'battery_voltage_v', address: 30263, dataType: 'uint16', scale: inv(PCS_COUNTS_PER.voltage_v), unit: 'V' },
    { name: 'voltage_reference_v', address: 30264, dataType: 'int16', scale: inv(PCS_COUNTS_PER.voltage_v), unit: 'V' },
    { name: 'dc_link_voltage_v', address: 30265, dataType: 'int16', scale: inv(PCS_COUNTS_PER.voltage_v), unit: 'V' },
    { name: 'dc_link_power_kw', address: 30266, dataType: 'int16', scale: inv(PCS_COUNTS_PER.power_kw), unit: 'kW' },
    { name: 'dc_link_current_a', address: 30267, dataType: 'int16', scale: inv(dcCurrentCountsPerA), unit: 'A' },
    { name: 'ready_to_charge', address: 30268, dataType: 'uint16' },
    { name: 'phase_a_voltage_v', address: 30269, dataType: 'uint16', scale: inv(PCS_COUNTS_PER.phase_voltage_v), unit: 'V' },
    { name: 'phase_b_voltage_v', address: 30270, dataType: 'uint16', scale: inv(PCS_COUNTS_PER.phase_voltage_v), unit: 'V' },
    { name: 'phase_c_voltage_v', address: 30271, dataType: 'uint16', scale: inv(PCS_COUNTS_PER.phase_voltage_v), unit: 'V' },
    { name: 'ciu_fault_word', address: 30272, dataType: 'uint16' },
    ...bits(30272, 'ciu_fault', { 0: 'critical_comm', 1: 'key', 2: 'control_values', 3: 'modbus_comm', 4: 'controller_mode', 5: 'enclosure_over_temperature', 6: 'ccu', 7: 'non_ccu_shutdown', 8: 'epo', 13: 'lvps_low', 14: 'low_battery', 15: 'ambient_sensor' }),
    { name: 'miu_fault_word_1', address: 30273, dataType: 'uint16' },
    { name: 'miu_fault_word_2', address: 30274, dataType: 'uint16' },
    { name: 'miu_fault_word_3', address: 30275, dataType: 'uint16' },
    { name: 'miu_fault_word_4', address: 30276, dataType: 'uint16' },
    { name: 'miu_fault_word_5', address: 30277, dataType: 'uint16' },
    { name: 'miu_warning_word', address: 30278, dataType: 'uint16' },
    ...bits(30278, 'miu_warning', { 3: 'power_limited', 8: 'over_current_short', 9: 'over_current', 13: 'too_cold', 14: 'heatsink_over_temperature', 15: 'eeprom' }),
    { name: 'status_word', address: 30279, dataType: 'uint16' },
    ...bits(30279, 'status', { 0: 'maintenance_mode', 1: 'inverter_switching', 3: 'grid_connected', 4: 'positive_dc_contactor', 5: 'negative_dc_contactor', 14: 'fan_on', 15: 'can_values_received' }),
    { name: 'power_limit_inverter_kw', address: 30285, dataType: 'int16', scale: inv(PCS_COUNTS_PER.power_kw), unit: 'kW' },
  ];
}

/** Settings registers (FC 06), reference §4.2 "Writable settings". */
function settingPoints(o: PcsMapOptions): Point[] {
  const a = SETTINGS_ADDRESSES[o.settingsAddressing];
  const codes = [o.opModeCodes.off, o.opModeCodes.current, o.opModeCodes.power, ...(o.opModeCodes.voltage === undefined ? [] : [o.opModeCodes.voltage])];
  const out: Point[] = [
    { name: 'security_code', address: a.security_code, dataType: 'uint16', writable: { min: 0, max: 125 } },
    { name: PCS_HEARTBEAT_POINT, address: a.heartbeat_timeout_s, dataType: 'uint16', scale: inv(PCS_COUNTS_PER.timer_s), unit: 's', writable: { min: 0.1, max: PCS_HEARTBEAT_MAX_S } },
    { name: 'op_mode', address: a.op_mode, dataType: 'uint16', writable: { min: Math.min(...codes), max: Math.max(...codes) } },
    // One register, three scales (V, A or kW by op mode): kept raw; see pcsSetpointRaw.
    { name: 'op_mode_setpoint_raw', address: a.op_mode_setpoint_raw, dataType: 'int16', writable: { min: -32768, max: 32767 } },
  ];
  if (o.settingsAddressing === 'xlsx') {
    out.push(
      { name: 'battery_max_voltage_v', address: 41028, dataType: 'int16', scale: inv(PCS_COUNTS_PER.voltage_v), unit: 'V', writable: o.limits.batteryMaxVoltageV },
      { name: 'battery_min_voltage_v', address: 41029, dataType: 'int16', scale: inv(PCS_COUNTS_PER.voltage_v), unit: 'V', writable: o.limits.batteryMinVoltageV },
      { name: 'battery_max_charge_current_a', address: 41030, dataType: 'int16', scale: inv(PCS_COUNTS_PER.current_a), unit: 'A', writable: { min: -222, max: 0 } },
      { name: 'battery_max_discharge_current_a', address: 41031, dataType: 'int16', scale: inv(PCS_COUNTS_PER.current_a), unit: 'A', writable: { min: 0, max: 222 } },
      { name: 'battery_max_charge_power_kw', address: 41032, dataType: 'int16', scale: inv(PCS_COUNTS_PER.power_kw), unit: 'kW', writable: { min: 0, max: 60 } },
    );
  }
  return out;
}

/**
 * Builds the PCS register map for the given §4.3 choices.
 *
 * @param options - every §4.3 choice (see {@link PcsMapOptions}); nothing is defaulted but the poll interval.
 * @returns the map (validated by `parseRegisterMap`), the op-mode codes and the FC 04-only read plan.
 * @throws {ModbusConfigError} `BB_MODBUS_CONFIG_INVALID` naming the option: an unknown addressing, op-mode
 *   codes that repeat or are not 0..65535 integers, a current scale that is not a positive finite
 *   number, a limit range the register cannot hold.
 */
export function buildPcsMap(options: PcsMapOptions): PcsProfile {
  const issues: string[] = [];
  if (options.settingsAddressing !== 'xlsx' && options.settingsAddressing !== 'pdf') issues.push(`settingsAddressing: must be "xlsx" or "pdf" (safety-rig reference §4.3 item 1), got ${JSON.stringify(options.settingsAddressing)}`);
  const codes = Object.entries(options.opModeCodes ?? {}).filter(([, v]) => v !== undefined);
  for (const k of ['off', 'current', 'power'] as const) if ((options.opModeCodes as Partial<PcsOpModeCodes> | undefined)?.[k] === undefined) issues.push(`opModeCodes.${k}: required (reference §4.3 items 1-2 disagree on the codes)`);
  for (const [k, v] of codes) if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535) issues.push(`opModeCodes.${k}: must be an integer 0..65535, got ${JSON.stringify(v)}`);
  if (new Set(codes.map(([, v]) => v)).size !== codes.length) issues.push(`opModeCodes: codes must differ (${codes.map(([k, v]) => `${k}=${String(v)}`).join(', ')})`);
  if (!(Number.isFinite(options.dcCurrentCountsPerA) && options.dcCurrentCountsPerA > 0)) issues.push(`dcCurrentCountsPerA: must be a positive number of counts per A (52.094 in the code, 32.767 in the xlsx; reference §4.3 item 4), got ${JSON.stringify(options.dcCurrentCountsPerA)}`);
  if (options.settingsAddressing === 'xlsx' && !options.limits) issues.push('limits: required with xlsx addressing (reference §4.3 item 3)');
  if (issues.length > 0) throw new ModbusConfigError(issues);
  const points = [...statusPoints(options.dcCurrentCountsPerA).map((p) => ({ ...p, type: 'input' as const })), ...settingPoints(options).map((p) => ({ ...p, type: 'holding' as const }))];
  const map = parseRegisterMap({ points, pollIntervalMs: options.pollIntervalMs ?? 1000 });
  return Object.freeze({ map, opModeCodes: Object.freeze({ ...options.opModeCodes }), plan: Object.freeze({ readTables: Object.freeze(['input'] as const) }) });
}

/**
 * The raw value of the op-mode set-point register for a mode (reference §4.2: 32.767 counts/V in
 * voltage mode, 52.094 counts/A in current mode, 218.44 counts/kW in power mode; 16-bit two's
 * complement). Sign convention as in the original code: negative = charge, positive = discharge
 * (reference §7, not verified against the PCS).
 *
 * @param mode - which quantity `value` is.
 * @param value - V, A or kW.
 * @returns the int16 raw value (−32768..32767), for the `op_mode_setpoint_raw` point.
 * @throws {ModbusConfigError} `BB_MODBUS_CONFIG_INVALID` when the value is not finite or does not fit 16 bits.
 */
export function pcsSetpointRaw(mode: 'voltage' | 'current' | 'power', value: number, countsPer: { readonly voltage_v: number; readonly current_a: number; readonly power_kw: number } = PCS_COUNTS_PER): number {
  const per = mode === 'voltage' ? countsPer.voltage_v : mode === 'current' ? countsPer.current_a : countsPer.power_kw;
  const raw = Math.round(value * per);
  if (!Number.isFinite(raw) || raw < -32768 || raw > 32767) throw new ModbusConfigError([`setpoint: ${value} in ${mode} mode is ${raw} counts, outside int16 (reference §4.2)`]);
  return raw;
}
