/**
 * Get channels info: request 0xEEAB0003, feedback 0xEEBA0003 (Arbin CTI reference README §4.2).
 *
 *   request (62 bytes, dwLen 50)
 *     20 i16      channel index, 0-based; −1 = all channels
 *     22 i16      selection: 1 all, 2 running only, 3 unsafe only
 *     24 u32      aux options: 0x100 CAN-BMS, 0x200 SMB, 0x400 auxiliary values
 *     28 byte[32] reserved
 *   feedback (dwLen = total)
 *     20 u32      C = number of channel records
 *     24 record[C], then u16 checksum
 *   record (offsets relative to the record start; 1753 + 8·A + BMS + SMB bytes)
 *     0 u32 channel index   4 i16 status   6 u8 comm_failure
 *     7 wchar[200] schedule   407 wchar[72] testname   551 char[100] exit_condition
 *     651 char[64] step_and_cycle_format   715 wchar[72] barcode   859 wchar[200] can_config_name
 *     1259 wchar[200] smb_config_name   1659 u16 master_channel
 *     1661 f64 test_time_s   1669 f64 step_time_s
 *     1677 f32 voltage_v  1681 current_a  1685 power_w  1689 charge_capacity_ah  1693 discharge_capacity_ah
 *     1697 charge_energy_wh  1701 discharge_energy_wh  1705 internal_resistance_ohm  1709 dvdt_vbys
 *     1713 acr_ohm  1717 aci_ohm  1721 aci_phase_degrees
 *     1725 u16[12] aux counts (voltage, temperature, pressure, external, flow, ao, di, do, humidity,
 *          safety, ph, density)   1749 u16 bms_count   1751 u16 smb_count
 *     1753 {f32 value, f32 dt}[A], A = sum of the aux counts, grouped by type in count order (uncertain)
 *     then BMS and SMB entries, whose layouts the vendor documents disagree on: not parsed here.
 */
import { Buffer } from 'node:buffer';
import { ArbinCtiError } from '../errors.js';
import { CTI_COMMANDS } from './commands.js';
import { checkIndex, readByteString, readWideString, writeByteString, writeWideString } from './fields.js';
import { encodeFrame, expectFrame, type CtiFrame } from './frame.js';
import { channelStatusName } from './status.js';

/** Aux data types, in the order of their count fields (README §4.2). */
export const AUX_TYPES = ['voltage', 'temperature', 'pressure', 'external', 'flow', 'ao', 'di', 'do', 'humidity', 'safety', 'ph', 'density'] as const;
/** One aux data type. */
export type AuxType = (typeof AUX_TYPES)[number];

/** Aux option bits of the request (README §4.2). */
export const AUX_OPTIONS = { none: 0x000, canBms: 0x100, smb: 0x200, aux: 0x400 } as const;
/** Channel selection values of the request (README §4.2). */
export const CHANNEL_SELECTION = { all: 1, running: 2, unsafe: 3 } as const;

/** The request; `channel_index0` is the 0-based wire index, −1 for all channels. */
export interface ChannelInfoRequest {
  /** 0-based channel index (physical channel 1 is 0), or −1 for all channels. */
  readonly channel_index0: number;
  /** 1 all, 2 running only, 3 unsafe only. Default 1. */
  readonly channel_selection?: number;
  /** Bit mask of {@link AUX_OPTIONS}. Default 0. */
  readonly aux_options?: number;
}

/** Size of the request, bytes. */
export const CHANNEL_INFO_REQUEST_BYTES = 62;
/** Size of one record without aux/BMS/SMB data, bytes. */
export const CHANNEL_RECORD_BYTES = 1753;

/**
 * Encodes a get-channels-info request.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when the index is not in [−1, 32767] or
 *   selection/options are out of range.
 */
export function encodeChannelInfoRequest(req: ChannelInfoRequest): Buffer {
  const args = Buffer.alloc(40);
  args.writeInt16LE(checkIndex(req.channel_index0, 'channel_index0', -1, 0x7fff), 0);
  args.writeInt16LE(checkIndex(req.channel_selection ?? CHANNEL_SELECTION.all, 'channel_selection', 1, 3), 2);
  args.writeUInt32LE(checkIndex(req.aux_options ?? 0, 'aux_options', 0, 0xffffffff), 4);
  return encodeFrame('request', CTI_COMMANDS.getChannelsInfo.request, args);
}

/**
 * Decodes a get-channels-info request (simulator side).
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`, `BB_ARBIN_TRUNCATED`.
 */
export function decodeChannelInfoRequest(frame: CtiFrame): Required<ChannelInfoRequest> {
  const b = expectFrame(frame, CTI_COMMANDS.getChannelsInfo.request, CHANNEL_INFO_REQUEST_BYTES, 'get-channels-info request');
  return { channel_index0: b.readInt16LE(20), channel_selection: b.readInt16LE(22), aux_options: b.readUInt32LE(24) };
}

/** One aux value with its time derivative (units depend on the aux type, undocumented). */
export interface AuxValue {
  /** The value. */
  readonly value: number;
  /** Its time derivative, when the cycler provides it. */
  readonly dt: number;
}

/** One channel record of the feedback (pycti names, units in names; README §4.2). */
export interface ChannelInfoRecord {
  /** 0-based channel index (physical channel = index + 1). */
  readonly channel_index0: number;
  /** Status code (README §4.2.1). */
  readonly status: number;
  /** Vendor name of {@link status}, `Unknown(n)` when undocumented. */
  readonly status_name: string;
  /** 0 OK, non-zero = the Console cannot reach the channel's MCU. */
  readonly comm_failure: number;
  /** Schedule file name. */
  readonly schedule: string;
  /** Test name. */
  readonly testname: string;
  /** Exit condition text. */
  readonly exit_condition: string;
  /** "[cycle] step: label, type". */
  readonly step_and_cycle_format: string;
  /** Battery barcode. */
  readonly barcode: string;
  /** CAN-BMS configuration name. */
  readonly can_config_name: string;
  /** SMB configuration name. */
  readonly smb_config_name: string;
  /** Master channel of a parallel group (0-based, equals the index when not in parallel). */
  readonly master_channel: number;
  /** Test time, s. */
  readonly test_time_s: number;
  /** Step time, s. */
  readonly step_time_s: number;
  /** Voltage, V. */
  readonly voltage_v: number;
  /** Current, A (positive = charge). */
  readonly current_a: number;
  /** Power, W. */
  readonly power_w: number;
  /** Charge capacity, Ah. */
  readonly charge_capacity_ah: number;
  /** Discharge capacity, Ah. */
  readonly discharge_capacity_ah: number;
  /** Charge energy, Wh. */
  readonly charge_energy_wh: number;
  /** Discharge energy, Wh. */
  readonly discharge_energy_wh: number;
  /** Internal resistance, Ω. */
  readonly internal_resistance_ohm: number;
  /** dV/dt, V/s. */
  readonly dvdt_vbys: number;
  /** AC resistance, Ω. */
  readonly acr_ohm: number;
  /** AC impedance, Ω. */
  readonly aci_ohm: number;
  /** AC impedance phase, degrees. */
  readonly aci_phase_degrees: number;
  /** Aux values per type (empty lists when none). */
  readonly aux: Readonly<Record<AuxType, readonly AuxValue[]>>;
  /** Number of CAN-BMS values announced. */
  readonly bms_count: number;
  /** Number of SMB values announced. */
  readonly smb_count: number;
}

/** The decoded feedback. */
export interface ChannelInfoFeedback {
  /** Number of records the frame announces. */
  readonly number_of_channels: number;
  /** The records parsed. Fewer than announced only when BMS/SMB data made the layout unknowable. */
  readonly records: readonly ChannelInfoRecord[];
  /** True when BMS/SMB data (undocumented layout) stopped parsing early (README §4.2, §11.5). */
  readonly incomplete: boolean;
}

function emptyAux(): Record<AuxType, AuxValue[]> {
  return Object.fromEntries(AUX_TYPES.map((t) => [t, [] as AuxValue[]])) as Record<AuxType, AuxValue[]>;
}

/** A record with default values, aux empty: handy for the simulator and tests. */
export function emptyChannelRecord(channel_index0: number): ChannelInfoRecord {
  return {
    channel_index0, status: 0, status_name: 'Idle', comm_failure: 0, schedule: '', testname: '', exit_condition: '', step_and_cycle_format: '',
    barcode: '', can_config_name: '', smb_config_name: '', master_channel: channel_index0, test_time_s: 0, step_time_s: 0, voltage_v: 0, current_a: 0,
    power_w: 0, charge_capacity_ah: 0, discharge_capacity_ah: 0, charge_energy_wh: 0, discharge_energy_wh: 0, internal_resistance_ohm: 0, dvdt_vbys: 0,
    acr_ohm: 0, aci_ohm: 0, aci_phase_degrees: 0, aux: emptyAux(), bms_count: 0, smb_count: 0,
  };
}

const F32_FIELDS = [
  'voltage_v', 'current_a', 'power_w', 'charge_capacity_ah', 'discharge_capacity_ah', 'charge_energy_wh', 'discharge_energy_wh',
  'internal_resistance_ohm', 'dvdt_vbys', 'acr_ohm', 'aci_ohm', 'aci_phase_degrees',
] as const;

function truncated(what: string, need: number, have: number): ArbinCtiError {
  return new ArbinCtiError('BB_ARBIN_TRUNCATED', `get-channels-info feedback: ${what} needs ${need} bytes, the frame holds ${have}`, { context: { expected: need, actual: have } });
}

/**
 * Decodes a get-channels-info feedback with all its records and aux values.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_UNEXPECTED_COMMAND`; `BB_ARBIN_TRUNCATED` when the records or aux
 *   values announced do not fit in the frame (checked against dwLen, README §9's spoofer caveat).
 */
export function decodeChannelInfoFeedback(frame: CtiFrame): ChannelInfoFeedback {
  const b = expectFrame(frame, CTI_COMMANDS.getChannelsInfo.feedback, 24 + 2, 'get-channels-info feedback');
  const end = b.length - 2;
  const count = b.readUInt32LE(20);
  const records: ChannelInfoRecord[] = [];
  let at = 24;
  for (let r = 0; r < count; r++) {
    if (at + CHANNEL_RECORD_BYTES > end) throw truncated(`record ${r} of ${count}`, at + CHANNEL_RECORD_BYTES + 2, b.length);
    const aux = emptyAux();
    const counts = AUX_TYPES.map((_, i) => b.readUInt16LE(at + 1725 + 2 * i));
    const total = counts.reduce((s, n) => s + n, 0);
    const auxEnd = at + CHANNEL_RECORD_BYTES + 8 * total;
    if (auxEnd > end) throw truncated(`record ${r}: ${total} aux values`, auxEnd + 2, b.length);
    let p = at + CHANNEL_RECORD_BYTES;
    AUX_TYPES.forEach((t, i) => {
      for (let k = 0; k < (counts[i] ?? 0); k++, p += 8) aux[t].push({ value: b.readFloatLE(p), dt: b.readFloatLE(p + 4) });
    });
    const status = b.readInt16LE(at + 4);
    const f32 = Object.fromEntries(F32_FIELDS.map((f, i) => [f, b.readFloatLE(at + 1677 + 4 * i)])) as Record<(typeof F32_FIELDS)[number], number>;
    const bms_count = b.readUInt16LE(at + 1749);
    const smb_count = b.readUInt16LE(at + 1751);
    records.push({
      channel_index0: b.readUInt32LE(at),
      status,
      status_name: channelStatusName(status),
      comm_failure: b.readUInt8(at + 6),
      schedule: readWideString(b, at + 7, 200),
      testname: readWideString(b, at + 407, 72),
      exit_condition: readByteString(b, at + 551, 100),
      step_and_cycle_format: readByteString(b, at + 651, 64),
      barcode: readWideString(b, at + 715, 72),
      can_config_name: readWideString(b, at + 859, 200),
      smb_config_name: readWideString(b, at + 1259, 200),
      master_channel: b.readUInt16LE(at + 1659),
      test_time_s: b.readDoubleLE(at + 1661),
      step_time_s: b.readDoubleLE(at + 1669),
      ...f32,
      aux,
      bms_count,
      smb_count,
    });
    at = auxEnd;
    if ((bms_count > 0 || smb_count > 0) && r < count - 1) return { number_of_channels: count, records, incomplete: true };
  }
  return { number_of_channels: count, records, incomplete: false };
}

/**
 * Encodes a get-channels-info feedback (simulator side) with the given records and their aux values.
 * BMS and SMB counts are written as 0.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_INVALID_ARGUMENT` when a text field is too long.
 */
export function encodeChannelInfoFeedback(records: readonly ChannelInfoRecord[]): Buffer {
  const sizes = records.map((r) => CHANNEL_RECORD_BYTES + 8 * AUX_TYPES.reduce((s, t) => s + r.aux[t].length, 0));
  const args = Buffer.alloc(4 + sizes.reduce((s, n) => s + n, 0));
  args.writeUInt32LE(records.length, 0);
  let at = 4;
  records.forEach((r, i) => {
    args.writeUInt32LE(r.channel_index0, at);
    args.writeInt16LE(r.status, at + 4);
    args.writeUInt8(r.comm_failure, at + 6);
    writeWideString(args, at + 7, 200, r.schedule, 'schedule');
    writeWideString(args, at + 407, 72, r.testname, 'testname');
    writeByteString(args, at + 551, 100, r.exit_condition, 'exit_condition');
    writeByteString(args, at + 651, 64, r.step_and_cycle_format, 'step_and_cycle_format');
    writeWideString(args, at + 715, 72, r.barcode, 'barcode');
    writeWideString(args, at + 859, 200, r.can_config_name, 'can_config_name');
    writeWideString(args, at + 1259, 200, r.smb_config_name, 'smb_config_name');
    args.writeUInt16LE(r.master_channel, at + 1659);
    args.writeDoubleLE(r.test_time_s, at + 1661);
    args.writeDoubleLE(r.step_time_s, at + 1669);
    F32_FIELDS.forEach((f, k) => args.writeFloatLE(r[f], at + 1677 + 4 * k));
    AUX_TYPES.forEach((t, k) => args.writeUInt16LE(r.aux[t].length, at + 1725 + 2 * k));
    let p = at + CHANNEL_RECORD_BYTES;
    for (const t of AUX_TYPES) {
      for (const v of r.aux[t]) {
        args.writeFloatLE(v.value, p);
        args.writeFloatLE(v.dt, p + 4);
        p += 8;
      }
    }
    at += sizes[i] ?? 0;
  });
  return encodeFrame('feedback', CTI_COMMANDS.getChannelsInfo.feedback, args);
}
